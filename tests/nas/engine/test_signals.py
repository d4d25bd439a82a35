"""SIGTERM and Ctrl-C stop workers cleanly: the running trial is failed, re-queued, never left RUNNING."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

from nas import open_storage, resolve_storage
from tests.helpers import REPO, TRAINING_STARTED, edit_experiment, write_tiny_experiment


def slow_experiment(tmp_path: Path, *, trials: int) -> Path:
    """The tiny experiment with 10x the training data: a trial takes seconds, time to signal it."""
    fast = write_tiny_experiment(tmp_path / "tiny.toml", trials=trials)
    return edit_experiment(fast, tmp_path / "slow.toml", r"^n_train = 240$", "n_train = 2400")


def start_run(experiment: Path, storage: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "nas.cli", "run", str(experiment), "--storage", str(storage)]
    return subprocess.Popen(
        [*command, "--device", "cpu", "--no-progress", *extra],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives a foreground job
    )


def trials_of(storage: Path) -> list[optuna.trial.FrozenTrial]:
    study = optuna.load_study(
        study_name="tiny", storage=open_storage(resolve_storage(str(storage)), create=False)
    )
    return study.get_trials(deepcopy=False)


def wait_for_training(storage: Path, *, count: int) -> list[int]:
    """Wait until ``count`` trials are RUNNING with their params drawn; their numbers."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if not storage.exists():
            continue
        try:
            running = [
                t
                for t in trials_of(storage)
                if t.state.name == "RUNNING" and TRAINING_STARTED in t.user_attrs
            ]
        except Exception:  # the study is being created
            continue
        if len(running) >= count:
            return [t.number for t in running]
    raise AssertionError("the workers never started training")


def check_clean_stop(storage: Path, result: subprocess.CompletedProcess, *, signame: str) -> None:
    """No trial RUNNING; each interrupted one FAIL with its reason and its params queued again."""
    assert "Traceback" not in result.stderr, result.stderr
    assert f"fftnas: interrupted by {signame}; running trials were failed and queued" in result.stderr
    trials = trials_of(storage)
    assert not [t for t in trials if t.state.name == "RUNNING"]
    failed = [t for t in trials if t.state.name == "FAIL"]
    assert failed, "the signal arrived mid-trial, so a trial must have been failed"
    waiting = {t.system_attrs["failed_trial"]: t for t in trials if t.state.name == "WAITING"}
    for trial in failed:
        assert trial.user_attrs["fail_reason"].startswith(f"interrupted by {signame} on ")
        assert waiting[trial.number].params == trial.params


def test_sigterm_fails_and_requeues_the_running_trial_then_a_new_run_finishes_it(tmp_path: Path) -> None:
    experiment = slow_experiment(tmp_path, trials=3)
    storage = tmp_path / "term.journal"
    worker = start_run(experiment, storage)
    try:
        [number] = wait_for_training(storage, count=1)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=120)
    finally:
        worker.kill()
    result = subprocess.CompletedProcess(worker.args, worker.returncode, out, err)
    assert worker.returncode == 128 + signal.SIGTERM
    check_clean_stop(storage, result, signame="SIGTERM")
    # the next run takes the queued trial first (same params, the interrupted trial's seed)
    again = start_run(experiment, storage)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    trials = trials_of(storage)
    states = [t.state.name for t in trials]
    assert states.count("COMPLETE") == 3 and states.count("FAIL") == 1 and len(trials) == 4
    retry = next(t for t in trials if t.user_attrs.get("retry_of") == number)
    assert retry.state.name == "COMPLETE" and retry.params == trials[number].params
    assert retry.user_attrs["seed"] == trials[number].user_attrs["seed"]


@pytest.mark.parametrize("how", ["ctrl-c to the process group", "sigterm to the parent"])
def test_stopping_local_workers_leaves_no_trial_running(how: str, tmp_path: Path) -> None:
    experiment = slow_experiment(tmp_path, trials=6)
    storage = tmp_path / "many.journal"
    parent = start_run(experiment, storage, "--workers", "2")
    try:
        wait_for_training(storage, count=2)
        if how.startswith("ctrl-c"):
            os.killpg(parent.pid, signal.SIGINT)  # what the terminal does: every process gets it
        else:
            parent.send_signal(signal.SIGTERM)  # what Kubernetes does: the parent passes it on
        out, err = parent.communicate(timeout=120)
    finally:
        parent.kill()
    signame = "SIGINT" if how.startswith("ctrl-c") else "SIGTERM"
    assert parent.returncode == 128 + signal.Signals[signame]
    check_clean_stop(
        storage, subprocess.CompletedProcess(parent.args, parent.returncode, out, err), signame=signame
    )
