"""The radix order and per-stage pattern a trial picks for the hierarchical fitter
(``fitters/_radix_space``, ``HierarchicalSpace.radices`` / ``.patterns``)."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from fftlearn import ConfigError, config_from_json, config_to_json
from fftlearn.factorize import (
    HierarchicalFitConfig,
    TargetConfig,
    fewest_operation_count,
    fit_factorization,
    make_target,
)
from fftlearn.factorize.fitters._hierarchical import HierarchicalSpace


def _params(radices: list[int], patterns: list[str]) -> dict[str, object]:
    params: dict[str, object] = {"hierarchical.permutation": "bitrev"}
    for index, (radix, pattern) in enumerate(zip(radices, patterns)):
        params[f"hierarchical.radix.{index}"] = radix
        params[f"hierarchical.pattern.{index}"] = pattern
    return params


def _suggest(space: HierarchicalSpace, n: int, params: dict[str, object]) -> HierarchicalFitConfig:
    return space.suggest(optuna.trial.FixedTrial(params), n=n, seed=0)


SPACE = HierarchicalSpace(radices=(2, 4, 8, 16, 32), patterns=("dense", "layers"))


@pytest.mark.parametrize(
    "radices,patterns,fit_radices,stages",
    [
        ([4] * 5, ["layers"] * 5, (2,) * 10, (2,) * 5),
        ([4] * 5, ["dense"] * 5, (4,) * 5, None),
        ([8, 32, 4], ["layers", "dense", "layers"], (2, 2, 2, 32, 2, 2), (3, 1, 2)),
        ([32, 16, 8], ["dense", "dense", "dense"], (32, 16, 2), None),  # 8 does not divide the 2 left
    ],
)
def test_digits_become_the_fit_radices_and_stages(radices, patterns, fit_radices, stages):
    config = _suggest(SPACE, 1024, _params(radices, patterns))
    assert config.radices == fit_radices and config.stages == stages
    assert config_from_json(config_to_json(config)) == config


def test_default_space_draws_no_radix_order():
    config = _suggest(HierarchicalSpace(), 64, {"hierarchical.permutation": "bitrev"})
    assert config == HierarchicalFitConfig()


def test_mixed_radix_fit_is_exact_and_rescaled_with_its_stages():
    space = HierarchicalSpace(radices=(2, 3, 4, 5), patterns=("layers",))
    config = _suggest(space, 60, _params([4, 5, 3], ["layers", "dense", "dense"]))
    assert config.radices == (2, 2, 5, 3) and config.stages == (2, 1, 1)
    dft = np.fft.fft(np.eye(60), norm="ortho")
    result = fit_factorization(dft, config)
    assert result.relative_error < 1e-12
    assert result.details["stages"] == [2, 1, 1]
    assert fewest_operation_count(result.factorization, stages=(2, 1, 1)) <= result.ops


def test_every_sampled_order_has_the_right_product():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        trial = study.ask()
        config = SPACE.suggest(trial, n=256, seed=0)
        assert int(np.prod(config.radices)) == 256
        assert config.stages is None or sum(config.stages) == len(config.radices)
        study.tell(trial, 0.0)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"radices": (1, 2)}, "radices"),
        ({"radices": (2, 2)}, "radices"),
        ({"patterns": ("sparse",)}, "patterns"),
        ({"patterns": ()}, "patterns"),
    ],
)
def test_bad_space_gets_one_line_errors(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        HierarchicalSpace(**kwargs)


def test_bad_stages_get_one_line_errors():
    with pytest.raises(ConfigError, match="stages"):
        HierarchicalFitConfig(radices=(2, 2, 2), stages=(2, 2))
    with pytest.raises(ConfigError, match="stages"):
        HierarchicalFitConfig(stages=(0, 2))
    dft = make_target(TargetConfig(name="dft", n=16)).matrix
    with pytest.raises(ConfigError, match="stages"):
        fit_factorization(dft, HierarchicalFitConfig(stages=(2, 1)))  # 4 factors at N = 16
