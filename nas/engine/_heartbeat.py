"""Heartbeats: a trial whose worker died is failed after a grace period and run again once.

Optuna's ``RDBStorage`` keeps heartbeats in its own table. Its journal storages (file, Redis)
have none, so ``JournalHeartbeatStorage`` adds them with Optuna's own ``BaseHeartbeat``
interface: the heartbeat is a trial system attribute holding a timestamp. Either way,
``optuna.storages.fail_stale_trials`` fails the stale trials and
``RetryHeartbeatStaleTrialCallback(max_retry=1)`` queues each one's params once more.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import optuna
from optuna.storages import JournalStorage, RetryHeartbeatStaleTrialCallback
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.trial import FrozenTrial, TrialState

from fftlearn._validate import check_int

HEARTBEAT_ATTR = "fftnas:heartbeat"  # seconds since the epoch, on the storage's clock
MAX_RETRY = 1


@dataclass(frozen=True)
class HeartbeatSettings:
    """How often a running trial says it is alive (``interval``, s) and how long silence is
    tolerated before it is failed and retried (``grace_period``, s; > ``interval``)."""

    interval: int = 60
    grace_period: int = 120

    def __post_init__(self) -> None:
        check_int("--heartbeat-interval", self.interval, low=1, high=3600)
        check_int("--grace-period", self.grace_period, low=self.interval + 1, high=86_400)


def retry_callback(*, max_retry: int | None = MAX_RETRY) -> Callable[[optuna.Study, FrozenTrial], None]:
    """Queue a failed trial's params to run again (by default once: never a retry's retry).

    Optuna's ``RetryHeartbeatStaleTrialCallback`` does it; a queued copy carries the system
    attributes ``failed_trial`` (the first trial of the chain) and ``retry_history``.
    """
    with warnings.catch_warnings():  # experimental in Optuna 5.0; fftnas pins optuna<6
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return RetryHeartbeatStaleTrialCallback(max_retry=max_retry)


def retried_trial_number(trial: FrozenTrial) -> int | None:
    """The number of the trial that ``trial`` re-runs, or None for an original trial."""
    return trial.system_attrs.get("failed_trial")


class JournalHeartbeatStorage(JournalStorage, BaseHeartbeat):
    """A journal storage with heartbeats kept as trial system attributes.

    ``clock`` gives the time in seconds; the Redis journal passes the server's clock so that
    machines whose clocks differ still agree on what is stale.
    """

    def __init__(
        self,
        backend: optuna.storages.journal.BaseJournalBackend,
        *,
        heartbeat: HeartbeatSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(backend)
        self._heartbeat = heartbeat
        self._clock = clock
        self._callback = retry_callback()

    def record_heartbeat(self, trial_id: int) -> None:
        self.set_trial_system_attr(trial_id, HEARTBEAT_ATTR, self._clock())

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        now = self._clock()
        stale = []
        for trial in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)):
            beat = trial.system_attrs.get(HEARTBEAT_ATTR)
            if beat is None:  # never beat: count from the start (the journal's UTC timestamp)
                beat = trial.datetime_start.timestamp() if trial.datetime_start else now
            if now - float(beat) > self._heartbeat.grace_period:
                stale.append(trial._trial_id)
        return stale

    def get_heartbeat_interval(self) -> int:
        return self._heartbeat.interval

    def get_heartbeat_stale_trial_callback(self) -> Callable[[optuna.Study, FrozenTrial], None]:
        return self._callback


class HeartbeatThread:
    """Records a trial's heartbeat every ``interval`` seconds while the trial runs.

    Unlike Optuna's thread, a failed write (the trial finished, the storage blinked) does not
    end the worker: the next beat tries again, and a worker that stays silent is failed by the
    others after the grace period, which is what should happen to it.
    """

    def __init__(self, storage: BaseHeartbeat, trial_id: int, interval: float) -> None:
        self._storage = storage
        self._trial_id = trial_id
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="fftnas-heartbeat", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._storage.record_heartbeat(self._trial_id)
            except Exception:  # noqa: BLE001 (see the class docstring)
                continue

    def __enter__(self) -> HeartbeatThread:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
