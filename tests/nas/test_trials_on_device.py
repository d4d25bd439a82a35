"""Trials on the test device: each split copied there once per worker, and a bfloat16 study
recording the precision that ran (nas/families/frontend/_evaluate.py, _objective.py, _family.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import optuna
import torch

from fftlearn.training import device_cache_info, on_device, precision_on
from nas import load_experiment, open_storage, resolve_storage
from nas.cli import main
from nas.families.frontend._evaluate import evaluate_in, suggest_for, task_splits
from tests.helpers import SmallStudy, edit_experiment, write_tiny_experiment


def test_a_worker_copies_each_split_to_its_device_once(
    device_under_test: torch.device, tmp_path: Path
) -> None:
    experiment = load_experiment(write_tiny_experiment(tmp_path / "tiny.toml"), check_data=False)
    sampler = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    copies = []
    for _ in range(2):  # two trials of one worker
        candidate = suggest_for(sampler.ask(), experiment)
        evaluation = evaluate_in(experiment, candidate, seed=0, device=device_under_test)
        assert math.isfinite(evaluation.metrics["accuracy"]) and evaluation.curve is not None
        copies.append(device_cache_info().copies)
    assert copies[1] == copies[0]  # the second trial copied nothing
    splits = task_splits(experiment.task, experiment.study.seed, experiment.budget.validation_fraction)
    before = device_cache_info()
    for split in splits:  # training, validation and test are each on the device already
        on_device(split, device=device_under_test)
    assert device_cache_info().copies == before.copies


def test_trials_record_float32_by_default(small_study: SmallStudy) -> None:
    study = optuna.load_study(
        study_name=small_study.study_name,
        storage=open_storage(resolve_storage(str(small_study.storage)), create=False),
    )
    assert [t.user_attrs["precision"] for t in study.trials] == ["float32"] * small_study.n_trials


def test_a_bfloat16_study_records_the_precision_that_ran(
    device_under_test: torch.device, tmp_path: Path, capsys
) -> None:
    tiny = write_tiny_experiment(tmp_path / "tiny.toml", trials=3)
    experiment = edit_experiment(
        tiny, tmp_path / "bf16.toml", r"^epochs = 2$", 'epochs = 2\nprecision = "bfloat16"'
    )
    storage = tmp_path / "bf16.journal"
    device = str(device_under_test)
    assert (
        main(["run", str(experiment), "--storage", str(storage), "--no-progress", "--devices", device]) == 0
    )
    trials = optuna.load_study(
        study_name="tiny", storage=open_storage(resolve_storage(str(storage)), create=False)
    ).trials
    ran = precision_on("bfloat16", device=device_under_test)
    assert [t.state.name for t in trials] == ["COMPLETE"] * 3
    assert {t.user_attrs["precision"] for t in trials} == {ran}
    assert all(0.0 <= t.values[0] <= 1.0 for t in trials)
    capsys.readouterr()
    argv = ["reproduce", "--storage", str(storage), "--trial", "0", "--device", "cpu", "--json"]
    assert main(argv) == 0
    note = json.loads(capsys.readouterr().out)["note"]
    if ran == "float32":  # the CPU ran float32 both times: nothing to say
        assert note is None
    else:
        assert (
            note == "the trial ran in bfloat16 and this reproduction in float32: metrics differ by rounding"
        )
