"""Storage URLs -> Optuna storages, and the artifact store that goes with each.

- a plain file path (default ``fftnas.journal`` in the working directory): Optuna's journal
  file, safe for several processes on one host (writes locked with ``flock`` on
  ``<file>.flock``); artifacts in ``<stem>-artifacts/`` beside it;
- ``sqlite:///PATH``: an SQLite file (one process at a time); artifacts beside it likewise;
- ``postgresql://...``, ``mysql://...``: a database server, for many machines; artifacts in
  ``./fftnas-artifacts`` unless ``--artifact-dir`` / ``FFTNAS_ARTIFACT_DIR`` says otherwise;
- ``redis://...``: Optuna's Redis journal.
A password in a URL is never shown: ``StorageLocation.display`` hides it.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import optuna
from optuna.artifacts import FileSystemArtifactStore

from fftlearn import ConfigError

from ._heartbeat import HeartbeatSettings, JournalHeartbeatStorage, retry_callback
from ._lock import FileLock, RedisLock, SqlLock, StudyLock, schema_lock

DEFAULT_STORAGE = "fftnas.journal"
STORAGE_ENV = "FFTNAS_STORAGE"
ARTIFACT_ENV = "FFTNAS_ARTIFACT_DIR"
_RDB_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql")


@dataclass(frozen=True)
class StorageLocation:
    """Where a study lives: ``url`` as given, its kind, and its artifact directory."""

    url: str
    kind: str  # "journal", "sqlite", "server" (postgresql/mysql) or "redis"
    artifact_dir: Path
    file: Path | None  # the local file for journal and sqlite storages

    @property
    def display(self) -> str:
        """The URL with any password replaced by ``***``."""
        return redact(self.url)


def redact(url: str) -> str:
    """``url`` with the password (if any) replaced by ``***``."""
    parts = urlsplit(url)
    if not parts.scheme or parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def resolve_storage(url: str | None = None, *, artifact_dir: str | None = None) -> StorageLocation:
    """Pick the storage: ``url``, else ``$FFTNAS_STORAGE``, else ``fftnas.journal`` here."""
    # stripped: a URL kept in a file or a Kubernetes Secret often ends with a newline
    url = (url or os.environ.get(STORAGE_ENV) or DEFAULT_STORAGE).strip() or DEFAULT_STORAGE
    artifacts = artifact_dir or os.environ.get(ARTIFACT_ENV)
    scheme = urlsplit(url).scheme.split("+")[0].lower() if "://" in url else ""
    if scheme == "sqlite":
        raw = url.split(":///", 1)[1] if ":///" in url else ""
        if not raw or raw == ":memory:":
            raise ConfigError("storage", url, "an SQLite URL must name a file: sqlite:///PATH")
        file = Path(raw)
        return StorageLocation(url, "sqlite", Path(artifacts or _beside(file)), file)
    if scheme in _RDB_SCHEMES:
        return StorageLocation(url, "server", Path(artifacts or "fftnas-artifacts"), None)
    if scheme == "redis":
        return StorageLocation(url, "redis", Path(artifacts or "fftnas-artifacts"), None)
    if scheme:
        raise ConfigError(
            "storage",
            redact(url),
            "must be a journal file path, sqlite:///PATH, postgresql://..., mysql://... or redis://...",
        )
    if url.lower().endswith((".db", ".sqlite", ".sqlite3")):
        raise ConfigError("storage", url, f"looks like an SQLite file; write sqlite:///{url}")
    file = Path(url)
    return StorageLocation(url, "journal", Path(artifacts or _beside(file)), file)


def _beside(file: Path) -> Path:
    return file.with_name(f"{file.stem}-artifacts")


def driver_url(url: str) -> str:
    """``url`` as SQLAlchemy should get it: ``mysql://`` uses PyMySQL unless mysqlclient is
    installed, and ``postgres://`` means ``postgresql://``."""
    scheme, sep, rest = url.partition("://")
    if scheme == "postgres":
        return f"postgresql{sep}{rest}"
    if scheme == "mysql":
        try:
            import MySQLdb  # noqa: F401
        except ImportError:
            return f"mysql+pymysql{sep}{rest}"
    return url


def _redis_clock(url: str):
    import redis

    client = redis.Redis.from_url(url)

    def clock() -> float:
        seconds, microseconds = client.time()
        return seconds + microseconds / 1e6

    return clock


