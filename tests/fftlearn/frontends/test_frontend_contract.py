"""The front-end contract, run over every kind registered when the tests are collected (in-tree
kinds and installed plugins): a kind is tested by being registered.

``FrontEndContract`` is the reusable suite (after Optuna's ``BasicSamplerTestCase``): a test class
that subclasses it and provides a ``kind`` fixture runs every check on that kind
(tests/fftlearn/frontends/test_plugin.py does so for a kind registered from Python). The candidates are drawn from
the kind's default subspace by a seeded random sampler, at 640-sample frames and 16 kHz; draws
whose front-end costs more than ``MAX_MACS`` per frame are skipped to keep the tests small.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import fftlearn
from fftlearn import CandidateConfig, OptimizerConfig
from fftlearn.data import LabelledFrames
from fftlearn.frontends import FRONTENDS, FrontEnd, build_frontend
from fftlearn.training import PRECISIONS, evaluate_classifier, precision_on, train_classifier
from searchspace import FrontEndSpace, suggest_candidate

FRAME_LENGTH = 640  # samples (40 ms at 16 kHz)
SAMPLE_RATE = 16000  # Hz
N_CLASSES = 5
N_DRAWS = 40  # random draws per kind
N_CANDIDATES = 3  # candidates tested per kind: the first draws within MAX_MACS
MAX_MACS = 500_000  # per frame; larger draws are skipped (the smallest fill in if too few fit)
BATCH = 6  # frames per test batch


def draw(trial: optuna.trial.BaseTrial, kind: str) -> CandidateConfig:
    """The candidate ``trial`` picks from ``kind``'s default subspace (plus head and optimizer)."""
    space = FrontEndSpace(frontends=(kind,))
    return suggest_candidate(
        trial, space=space, frame_length=FRAME_LENGTH, n_classes=N_CLASSES, sample_rate=SAMPLE_RATE
    )


@functools.cache
def draws(kind: str) -> tuple[tuple[dict[str, Any], CandidateConfig], ...]:
    """``N_DRAWS`` (params, candidate) pairs of a ``RandomSampler(seed=0)`` study over ``kind``."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    pairs = []
    for _ in range(N_DRAWS):
        trial = study.ask()
        candidate = draw(trial, kind)
        pairs.append((dict(trial.params), candidate))
        study.tell(trial, 0.0)
    return tuple(pairs)


@functools.cache
def candidates(kind: str) -> tuple[CandidateConfig, ...]:
    """The first ``N_CANDIDATES`` draws whose front-end costs <= ``MAX_MACS`` per frame."""
    by_cost = [
        (build_frontend(c.model.frontend).macs_per_example(), i, c) for i, (_, c) in enumerate(draws(kind))
    ]
    small = [c for macs, _, c in by_cost if macs <= MAX_MACS]
    if len(small) < N_CANDIDATES:
        small += [c for _, _, c in sorted(by_cost) if c not in small]
    return tuple(small[:N_CANDIDATES])


def frames_and_labels(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``BATCH`` Gaussian frames ``(B, N)`` (std 0.3) and class labels ``(B,)``."""
    generator = torch.Generator().manual_seed(seed)
    frames = 0.3 * torch.randn(BATCH, FRAME_LENGTH, generator=generator)
    return frames, torch.randint(0, N_CLASSES, (BATCH,), generator=generator)


def trainable(module: torch.nn.Module) -> list[torch.nn.Parameter]:
    return [p for p in module.parameters() if p.requires_grad]


