"""Shared fixture: one small study made by the real ``fftnas run`` (a subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import SmallStudy, write_tiny_experiment


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
