"""``fftnas fit`` and factorization studies at composite sizes: ``--n 12``, ``--radices``, the
radix order in the report, one-line errors, and experiments/mixed_radix.toml run for 3 trials."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest

from nas.cli import main
from tests.helpers import REPO


def _fit(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["fit", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_fit_dft_of_composite_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    record = _fit(capsys, "--target", "dft", "--n", "12")
    assert record["relative_error"] <= 1e-12 and record["recovered_fft_structure"] is True
    assert record["fft_radices"] == [2, 2, 3] and record["nnz"] == 12 * 7 == record["butterfly_budget_nnz"]
    assert record["radix2_flops"] is None and record["split_radix_flops"] is None
    expected = {"kind": "hierarchical_fit", "permutation": "bitrev"}  # unset radices: not stored
    assert record["config"] == expected
    record = _fit(capsys, "--target", "dft", "--n", "640", "--radices", "4,4,5,2,2,2")
    assert record["config"]["radices"] == [4, 4, 5, 2, 2, 2] and record["fft_radices"] == [4, 4, 5, 2, 2, 2]
    assert record["relative_error"] <= 1e-12 and record["nnz"] == 640 * 19
    record = _fit(capsys, "--target", "dft", "--n", "64")  # a power of two: as before
    assert record["fft_radices"] == [2] * 6 and record["radix2_flops"] is not None
    assert record["details"]["radix2_graph"] is True


def test_fit_text_names_the_radix_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit", "--target", "dft", "--n", "60", "--radices", "3,4,5"]) == 0
    lines = [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]
    assert lines[0] == "dft N=60"
    assert "FFT recovered yes (Cooley-Tukey graph: radix order 3,4,5)" in lines
    best = "at the best diagonal scaling"
    assert any(line.startswith("real operations ") and best in line for line in lines)
    assert "reference real operations dense 28,680" in lines  # no FFT counts for N = 60
    assert main(["fit", "--target", "dft", "--n", "60", "--perm", "identity"]) == 0
    assert "FFT recovered no (Cooley-Tukey graph: no)" in [
        " ".join(line.split()) for line in capsys.readouterr().out.splitlines()
    ]


def test_perm_bitrev_is_the_digit_reversal(capsys: pytest.CaptureFixture[str]) -> None:
    bitrev = _fit(capsys, "--target", "dft", "--n", "18", "--radices", "3,6", "--perm", "bitrev")
    identity = _fit(capsys, "--target", "dft", "--n", "18", "--radices", "3,6", "--perm", "identity")
    assert bitrev["relative_error"] <= 1e-12 and identity["relative_error"] > 0.1


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--n", "640", "--radices", "4,4,5,2,2"],
            "--radices: got (4, 4, 5, 2, 2); the product must be N = 640",
        ),
        (["--n", "640", "--radices", "4,x"], "--radices: got '4,x'; must be comma-separated ints >= 2"),
        (
            ["--n", "12", "--radices", "2,1,6"],
            "--radices: got (2, 1, 6); must be a non-empty tuple of ints >= 2",
        ),
        (
            ["--n", "640", "--method", "baseline", "--radices", "4,4,5,2,2,2"],
            "--radices: got (4, 4, 5, 2, 2, 2); is not a setting of --method baseline; it is for "
            "gradient, hierarchical",
        ),
        (
            ["--n", "12", "--search-fitters", "2", "--radices", "2,2,3"],
            "--radices: got '2,2,3'; picks one fitter, --search-fitters searches all",
        ),
        (["--n", "640", "--method", "gradient"], "permutation 'learn' needs N a power of two >= 2"),
        (["--n", "640", "--method", "patterns"], "n: got 640; must be a power of two"),
        (["--n", "1"], "n: got 1; must be an integer in [2, 8192]"),
    ],
)
def test_bad_composite_flags_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fit", "--target", "dft", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("fftnas: error: ") and expected in err and len(err.splitlines()) == 1


def test_hadamard_of_a_composite_size_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit", "--target", "hadamard", "--n", "12"]) == 2
    assert capsys.readouterr().err.strip() == (
        "fftnas: error: n: got 12; must be a power of two in [2, 8192] for name 'hadamard'"
    )


def test_mixed_radix_experiment_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    storage = tmp_path / "mr.journal"
    experiment = REPO / "experiments" / "mixed_radix.toml"
    argv = ["run", str(experiment), "--trials", "3", "--storage", str(storage), "--no-progress"]
    assert main([*argv, "--devices", "cpu"]) == 0
    capsys.readouterr()
    backend = optuna.storages.journal.JournalFileBackend(str(storage))
    study = optuna.load_study(study_name="mixed_radix", storage=optuna.storages.JournalStorage(backend))
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 3
    for trial in study.trials:
        assert trial.params["method"] in ("hierarchical", "baseline")
        exact = trial.params.get("hierarchical.permutation") == "bitrev"
        assert (trial.values[0] <= 1e-12) == exact
        assert "fft_radices" in trial.user_attrs
        if exact:  # the default order of 640, read off the dataflow graph
            assert trial.user_attrs["fft_radices"] == [2] * 7 + [5]
        assert trial.user_attrs["reference_counts"]["radix2_flops"] is None


def test_search_fitters_prunes_the_fitters_that_refuse_the_size(capsys: pytest.CaptureFixture[str]) -> None:
    record = _fit(capsys, "--target", "dft", "--n", "12", "--search-fitters", "8", "--seed", "0")
    assert record["search_fitters_trials"] == 8
    assert record["method"] not in ("gradient", "patterns")  # learned perm / patterns: power of two only


def test_recover_and_gradient_at_composite_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    hidden = _fit(capsys, "--target", "dft", "--n", "640", "--hidden-permutation", "3", "--method", "recover")
    assert hidden["relative_error"] < 1e-12 and hidden["fft_radices"] == [2] * 7 + [5]
    assert hidden["details"]["radices"] == [2] * 7 + [5]
    assert "radix order 2,2,2,2,2,2,2,5" in hidden["details"]["outcome"]
    gradient = _fit(capsys, "--target", "dft", "--n", "12", "--method", "gradient", "--perm", "bitrev")
    assert gradient["relative_error"] < 1e-6 and "radices" not in gradient["config"]  # None: not stored
    assert gradient["nnz"] == 12 * (2 + 2 + 3)
    ordered = _fit(capsys, "--target", "dft", "--n", "12", "--method", "gradient", "--perm", "bitrev",
                   "--radices", "3,4")
    assert ordered["relative_error"] < 1e-6 and ordered["config"]["radices"] == [3, 4]
    assert ordered["nnz"] == 12 * 7
