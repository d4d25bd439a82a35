"""benchmarks/gpu_check.sh and the wheels it carries: the script parses, refuses an unknown mode,
and pins each carried package at the version these tests run with (its steps run on the CPU as
the device tests here; `bash benchmarks/gpu_check.sh --cpu` runs the script itself)."""

from __future__ import annotations

import subprocess
from importlib import metadata

from tests.helpers import REPO

SCRIPT = REPO / "benchmarks" / "gpu_check.sh"


def test_the_script_parses_and_refuses_an_unknown_mode() -> None:
    assert subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True).returncode == 0
    result = subprocess.run(["bash", str(SCRIPT), "--fast"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "usage: bash benchmarks/gpu_check.sh [--cpu | --download-wheels]\n"


def test_carried_wheels_are_the_versions_tested_here() -> None:
    lines = (REPO / "benchmarks" / "gpu_wheels.txt").read_text(encoding="utf-8").splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    assert {"optuna", "optuna-dashboard", "redis"} <= set(pins)
    assert {name: metadata.version(name) for name in pins} == pins
