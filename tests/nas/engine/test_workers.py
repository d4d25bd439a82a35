"""Devices per worker, storages that are broken or go away, and passwords that must never show."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import optuna
import pytest
import torch

from fftlearn import ConfigError
from nas import open_storage, resolve_storage
from nas.cli import main
from nas.engine._devices import parse_devices
from tests.helpers import REPO, edit_experiment, write_tiny_experiment
from tests.services import POSTGRES_URL, require_service


def test_parse_devices() -> None:
    assert parse_devices("all", cuda_count=0) == ["cpu"]
    assert parse_devices("all", cuda_count=3) == ["cuda:0", "cuda:1", "cuda:2"]
    assert parse_devices("cuda:0,cuda:1", cuda_count=2) == ["cuda:0", "cuda:1"]
    assert parse_devices("cuda:0,cuda:1", cuda_count=2, workers=5) == ["cuda:0", "cuda:1"] * 2 + ["cuda:0"]
    assert parse_devices("all", cuda_count=2, workers=1) == ["cuda:0"]
    assert parse_devices("auto", cuda_count=0) == ["cpu"] and parse_devices("auto", cuda_count=1) == [
        "cuda:0"
    ]
    assert parse_devices(" CPU , cuda ", cuda_count=1) == ["cpu", "cuda:0"]
    for spec, count, message in (
        ("cuda:2", 2, "cuda:2 is not a visible GPU; visible: cuda:0..cuda:1"),
        ("cuda:0", 0, "visible: none (this machine has no CUDA GPU)"),
        ("gpu0", 1, "each device must be cpu, auto, cuda or cuda:N"),
        ("cpu,,cpu", 0, "each device must be"),
        ("", 0, "all, auto, cpu, cuda or a comma list"),
    ):
        with pytest.raises(ConfigError, match=f"^--devices: got .*{re.escape(message)}"):
            parse_devices(spec, cuda_count=count)


def _study(storage: Path) -> optuna.Study:
    return optuna.load_study(
        study_name="tiny", storage=open_storage(resolve_storage(str(storage)), create=False)
    )


def test_one_worker_per_listed_device_and_two_on_one_device(
    device_under_test: torch.device, tmp_path: Path
) -> None:
    """``--devices cpu,cpu`` here, ``cuda:0,cuda:0`` on a GPU: two worker processes share the
    device and split the cores (``torch.get_num_threads() // 2`` threads each)."""
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=4)
    storage = tmp_path / "dev.journal"
    device = str(device_under_test)
    argv = [
        "run",
        str(experiment),
        "--storage",
        str(storage),
        "--no-progress",
        "--devices",
        f"{device},{device}",
    ]
    assert main(argv) == 0
    trials = _study(storage).trials
    assert [t.state.name for t in trials] == ["COMPLETE"] * 4
    assert {t.user_attrs["device"] for t in trials} == {device}
    assert len({t.user_attrs["process_id"] for t in trials}) == 2  # two processes, one per listed device
    assert {t.user_attrs["torch_threads"] for t in trials} == {max(1, torch.get_num_threads() // 2)}


@pytest.mark.skipif(torch.cuda.device_count() > 0, reason="checks the CPU fallback of --devices all")
def test_devices_all_on_a_machine_without_gpus_runs_one_cpu_worker(tmp_path: Path) -> None:
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=2)
    storage = tmp_path / "all.journal"
    assert main(["run", str(experiment), "--storage", str(storage), "--no-progress", "--devices", "all"]) == 0
    trials = _study(storage).trials
    assert [t.user_attrs["device"] for t in trials] == ["cpu", "cpu"]
    assert {t.user_attrs["process_id"] for t in trials} == {os.getpid()}  # in this process


def _run(argv: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "nas.cli", *argv], cwd=cwd, env=env, capture_output=True, text=True, **kw
    )