def same_state(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    one, two = a.state_dict(), b.state_dict()
    return one.keys() == two.keys() and all(torch.equal(one[k], two[k]) for k in one)


class FrontEndContract:
    """Every check of the ``FrontEnd`` contract, on the kind the ``kind`` fixture names."""

    def test_config_round_trips_through_json(self, kind: str) -> None:
        for candidate in candidates(kind):
            text = fftlearn.config_to_json(candidate)
            back = fftlearn.config_from_json(text)
            assert back == candidate and type(back.model.frontend) is type(candidate.model.frontend)
            assert fftlearn.config_to_json(back) == text
            assert fftlearn.config_from_json(fftlearn.config_to_json(candidate.model)) == candidate.model

    def test_fixed_trial_rebuilds_the_same_config(self, kind: str) -> None:
        for params, candidate in draws(kind):
            assert params["frontend"] == kind
            assert draw(optuna.trial.FixedTrial(params), kind) == candidate

    def test_output_is_finite_and_shaped_batch_by_features(self, kind: str) -> None:
        frames, _ = frames_and_labels()
        for candidate in candidates(kind):
            frontend = fftlearn.build(candidate.model, seed=0).frontend
            assert (
                isinstance(frontend, FrontEnd) and frontend.n_features == candidate.model.frontend.n_features
            )
            for training in (True, False):
                features = frontend.train(training)(frames)
                assert features.shape == (BATCH, frontend.n_features) and features.dtype == torch.float32
                assert torch.isfinite(features).all(), (candidate, training)

    def test_dense_macs_match_the_flop_counter(self, kind: str) -> None:
        """FlopCounterMode counts matrix products and convolutions (FLOPs = 2 MACs), not FFTs
        or elementwise work: its count is the stated dense part exactly, or, where a kind
        states none, at most the analytic count."""
        frames, _ = frames_and_labels()
        for candidate in candidates(kind):
            frontend = build_frontend(candidate.model.frontend).eval()
            analytic, stated = frontend.macs_per_example(), frontend.dense_macs_per_example()
            assert isinstance(analytic, int) and analytic > 0
            with torch.no_grad(), FlopCounterMode(display=False) as counter:
                frontend(frames)
            counted = counter.get_total_flops()
            if stated is None:
                assert counted <= 2 * BATCH * analytic, candidate
            else:
                assert counted == 2 * BATCH * stated, candidate

    def test_seeded_build_is_deterministic(self, kind: str) -> None:
        frames, _ = frames_and_labels()
        for candidate in candidates(kind):
            torch.manual_seed(1)
            first = fftlearn.build(candidate.model, seed=7).eval()
            torch.manual_seed(2)  # the global RNG's state must not matter
            before = torch.random.get_rng_state()
            again = fftlearn.build(candidate.model, seed=7).eval()
            assert torch.equal(torch.random.get_rng_state(), before)  # and is left as it was
            assert same_state(first, again)
            with torch.no_grad():
                assert torch.equal(first(frames), again(frames))
                other = fftlearn.build(candidate.model, seed=8).eval()
                assert not torch.equal(first(frames), other(frames))

    def test_one_backward_pass_reaches_every_trainable_parameter(self, kind: str) -> None:
        frames, labels = frames_and_labels()
        for candidate in candidates(kind):
            model = fftlearn.build(candidate.model, seed=0).train()
            loss = torch.nn.functional.cross_entropy(model(frames), labels) + model.auxiliary_loss()
            loss.backward()
            grads = {name: p.grad for name, p in model.named_parameters() if p.requires_grad}
            missing = [name for name, grad in grads.items() if grad is None]
            assert missing == [], candidate
            assert all(torch.isfinite(grad).all() for grad in grads.values())
            moved = [name for name, grad in grads.items() if grad.abs().sum() > 0]
            assert len(moved) >= math.ceil(len(grads) / 2), (candidate, sorted(set(grads) - set(moved)))

    def test_parameter_groups_hold_each_trainable_parameter_once(self, kind: str) -> None:
        optimizer = OptimizerConfig(lr=3e-3)
        for candidate in candidates(kind):
            frontend = build_frontend(candidate.model.frontend)
            groups = frontend.parameter_groups(optimizer)
            grouped = [id(p) for group in groups for p in group["params"]]
            assert len(grouped) == len(set(grouped))
            assert sorted(grouped) == sorted(id(p) for p in trainable(frontend))
            assert all(group["lr"] > 0 and group["params"] for group in groups)
            if groups:
                torch.optim.Adam(groups)  # usable as they are

    def test_learnable_says_whether_there_are_trainable_parameters(self, kind: str) -> None:
        frontend_class = FRONTENDS.get(kind, field="kind")
        counts = [len(trainable(build_frontend(c.model.frontend))) for c in candidates(kind)]
        if frontend_class.learnable:
            assert max(counts) > 0  # a default draw learns something
        else:
            assert counts == [0] * len(counts)

    def test_checkpoint_round_trip_gives_identical_outputs(self, kind: str, tmp_path: Path) -> None:
        frames, _ = frames_and_labels()
        for index, candidate in enumerate(candidates(kind)):
            model = fftlearn.build(candidate.model, seed=index).eval()
            path = fftlearn.save_checkpoint(tmp_path / f"{index}.pt", model)
            loaded = fftlearn.load_checkpoint(path).eval()
            assert loaded.config == candidate.model and same_state(model, loaded)
            with torch.no_grad():
                assert torch.equal(loaded(frames), model(frames))

    def test_optional_hooks_return_what_they_promise(self, kind: str) -> None:
        frames, _ = frames_and_labels()
        for candidate in candidates(kind):
            frontend = build_frontend(candidate.model.frontend).train()
            kernels = frontend.kernels()
            if kernels is not None:
                assert kernels.ndim == 2 and kernels.device.type == "cpu" and not kernels.requires_grad
                assert torch.isfinite(kernels).all()
            banks = frontend.filterbanks()
            assert banks and all(isinstance(bank, FrontEnd) for bank in banks)
            frontend(frames)
            auxiliary = frontend.auxiliary_loss()
            assert auxiliary.shape == () and torch.isfinite(auxiliary)
            routes = frontend.routing(frames)
            if routes is not None:
                assert routes.shape == (BATCH,) and routes.dtype == torch.int64
                assert 0 <= int(routes.min()) and int(routes.max()) < len(banks)


    def test_trains_and_scores_in_each_precision_on_the_test_device(
        self, kind: str, device_under_test: torch.device
    ) -> None:
        """On a GPU, bfloat16 autocast must suit every kind (its FFTs, convolutions, sorting)."""
        frames, labels = frames_and_labels()
        data = LabelledFrames(
            frames=frames.numpy(),
            labels=labels.numpy(),
            f0_hz=np.full(BATCH, np.nan),
            n_classes=N_CLASSES,
            class_names=tuple(str(c) for c in range(N_CLASSES)),
        )
        for precision in PRECISIONS:
            for candidate in candidates(kind):
                model = fftlearn.build(candidate.model, seed=0)
                budget = fftlearn.TrainConfig(epochs=2, batch_size=BATCH // 2, precision=precision)
                trained = train_classifier(
                    model, data, optimizer=OptimizerConfig(), budget=budget, seed=0, device=device_under_test
                )
                assert trained.precision == precision_on(precision, device=device_under_test)
                assert math.isfinite(trained.final_loss) and trained.steps == 4, candidate
                scored = evaluate_classifier(model, data, device=device_under_test, precision=precision)
                assert math.isfinite(scored.loss), (candidate, precision)
                assert scored.predictions.shape == (BATCH,)
                assert set(scored.predictions) <= set(range(N_CLASSES))


@pytest.fixture(params=FRONTENDS.names())
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


class TestRegisteredKinds(FrontEndContract):
    """The contract, once per kind registered at collection time."""
