"""A front-end study with learning curves and MO-ASHA, run by the real ``fftnas run``: every
trial records its curve, stopped trials end PRUNED within the budget and off the front, and
``fftnas reproduce`` gives a pruned trial's curve back at the epoch it was stopped."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest

from nas import open_storage, resolve_storage
from nas._curve_figures import CURVES_FIGURE_ID
from nas._curves import CURVE_ATTR, PRUNED_EPOCH_ATTR
from tests.conftest import run_fftnas
from tests.helpers import write_tiny_experiment

EPOCHS = 4
PRUNER = '\n[pruner]\nname = "mo_asha"\nmin_epochs = 1\nreduction_factor = 2\n'


def _experiment(tmp_path: Path, *, sampler: str = "tpe", trials: int = 8, name: str = "asha") -> Path:
    path = write_tiny_experiment(tmp_path / f"{name}.toml", name=name, trials=trials, sampler=sampler)
    text = path.read_text(encoding="utf-8").replace("epochs = 2", f"epochs = {EPOCHS}")
    path.write_text(text + PRUNER, encoding="utf-8")
    return path


def _load(storage: Path, name: str) -> optuna.Study:
    reader = open_storage(resolve_storage(str(storage)), create=False)
    return optuna.load_study(study_name=name, storage=reader)


@pytest.fixture(scope="module")
def asha_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, optuna.Study]:
    root = tmp_path_factory.mktemp("asha")
    storage = root / "asha.journal"
    result = run_fftnas(
        "run", str(_experiment(root)), "--storage", str(storage), "--no-progress", "--device", "cpu", cwd=root
    )
    assert result.returncode == 0, result.stderr
    return root, _load(storage, "asha")


def test_stopped_trials_are_pruned_within_the_budget(asha_study) -> None:
    root, study = asha_study
    states = [t.state.name for t in study.trials]
    assert len(states) == 8 and set(states) == {"COMPLETE", "PRUNED"}, states
    front = {t.number for t in study.best_trials}
    assert front and all(study.trials[n].state.name == "COMPLETE" for n in front)
    for trial in study.trials:
        curve = trial.user_attrs[CURVE_ATTR]
        if trial.state.name == "PRUNED":
            epoch = trial.user_attrs[PRUNED_EPOCH_ATTR]
            assert curve["epoch"] == list(range(1, epoch + 1)) and epoch in (1, 2)
            assert "metrics" not in trial.user_attrs and trial.values is None
        else:
            assert curve["epoch"] == list(range(1, EPOCHS + 1))
            assert set(curve["validation"]) == {"accuracy", "loss", "macs"}
            assert curve["validation"]["macs"][-1] == trial.user_attrs["metrics"]["macs"]
            assert curve["seconds"] == sorted(curve["seconds"])
        assert "artifact.learning_curve" in trial.user_attrs
    pareto = run_fftnas("pareto", "--storage", str(root / "asha.journal"), "--format", "json", cwd=root)
    assert {row["number"] for row in json.loads(pareto.stdout)} == front
    counts = run_fftnas("studies", "--storage", str(root / "asha.journal"), cwd=root)
    header, _, row = counts.stdout.splitlines()[:3]
    assert header.split()[:3] == ["study", "complete", "pruned"]
    assert row.split()[1:3] == [str(states.count("COMPLETE")), str(states.count("PRUNED"))]


def test_a_pruned_trial_reproduces_up_to_its_epoch(asha_study) -> None:
    root, study = asha_study
    pruned = next(t for t in study.trials if t.state.name == "PRUNED")
    storage = str(root / "asha.journal")
    result = run_fftnas("reproduce", "--storage", storage, "--trial", str(pruned.number), "--json", cwd=root)
    assert result.returncode == 0, result.stderr
    reproduction = json.loads(result.stdout)
    curve, epoch = pruned.user_attrs[CURVE_ATTR], pruned.user_attrs[PRUNED_EPOCH_ATTR]
    assert reproduction["stored"]["validation accuracy"] == curve["validation"]["accuracy"][epoch - 1]
    assert reproduction["reproduced"] == reproduction["stored"]  # bit for bit on the CPU
    assert f"after epoch {epoch}" in reproduction["note"]
    weights = run_fftnas(
        "reproduce", "--storage", storage, "--trial", str(pruned.number), "--from-weights", cwd=root
    )
    assert weights.returncode == 2 and "a pruned trial stores no weights" in weights.stderr


def test_the_dashboard_gets_a_learning_curve_figure(asha_study) -> None:
    _, study = asha_study
    keys = [k for k in study._storage.get_study_system_attrs(study._study_id) if CURVES_FIGURE_ID in k]
    assert keys
    text = "".join(
        study._storage.get_study_system_attrs(study._study_id)[f"dashboard:plot_data:{CURVES_FIGURE_ID}:{i}"]
        for i in range(len(keys))
    )
    figure = json.loads(text)
    assert {trace["name"].split()[1] for trace in figure["data"]} == {str(t.number) for t in study.trials}
    assert len(text) < 20_000  # a plain template: the stored figure stays small


@pytest.mark.parametrize("sampler", ["random", "nsga2", "gp"])
def test_every_sampler_runs_with_mo_asha(sampler: str, tmp_path: Path) -> None:
    storage = tmp_path / "s.journal"
    experiment = _experiment(tmp_path, sampler=sampler, trials=5, name=f"asha-{sampler}")
    result = run_fftnas("run", str(experiment), "--storage", str(storage), "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    states = [t.state.name for t in _load(storage, f"asha-{sampler}").trials]
    assert len(states) == 5 and states.count("PRUNED") >= 1 and states[0] == "COMPLETE", states


def test_two_workers_share_the_decisions(tmp_path: Path) -> None:
    storage = tmp_path / "two.journal"
    experiment = _experiment(tmp_path, trials=8, name="two")
    flags = ("--storage", str(storage), "--no-progress", "--devices", "cpu,cpu")
    result = run_fftnas("run", str(experiment), *flags, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    study = _load(storage, "two")
    assert len(study.trials) == 8 and {t.state.name for t in study.trials} <= {"COMPLETE", "PRUNED"}
    assert len({t.user_attrs["process_id"] for t in study.trials}) == 2
    # decisions came from the shared storage: a trial is stopped only against others at its rung
    # (the first to reach a rung always goes on), whichever worker ran those others
    for trial in study.trials:
        assert (trial.state.name == "PRUNED") == (PRUNED_EPOCH_ATTR in trial.user_attrs)
        if trial.state.name == "PRUNED":
            epoch = trial.user_attrs[PRUNED_EPOCH_ATTR]
            reached = [t for t in study.trials if len(t.user_attrs[CURVE_ATTR]["epoch"]) >= epoch]
            assert len(reached) >= 2
