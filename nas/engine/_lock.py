"""One lock per study, shared by every worker on every machine that uses the same storage.

Workers hold it only for a moment: to create the study, to fail stale trials and queue their
retries, and to claim the next trial against the study's global budget. That makes "N trials
in total" exact however many workers race, and makes each dead trial retried exactly once.

- journal file and SQLite: ``fcntl.flock`` on ``<file>.fftnas-lock`` (one host);
- PostgreSQL: a session-level advisory lock (``pg_advisory_lock``);
- MySQL/MariaDB: a named lock (``GET_LOCK``);
- Redis: redis-py's lock, with an expiry so a dead holder cannot block the study.

A holder that dies releases the lock: the kernel drops its ``flock``, the database server
drops a closed session's locks, and the Redis key expires.

``schema_lock`` is the same server lock on a fixed key per database: whoever opens a
PostgreSQL or MySQL storage holds it while Optuna creates or checks its tables, because
concurrent ``CREATE TABLE``s on a fresh database collide (optuna/optuna#1092).
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
from typing import Protocol
from urllib.parse import urlsplit

from optuna.storages.journal._file import BaseJournalFileLock

LOCK_WAIT_SECONDS = 600.0  # longer than any claim: a wait past this means something is wrong
REDIS_LOCK_EXPIRY_SECONDS = 300


class StudyLockTimeout(RuntimeError):
    """The study's lock was not free within ``LOCK_WAIT_SECONDS``."""


class StudyLock(Protocol):
    def __enter__(self) -> None: ...

    def __exit__(self, *exc: object) -> None: ...

    def close(self) -> None: ...


def _key(name: str, *, scope: str = "study") -> bytes:
    return hashlib.sha256(f"fftnas-{scope}:{name}".encode()).digest()


class FileLock(BaseJournalFileLock):
    """``flock`` on a file beside the journal or SQLite file (processes of one host).

    Also the journal file's own write lock (``acquire``/``release``, Optuna's interface): the
    kernel drops a dead holder's ``flock`` at once, where Optuna's lock files make every other
    worker wait out a 30 s grace period after a worker is killed in the middle of a write.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._held = threading.local()  # per thread: a worker's heartbeat thread writes too

    def acquire(self) -> bool:
        handle = open(self._path, "a")  # noqa: SIM115 (held until release)
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        self._held.file = handle
        return True

    def release(self) -> None:
        handle = getattr(self._held, "file", None)
        if handle is not None:
            self._held.file = None
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def close(self) -> None:
        self.release()


class SqlLock:
    """An advisory lock of a PostgreSQL or MySQL server, on a connection of its own.

    ``scope`` and ``name`` pick the key: ``("study", study name)`` for a study's lock,
    ``("schema", database name)`` for :func:`schema_lock`.
    """

    def __init__(self, url: str, name: str, *, scope: str = "study") -> None:
        import sqlalchemy
        from sqlalchemy.pool import NullPool

        self._engine = sqlalchemy.create_engine(url, poolclass=NullPool)
        self._postgres = self._engine.dialect.name == "postgresql"
        self._label = "the study's lock" if scope == "study" else f"the {scope} lock"
        key = _key(name, scope=scope)
        self._pg_key = int.from_bytes(key[:8], "big", signed=True)
        self._my_name = "fftnas:" + key.hex()[:48]  # MySQL lock names are at most 64 characters
        self._connection = None

    def __enter__(self) -> None:
        from sqlalchemy import text

        if self._connection is None:
            self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if self._postgres:
            self._connection.execute(
                text("SELECT set_config('lock_timeout', :wait, false)"), {"wait": f"{LOCK_WAIT_SECONDS:.0f}s"}
            )
            self._connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": self._pg_key})
            return
        got = self._connection.execute(
            text("SELECT GET_LOCK(:name, :wait)"), {"name": self._my_name, "wait": LOCK_WAIT_SECONDS}
        ).scalar()
        if got != 1:
            raise StudyLockTimeout(f"{self._label} was busy for {LOCK_WAIT_SECONDS:.0f} s")

    def __exit__(self, *exc: object) -> None:
        from sqlalchemy import text

        if self._connection is None:
            return
        if self._postgres:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._pg_key})
        else:
            self._connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": self._my_name})

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._engine.dispose()


class RedisLock:
    """redis-py's lock on key ``fftnas:lock:<hash of the study name>``."""

    def __init__(self, url: str, study_name: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url)
        self._lock = self._client.lock(
            "fftnas:lock:" + _key(study_name).hex()[:32],
            timeout=REDIS_LOCK_EXPIRY_SECONDS,
            blocking_timeout=LOCK_WAIT_SECONDS,
        )

    def __enter__(self) -> None:
        if not self._lock.acquire():
            raise StudyLockTimeout(f"the study's lock was busy for {LOCK_WAIT_SECONDS:.0f} s")

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def close(self) -> None:
        self._client.close()


def schema_lock(url: str) -> SqlLock:
    """The lock that serialises creating or upgrading Optuna's tables in the database of ``url``
    (a SQLAlchemy URL of PostgreSQL or MySQL; not yet held: use it as ``with lock:``).

    PostgreSQL's advisory locks are per database already; MySQL's ``GET_LOCK`` names are
    server-wide, so the database's name is part of the key.
    """
    return SqlLock(url, urlsplit(url).path.lstrip("/"), scope="schema")