def open_storage(
    location: StorageLocation, *, create: bool, heartbeat: HeartbeatSettings | None = None
) -> optuna.storages.BaseStorage:
    """Open the Optuna storage; with ``create=False`` a missing local file is an error.

    With ``heartbeat`` (what workers use), running trials record heartbeats and a trial
    silent for the grace period is failed and queued once more (``_heartbeat``).
    """
    if location.file is not None:
        if not create and not location.file.is_file():
            raise ConfigError(
                "storage", location.url, "no such file; run `fftnas run` first or pass --storage"
            )
        if create and not location.file.parent.is_dir():
            raise ConfigError("storage", location.url, "its directory does not exist")
    try:
        # The Redis journal and RDB heartbeats are "experimental" in Optuna 5.0 (pinned < 6).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            if location.kind in ("journal", "redis"):
                if location.kind == "journal":
                    backend = optuna.storages.journal.JournalFileBackend(
                        str(location.file), lock_obj=FileLock(f"{location.file}.flock")
                    )
                    clock = time.time
                else:
                    backend = optuna.storages.journal.JournalRedisBackend(location.url)
                    clock = _redis_clock(location.url)
                storage: optuna.storages.BaseStorage = (
                    optuna.storages.JournalStorage(backend)
                    if heartbeat is None
                    else JournalHeartbeatStorage(backend, heartbeat=heartbeat, clock=clock)
                )
            else:
                beats = {}
                if heartbeat is not None:
                    beats = {
                        "heartbeat_interval": heartbeat.interval,
                        "grace_period": heartbeat.grace_period,
                        "heartbeat_stale_trial_callback": retry_callback(),
                    }
                storage = _rdb_storage(location, beats)
        storage.get_all_studies()  # reads the whole log or schema now: fail here, not later
    except ConfigError:
        raise
    except Exception as error:  # any driver's connection or parse failure, said in one line
        reason = _reason(error, location.url)
        raise ConfigError("storage", location.display, f"cannot be opened ({reason})") from None
    return storage


def _rdb_storage(location: StorageLocation, beats: dict[str, object]) -> optuna.storages.RDBStorage:
    """Optuna's RDBStorage; on a server it is built under the database's schema lock, so any
    number of workers may open a fresh database at the same instant (optuna/optuna#1092)."""
    url = driver_url(location.url)
    if location.kind == "sqlite":  # one file; SQLite serialises its writers itself
        return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}}, **beats)
    lock = schema_lock(url)
    try:
        with lock:  # held while Optuna creates (or checks) its tables and its version row
            return optuna.storages.RDBStorage(url, **beats)
    finally:
        lock.close()


class StorageError(RuntimeError):
    """The storage failed while a run was using it (server gone, connection lost)."""


@contextmanager
def storage_errors(location: StorageLocation) -> Iterator[None]:
    """Turn a database or Redis driver error into one ``StorageError`` line, password hidden."""
    import redis
    import sqlalchemy

    try:
        yield
    except (sqlalchemy.exc.SQLAlchemyError, redis.exceptions.RedisError) as error:
        raise StorageError(f"storage {location.display}: {_reason(error, location.url)}") from None


def _reason(error: BaseException, url: str) -> str:
    text = str(error).strip()
    reason = text.splitlines()[0] if text else type(error).__name__
    password = urlsplit(url).password if "://" in url else None
    return reason.replace(password, "***") if password else reason


def open_artifact_store(location: StorageLocation, *, create: bool) -> FileSystemArtifactStore:
    """The file-system artifact store of ``location`` (made on demand when ``create``)."""
    if create:
        location.artifact_dir.mkdir(parents=True, exist_ok=True)
    elif not location.artifact_dir.is_dir():
        raise ConfigError("artifact_dir", str(location.artifact_dir), "no such directory")
    return FileSystemArtifactStore(str(location.artifact_dir))


def study_lock(location: StorageLocation, study_name: str) -> StudyLock:
    """The lock of study ``study_name`` in ``location`` (not yet held; use it as ``with lock:``)."""
    if location.file is not None:
        return FileLock(f"{location.file}.fftnas-lock")
    if location.kind == "redis":
        return RedisLock(location.url, study_name)
    return SqlLock(driver_url(location.url), study_name)
