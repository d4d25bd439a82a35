"""The fitter contract, run over every registered fitter (a kind is tested by being registered),
and the registry itself: ``register_fitter``, the ``fftnas.fitters`` entry points, and a fitter
from outside fftlearn showing up in the search space, a study's space and ``fftnas fit``."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import optuna
import pytest

import fftlearn.factorize._fitter as fitter_module
from fftlearn import ConfigError, config_from_json, config_to_json
from fftlearn.factorize import (
    Fitter,
    GradientFitConfig,
    TargetConfig,
    fit_factorization,
    fitter_of,
    get_fitter,
    make_target,
    register_fitter,
    registered_fitters,
)
from nas._experiment import experiment_from_dict
from nas.cli import main
from searchspace import FactorizationSpace, suggest_fitter
from tests.helpers import REPO
from tests.identity_fitter import IdentityFitter

N = 8
FITTERS = registered_fitters()  # read at collection: every fitter registered then is covered


@pytest.fixture
def scratch_registry() -> Iterator[None]:
    """The registry as it is now, restored after the test (the test may register fitters)."""
    with fitter_module.FITTERS.scratch():
        yield


# ---- the contract, for every registered fitter -----------------------------------------------


@pytest.mark.parametrize("method", list(FITTERS))
def test_config_round_trips_through_json(method: str) -> None:
    check_json_round_trip(FITTERS[method])


@pytest.mark.parametrize("method", list(FITTERS))
def test_fixed_trial_of_saved_params_gives_the_identical_config(method: str) -> None:
    check_fixed_trial(FITTERS[method])


@pytest.mark.parametrize("method", list(FITTERS))
def test_exact_on_its_oracle_within_its_budget_and_seeded(method: str) -> None:
    check_fit(FITTERS[method])


def check_json_round_trip(fitter: type[Fitter]) -> None:
    for config in (fitter.default_config(n=N, seed=3), fitter.quick_config(n=N, seed=3)):
        assert type(config) is fitter.config_type and fitter_of(config) is fitter
        assert config_from_json(config_to_json(config)) == config


def check_fixed_trial(fitter: type[Fitter]) -> None:
    method = fitter.method
    space = FactorizationSpace(methods=(method,))
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(8):
        trial = study.ask()
        config = suggest_fitter(trial, space=space, n=16, seed=5)
        assert type(config) is fitter.config_type
        assert suggest_fitter(optuna.trial.FixedTrial(trial.params), space=space, n=16, seed=5) == config
        own = {name: value for name, value in trial.params.items() if name != "method"}
        assert fitter.space_type().suggest(optuna.trial.FixedTrial(own), n=16, seed=5) == config
        assert trial.params["method"] == method and all(name.startswith(f"{method}.") for name in own)
        study.tell(trial, 0.0)


def check_fit(fitter: type[Fitter]) -> None:
    """Exact on its oracle (where it has one), within its nonzero budget, seeded."""
    config = fitter.quick_config(n=N, seed=1)
    kind = fitter(config)
    oracle = kind.oracle(N)
    target = oracle if oracle is not None else make_target(TargetConfig(name="dft", n=N)).matrix
    result = fit_factorization(target, config)
    assert result.details["method"] == fitter.method and result.seconds >= 0
    assert result.factorization.n == N and result.nnz <= kind.nnz_budget(N)
    if oracle is not None:
        assert result.relative_error <= 1e-8
    else:  # no exactness claim: a sane fit, better than the zero matrix
        assert np.isfinite(result.relative_error) and result.relative_error < 1.0
    again = fit_factorization(target, config)  # same seed: the same factorization
    np.testing.assert_array_equal(again.factorization.to_dense(), result.factorization.to_dense())
    np.testing.assert_array_equal(
        again.factorization.input_permutation, result.factorization.input_permutation
    )
    np.testing.assert_array_equal(
        again.factorization.output_permutation, result.factorization.output_permutation
    )


def test_the_built_in_fitters_and_their_budgets() -> None:
    assert set(FITTERS) >= {"hierarchical", "gradient", "l1", "iht", "patterns", "recover", "baseline"}
    budget = 2 * 16 * 4  # the butterfly budget, 2 N log2 N
    for method in ("hierarchical", "recover", "baseline", "l1", "iht", "patterns"):
        fitter = FITTERS[method]
        assert fitter(fitter.default_config(n=16, seed=0)).nnz_budget(16) == budget
    assert FITTERS["gradient"](GradientFitConfig()).nnz_budget(16) == budget + 2 * 16 - 2  # + the pair stage
    assert FITTERS["gradient"](GradientFitConfig(output_stage="none")).nnz_budget(16) == budget


# ---- the registry ----------------------------------------------------------------------------


def test_fit_factorization_and_get_fitter_name_the_registered_kinds() -> None:
    with pytest.raises(
        ConfigError,
        match=r"^fitter: got 'dict'; must be the config of a registered fitter: .*hierarchical_fit",
    ):
        fit_factorization(np.eye(4), {"kind": "hierarchical_fit"})
    with pytest.raises(ConfigError, match=r"^method: got 'magic'; must be one of baseline, gradient"):
        get_fitter("magic")
    with pytest.raises(
        ConfigError, match=r"^config: got 'GradientFitConfig'; must be a HierarchicalFitConfig"
    ):
        get_fitter("hierarchical")(GradientFitConfig())


def test_register_fitter_rejects_what_breaks_the_contract(scratch_registry: None) -> None:
    class Renamed(IdentityFitter):
        method = "gradient"

    class BadName(IdentityFitter):
        method = "Identity Fitter"

    class SameConfig(IdentityFitter):
        method = "identity2"
        config_type = GradientFitConfig

    class NoSummary(IdentityFitter):
        method = "identity3"
        summary = ""

    class Abstract(Fitter):
        method = "abstract"

    for cls, message in [
        (Renamed, "fitter method 'gradient' is taken by GradientFitter"),
        (BadName, "method must be a lowercase name"),
        (SameConfig, "GradientFitConfig is the config of fitter 'gradient' already"),
        (NoSummary, "summary must be a one-line description"),
        (Abstract, "must be a concrete subclass"),
        (dict, "must be a concrete subclass"),
    ]:
        with pytest.raises(TypeError, match=message):
            register_fitter(cls)  # type: ignore[arg-type]
    assert registered_fitters() == FITTERS


IDENTITY_EXPERIMENT = {
    "family": "factorization",
    "study": {"name": "identity"},
    "objectives": [{"metric": "relative_error", "direction": "minimize"}],
    "target": {"name": "random", "n": 8},
    "space": {"methods": ["identity", "hierarchical"], "identity": {"n_identity": {"low": 1, "high": 2}}},
}


def test_a_fitter_from_outside_shows_up_everywhere(
    scratch_registry: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "identity" not in registered_fitters()
    with pytest.raises(
        ConfigError, match=r"^space.identity: got .*; unknown key; allowed: methods and a table"
    ):
        experiment_from_dict(IDENTITY_EXPERIMENT)
    register_fitter(IdentityFitter)
    assert list(registered_fitters())[-1] == "identity" and get_fitter("identity") is IdentityFitter
    for check in (check_json_round_trip, check_fixed_trial, check_fit):  # the contract holds
        check(IdentityFitter)
    assert FactorizationSpace().methods[-1] == "identity"  # the search space's method choices
    experiment = experiment_from_dict(IDENTITY_EXPERIMENT)  # a study's space validation
    trial = optuna.trial.FixedTrial({"method": "identity", "identity.n_identity": 2})
    config = suggest_fitter(trial, space=experiment.space, n=8, seed=0)
    assert config == IdentityFitter.config_type(n_identity=2)
    assert config_from_json(config_to_json(config)) == config
    with pytest.raises(SystemExit):  # `fftnas fit --help` lists it with what it does
        main(["fit", "--help"])
    assert "identity: the matrix as one dense factor" in " ".join(capsys.readouterr().out.split())
    assert main(["fit", "--target", "random", "--n", "8", "--method", "identity", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["method"] == "identity" and record["relative_error"] <= 1e-15 and record["nnz"] == 64
    assert record["config"] == {"kind": "identity_factors_fit", "n_identity": 0}


def _entry_points(*entries: tuple[str, str]):  # the entry points a fake installed package declares
    points = [
        importlib.metadata.EntryPoint(name, value, fitter_module.ENTRY_POINT_GROUP) for name, value in entries
    ]
    return lambda *, group: [p for p in points if p.group == group]


@pytest.mark.parametrize("value", ["tests.identity_fitter:IdentityFitter", "tests.identity_fitter_plugin"])
def test_entry_points_name_a_fitter_class_or_a_module_that_registers(
    value: str, scratch_registry: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "tests.identity_fitter_plugin", raising=False)  # import it afresh
    monkeypatch.setattr(importlib.metadata, "entry_points", _entry_points(("identity", value)))
    monkeypatch.setattr(fitter_module.FITTERS, "_plugins", "not loaded")
    assert registered_fitters()["identity"] is IdentityFitter
    assert registered_fitters()["identity"] is IdentityFitter  # loaded once, not registered twice


@pytest.mark.parametrize(
    "value, expected",
    [
        ("tests.no_such_plugin", "fftnas.fitters: got 'broken = tests.no_such_plugin'; failed to import"),
        ("tests.identity_fitter:Fitter", "fftnas.fitters: got 'broken = tests.identity_fitter:Fitter'; "),
    ],
)
def test_a_broken_entry_point_is_one_line_naming_it(
    value: str, expected: str, scratch_registry: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.metadata, "entry_points", _entry_points(("broken", value)))
    monkeypatch.setattr(fitter_module.FITTERS, "_plugins", "not loaded")
    for _ in range(2):  # every look fails, not only the first
        with pytest.raises(ConfigError) as info:
            registered_fitters()
        assert str(info.value).startswith(expected) and "\n" not in str(info.value)


def test_an_installed_entry_point_reaches_fftnas_fit(tmp_path: Path) -> None:
    """A real installed distribution (a .dist-info on the path) whose entry point names the class."""
    info = tmp_path / "fftnas_identity_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fftnas-identity-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[fftnas.fitters]\nidentity = tests.identity_fitter:IdentityFitter\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    argv = ["fit", "--target", "dft", "--n", "8", "--method", "identity", "--json"]
    result = subprocess.run(
        [sys.executable, "-m", "nas.cli", *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["method"] == "identity" and record["relative_error"] <= 1e-15 and record["nnz"] == 64
