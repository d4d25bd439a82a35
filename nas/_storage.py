"""Storage URLs -> Optuna storages, and the artifact store that goes with each.

- a plain file path (default ``fftnas.journal`` in the working directory): Optuna's journal
  file, safe for several processes on one host; artifacts in ``<stem>-artifacts/`` beside it;
- ``sqlite:///PATH``: an SQLite file (one process at a time); artifacts beside it likewise;
- ``postgresql://...``, ``mysql://...``: a database server, for many machines; artifacts in
  ``./fftnas-artifacts`` unless ``--artifact-dir`` / ``FFTNAS_ARTIFACT_DIR`` says otherwise;
- ``redis://...``: Optuna's Redis journal.
A password in a URL is never shown: ``StorageLocation.display`` hides it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import optuna
from optuna.artifacts import FileSystemArtifactStore

from fftlearn import ConfigError

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
    url = url or os.environ.get(STORAGE_ENV) or DEFAULT_STORAGE
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


def open_storage(location: StorageLocation, *, create: bool) -> optuna.storages.BaseStorage:
    """Open the Optuna storage; with ``create=False`` a missing local file is an error."""
    if location.file is not None:
        if not create and not location.file.is_file():
            raise ConfigError(
                "storage", location.url, "no such file; run `fftnas run` first or pass --storage"
            )
        if create and not location.file.parent.is_dir():
            raise ConfigError("storage", location.url, "its directory does not exist")
    try:
        if location.kind == "journal":
            backend = optuna.storages.journal.JournalFileBackend(str(location.file))
            storage: optuna.storages.BaseStorage = optuna.storages.JournalStorage(backend)
        elif location.kind == "redis":
            backend = optuna.storages.journal.JournalRedisBackend(location.url)
            storage = optuna.storages.JournalStorage(backend)
        else:
            engine = {"connect_args": {"timeout": 60}} if location.kind == "sqlite" else {}
            storage = optuna.storages.RDBStorage(location.url, engine_kwargs=engine)
        storage.get_all_studies()  # reads the whole log or schema now: fail here, not later
    except ConfigError:
        raise
    except Exception as error:  # any driver's connection or parse failure, said in one line
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        password = urlsplit(location.url).password if "://" in location.url else None
        if password:
            reason = reason.replace(password, "***")
        raise ConfigError("storage", location.display, f"cannot be opened ({reason})") from None
    return storage


def open_artifact_store(location: StorageLocation, *, create: bool) -> FileSystemArtifactStore:
    """The file-system artifact store of ``location`` (made on demand when ``create``)."""
    if create:
        location.artifact_dir.mkdir(parents=True, exist_ok=True)
    elif not location.artifact_dir.is_dir():
        raise ConfigError("artifact_dir", str(location.artifact_dir), "no such directory")
    return FileSystemArtifactStore(str(location.artifact_dir))
