"""What a trial measures of routing: the mutual information between class and expert, and the
MACs objective expected under the routing of the test frames."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import torch

import fftlearn
from fftlearn import HeadConfig, ModelConfig
from fftlearn.frontends import ExpertsConfig, MultiplicativeConfig
from nas.families.frontend._analysis import mutual_information_bits
from nas.families.frontend._evaluate import BATCH, expected_macs


def test_mutual_information_matches_scipy_entropies() -> None:
    counts = np.array([[30, 5, 0], [2, 40, 23]])
    joint = counts / counts.sum()
    expert = scipy.stats.entropy(joint.sum(0), base=2)  # H(E)
    given_class = sum(row.sum() * scipy.stats.entropy(row, base=2) for row in joint)  # H(E | C)
    assert mutual_information_bits(counts) == pytest.approx(expert - given_class, abs=1e-12)
    assert mutual_information_bits(np.array([[50, 0], [0, 50]])) == pytest.approx(1.0)
    assert mutual_information_bits(np.array([[30, 10], [60, 20]])) == pytest.approx(0.0, abs=1e-12)


def test_expected_macs_weigh_each_expert_by_its_share_over_all_test_batches() -> None:
    frontend = ExpertsConfig(
        expert=MultiplicativeConfig(frame_length=64, n_kernels=8),
        n_experts=2,
        router_width=4,
        size_ratio=0.25,
    )
    model = fftlearn.build(ModelConfig(frontend=frontend, head=HeadConfig(depth=0), n_classes=3), seed=0)
    with torch.no_grad():  # expert 1 when the router's first hidden unit exceeds 0.005
        last = model.frontend.router[-1]
        last.weight.zero_()
        last.weight[1, 0] = 10.0
        last.bias.copy_(torch.tensor([0.05, 0.0]))
    frames = np.random.default_rng(0).standard_normal((BATCH + 300, 64)).astype(np.float32)
    chosen = model.frontend.routing(torch.from_numpy(frames))
    to_small = int(chosen.sum())
    assert 0 < to_small < len(frames)
    router = 2 * 64 + 64 * 4 + 4 * 4 + 4 * 2
    by_hand = (
        router + ((len(frames) - to_small) * 8 + to_small * 2) * 64 / len(frames) + 2 * 8 + 8 * 3
    )  # head: norm, logits
    measured = expected_macs(model, frames, device=torch.device("cpu"))
    assert measured == pytest.approx(by_hand, rel=1e-12)
    assert measured < fftlearn.count_macs(model) == router + 8 * 64 + 2 * 8 + 8 * 3  # the worst case
    single = fftlearn.build(
        ModelConfig(
            frontend=MultiplicativeConfig(frame_length=64, n_kernels=5), head=HeadConfig(), n_classes=3
        )
    )
    assert expected_macs(single, frames, device=torch.device("cpu")) == float(fftlearn.count_macs(single))
