"""Kill harness: K ``fftnas run`` processes on one study, one SIGKILLed mid-trial.

Used by tests/nas/engine/test_distributed.py and by benchmarks/kill_repeats.py (repeated runs).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna

from nas import open_storage, resolve_storage
from tests.helpers import REPO, TRAINING_STARTED, write_tiny_experiment

BUDGET = 40
WORKERS = 4


def start_worker(experiment: Path, storage: str, *extra: str) -> subprocess.Popen[str]:
    """``fftnas run`` in a process of its own, with 1-second heartbeats and a 6-second grace."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "nas.cli", "run", str(experiment), "--storage", storage]
    command += ["--device", "cpu", "--no-progress", "--heartbeat-interval", "1", "--grace-period", "6"]
    return subprocess.Popen(
        [*command, *extra], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def reader(storage: str) -> optuna.storages.BaseStorage:
    return open_storage(resolve_storage(storage), create=False)


def load(storage: str, study_name: str) -> optuna.Study:
    """The study as any reader sees it (no heartbeats of its own)."""
    return optuna.load_study(
        study_name=study_name, storage=open_storage(resolve_storage(storage), create=False)
    )


def running_trial_of(study: optuna.Study, pid: int) -> optuna.trial.FrozenTrial | None:
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if str(trial.user_attrs.get("worker", "")).endswith(f":{pid}"):
            return trial
    return None


PRUNER = '\n[pruner]\nname = "mo_asha"\nmin_epochs = 1\nreduction_factor = 2\n'


def kill_one_worker_mid_trial(storage: str, study_name: str, tmp_path: Path, *, pruned: bool = False) -> dict:
    """Run 4 workers on a 40-trial budget, SIGKILL one mid-trial; return what happened.
    With ``pruned`` the study stops trials early with MO-ASHA (``[pruner] name = "mo_asha"``)."""
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=BUDGET, name=study_name)
    if pruned:
        experiment.write_text(experiment.read_text(encoding="utf-8") + PRUNER, encoding="utf-8")
    extra = ("--artifact-dir", str(tmp_path / "artifacts"))
    workers = [start_worker(experiment, storage, *extra) for _ in range(WORKERS)]
    victim = workers[1]
    try:
        killed = None
        deadline = time.monotonic() + 240
        while killed is None and time.monotonic() < deadline:
            time.sleep(0.05)
            try:
                study = load(storage, study_name)
            except Exception:  # not created yet (no file, no study)
                continue
            trial = running_trial_of(study, victim.pid)
            # in the middle of the run, and of the trial: its params are drawn, training has begun
            if trial is not None and trial.number >= 2 and TRAINING_STARTED in trial.user_attrs:
                killed = _kill_if_still_running(victim, storage, study_name, trial.number)
        assert killed is not None, "the victim never ran a trial"
        outputs = [worker.communicate(timeout=420) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    return {"killed": killed, "workers": workers, "outputs": outputs, "storage": storage}


def _kill_if_still_running(
    victim: subprocess.Popen, storage: str, study_name: str, number: int
) -> optuna.trial.FrozenTrial | None:
    """SIGKILL ``victim`` if trial ``number`` is still its running trial, else let it go on.

    The victim is frozen (SIGSTOP) before the state is read again, so it cannot finish the trial
    between the check and the kill (a short trial, e.g. one pruned after its first epoch, could
    otherwise be told COMPLETE or PRUNED in that gap, on a slow or a fast machine alike). The
    pause lets a write it had already sent reach the server before the re-read."""
    victim.send_signal(signal.SIGSTOP)
    time.sleep(0.5)
    trial = running_trial_of(load(storage, study_name), victim.pid)
    if trial is not None and trial.number == number:
        victim.send_signal(signal.SIGKILL)
        return trial
    victim.send_signal(signal.SIGCONT)
    return None


def summarize(outcome: dict, study_name: str) -> dict:
    """Counts that say whether anything was lost or duplicated."""
    trials = load(outcome["storage"], study_name).get_trials(deepcopy=False)
    states = [t.state.name for t in trials]
    retries = [t for t in trials if "failed_trial" in t.system_attrs]
    done = ("COMPLETE", "PRUNED")
    complete_originals = {t.number for t in trials if t.state.name in done and t not in retries}
    return {
        "complete": states.count("COMPLETE"),
        "pruned": states.count("PRUNED"),
        "failed": states.count("FAIL"),
        "running": states.count("RUNNING"),
        "waiting": states.count("WAITING"),
        "trials": len(trials),
        "retries": len(retries),
        "lost": BUDGET - states.count("COMPLETE") - states.count("PRUNED"),
        "duplicated": len(trials) - BUDGET - len(retries),
        "killed_trial": outcome["killed"].number,
        "complete_originals": len(complete_originals),
    }
