"""Real operations of exact DFT factorizations at their best diagonal scaling (issue 12 point 2).

For each radix order (``"2,8L,8L,8L"``: a stage of radix 2, then three radix-8 stages written as
three radix-2 layers each; no ``L``: one factor of dense ``r × r`` blocks), the DFT is fitted
exactly on its supports (``hierarchical_butterfly``, digit reversal of the fit's radices) and
counted as fitted and at the best diagonal scaling found from the fitted numbers
(``fewest_operation_count``, the stage sizes of the order given), under both conventions:
``(±1 ± i)/√2`` a general multiplication (6, the convention of the radix-2 41,996 and radix-4
36,872 figures) or 2 multiplications + 2 additions (the textbook split-radix convention of
34,824). The exact radix-2 oracle (``fft_factorization``) is counted too. References: the
closed forms of ``_flops`` and two FFTs written out here that count their own operations while
matching ``numpy.fft.fft``: radix 4 (radix 2², checks ``radix4_flops``) and split radix (checks
``split_radix_flops`` and gives its count with ``ω_8`` as a general multiplication).

    .venv/bin/python benchmarks/fewest_operations.py [--n 1024] [--orders 2,8L,8L,8L ...] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _results import append_results, markdown_table  # noqa: E402

from fftlearn.factorize import (  # noqa: E402
    dense_flops,
    fewest_operation_count,
    fft_factorization,
    hierarchical_butterfly,
    operation_count,
    radix2_flops,
    radix4_flops,
    split_radix_flops,
)
from fftlearn.factorize._product import relative_error  # noqa: E402

DEFAULT_ORDERS = {
    1024: ["2,2,2,2,2,2,2,2,2,2", "4L,4L,4L,4L,4L", "4,4,4,4,4", "2,8L,8L,8L", "32L,32L", "32,32"],
    16: ["2,2,2,2", "4L,4L", "4,4"],
}


def parse_order(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``"2,8L,8L,8L"`` -> (fit radices ``(2, 2, 2, 2, 2, 2, 2, 2, 2, 2)``, stages ``(1, 3, 3, 3)``)."""
    radices: list[int] = []
    stages: list[int] = []
    for part in text.split(","):
        radix = int(part.rstrip("L"))
        if part.endswith("L"):
            power = radix.bit_length() - 1
            if radix != 1 << power:
                raise ValueError(f"{part}: only a power of two can be written as radix-2 layers")
            radices += [2] * power
            stages.append(power)
        else:
            radices.append(radix)
            stages.append(1)
    return tuple(radices), tuple(stages)


def twiddle_cost(exponent: np.ndarray, n: int, cheap: bool) -> int:
    """Real operations of multiplying by ``exp(-2πi e/n)`` for each ``e``: 0 (±1, ±i), 4 or 6
    (``(±1 ± i)/√2``), 6 otherwise."""
    e = exponent % n
    trivial = (4 * e) % n == 0
    eighth = ~trivial & ((8 * e) % n == 0)
    return int(np.sum(np.where(trivial, 0, np.where(eighth, 4 if cheap else 6, 6))))


