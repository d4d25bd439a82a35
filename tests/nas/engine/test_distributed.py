"""Many workers on one study over the real servers: global budget, SIGKILL, retries.

Each worker is its own ``fftnas run`` process, as on separate machines. One is killed with
SIGKILL in the middle of a trial; the study must still end with exactly the budget of complete
trials, the killed trial failed and re-run once with the same params and seed, nothing left
RUNNING or WAITING, and a readable Pareto front.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import optuna
import pytest

from nas.engine._lock import FileLock
from nas.families._trial import trial_seed
from tests.helpers import REPO, TRAINING_STARTED, write_tiny_experiment
from tests.kill_harness import (
    BUDGET,
    kill_one_worker_mid_trial,
    load,
    reader,
    running_trial_of,
    start_worker,
    summarize,
)
from tests.services import MYSQL_URL, POSTGRES_URL, REDIS_URL, require_service


def check_kill_outcome(outcome: dict, study_name: str) -> None:
    """Exactly the budget of finished trials (complete, or pruned when the study prunes), the
    killed trial failed and re-run once with its params and seed, nothing lost or duplicated."""
    killed, storage = outcome["killed"], outcome["storage"]
    assert outcome["workers"][1].returncode == -signal.SIGKILL
    for index, worker in enumerate(outcome["workers"]):
        if index != 1:
            assert worker.returncode == 0, outcome["outputs"][index][1][-2000:]
    study = load(storage, study_name)
    trials = study.get_trials(deepcopy=False)
    states = [t.state.name for t in trials]
    assert states.count("COMPLETE") + states.count("PRUNED") == BUDGET
    assert states.count("RUNNING") == states.count("WAITING") == 0
    failed = [t for t in trials if t.state.name == "FAIL"]
    assert [t.number for t in failed] == [killed.number]
    retries = [t for t in trials if "failed_trial" in t.system_attrs]
    assert len(retries) == 1 and retries[0].system_attrs["failed_trial"] == killed.number
    retry = retries[0]
    assert retry.state.name in ("COMPLETE", "PRUNED")
    assert retry.params == failed[0].params == killed.params != {}
    assert retry.user_attrs["retry_of"] == killed.number
    assert retry.user_attrs["seed"] == trial_seed(0, killed.number) == killed.user_attrs["seed"]
    assert not retry.user_attrs["worker"].endswith(f":{outcome['workers'][1].pid}")
    assert len(trials) == BUDGET + 1  # 40 originals (one killed) and its one retry: none lost, none extra
    originals = [t for t in trials if t not in retries]
    drawn = {json.dumps(t.params, sort_keys=True) for t in originals}
    assert len(drawn) == BUDGET  # workers on separate machines draw different trials (sampler seeds)
    summary = summarize(outcome, study_name)
    assert (summary["lost"], summary["duplicated"], summary["retries"]) == (0, 0, 1)
    front = subprocess.run(
        [sys.executable, "-m", "nas.cli", "pareto", "--storage", storage, "--study", study_name]
        + ["--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert front.returncode == 0, front.stderr
    assert {row["number"] for row in json.loads(front.stdout)} == {t.number for t in study.best_trials}


def _delete(study_name: str, storage: str) -> None:
    try:
        optuna.delete_study(study_name=study_name, storage=reader(storage))
    except KeyError:
        pass


@pytest.mark.parametrize(
    "backend, pruned",
    [("postgresql", False), ("redis", False), ("journal", False), ("mysql", False)]
    + [("postgresql", True), ("journal", True)],
)
def test_sigkill_mid_trial_leaves_exactly_the_budget(backend: str, pruned: bool, tmp_path: Path) -> None:
    study_name = f"kill-{backend}-{'pruned-' if pruned else ''}{uuid.uuid4().hex[:8]}"
    if backend == "postgresql":
        require_service("PostgreSQL", "127.0.0.1", 5432)
        storage = POSTGRES_URL
    elif backend == "redis":
        require_service("Redis", "127.0.0.1", 6379)
        storage = REDIS_URL
    elif backend == "mysql":
        require_service("MariaDB/MySQL", "127.0.0.1", 3306)
        storage = MYSQL_URL
    else:
        storage = str(tmp_path / "shared.journal")
    try:
        outcome = kill_one_worker_mid_trial(storage, study_name, tmp_path, pruned=pruned)
        check_kill_outcome(outcome, study_name)
        if pruned:
            states = [t.state.name for t in load(storage, study_name).trials]
            assert states.count("PRUNED") >= 1
    finally:
        if backend != "journal":
            _delete(study_name, storage)


def test_a_paused_worker_whose_trial_was_rerun_carries_on(tmp_path: Path) -> None:
    """SIGSTOP past the grace period: the others fail and re-run its trial; woken, it goes on."""
    storage = str(tmp_path / "pause.journal")
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=6, name="pause")
    workers = [start_worker(experiment, storage) for _ in range(2)]
    victim = workers[0]
    try:
        deadline = time.monotonic() + 180
        paused = None
        while paused is None and time.monotonic() < deadline:
            time.sleep(0.05)
            try:
                paused = running_trial_of(load(storage, "pause"), victim.pid)
            except Exception:  # not created yet
                continue
            if paused is not None and TRAINING_STARTED in paused.user_attrs:
                # Pause it between two journal writes: a process stopped while it holds the
                # journal's flock would block every writer until it resumes (the price of a lock
                # that the kernel releases at once when its holder dies).
                with FileLock(f"{storage}.fftnas-lock"), FileLock(f"{storage}.flock"):
                    victim.send_signal(signal.SIGSTOP)
                    while Path(f"/proc/{victim.pid}/stat").read_text().split(") ")[1][0] != "T":
                        time.sleep(0.01)  # stopped for sure before the locks are let go
            else:
                paused = None
        assert paused is not None, "the victim never ran a trial"
        while load(storage, "pause").trials[paused.number].state.name == "RUNNING":
            assert time.monotonic() < deadline, "the paused trial was never failed"
            time.sleep(0.2)
        victim.send_signal(signal.SIGCONT)
        outputs = [worker.communicate(timeout=300) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    assert [worker.returncode for worker in workers] == [0, 0], outputs[0][1][-2000:]
    assert (
        f"trial {paused.number} was failed by another worker because its heartbeat was late" in outputs[0][1]
    )
    trials = load(storage, "pause").trials
    states = [t.state.name for t in trials]
    assert states.count("COMPLETE") == 6 and states.count("FAIL") == 1 and len(trials) == 7
    [retry] = [t for t in trials if t.user_attrs.get("retry_of") == paused.number]
    assert retry.state.name == "COMPLETE" and retry.params == paused.params
