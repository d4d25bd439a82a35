"""Hierarchical butterfly factorization side by side with pyfaust, in one process.

Runs ``pyfaust.fact.butterfly(M, type='bbtree', perm=...)`` (Zheng, Riccietti, Gribonval,
arXiv 2110.01230) and fftnas's ``hierarchical_butterfly`` on the same matrices with the same
known input permutation, alternating the two on every repeat, and prints the median seconds, the
time ratio fftnas / pyfaust and both relative errors ``||M̂ - M||_F / ||M||_F`` (each computed
the same way, from the dense product: pyfaust's ``Faust.toarray()``, fftnas's ``to_dense()``).
Goal (issue 4): the DFT to relative error <= 1e-12 in at most half of pyfaust's time at
N = 1024 and at most a fifth at N = 4096. pyfaust is a benchmark-only extra
(``pip install -e .[bench]``); fftlearn never imports it.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pyfaust_side_by_side.py [--repeats 5] [--no-record]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.linalg
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _results import append_results  # noqa: E402

from fftlearn.butterfly._butterfly import (  # noqa: E402
    bit_reversal_permutation,
    butterfly_dense_matrix,
    random_unitary_twiddles,
)
from fftlearn.factorize._hierarchical import hierarchical_butterfly  # noqa: E402
from fftlearn.factorize._product import relative_error  # noqa: E402

GOALS = {1024: 0.5, 4096: 0.2}  # time ratio fftnas / pyfaust to reach on the DFT


def _cases(sizes: list[int]) -> list[tuple[str, int, np.ndarray, bool]]:
    """(name, N, matrix, bit-reversal input?) for every matrix of the table."""
    cases = [("DFT (unitary)", n, np.fft.fft(np.eye(n), norm="ortho"), True) for n in sizes]
    if 1024 in sizes:
        # Sylvester's Hadamard matrix is itself a butterfly product: identity permutation
        cases.append(("Hadamard", 1024, scipy.linalg.hadamard(1024).astype(np.float64), False))
        generator = torch.Generator().manual_seed(0)
        twiddles = random_unitary_twiddles(1024, generator=generator, dtype=torch.complex128)
        cases.append(("random unitary butterfly", 1024, butterfly_dense_matrix(twiddles).numpy(), True))
    return cases


def _timed(run: Callable[[], object]) -> tuple[float, object]:
    """Wall seconds of one call, and its result."""
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 4096])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per method and matrix")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfaust warns that the optional einops is missing
        import pyfaust
        import pyfaust.fact

    warm = np.fft.fft(np.eye(64), norm="ortho")  # first calls load libraries: not timed
    pyfaust.fact.butterfly(warm, type="bbtree", perm="bitrev")
    hierarchical_butterfly(warm)

    load_start = os.getloadavg()[0]
    header = (
        "| matrix | N | pyfaust s (median) | fftnas s (median) | ratio fftnas/pyfaust | goal | met "
        "| pyfaust rel. error | fftnas rel. error | pyfaust nnz | fftnas nnz |"
    )
    rows = [header, "| " + " | ".join(["---"] * 11) + " |"]
    print(header)
    for name, n, matrix, bitrev in _cases(args.sizes):
        perm_pyfaust = "bitrev" if bitrev else None
        perm_fftnas = bit_reversal_permutation(n) if bitrev else np.arange(n)
        theirs, ours = [], []
        for _ in range(args.repeats):  # alternate, so both see the same machine state
            seconds, faust = _timed(lambda: pyfaust.fact.butterfly(matrix, type="bbtree", perm=perm_pyfaust))
            theirs.append(seconds)
            seconds, factorization = _timed(
                lambda: hierarchical_butterfly(matrix, input_permutation=perm_fftnas)
            )
            ours.append(seconds)
        error_theirs = relative_error(np.asarray(faust.toarray()), matrix)
        error_ours = relative_error(factorization.to_dense(), matrix)
        ratio = statistics.median(ours) / statistics.median(theirs)
        goal = GOALS.get(n) if name.startswith("DFT") else None
        met = "-" if goal is None else ("yes" if ratio <= goal and error_ours <= 1e-12 else "no")
        row = (
            f"| {name} | {n} | {statistics.median(theirs):.4f} | {statistics.median(ours):.4f} | {ratio:.3f} "
            f"| {'-' if goal is None else f'<= {goal}'} | {met} | {error_theirs:.2e} | {error_ours:.2e} "
            f"| {faust.nnz_sum()} | {factorization.nnz} |"
        )
        rows.append(row)
        print(row, flush=True)
    load_end = os.getloadavg()[0]
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    notes = (
        f"pyfaust {pyfaust.version()} `fact.butterfly(M, type='bbtree', perm='bitrev')` (Hadamard: "
        f"perm=None) vs fftnas `hierarchical_butterfly(M, input_permutation=bit reversal)` (Hadamard: "
        f"identity), median of {args.repeats} alternating runs each, same process, "
        f"OMP_NUM_THREADS={threads}. "
        "Seconds include building the returned factors (a Faust; CSR matrices). Relative error "
        "||M̂ - M||_F / ||M||_F from each dense product (Faust.toarray(), to_dense()). DFT: "
        "np.fft.fft(eye(N), norm='ortho'); random butterfly: random_unitary_twiddles(1024, seed 0) "
        f"times bit reversal. Load average (1 min): {load_start:.2f} at the start, {load_end:.2f} at "
        f"the end, on {os.cpu_count()} cores shared with other jobs."
    )
    print(notes)
    if not args.no_record:
        append_results("Hierarchical butterfly factorization vs pyfaust", "\n".join(rows), notes=notes)


if __name__ == "__main__":
    main()
