"""The factorization search space: pure in the trial's params, every method builds and fits."""

from __future__ import annotations

import optuna
import pytest

import fftlearn
from fftlearn.factorize import (
    KroneckerPattern,
    PatternFitConfig,
    TargetConfig,
    butterfly_chain,
    fit_factorization,
    make_target,
)
from searchspace import FactorizationSpace, IntRange, PatternSpace, suggest_fitter


def test_fixed_trial_rebuilds_every_fitter_config() -> None:
    space = FactorizationSpace()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    kinds = set()
    for _ in range(60):
        trial = study.ask()
        fitter = suggest_fitter(trial, space=space, n=32, seed=7)
        again = suggest_fitter(optuna.trial.FixedTrial(trial.params), space=space, n=32, seed=7)
        assert again == fitter and fftlearn.config_from_json(fftlearn.config_to_json(fitter)) == fitter
        kinds.add(fitter.kind)
        study.tell(trial, 0.0)
    assert kinds == {
        "hierarchical_fit",
        "gradient_fit",
        "l1_fit",
        "iht_fit",
        "pattern_fit",
        "butterfly_search",
        "baseline_fit",
    }


def test_patterns_search_factor_count_and_supports() -> None:
    space = FactorizationSpace(methods=("patterns",), patterns=PatternSpace(n_factors=IntRange(2, 10)))
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    counts = set()
    for _ in range(30):
        trial = study.ask()
        fitter = suggest_fitter(trial, space=space, n=16, seed=0)
        assert 2 <= len(fitter.patterns) <= 4  # capped at log2 16
        assert all(p.shape == (16, 16) and p.b == p.c for p in fitter.patterns)
        counts.add(len(fitter.patterns))
        study.tell(trial, 0.0)
    assert counts == {2, 3, 4}


def test_the_butterfly_chain_of_patterns_recovers_the_dft() -> None:
    target = make_target(TargetConfig(name="dft", n=16)).matrix
    result = fit_factorization(target, PatternFitConfig(patterns=butterfly_chain(16), permutation="bitrev"))
    assert result.relative_error <= 1e-9 and result.nnz == 2 * 16 * 4 and result.recovered_fft_structure
    monarch_like = (KroneckerPattern(a=4, b=4, c=4, d=1), KroneckerPattern(a=1, b=4, c=4, d=4))
    result = fit_factorization(target, PatternFitConfig(patterns=monarch_like, permutation="identity"))
    assert result.nnz <= 2 * 16 * 4 and not result.recovered_fft_structure


def test_pattern_config_errors() -> None:
    with pytest.raises(fftlearn.ConfigError, match=r"^patterns\[0\]: got .*; must be square"):
        PatternFitConfig(patterns=(KroneckerPattern(a=1, b=2, c=4, d=2),))
    with pytest.raises(fftlearn.ConfigError, match=r"^patterns: got \[\]; must list at least one"):
        PatternFitConfig()
    target = make_target(TargetConfig(name="dft", n=8)).matrix
    with pytest.raises(fftlearn.ConfigError, match=r"^patterns: got \(16, 16\); must be \(8, 8\)"):
        fit_factorization(target, PatternFitConfig(patterns=butterfly_chain(16)))
