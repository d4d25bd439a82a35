"""One worker's loop: claim a trial within the study's global budget, run it, record it.

Every worker, on any machine, runs this loop against the shared storage. Under the study's
lock (``_lock``) it fails stale trials (their retries are queued), then claims the next trial:
a queued retry first, else a new trial while the study holds fewer than ``budget`` original
trials. Retries do not count against the budget: they stand in for the trial they re-run. When
the budget is spent but trials still run elsewhere, the worker waits, so that a trial whose
worker dies is failed after the grace period and re-run here.

SIGTERM and SIGINT (Ctrl-C) stop a worker cleanly: the trial it was running is failed with
``fail_reason`` and queued to run again, and the worker exits; no trial is left RUNNING.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.trial import FrozenTrial, TrialState

from fftlearn import NonFiniteLossError

from ._heartbeat import HeartbeatThread, retried_trial_number, retry_callback
from ._lock import StudyLock

WORKER_ATTR = "worker"  # "host:pid" of the process that claimed the trial
RETRY_OF_ATTR = "retry_of"  # the trial number a retry re-runs (its seed is that trial's seed)
FAIL_REASON_ATTR = "fail_reason"


class SignalInterrupt(BaseException):
    """SIGTERM or SIGINT arrived; a BaseException so that no ``except Exception`` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class SignalGuard:
    """Turns SIGTERM/SIGINT into ``SignalInterrupt`` in the main thread.

    Inside ``critical()`` (storage writes that must not be cut in half) the signal waits for
    the end of the block. Only the first signal counts: a second one (Ctrl-C reaches every
    process of the terminal's group, and the parent forwards SIGTERM) is ignored. The handler's
    exception is lost when the signal lands while Python runs a garbage-collection callback
    (SQLAlchemy's, say: "Exception ignored in ..."), so ``check()`` raises it again at the
    worker's safe points: a worker that reaches one after a signal never received it.
    """

    def __init__(self) -> None:
        self._depth = 0
        self._pending: int | None = None
        self._fired: int | None = None  # the first signal's number
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: object) -> None:
        if self._fired is not None:
            return
        self._fired = signum
        if self._depth:
            self._pending = signum
            return
        raise SignalInterrupt(signum)

    def check(self) -> None:
        """Raise ``SignalInterrupt`` if a signal came and its exception was lost (outside a
        ``critical()`` block, whose end raises a deferred one itself)."""
        if self._fired is not None and not self._depth and self._pending is None:
            raise SignalInterrupt(self._fired)

    @contextmanager
    def critical(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if not self._depth and self._pending is not None:
                signum, self._pending = self._pending, None
                raise SignalInterrupt(signum)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def budget_status(trials: list[FrozenTrial]) -> tuple[int, int, int]:
    """(original trials, waiting trials, running trials claimed by fftnas workers)."""
    originals = sum(1 for t in trials if retried_trial_number(t) is None)
    waiting = sum(1 for t in trials if t.state == TrialState.WAITING)
    running = sum(1 for t in trials if t.state == TrialState.RUNNING and WORKER_ATTR in t.user_attrs)
    return originals, waiting, running


def requeued_numbers(trials: list[FrozenTrial]) -> set[int]:
    """Numbers of the trials whose params were queued to run again (dead or interrupted)."""
    return {number for t in trials for number in t.system_attrs.get("retry_history", [])}


def finished_count(trials: list[FrozenTrial]) -> int:
    """Trials that are done for good: complete, pruned (stopped early), or failed and not
    queued to run again."""
    requeued = requeued_numbers(trials)
    done = (TrialState.COMPLETE, TrialState.PRUNED)
    return sum(
        1 for t in trials if t.state in done or (t.state == TrialState.FAIL and t.number not in requeued)
    )


def claim_trial(study: optuna.Study, *, budget: int, device: str) -> tuple[optuna.Trial | None, int]:
    """Under the study's lock: the next trial to run, or (None, trials still running elsewhere)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # does nothing without heartbeats
    originals, waiting, running = budget_status(study.get_trials(deepcopy=False))
    if not waiting and originals >= budget:
        return None, running
    with warnings.catch_warnings():  # Optuna: "Heartbeat ... supposed to be used with Study.optimize"
        warnings.filterwarnings("ignore", message="Heartbeat of storage", category=UserWarning)
        trial = study.ask()
    storage = study._storage
    if isinstance(storage, BaseHeartbeat):
        storage.record_heartbeat(trial._trial_id)
    trial.set_user_attr(WORKER_ATTR, worker_name())
    trial.set_user_attr("device", device)
    origin = retried_trial_number(storage.get_trial(trial._trial_id))
    if origin is not None:
        trial.set_user_attr(RETRY_OF_ATTR, origin)
    return trial, running


def fail_and_requeue(study: optuna.Study, trial: optuna.Trial, reason: str) -> None:
    """Fail ``trial`` with ``reason`` and queue its params to run again.

    An interrupted trial is not at fault, so it is queued however often it was interrupted
    (a trial whose worker died is retried once only: ``_heartbeat.MAX_RETRY``).
    """
    before = study._storage.get_trial(trial._trial_id)  # the retry copies these user attrs
    trial.set_user_attr(FAIL_REASON_ATTR, reason)
    study.tell(trial, state=TrialState.FAIL)
    retry_callback(max_retry=None)(study, before)


def _run_claimed(
    study: optuna.Study,
    trial: optuna.Trial,
    objective: Callable[[optuna.Trial], tuple[float, ...]],
    *,
    guard: SignalGuard,
    heartbeat_interval: float,
) -> None:
    """Run ``objective`` on a claimed trial with heartbeats (where the storage has them), tell it:
    its values, or PRUNED when the objective raised ``optuna.TrialPruned`` (stopped early)."""
    storage = study._storage
    beats = isinstance(storage, BaseHeartbeat)
    try:
        with HeartbeatThread(storage, trial._trial_id, heartbeat_interval) if beats else nullcontext():
            values = objective(trial)
        guard.check()  # a signal during the trial whose exception was lost: the trial is requeued
    except optuna.TrialPruned:
        with guard.critical():
            study.tell(trial, state=TrialState.PRUNED)
        return
    with guard.critical():
        study.tell(trial, values)


def _warn_failed_as_stale(trial: optuna.Trial) -> None:
    """Another worker failed this trial as stale (its heartbeats came later than the grace
    period: an overloaded host, a paused process) and queued it; the re-run counts."""
    print(
        f"fftnas: warning: trial {trial.number} was failed by another worker because its "
        "heartbeat was late; its re-run counts instead (raise --grace-period?)",
        file=sys.stderr,
    )


def run_worker(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], tuple[float, ...]],
    *,
    budget: int,
    lock: StudyLock,
    guard: SignalGuard,
    device: str,
    heartbeat_interval: float,
    on_trial: Callable[[], None] | None = None,
    on_wait: Callable[[int], None] | None = None,
) -> int:
    """Claim and run trials until the study's budget is spent and nothing runs elsewhere;
    returns how many trials this worker finished.

    ``objective`` raises ``NonFiniteLossError`` for a trial that failed on its own merits
    (recorded FAIL, counted); any other exception fails the trial and stops the worker.
    ``on_wait(n)`` is called while the budget is spent and n trials still run elsewhere.
    """
    finished = 0
    poll = max(0.2, min(5.0, heartbeat_interval))
    while True:
        trial = None
        try:
            guard.check()
            with guard.critical(), lock:
                trial, running = claim_trial(study, budget=budget, device=device)
            if trial is None:
                if running == 0:
                    return finished
                if on_wait is not None:
                    on_wait(running)
                time.sleep(poll)
                continue
            _run_claimed(study, trial, objective, guard=guard, heartbeat_interval=heartbeat_interval)
        except UpdateFinishedTrialError:
            _warn_failed_as_stale(trial)
            continue
        except NonFiniteLossError:
            with guard.critical():
                study.tell(trial, state=TrialState.FAIL)
        except SignalInterrupt as stop:
            if trial is not None:
                with guard.critical(), suppress(UpdateFinishedTrialError):
                    fail_and_requeue(study, trial, f"interrupted by {stop} on {worker_name()}")
            raise
        except Exception as error:
            if trial is not None:
                with guard.critical(), suppress(UpdateFinishedTrialError):
                    trial.set_user_attr(FAIL_REASON_ATTR, f"{type(error).__name__}: {error}")
                    study.tell(trial, state=TrialState.FAIL)
            raise
        finished += 1
        if on_trial is not None:
            on_trial()
