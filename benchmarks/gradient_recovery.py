"""Gradient fitter with a learned permutation: which transforms does it recover, how fast?

For each N and matrix (DFT, DCT-II, DST-II, Walsh–Hadamard, Hartley; orthonormal, built here
with numpy/scipy), the gradient fitter (``fit_factorization`` with ``GradientFitConfig``) runs
with ``permutation="learn"`` in float64 (defaults otherwise) for every seed, and the table
counts the seeds that reach relative error <= 1e-6.
The issue's target: at least 9 of 10 seeds for every matrix and N = 8 ... 1024. Dao et al.
(arXiv 1903.05895) stop at RMSE 1e-4 in float32 (about 2.6e-3 relative at N = 1024), with up to
320 GPU trials per size.

Cells run N by N, seed-major (all matrices for seed 0, then seed 1, ...), so a time budget
that runs out part-way leaves every matrix with about the same number of seeds; cells not run
are listed in the notes.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/gradient_recovery.py [--max-n 1024] [--seeds 10]
        [--first-seed 0] [--matrices dft,dct2,dst2,hadamard,hartley] [--budget-minutes 30] [--no-record]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.fft
import scipy.linalg
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _results import append_results  # noqa: E402

from fftlearn.butterfly._butterfly import butterfly_nonzeros  # noqa: E402
from fftlearn.factorize import GradientFitConfig, fit_factorization  # noqa: E402

THRESHOLD = 1e-6  # relative Frobenius error that counts as recovered
MATRICES = ("dft", "dct2", "dst2", "hadamard", "hartley")


def target(name: str, n: int) -> np.ndarray:
    """The orthonormal ``(n, n)`` matrix ``M`` with ``M @ x`` the transform of the column ``x``."""
    if name == "dft":
        return np.fft.fft(np.eye(n), norm="ortho", axis=0)
    if name == "dct2":
        return scipy.fft.dct(np.eye(n), type=2, norm="ortho", axis=0)
    if name == "dst2":
        return scipy.fft.dst(np.eye(n), type=2, norm="ortho", axis=0)
    if name == "hadamard":
        return scipy.linalg.hadamard(n) / math.sqrt(n)
    if name == "hartley":
        unitary = np.fft.fft(np.eye(n), norm="ortho", axis=0)
        return unitary.real - unitary.imag
    raise ValueError(f"matrices: unknown {name!r}; choose from {', '.join(MATRICES)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-n", type=int, default=8)
    parser.add_argument("--max-n", type=int, default=1024)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed+seeds-1")
    parser.add_argument("--matrices", default=",".join(MATRICES))
    parser.add_argument("--budget-minutes", type=float, default=30.0, help="start no fit after this")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    names = [m.strip() for m in args.matrices.split(",") if m.strip()]
    for name in names:
        target(name, 2)  # unknown names fail before anything runs
    torch.set_num_threads(1)
    sizes = [n for n in (8, 16, 32, 64, 128, 256, 512, 1024) if args.min_n <= n <= args.max_n]
    runs: dict[tuple[int, str], list] = {(n, name): [] for n in sizes for name in names}
    started = time.perf_counter()
    out_of_time = False
    for n in sizes:
        matrices = {name: target(name, n) for name in names}
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for name in names:
                if time.perf_counter() - started > 60 * args.budget_minutes:
                    out_of_time = True
                    break
                result = fit_factorization(matrices[name], GradientFitConfig(seed=seed))
                runs[(n, name)].append(result)
                log = result.details["polish_log"]
                print(
                    f"N={n:5d} {name:9s} seed {seed}: error {result.relative_error:.1e}, "
                    f"{result.seconds:6.1f} s, {len(log)} polishes, nnz {result.nnz}",
                    flush=True,
                )
    wall = time.perf_counter() - started
    table, per_n, missing = _tables(runs, sizes, names, args.first_seed, args.seeds)
    print(table + "\n\n" + per_n)
    load = os.getloadavg()
    notes = (
        f"permutation='learn' (shared keep/separate choice, optional fold, output reversal for real "
        f"targets), float64, GradientFitConfig defaults; solved = relative Frobenius error <= {THRESHOLD:g}. "
        "nnz: 2·N·log2 N butterfly nonzeros, plus 2N − 2 for the Hermitian-pair stage on real targets "
        "that need it (DCT-II, DST-II, Hartley); 'FFT graph': the fitted factorization's dataflow graph "
        "is the radix-2 Cooley–Tukey graph. 'argmax first': fits whose most probable hard setting "
        "(the relaxation's argmax) was the one that solved it; the others were solved by polishing the "
        "next most probable settings. Seconds per fit are wall time on a shared machine. "
        f"Total wall time {wall / 60:.1f} min; load average (1, 5, 15 min) at the end: "
        f"{load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} on {os.cpu_count()} cores. "
        + (f"Not run (time budget of {args.budget_minutes:g} min spent): {missing}." if missing else "")
        + " Dao et al. (arXiv 1903.05895): RMSE 1e-4 in float32 (about 2.6e-3 relative at N = 1024), "
        "up to 320 GPU trials per size."
    )
    if out_of_time:
        print("time budget spent; not run: " + missing)
    if not args.no_record:
        title = "Gradient fitter, learned permutation (fftlearn.factorize, GradientFitConfig)"
        append_results(title, table + "\n\n" + per_n, notes=notes)


def _tables(runs: dict, sizes: list[int], names: list[str], first: int, seeds: int) -> tuple[str, str, str]:
    rows = [
        "| N | matrix | solved (<= 1e-6) | median rel. error | worst rel. error | median s | max s "
        "| nnz | 2N log2 N | FFT graph | argmax first | median polishes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    missing: list[str] = []
    per_n_rows = ["| N | fits | solved | median s per fit | max s per fit |", "| --- " * 5 + "|"]
    for n in sizes:
        all_seconds, solved_n = [], 0
        for name in names:
            results = runs[(n, name)]
            if len(results) < seeds:
                missing.append(f"N={n} {name} seeds {first + len(results)}-{first + seeds - 1}")
            if not results:
                continue
            errors = [r.relative_error for r in results]
            seconds = [r.seconds for r in results]
            solved = sum(e <= THRESHOLD for e in errors)
            first = sum(len(r.details["polish_log"]) == 1 and r.relative_error <= THRESHOLD for r in results)
            nnz = sorted({r.nnz for r in results})
            graph = sum(r.recovered_fft_structure for r in results)
            polishes = statistics.median(len(r.details["polish_log"]) for r in results)
            count = len(results)
            rows.append(
                f"| {n} | {name} | {solved}/{count} | {statistics.median(errors):.1e} | {max(errors):.1e} "
                f"| {statistics.median(seconds):.1f} | {max(seconds):.1f} | {'/'.join(map(str, nnz))} "
                f"| {butterfly_nonzeros(n)} | {graph}/{count} | {first}/{count} | {polishes:g} |"
            )
            all_seconds += seconds
            solved_n += solved
        if all_seconds:
            per_n_rows.append(
                f"| {n} | {len(all_seconds)} | {solved_n} | {statistics.median(all_seconds):.1f} "
                f"| {max(all_seconds):.1f} |"
            )
    return "\n".join(rows), "\n".join(per_n_rows), "; ".join(missing)


if __name__ == "__main__":
    main()