def split_radix_counting(x: np.ndarray, cheap: bool) -> tuple[np.ndarray, int]:
    """Split-radix DIT FFT of ``x`` and its real operations (``X_k = U_k + W^k Z_k + W^{3k} Z'_k``
    and the three other outputs of the L-shaped butterfly: 12 real additions per ``k``)."""
    n = x.size
    if n == 1:
        return x.copy(), 0
    if n == 2:
        return np.array([x[0] + x[1], x[0] - x[1]]), 4
    (u, ops_u), (z, ops_z), (z3, ops_z3) = (
        split_radix_counting(part, cheap) for part in (x[0::2], x[1::4], x[3::4])
    )
    k = np.arange(n // 4)
    a, b = z * np.exp(-2j * np.pi * k / n), z3 * np.exp(-2j * np.pi * 3 * k / n)
    ops = ops_u + ops_z + ops_z3 + twiddle_cost(k, n, cheap) + twiddle_cost(3 * k, n, cheap) + 12 * (n // 4)
    s, d = a + b, a - b
    quarter = n // 4
    out = np.concatenate([u[:quarter] + s, u[quarter:] - 1j * d, u[:quarter] - s, u[quarter:] + 1j * d])
    return out, ops


def radix4_counting(x: np.ndarray) -> tuple[np.ndarray, int]:
    """Radix-4 DIT FFT (each 4-point DFT as two radix-2 layers: 16 real additions) and its real
    operations, ``ω_8`` a general multiplication."""
    n = x.size
    if n == 1:
        return x.copy(), 0
    parts, ops = [], 16 * (n // 4)
    for q in range(4):
        sub, count = radix4_counting(x[q::4])
        parts.append(sub * np.exp(-2j * np.pi * q * np.arange(n // 4) / n))
        ops += count + twiddle_cost(q * np.arange(n // 4), n, cheap=False)
    a, b, c, d = parts
    even, odd, even_minus, odd_minus = a + c, b + d, a - c, -1j * (b - d)
    return np.concatenate([even + odd, even_minus + odd_minus, even - odd, even_minus - odd_minus]), ops


def reference_rows(n: int) -> tuple[list[list[str]], dict[str, int]]:
    """The reference counts (closed forms and the counting FFTs, checked against numpy.fft)."""
    x = np.array([1, 1j]) @ np.random.default_rng(0).normal(size=(2, n))
    split = {}
    for cheap in (False, True):
        result, split[cheap] = split_radix_counting(x, cheap)
        np.testing.assert_allclose(result, np.fft.fft(x), atol=1e-8 * n)
    assert split[True] == split_radix_flops(n), (split[True], split_radix_flops(n))
    refs = {"dense": dense_flops(n), "radix-2": radix2_flops(n), "split-radix": split_radix_flops(n)}
    rows = [["dense matrix (closed form)", f"{refs['dense']:,}", "", "", ""]]
    rows.append(
        [
            "radix-2 FFT (closed form)",
            f"{refs['radix-2']:,}",
            "",
            "",
            f"{operation_count(fft_factorization(n), cheap_eighth_roots=True):,}",
        ]
    )
    if (n.bit_length() - 1) % 2 == 0:
        result, counted = radix4_counting(x)
        np.testing.assert_allclose(result, np.fft.fft(x), atol=1e-8 * n)
        assert counted == radix4_flops(n)
        refs["radix-4"] = radix4_flops(n)
        rows.append(
            ["radix-4 FFT as radix-2 pairs (closed form = counted)", f"{refs['radix-4']:,}", "", "", ""]
        )
    rows.append(
        [
            "split-radix FFT (counted; closed form with cheap ω_8)",
            f"{split[False]:,}",
            "",
            "",
            f"{split[True]:,}",
        ]
    )
    return rows, refs


def measured_rows(n: int, orders: list[str]) -> tuple[list[list[str]], dict[str, tuple[int, int]]]:
    """One row per order (and the radix-2 oracle): as fitted, best scaling (both conventions)."""
    dft = np.fft.fft(np.eye(n), norm="ortho")
    rows, best = [], {}
    cases = [("radix-2 oracle (fft_factorization)", fft_factorization(n), None)]
    for order in orders:
        radices, stages = parse_order(order)
        cases.append((f"fit {order}", hierarchical_butterfly(dft, radices=radices), stages))
    for name, factorization, stages in cases:
        start = time.perf_counter()
        general = fewest_operation_count(factorization, stages=stages)
        cheap = fewest_operation_count(factorization, stages=stages, cheap_eighth_roots=True)
        seconds = time.perf_counter() - start
        error = relative_error(factorization.to_dense(), dft)
        best[name] = (general, cheap)
        rows.append(
            [
                name,
                f"{operation_count(factorization):,}",
                f"{general:,}",
                f"{seconds:.1f} s (error {error:.1e})",
                f"{cheap:,}",
            ]
        )
    return rows, best


def study_summary(storage: str, name: str = "fewest_operations") -> str:
    """The study's Pareto table (``fftnas pareto``), its best ``ops`` and the first trial that
    reached it, as Markdown."""
    import optuna

    from nas._report import format_pareto

    study = optuna.load_study(study_name=name, storage=storage)
    done = [t for t in study.trials if t.values is not None]
    best = min(t.values[1] for t in done)
    first = min(t.number for t in done if t.values[1] == best)
    config = json.loads(next(t for t in done if t.number == first).user_attrs["config"])
    return (
        f"\nStudy `{name}` ({len(done)} complete trials, TPE seed 0): fewest `ops` {best:,.0f}, first "
        f"reached at trial {first} (the {first + 1}th), fit radices {config['radices']}, stages "
        f"{config['stages']}.\n\n```\n{format_pareto(study, 'table')}\n```"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--orders", nargs="*", help="radix orders, e.g. 2,8L,8L,8L (L: as radix-2 layers)")
    parser.add_argument("--no-record", action="store_true", help="print only; RESULTS.md untouched")
    parser.add_argument("--study-storage", help="storage URL of a finished fewest_operations study to report")
    args = parser.parse_args()
    orders = args.orders or DEFAULT_ORDERS.get(args.n, [",".join(["2"] * (args.n.bit_length() - 1))])
    refs_rows, refs = reference_rows(args.n)
    rows, best = measured_rows(args.n, orders)
    header = [
        "DFT-%d" % args.n,
        "real ops as given",
        "best scaling, ω_8 = 6",
        "rescaling time",
        "best scaling, ω_8 = 4",
    ]
    table = markdown_table(header, refs_rows + rows)
    general = min(v[0] for v in best.values())
    cheap = min(v[1] for v in best.values())
    notes = [
        f"Fewest found: {general:,} real ops with (±1±i)/√2 a general multiplication "
        f"({general - refs['split-radix']:+,} from split radix's {refs['split-radix']:,}"
        + (
            f", {general - refs['radix-4']:+,} from radix-4's {refs['radix-4']:,}"
            if "radix-4" in refs
            else ""
        )
        + f"); {cheap:,} with it as 2 mult + 2 add "
        + f"({cheap - refs['split-radix']:+,} from {refs['split-radix']:,}).",
    ]
    if args.study_storage:
        notes.append(study_summary(args.study_storage))
    print(table + "\n\n" + "\n".join(notes))
    if not args.no_record:
        append_results(
            f"Fewest real operations of exact DFT-{args.n} factorizations", table, notes="\n".join(notes)
        )


if __name__ == "__main__":
    main()
