"""benchmarks/recovery_time.py at tiny sizes: every table prints, recoveries are exact, noise
stays near its level, and the targets' verdicts are worded from the measured figures."""

from __future__ import annotations

import numpy as np
import pytest

from fftlearn.factorize._product import relative_error
from tests.helpers import load_benchmark

recovery = load_benchmark("recovery_time")


def test_the_benchmark_runs_at_tiny_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--sizes", "16", "32", "--composite", "12", "30", "--noise", "1e-6", "--noise-n", "16"]
    recovery.main([*argv, "--seeds", "2", "--time-seeds", "2", "--no-record"])
    lines = capsys.readouterr().out.splitlines()
    rows = {tuple(line.split(" | ")[:2]): line.split(" | ") for line in lines if " | " in line}
    for n, order in (("16", "2,2,2,2"), ("32", "2,2,2,2,2")):
        for name in ("DFT", "random butterfly"):
            row = rows[(n, name)]
            assert row[2] == "2/2" and float(row[5]) <= 1e-12 and row[6] == order
    assert rows[("12", "2/2")][6] == "2,2,3" and rows[("30", "2/2")][6] == "2,3,5"
    noise = rows[("1e-06", "2/2")]
    assert noise[2] == "2/2" and float(noise[4]) <= 10  # error within 10x the noise
    assert lines[-1].startswith("Targets (issue 12): DFT N = 12 exact in >= 80% of the seeds: met (2/2)")


def test_the_benchmark_matrices_are_what_they_say() -> None:
    product = recovery.random_butterfly(8, 0)
    assert np.count_nonzero(np.abs(product) > 0) == 64  # a butterfly product of 3 stages is dense
    hidden = recovery.hide(product, 1)
    assert sorted(np.abs(hidden).ravel().round(12)) == sorted(np.abs(product).ravel().round(12))
    noisy = recovery.with_noise(product, 1e-3, 0)
    assert relative_error(noisy, product) == pytest.approx(1e-3)