@pytest.mark.parametrize(
    ("storage", "expected"),
    [
        ("redis://127.0.0.1:1/0", "fftnas: error: storage: got 'redis://127.0.0.1:1/0'; cannot be opened ("),
        (
            "mysql://root@127.0.0.1:1/test",
            "fftnas: error: storage: got 'mysql://root@127.0.0.1:1/test'; cannot",
        ),
        ("{dir}/corrupt.journal", "fftnas: error: storage: got '{dir}/corrupt.journal'; cannot be opened ("),
    ],
)
def test_unreachable_or_corrupt_storage_is_one_line_exit_2(
    storage: str, expected: str, tmp_path: Path
) -> None:
    (tmp_path / "corrupt.journal").write_bytes(b'{"op_code": 0, "worker_id": "x"\n\x00\xff garbage\n')
    before = (tmp_path / "corrupt.journal").read_bytes()
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=1)
    storage = storage.format(dir=tmp_path)
    for argv in (["run", str(experiment), "--storage", storage], ["studies", "--storage", storage]):
        result = _run(argv, tmp_path, timeout=120)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(expected.format(dir=tmp_path)), result.stderr
    assert (tmp_path / "corrupt.journal").read_bytes() == before  # nothing appended to a damaged log


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--heartbeat-interval", "0"], "--heartbeat-interval: got 0"),
        (["--heartbeat-interval", "10", "--grace-period", "10"], "--grace-period: got 10"),
        (["--workers", "0"], "--workers: got 0"),
    ],
)
def test_bad_worker_flags_exit_2(flags: list[str], message: str, tmp_path: Path, capsys) -> None:
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=1)
    assert main(["run", str(experiment), "--storage", str(tmp_path / "x.journal"), *flags]) == 2
    assert capsys.readouterr().err.startswith(f"fftnas: error: {message}")
    assert not (tmp_path / "x.journal").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server program")
def test_storage_lost_mid_run_is_one_line_exit_1(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}/0"
        fast = write_tiny_experiment(tmp_path / "tiny.toml", trials=50)
        experiment = edit_experiment(fast, tmp_path / "slow.toml", r"^n_train = 240$", "n_train = 2400")
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        command = [sys.executable, "-m", "nas.cli", "run", str(experiment), "--storage", url, "--no-progress"]
        worker = subprocess.Popen(
            [*command, "--artifact-dir", str(tmp_path / "art"), "--device", "cpu"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while not list((tmp_path / "art").glob("*")) and time.monotonic() < deadline:
            time.sleep(0.1)  # the first trial's artifacts: the run is under way
        server.terminate()
        server.wait(timeout=30)
        _, err = worker.communicate(timeout=180)
    finally:
        server.kill()
    assert worker.returncode == 1, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(f"fftnas: error: storage {url}: ")


def test_password_is_never_printed_logged_or_stored(tmp_path: Path) -> None:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    secret = "Sup3r-" + uuid.uuid4().hex[:8]  # trust auth here ignores it, but fftnas must hide it
    url = POSTGRES_URL.replace("postgresql://postgres@", f"postgresql://postgres:{secret}@")
    name = f"secret-{uuid.uuid4().hex[:8]}"
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=2, name=name)
    art = tmp_path / "art"
    storage = open_storage(resolve_storage(url), create=True)
    try:
        outputs = []
        for argv in (
            [
                "run",
                str(experiment),
                "--storage",
                url,
                "--artifact-dir",
                str(art),
                "--device",
                "cpu",
                "--workers",
                "2",
            ],
            ["studies", "--storage", url],
            ["pareto", "--storage", url, "--study", name, "--format", "json"],
            ["reproduce", "--storage", url, "--study", name, "--trial", "0", "--json"],
        ):
            result = _run(argv, tmp_path, timeout=300)
            assert result.returncode == 0, result.stderr
            outputs.append(result.stdout + result.stderr)
        assert "postgres:***@127.0.0.1" in outputs[0] + outputs[1]
        study = optuna.load_study(study_name=name, storage=storage)
        stored = [study.user_attrs, storage.get_study_system_attrs(study._study_id)]
        stored += [[t.user_attrs, t.system_attrs, t.params] for t in study.trials]
        files = b"".join(p.read_bytes() for p in art.rglob("*") if p.is_file())
        for text in [*outputs, json.dumps(stored, default=str)]:
            assert secret not in text
        assert secret.encode() not in files and len(files) > 0
    finally:
        optuna.delete_study(study_name=name, storage=storage)
