"""Shared fixtures: one small study made by the real ``fftnas run`` (a subprocess), and the
device that device tests run on.

A test that takes the ``device_under_test`` fixture is marked ``device`` (``-m device`` picks
them): it runs on the device ``$FFTNAS_TEST_DEVICE`` names, the CPU unless set; CI runs them
on the CPU, ``benchmarks/gpu_check.sh`` on a GPU with ``FFTNAS_TEST_DEVICE=cuda``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fftlearn import ConfigError, resolve_device
from tests.helpers import SmallStudy, write_tiny_experiment

TEST_DEVICE_ENV = "FFTNAS_TEST_DEVICE"


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "device_under_test" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.device)


@pytest.fixture(scope="session")
def device_under_test() -> torch.device:
    """The device ``$FFTNAS_TEST_DEVICE`` names (auto, cpu, cuda, cuda:N; cpu when unset); a
    name this machine cannot run fails the test rather than skipping it."""
    name = os.environ.get(TEST_DEVICE_ENV, "cpu")
    try:
        return resolve_device(name)
    except ConfigError as error:
        pytest.fail(f"{TEST_DEVICE_ENV}: {error}")


def run_fftnas(*args: str, cwd: Path, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
    """Run ``python -m nas.cli ARGS`` in ``cwd``; the result has text stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "nas.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def small_study(tmp_path_factory: pytest.TempPathFactory) -> SmallStudy:
    """One tiny study (4 trials, CPU) in a journal file, shared by the whole session."""
    root = tmp_path_factory.mktemp("small_study")
    n_trials = 4
    experiment = write_tiny_experiment(root / "tiny.toml", name="tiny", trials=n_trials)
    storage = root / "study.journal"
    result = run_fftnas(
        "run", str(experiment), "--storage", str(storage), "--no-progress", "--device", "cpu", cwd=root
    )
    if result.returncode != 0:
        pytest.fail(
            f"`fftnas run` of the tiny experiment exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    artifact_dir = root / "study-artifacts"
    if not storage.is_file() or not artifact_dir.is_dir():
        pytest.fail(f"`fftnas run` made no {storage} or no {artifact_dir}:\n{result.stdout}")
    return SmallStudy(storage, artifact_dir, "tiny", experiment, n_trials)
