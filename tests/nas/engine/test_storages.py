"""Storage URLs: journal file (default), SQLite and a real PostgreSQL server; the env override."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import multiprocessing.synchronize
import uuid
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from sqlalchemy.pool import NullPool

from nas import resolve_storage
from nas.cli import main
from nas.engine._storage import driver_url, open_storage
from tests.helpers import write_tiny_experiment
from tests.services import MYSQL_URL, POSTGRES_URL, require_service


def test_resolve_storage_kinds_and_artifact_dirs(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("FFTNAS_STORAGE", raising=False)
    monkeypatch.delenv("FFTNAS_ARTIFACT_DIR", raising=False)
    default = resolve_storage(None)
    assert (default.kind, default.url, str(default.artifact_dir)) == (
        "journal",
        "fftnas.journal",
        "fftnas-artifacts",
    )
    sqlite = resolve_storage(f"sqlite:///{tmp_path}/runs/a.db")
    assert sqlite.kind == "sqlite" and sqlite.artifact_dir == tmp_path / "runs" / "a-artifacts"
    server = resolve_storage(
        "postgresql+psycopg2://me:pw@db.example:5432/studies", artifact_dir="/shared/art"
    )
    assert server.kind == "server" and str(server.artifact_dir) == "/shared/art"
    assert server.display == "postgresql+psycopg2://me:***@db.example:5432/studies"
    monkeypatch.setenv("FFTNAS_STORAGE", str(tmp_path / "env.journal"))
    assert resolve_storage(None).file == tmp_path / "env.journal"
    assert resolve_storage("x.journal").file == Path("x.journal")  # the flag beats the variable


def _pareto(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict]:
    assert main(["pareto", *argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_sqlite_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=2)
    url = f"sqlite:///{tmp_path}/s.db"
    assert main(["run", str(experiment), "--storage", url, "--no-progress", "--device", "cpu"]) == 0
    capsys.readouterr()
    front = _pareto(["--storage", url], capsys)
    assert 1 <= len(front) <= 2
    assert (tmp_path / "s-artifacts").is_dir() and len(list((tmp_path / "s-artifacts").iterdir())) == 6


def test_env_variable_selects_the_storage(
    tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FFTNAS_STORAGE", str(tmp_path / "viaenv.journal"))
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=1)
    assert main(["run", str(experiment), "--no-progress", "--device", "cpu"]) == 0
    assert (tmp_path / "viaenv.journal").is_file() and not (tmp_path / "fftnas.journal").exists()
    assert (tmp_path / "viaenv-artifacts").is_dir()


def test_postgresql_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"fftnas-test-{uuid.uuid4().hex[:10]}"
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=2)
    argv = ["--storage", POSTGRES_URL, "--artifact-dir", str(tmp_path / "art")]
    try:
        assert (
            main(["run", str(experiment), "--study-name", name, "--no-progress", "--device", "cpu", *argv])
            == 0
        )
        assert (
            main(
                [
                    "run",
                    str(experiment),
                    "--study-name",
                    name,
                    "--no-progress",
                    "--device",
                    "cpu",
                    "--trials",
                    "3",
                    *argv,
                ]
            )
            == 0
        )
        capsys.readouterr()
        study = optuna.load_study(study_name=name, storage=POSTGRES_URL)
        assert [t.state.name for t in study.trials] == ["COMPLETE"] * 3
        assert study.metric_names == ["accuracy", "macs"]
        front = _pareto(["--study", name, *argv], capsys)
        assert {r["number"] for r in front} == {t.number for t in study.best_trials}
        assert len(list((tmp_path / "art").iterdir())) == 9
    finally:
        try:
            optuna.delete_study(study_name=name, storage=POSTGRES_URL)
        except KeyError:
            pass


# ------------------------------------------------- many workers opening a fresh database at once

SIMULTANEOUS_WORKERS = 8


def _open_when_released(url: str, barrier: multiprocessing.synchronize.Barrier, results) -> None:
    """A worker process: wait until every worker is ready, then open the storage as fftnas does."""
    location = resolve_storage(url)
    barrier.wait(timeout=600)  # all workers leave this line together
    try:
        open_storage(location, create=True)
        results.put("ok")
    except Exception as error:  # noqa: BLE001 (the test reports whatever each worker met)
        results.put(f"{type(error).__name__}: {error}")


SERVERS = {  # kind -> (test URL, service name, port)
    "postgresql": (POSTGRES_URL, "PostgreSQL", 5432),
    "mysql": (MYSQL_URL, "MariaDB/MySQL", 3306),
}


@contextlib.contextmanager
def _fresh_database(server_url: str) -> Iterator[str]:
    """A new, uniquely named, empty database on the server of ``server_url`` (dropped after)."""
    import sqlalchemy

    name = f"fftnas_schema_{uuid.uuid4().hex[:12]}"  # [a-z0-9_]: no quoting needed
    admin = sqlalchemy.create_engine(driver_url(server_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    force = " WITH (FORCE)" if admin.dialect.name == "postgresql" else ""
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f"CREATE DATABASE {name}"))
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_workers_starting_together_on_a_fresh_database_all_open_it(server: str) -> None:
    server_url, service, port = SERVERS[server]
    require_service(service, "127.0.0.1", port)
    import sqlalchemy

    context = multiprocessing.get_context("spawn")
    with _fresh_database(server_url) as url:
        barrier = context.Barrier(SIMULTANEOUS_WORKERS)
        results = context.Queue()
        workers = [
            context.Process(target=_open_when_released, args=(url, barrier, results))
            for _ in range(SIMULTANEOUS_WORKERS)
        ]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=900) for _ in workers]
        for worker in workers:
            worker.join(timeout=600)
        assert outcomes == ["ok"] * SIMULTANEOUS_WORKERS, outcomes
        assert [worker.exitcode for worker in workers] == [0] * SIMULTANEOUS_WORKERS
        engine = sqlalchemy.create_engine(driver_url(url), poolclass=NullPool)
        schema = "current_schema()" if server == "postgresql" else "database()"
        with engine.connect() as connection:
            tables = connection.execute(
                sqlalchemy.text(
                    f"SELECT table_name FROM information_schema.tables WHERE table_schema = {schema}"
                )
            ).scalars()
            assert {"studies", "trials", "version_info", "alembic_version"} <= set(tables)
            assert connection.execute(sqlalchemy.text("SELECT count(*) FROM version_info")).scalar() == 1
            assert connection.execute(sqlalchemy.text("SELECT count(*) FROM alembic_version")).scalar() == 1
        engine.dispose()
        assert optuna.storages.RDBStorage(driver_url(url)).get_all_studies() == []  # usable and empty
