"""The quick start end to end through the CLI: run, resume, pareto, studies, reproduce."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import optuna
import pytest

import fftlearn
import fftlearn.training._train
from nas._study import study_experiment
from nas.cli import main
from tests.helpers import QUICKSTART, REPO, edit_experiment, write_tiny_experiment


def _study(storage: Path, name: str) -> optuna.Study:
    backend = optuna.storages.journal.JournalFileBackend(str(storage))
    return optuna.load_study(study_name=name, storage=optuna.storages.JournalStorage(backend))


def _states(study: optuna.Study) -> dict[str, int]:
    counts: dict[str, int] = {}
    for trial in study.get_trials(deepcopy=False):
        counts[trial.state.name] = counts.get(trial.state.name, 0) + 1
    return counts


@pytest.fixture(scope="module")
def quickstart_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quick start as a new user runs it: the real experiment file, default storage."""
    workdir = tmp_path_factory.mktemp("quickstart")
    result = subprocess.run(
        [sys.executable, "-m", "nas.cli", "run", str(QUICKSTART), "--device", "cpu"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "Pareto front (accuracy vs macs)" in result.stdout
    assert "fftnas dashboard --storage fftnas.journal" in result.stdout
    return workdir


def test_quickstart_stores_a_complete_study(quickstart_dir: Path) -> None:
    assert (quickstart_dir / "fftnas.journal").is_file()
    study = _study(quickstart_dir / "fftnas.journal", "quickstart")
    assert _states(study) == {"COMPLETE": 20}
    assert study.metric_names == ["accuracy", "macs"]
    for trial in study.trials:
        attrs = trial.user_attrs
        config = fftlearn.config_from_json(attrs["config"])
        assert config.model.frontend.kind == trial.params["frontend"]
        assert attrs["metrics"]["accuracy"] == trial.values[0]
        assert (
            attrs["metrics"]["macs"] == trial.values[1] == fftlearn.count_macs(fftlearn.build(config.model))
        )
        assert set(attrs["versions"]) >= {"torch", "optuna", "fftnas", "python"}
        assert attrs["device"] == "cpu" and isinstance(attrs["seed"], int)
        assert attrs["seconds"]["trial"] >= attrs["seconds"]["train"] > 0
    artifacts = list((quickstart_dir / "fftnas-artifacts").iterdir())
    assert len(artifacts) == 3 * 20  # weights, kernel-spectra picture and learning curve per trial
    best = max(study.best_trials, key=lambda t: t.values[0])
    assert best.values[0] > 0.9  # 24 classes, chance is 0.042


def test_pareto_json_and_studies(
    quickstart_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.chdir(quickstart_dir)
    assert main(["pareto", "--study", "quickstart", "--format", "json"]) == 0
    front = json.loads(capsys.readouterr().out)
    study = _study(quickstart_dir / "fftnas.journal", "quickstart")
    assert {r["number"] for r in front} == {t.number for t in study.best_trials}
    for record in front:
        trial = study.trials[record["number"]]
        assert record["values"] == trial.values and record["params"] == trial.params
        assert record["metrics"] == {"accuracy": trial.values[0], "macs": trial.values[1]}
    accuracies = [r["values"][0] for r in front]
    assert accuracies == sorted(accuracies, reverse=True)
    assert main(["pareto", "--format", "csv"]) == 0  # the only study needs no --study
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("trial,accuracy (fraction of held-out frames),macs (MACs per example)")
    assert len(lines) == len(front) + 1
    assert main(["studies"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[2].split()[:4] == ["quickstart", "20", "0", "0"]


def test_reproduce_retrains_exactly(
    quickstart_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.chdir(quickstart_dir)
    study = _study(quickstart_dir / "fftnas.journal", "quickstart")
    number = max(study.best_trials, key=lambda t: t.values[0]).number
    assert main(["reproduce", "--study", "quickstart", "--trial", str(number), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for name in ("accuracy", "loss", "macs", "params"):
        assert result["reproduced"][name] == result["stored"][name], name
    assert result["stored"]["accuracy"] == study.trials[number].values[0]
    assert main(["reproduce", "--trial", str(number), "--json", "--from-weights"]) == 0
    weights = json.loads(capsys.readouterr().out)
    assert weights["mode"] == "weights"
    assert weights["reproduced"]["accuracy"] == weights["stored"]["accuracy"]
    assert main(["reproduce", "--trial", str(number)]) == 0
    assert "exact" in capsys.readouterr().out


def test_a_time_capped_trial_reproduces_exactly_on_any_machine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    # max_seconds = 1e-9: every machine stops each trial after its first optimizer step
    experiment = edit_experiment(
        write_tiny_experiment(tmp_path / "tiny.toml", trials=2),
        tmp_path / "capped.toml",
        r"^batch_size = 32$",
        "batch_size = 32\nmax_seconds = 1e-9",
    )
    storage = tmp_path / "capped.journal"
    assert main(["run", str(experiment), "--storage", str(storage), "--no-progress", "--device", "cpu"]) == 0
    capsys.readouterr()
    study = _study(storage, "tiny")
    assert len(study.trials) == 2
    for trial in study.trials:
        assert trial.user_attrs["stopped_by_time"] is True and trial.user_attrs["train_steps"] == 1
    # The retrain runs on a machine so fast that the training clock never moves: capped by time
    # it would train every epoch; it must take the trial's one step and give its metrics back.
    monkeypatch.setattr(fftlearn.training._train, "time", SimpleNamespace(perf_counter=lambda: 0.0))
    for trial in study.trials:
        argv = ["reproduce", "--storage", str(storage), "--trial", str(trial.number), "--json"]
        assert main(argv) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["mode"] == "retrain"
        for name in ("accuracy", "loss", "raw_pitch_accuracy", "macs", "params"):
            assert result["reproduced"][name] == result["stored"][name], name
        assert result["note"] == (
            "the trial's training was cut short by budget.max_seconds after 1 optimizer step(s); "
            "the retrain took exactly as many (only its timings differ)"
        )


def test_config_json_builds_the_trial_model_from_fftlearn_alone(quickstart_dir: Path) -> None:
    study = _study(quickstart_dir / "fftnas.journal", "quickstart")
    trial = study.trials[0]
    config = fftlearn.config_from_json(trial.user_attrs["config"])
    model = fftlearn.build(config.model, seed=trial.user_attrs["seed"])
    assert model.n_parameters() == trial.user_attrs["metrics"]["params"]
    # The built model loads the trial's saved weights (same architecture, same shapes).
    weights = quickstart_dir / "fftnas-artifacts" / trial.user_attrs["artifact.weights"]
    saved = fftlearn.load_checkpoint(weights)
    model.load_state_dict(saved.state_dict())
    _, data = fftlearn.make_task_data(study_experiment(study).task, seed=trial.user_attrs["data_seed"])
    accuracy = fftlearn.evaluate_classifier(model, data, device=fftlearn.resolve_device("cpu")).accuracy
    assert accuracy == trial.user_attrs["metrics"]["accuracy"]


def test_trials_is_the_study_budget_and_resume_fills_it(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=3)
    assert main(["run", str(experiment), "--no-progress", "--device", "cpu"]) == 0
    assert main(["run", str(experiment), "--no-progress", "--device", "cpu"]) == 0  # budget spent
    assert _states(_study(tmp_path / "fftnas.journal", "tiny")) == {"COMPLETE": 3}
    assert "3 complete, 0 pruned, 0 failed (0 re-run), 0 running; budget 3 trials" in capsys.readouterr().out
    assert main(["run", str(experiment), "--no-progress", "--device", "cpu", "--trials", "5"]) == 0
    study = _study(tmp_path / "fftnas.journal", "tiny")
    assert _states(study) == {"COMPLETE": 5}
    assert [t.number for t in study.trials] == [0, 1, 2, 3, 4]
    assert len({t.user_attrs["seed"] for t in study.trials}) == 5


def test_local_workers_on_the_default_journal_never_fail_from_locking(tmp_path: Path) -> None:
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=12)
    storage = tmp_path / "many.journal"
    code = main(
        [
            "run",
            str(experiment),
            "--storage",
            str(storage),
            "--workers",
            "4",
            "--no-progress",
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    study = _study(storage, "tiny")
    assert _states(study) == {"COMPLETE": 12}
    assert [t.number for t in study.trials] == list(range(12))
    assert len({t.user_attrs["process_id"] for t in study.trials}) >= 2
    assert (tmp_path / "many-artifacts").is_dir()


def test_non_finite_loss_fails_the_trial_and_the_study_goes_on(tmp_path: Path) -> None:
    experiment = write_tiny_experiment(
        tmp_path / "d.toml", trials=3, optimizer="sgd", lr_low=1e8, lr_high=1e9
    )
    experiment = edit_experiment(
        experiment, tmp_path / "d2.toml", r"^frontends = .*$", 'frontends = ["multiplicative"]'
    )
    experiment = edit_experiment(
        experiment, tmp_path / "d3.toml", r"^depth = .*$", "depth = { low = 1, high = 1 }"
    )
    storage = tmp_path / "d.journal"
    assert main(["run", str(experiment), "--storage", str(storage), "--no-progress", "--device", "cpu"]) == 0
    study = _study(storage, "tiny")
    assert len(study.trials) == 3
    failed = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    assert failed, "an SGD learning rate of 1e8 must diverge"
    for trial in failed:
        assert "non-finite" in trial.user_attrs["fail_reason"]


def test_console_script_runs_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nas.cli", "--help"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0
    for command in ("run", "studies", "pareto", "reproduce", "dashboard"):
        assert command in result.stdout


@pytest.mark.parametrize("sampler", ["nsga2", "gp", "random"])
def test_every_sampler_runs_past_its_startup_trials(
    sampler: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    experiment = write_tiny_experiment(tmp_path / "s.toml", name=sampler, trials=11, sampler=sampler)
    storage = tmp_path / "s.journal"
    optuna.logging.enable_propagation()  # let caplog see Optuna's own warnings
    try:
        assert (
            main(["run", str(experiment), "--storage", str(storage), "--no-progress", "--device", "cpu"]) == 0
        )
    finally:
        optuna.logging.disable_propagation()
    assert _states(_study(storage, sampler)) == {"COMPLETE": 11}
    assert ("gp sampler models only" in capsys.readouterr().err) == (sampler == "gp")
    assert not [r.message for r in caplog.records if "sampled independently" in r.message]


def test_seeded_sampler_gives_identical_studies(tmp_path: Path) -> None:
    experiment = write_tiny_experiment(tmp_path / "t.toml", trials=12)
    studies = []
    for run in ("a", "b"):
        storage = tmp_path / f"{run}.journal"
        assert (
            main(["run", str(experiment), "--storage", str(storage), "--no-progress", "--device", "cpu"]) == 0
        )
        studies.append(_study(storage, "tiny"))
    a, b = studies
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert [t.values for t in a.trials] == [t.values for t in b.trials]  # same seeds: same training
