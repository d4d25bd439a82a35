"""experiments/fewest_operations.toml at a small size: radix orders and per-stage patterns are
searched, ``ops`` is the count at the best diagonal scaling, and the Pareto table prints the
dense, radix-2, radix-4 and split-radix counts beside the front."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest

from fftlearn.factorize import radix2_flops, radix4_flops, split_radix_flops
from nas.cli import main
from nas.families.factorization._objective import reference_counts
from tests.helpers import REPO, edit_experiment


def _small(tmp_path: Path) -> Path:
    small = edit_experiment(
        REPO / "experiments" / "fewest_operations.toml", tmp_path / "a.toml", r"^n = 1024", "n = 64"
    )
    return edit_experiment(small, tmp_path / "fewest.toml", r"^trials = \d+", "trials = 5")


def test_reference_counts_hold_radix4_for_powers_of_four_only():
    assert reference_counts(64)["radix4_flops"] == radix4_flops(64) == 1224
    assert "radix4_flops" not in reference_counts(32)
    assert list(reference_counts(16)) == ["dense_flops", "radix2_flops", "radix4_flops", "split_radix_flops"]


def test_study_scores_the_best_scaling_and_prints_the_references(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    experiment = _small(tmp_path)
    storage = tmp_path / "fewest.journal"
    assert main(["run", str(experiment), "--storage", str(storage), "--no-progress"]) == 0
    capsys.readouterr()
    backend = optuna.storages.journal.JournalFileBackend(str(storage))
    study = optuna.load_study(study_name="fewest_operations", storage=optuna.storages.JournalStorage(backend))
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 5
    for trial in study.trials:
        metrics = trial.user_attrs["metrics"]
        assert metrics["relative_error"] < 1e-12
        assert metrics["ops"] == trial.values[1] <= metrics["ops_as_fitted"]
        assert any(name.startswith("hierarchical.radix.") for name in trial.params)
    assert main(["pareto", "--storage", str(storage)]) == 0
    table = capsys.readouterr().out
    expected = (
        f"radix-2 {radix2_flops(64):,}, radix-4 {radix4_flops(64):,}, split-radix {split_radix_flops(64):,}"
    )
    assert "reference real ops (one vector): dense " in table and expected in table
    assert main(["reproduce", "--storage", str(storage), "--trial", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for name in ("ops", "ops_as_fitted", "ops_cheap_eighth_roots"):
        assert result["reproduced"][name] == result["stored"][name]


def test_radix4_as_layers_scores_below_radix4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = {"method": "hierarchical", "hierarchical.permutation": "bitrev"}
    for stage in range(3):
        params.update({f"hierarchical.radix.{stage}": 4, f"hierarchical.pattern.{stage}": "layers"})
    assert main(["evaluate", str(_small(tmp_path)), "--params", json.dumps(params), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["config"]["radices"] == [2] * 6 and record["config"]["stages"] == [2, 2, 2]
    assert record["metrics"]["ops"] <= radix4_flops(64) < record["metrics"]["ops_as_fitted"]
