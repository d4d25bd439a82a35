"""benchmarks/worker_scaling.py's ``--objective experiment`` on the test device: two workers on
one device run a small study's real trials (benchmarks/gpu_check.sh runs four on a GPU)."""

from __future__ import annotations

from pathlib import Path

import torch

from tests.helpers import load_benchmark, write_tiny_experiment

scaling = load_benchmark("worker_scaling")


def test_workers_sharing_one_device_run_the_experiments_trials(
    device_under_test: torch.device, tmp_path: Path, capsys
) -> None:
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=3)
    device = str(device_under_test)
    argv = ["--objective", "experiment", "--experiment", str(experiment), "--device", device]
    scaling.main([*argv, "--backends", "journal", "--workers", "1,2", "--budget", "3", "--no-record"])
    lines = capsys.readouterr().out.splitlines()
    rows = [line.split(" | ") for line in lines if line.startswith(f"journal | {device} | ")]
    assert [r[2] for r in rows] == ["1", "2"]  # workers
    assert [r[3] for r in rows] == ["3/3", "3/3"]  # complete/all trials
    assert all(float(r[5].replace(",", "")) > 0 for r in rows) and rows[0][6] == "1.00x"
