"""Condition number of random Gaussian filterbanks against the scaling law of arXiv 2309.05855.

J filters of length T with i.i.d. Gaussian taps of variance 1/(J·T), applied by stride-1
convolution. Measured: kappa = B/A of the Littlewood–Paley sum on a fine grid (infinite
signals; `frame_bounds_convolutional` default) and on a 1024-point grid (circular convolution on
1024-sample signals, the paper's simulation setting). Predicted:
(1 + 2·sqrt(ln T / J)) / (1 - 2·sqrt(ln T / J)), defined for J > 4·ln T. The table also gives
c_fit = sqrt(J / ln T)·(kappa - 1)/(kappa + 1), the constant that would make the law exact
(the paper's formula has c = 2).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/random_filterbank_conditioning.py [--seeds 20]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import append_results

from fftlearn.analysis._frames import (
    frame_bounds_convolutional,
    predicted_condition,
    random_filterbank,
)

LENGTHS = (32, 64, 128, 256, 512, 1024)
COUNTS = (32, 64, 128, 256, 512, 1024, 2048, 4096)
CIRCULAR = 1024  # signal length of the circular-convolution column


def grid(length: int) -> list[int]:
    """J values for one T: the first integer above 4·ln T, then the powers of two above it."""
    edge = math.floor(4 * math.log(length)) + 1
    return [edge] + [count for count in COUNTS if count > edge]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--no-append", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    start = time.perf_counter()
    header = (
        "| T | J | J/ln T | kappa median | kappa p10-p90 | kappa N=1024 | predicted | deviation "
        "| within 20% | c_fit |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|"
    )
    rows = [header]
    held = []
    for length in LENGTHS:
        for count in grid(length):
            kappas, circular = [], []
            for seed in range(args.seeds):
                bank = random_filterbank(count, length, seed=seed)
                kappas.append(frame_bounds_convolutional(bank).condition)
                circular.append(frame_bounds_convolutional(bank, n_fft=max(CIRCULAR, length)).condition)
            kappa = float(np.median(kappas))
            low, high = np.percentile(kappas, [10, 90])
            predicted = predicted_condition(count, length)
            deviation = kappa / predicted - 1
            within = abs(deviation) <= 0.2
            c_fit = math.sqrt(count / math.log(length)) * (kappa - 1) / (kappa + 1)
            held.append((length, count, within))
            rows.append(
                f"| {length} | {count} | {count / math.log(length):.1f} | {kappa:.3f} | {low:.3f}-{high:.3f} "
                f"| {float(np.median(circular)):.3f} | {predicted:.3f} | {deviation:+.1%} "
                f"| {'yes' if within else 'no'} | {c_fit:.2f} |"
            )
    table = "\n".join(rows)
    seconds = time.perf_counter() - start
    from_here: dict[int, int | None] = {length: None for length in LENGTHS}  # smallest J: all larger within
    broken: set[int] = set()
    for length, count, within in reversed(held):  # from the largest J down
        if not within:
            broken.add(length)
        elif length not in broken:
            from_here[length] = count
    notes = (
        f"{args.seeds} seeds per cell, {seconds:.0f} s. kappa: B/A on the default fine grid (infinite "
        "signals); 'kappa N=1024': circular convolution on 1024-sample signals; deviation = "
        "measured median / predicted - 1. Within 20 % for every J from: "
        + ", ".join(
            f"T={length}: J >= {count}" if count else f"T={length}: never up to J={COUNTS[-1]}"
            for length, count in sorted(from_here.items())
        )
        + "."
    )
    print(table)
    print()
    print(notes)
    if not args.no_append:
        append_results("Random filterbank conditioning (arXiv 2309.05855 scaling law)", table, notes=notes)


if __name__ == "__main__":
    main()
