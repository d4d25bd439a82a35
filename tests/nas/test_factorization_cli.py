"""Factorization through the CLI: ``fftnas fit`` and factorization studies end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna
import pytest

from fftlearn.factorize import radix2_flops
from nas.cli import main
from tests.helpers import REPO

TINY = """
family = "factorization"

[study]
name = "fz"
trials = 6
seed = 0

[sampler]
name = "random"
seed = 0

[[objectives]]
metric = "relative_error"
direction = "minimize"

[[objectives]]
metric = "ops"
direction = "minimize"

[target]
name = "hadamard"
n = 16
hidden_permutation = {hidden}

[space]
methods = ["hierarchical", "recover", "baseline"]

[space.hierarchical]
permutation = ["identity", "bitrev"]
"""


def _fit(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["fit", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_fit_hierarchical_dft_is_the_fft(capsys: pytest.CaptureFixture[str]) -> None:
    record = _fit(capsys, "--target", "dft", "--n", "64")
    for key in ("relative_error", "rmse", "nnz", "ops", "seconds", "recovered_fft_structure"):
        assert key in record
    assert record["relative_error"] <= 1e-12 and record["rmse"] <= 1e-12
    assert record["nnz"] == record["butterfly_budget_nnz"] == 2 * 64 * 6
    assert record["ops_as_fitted"] == record["radix2_flops"] == radix2_flops(64)
    assert record["ops"] < record["radix4_flops"] < record["radix2_flops"]  # the best diagonal scaling
    assert record["ops_cheap_eighth_roots"] <= record["ops"]
    assert (
        record["dense_flops"] == 8 * 64 * 64 - 2 * 64
        and record["split_radix_flops"] == 4 * 64 * 6 - 6 * 64 + 8
    )
    assert record["recovered_fft_structure"] is True


def test_fit_finds_hidden_permutations_and_never_recovers_controls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    hidden = _fit(
        capsys, "--target", "hadamard", "--n", "32", "--hidden-permutation", "5", "--method", "recover"
    )
    assert (
        hidden["relative_error"] <= 1e-9 and hidden["nnz"] == 2 * 32 * 5 and hidden["recovered_fft_structure"]
    )
    assert hidden["method"] == "recover" and hidden["config"]["kind"] == "butterfly_search"
    assert hidden["details"]["outcome"].startswith("structure at all 5 levels, radix order 2,2,2,2,2 (")
    exact_without = _fit(capsys, "--target", "hadamard", "--n", "32", "--hidden-permutation", "5")
    assert exact_without["relative_error"] > 0.1 and not exact_without["recovered_fft_structure"]
    for control, found in (("legendre", 1), ("random", 0)):
        record = _fit(capsys, "--target", control, "--n", "32", "--method", "recover")
        assert record["relative_error"] > 0.1 and record["recovered_fft_structure"] is False
        assert record["details"]["exact_structure"] is False and record["details"]["levels_found"] == found
        outcome = record["details"]["outcome"]
        assert outcome.startswith(f"no structure past level {found} (radix order found: ")


def _words(line: str) -> str:
    return " ".join(line.split())


def test_fit_says_what_it_ran_and_why_a_recovery_failed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit", "--target", "random", "--n", "16", "--method", "recover"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "random N=16"
    assert _words(lines[1]) == (
        "method recover: structure recovery (unknown row and column permutations found from the "
        "factor structure, then fitted exactly)"
    )
    outcome = "outcome no structure past level 0 (radix order found: none); at size 16:"
    assert _words(lines[2]).startswith(outcome)
    assert any(
        _words(line).startswith("seconds ") and "s wall, target and all fits" in line for line in lines
    )


def test_fit_flags_set_the_fitters_own_settings(capsys: pytest.CaptureFixture[str]) -> None:
    gradient = ["--method", "gradient", "--perm", "bitrev", "--dtype", "float32"]
    record = _fit(capsys, "--target", "dft", "--n", "8", *gradient)
    assert record["config"]["permutation"] == "bitrev" and record["config"]["dtype"] == "float32"
    assert record["relative_error"] <= 1e-4 and record["method"] == "gradient"
    record = _fit(
        capsys, "--target", "hadamard", "--n", "8", "--method", "hierarchical", "--perm", "identity"
    )
    assert record["config"] == {"kind": "hierarchical_fit", "permutation": "identity"}  # as stored before
    assert record["relative_error"] <= 1e-12
    record = _fit(capsys, "--target", "dft", "--n", "8", "--method", "baseline")
    assert record["config"] == {"kind": "baseline_fit", "which": "top_entries"}  # its default config
    assert record["relative_error"] == pytest.approx(0.5)  # 48 of the 64 entries, all of one size
    # seconds: the command's wall time (target and every fit); fit_seconds: the fit alone
    assert record["seconds"] >= record["fit_seconds"] >= 0


def test_search_fitters_runs_a_study_over_every_fitter(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["fit", "--target", "hadamard", "--n", "4", "--search-fitters", "3", "--seed", "4"]
    record = _fit(capsys, *argv[1:])
    assert record["search_fitters_trials"] == 3 and record["seconds"] >= record["fit_seconds"]
    assert record["relative_error"] <= 1e-12  # the Hadamard matrix has an exact butterfly product
    assert main(argv) == 0  # the same seed: the same study, the same best trial
    lines = capsys.readouterr().out.splitlines()
    assert _words(lines[1]).startswith(f"method {record['method']}: ")
    assert lines[1].endswith("(best of 3 trials of --search-fitters)")


def test_fit_reads_a_users_matrix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    np.save(tmp_path / "m.npy", np.fft.fft(np.eye(16), norm="ortho"))
    record = _fit(capsys, "--target-file", str(tmp_path / "m.npy"))
    assert record["n"] == 16 and record["relative_error"] <= 1e-12 and record["recovered_fft_structure"]
    assert _fit(capsys, "--target-file", str(tmp_path / "m.npy"), "--n", "16")["n"] == 16
    assert main(["fit", "--target-file", str(tmp_path / "m.npy"), "--n", "8"]) == 2
    assert capsys.readouterr().err.strip() == (
        "fftnas: error: --n: got 8; must match the size of --target-file (16), or be left out"
    )


DFT8 = ["--target", "dft", "--n", "8"]
NONSENSE = [
    (["--method", "search"], "--method: got 'search'; is no fitter now: use --method recover"),
    (["--method", "magic"], "--method: got 'magic'; must be one of baseline, gradient, hierarchical"),
    (
        ["--perm", "learn"],
        "--perm: got 'learn'; must be one of 'bitrev', 'identity' with --method hierarchical",
    ),
    (["--perm", "search"], "--perm: got 'search'; must be one of identity, bitrev, learn"),
    (
        ["--method", "l1", "--perm", "bitrev"],
        "--perm: got 'bitrev'; is not a setting of --method l1; it is for",
    ),
    (
        ["--method", "recover", "--perm", "bitrev"],
        "--perm: got 'bitrev'; is not a setting of --method recover",
    ),
    (
        ["--dtype", "float32"],
        "--dtype: got 'float32'; is not a setting of --method hierarchical; it is for",
    ),
    (["--dtype", "float16"], "--dtype: got 'float16'; must be one of float32, float64"),
    (
        ["--search-fitters", "3", "--method", "l1"],
        "--method: got 'l1'; picks one fitter, --search-fitters searches all: give either",
    ),
    (
        ["--search-fitters", "3", "--perm", "bitrev"],
        "--perm: got 'bitrev'; picks one fitter, --search-fitters",
    ),
    (["--search-fitters", "0"], "--search-fitters: got 0;"),
    (["--trials", "3"], "unrecognized arguments: --trials 3"),
]


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["--target", "hadamard", "--n", "100"], "n: got 100; must be a power of two in [2, 8192] for name"),
        (["--target", "dft", "--n", "8193"], "n: got 8193; must be an integer in [2, 8192]"),
        (["--n", "8"], "--target: got None; give exactly one of --target NAME and --target-file M.npy"),
        (["--target", "dft"], "--n: got None; is required with --target"),
        (["--target", "fourier", "--n", "8"], "name: got 'fourier'; must be one of"),
        (["--target-file", "/no/such.npy"], "path: got '/no/such.npy'"),
        (["--target", "dft", "--n", "8", "--hidden-permutation", "-1"], "--hidden-permutation: got -1"),
        *[(DFT8 + argv, expected) for argv, expected in NONSENSE],
    ],
)
def test_fit_bad_flags_exit_2(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("fftnas: error: ") and expected in err and len(err.splitlines()) == 1


def test_factorization_study_runs_reproduces_and_draws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    experiment = tmp_path / "fz.toml"
    experiment.write_text(TINY.format(hidden="true"))
    storage = tmp_path / "fz.journal"
    assert main(["run", str(experiment), "--storage", str(storage), "--no-progress"]) == 0
    capsys.readouterr()
    backend = optuna.storages.journal.JournalFileBackend(str(storage))
    study = optuna.load_study(study_name="fz", storage=optuna.storages.JournalStorage(backend))
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 6
    assert study.metric_names == ["relative_error", "ops"]
    by_method = {t.params["method"]: t for t in study.trials}
    assert by_method["recover"].user_attrs["metrics"]["recovered_fft_structure"] == 1.0
    assert by_method["recover"].values[0] <= 1e-9
    assert by_method["hierarchical"].values[0] > 0.1  # bit reversal alone cannot undo hidden permutations
    for trial in study.trials:
        for name in ("artifact.factor_supports", "artifact.error"):
            assert (tmp_path / "fz-artifacts" / trial.user_attrs[name]).read_bytes()[:4] == b"\x89PNG"
    number = by_method["recover"].number
    assert main(["reproduce", "--storage", str(storage), "--trial", str(number), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mode"] == "refit"
    for name in ("relative_error", "nnz", "ops", "recovered_fft_structure"):
        assert result["reproduced"][name] == result["stored"][name]
    assert main(["pareto", "--storage", str(storage), "--format", "json"]) == 0
    front = json.loads(capsys.readouterr().out)
    assert number in {r["number"] for r in front} or min(r["values"][0] for r in front) <= 1e-9


def test_evaluate_a_fitter_outside_a_study(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    experiment = tmp_path / "fz.toml"
    experiment.write_text(TINY.format(hidden="false"))
    # Sylvester-order Hadamard is a butterfly product WITHOUT the bit reversal
    params = {"method": "hierarchical", "hierarchical.permutation": "identity"}
    assert main(["evaluate", str(experiment), "--params", json.dumps(params), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["config"] == {"kind": "hierarchical_fit", "permutation": "identity"}  # as stored before
    assert (
        record["metrics"]["relative_error"] <= 1e-12 and record["metrics"]["recovered_fft_structure"] == 1.0
    )
    params["hierarchical.permutation"] = "bitrev"
    assert main(["evaluate", str(experiment), "--params", json.dumps(params), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["relative_error"] > 0.1
    assert main(["evaluate", str(experiment), "--params", json.dumps({"method": "gradient"})]) == 2
    assert (
        "--params.method: got 'gradient'; must be one of 'hierarchical', 'recover', 'baseline'"
        in capsys.readouterr().err
    )


FACTORIZATION_EXPERIMENTS = sorted(
    p.stem for p in (REPO / "experiments").glob("*.toml") if 'family = "factorization"' in p.read_text()
)


@pytest.mark.parametrize("name", FACTORIZATION_EXPERIMENTS)
def test_shipped_factorization_experiments_load(name: str) -> None:
    from nas import load_experiment
    from nas.families import FactorizationExperiment

    experiment = load_experiment(REPO / "experiments" / f"{name}.toml")
    assert isinstance(experiment, FactorizationExperiment)
    assert experiment.metric_names[0] == "relative_error"
    assert FACTORIZATION_EXPERIMENTS == [
        "butterfly_recovery",
        "fewest_operations",
        "hidden_permutation",
        "l1_sparse",
        "mixed_radix",
    ]
    if name == "mixed_radix":
        assert experiment.target.n == 640 and experiment.space.methods == ("hierarchical", "baseline")
    if name == "fewest_operations":
        assert experiment.space.subspace("hierarchical").radices == (2, 4, 8, 16, 32)
        assert experiment.target.n == 1024 and experiment.metric_names == ["relative_error", "ops"]
    if name == "hidden_permutation":
        assert experiment.space.methods[0] == "recover"
    if name == "butterfly_recovery":
        assert experiment.space.subspace("hierarchical").permutation == ("bitrev", "identity")
        assert experiment.space.subspace("baseline").which == ("top_entries", "low_rank")
