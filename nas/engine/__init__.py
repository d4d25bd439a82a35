"""nas.engine: the distributed engine that runs any experiment family's trials: storages,
per-study locks, heartbeats, the worker's claim loop, local worker processes and devices."""

from ._devices import parse_devices
from ._heartbeat import HeartbeatSettings
from ._lock import StudyLockTimeout
from ._runner import StudyInterrupted, run_study
from ._storage import (
    ARTIFACT_ENV,
    DEFAULT_STORAGE,
    STORAGE_ENV,
    StorageError,
    StorageLocation,
    open_artifact_store,
    open_storage,
    resolve_storage,
)
from ._worker import requeued_numbers

__all__ = [
    "ARTIFACT_ENV",
    "DEFAULT_STORAGE",
    "STORAGE_ENV",
    "HeartbeatSettings",
    "StorageError",
    "StorageLocation",
    "StudyInterrupted",
    "StudyLockTimeout",
    "open_artifact_store",
    "open_storage",
    "parse_devices",
    "requeued_numbers",
    "resolve_storage",
    "run_study",
]
