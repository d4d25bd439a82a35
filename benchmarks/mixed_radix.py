"""Mixed-radix butterflies: the front-end at the frame length (640) and gradient fits of composite N.

1. Front-ends on 640-sample frames: the butterfly at size 640 (no crop, no pad; radix orders
   (2,2,2,2,2,2,2,5) = the default, (5,2,...,2) and (4,4,5,2,2,2)), the radix-2 butterfly
   cropped to 512 and zero-padded to 1024, and the dense DFT (multiplicative front-end with
   642 kernels paired into 321 magnitudes). MACs per example (1 MAC = 2 FLOPs), parameters and
   ms per batch (forward; forward + backward), as ``butterfly_speed.py`` measures them.
2. ``GradientFitConfig(permutation="bitrev", radices=...)`` on numpy's unitary DFT matrix of
   N = 12 and N = 60 (default order and another), seeds 0..``--seeds``-1: relative Frobenius
   error, nonzeros and seconds per fit (``fit_factorization``'s wall time).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/mixed_radix.py [--seeds 3] [--repeats 20]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import append_results, markdown_table  # noqa: E402
from butterfly_speed import measure  # noqa: E402

from fftlearn.factorize import fit_factorization  # noqa: E402
from fftlearn.factorize._gradient import GradientFitConfig  # noqa: E402
from fftlearn.frontends._butterfly import ButterflyConfig, ButterflyFrontEnd  # noqa: E402
from fftlearn.frontends._multiplicative import MultiplicativeConfig, MultiplicativeFrontEnd  # noqa: E402

FRAME = 640
FITS = [(12, None), (12, (3, 4)), (60, None), (60, (5, 3, 4))]


def front_ends() -> dict[str, torch.nn.Module]:
    """The front-ends compared on 640-sample frames."""
    def butterfly(size: int, radices: tuple[int, ...] | None = None) -> ButterflyFrontEnd:
        return ButterflyFrontEnd(ButterflyConfig(frame_length=FRAME, size=size, radices=radices))

    return {
        "butterfly 640 (2^7, 5), default": butterfly(640),
        "butterfly 640 (5, 2^7)": butterfly(640, (5,) + (2,) * 7),
        "butterfly 640 (4, 4, 5, 2, 2, 2)": butterfly(640, (4, 4, 5, 2, 2, 2)),
        "butterfly 512 (crops 128 samples)": butterfly(512),
        "butterfly 1024 (pads 384 zeros)": butterfly(1024),
        "dense DFT 640 (multiplicative, 642 kernels)": MultiplicativeFrontEnd(
            MultiplicativeConfig(frame_length=FRAME, n_kernels=642, pair_magnitude=True, init="dft")
        ),
    }


def frontend_table(*, batch: int, repeats: int) -> str:
    frames = torch.randn(batch, FRAME, generator=torch.Generator().manual_seed(0))
    rows = []
    for name, module in front_ends().items():
        forward, both = measure(module, frames, repeats=repeats)
        params = sum(p.numel() for p in module.parameters())
        row = [name, str(module.n_features), f"{module.macs_per_example():,}", f"{params:,}",
               f"{forward[0]:.3f} / {forward[1]:.3f}", f"{both[0]:.3f} / {both[1]:.3f}"]
        print(" | ".join(row), flush=True)
        rows.append(row)
    header = ["front-end", "features", "MACs / example", "parameters",
              "forward, ms / batch (min / median)", "forward + backward, ms / batch (min / median)"]
    return markdown_table(header, rows)


def fit_table(*, seeds: int) -> str:
    rows = []
    for n, radices in FITS:
        target = np.fft.fft(np.eye(n), norm="ortho", axis=0)
        errors, times = [], []
        for seed in range(seeds):
            config = GradientFitConfig(permutation="bitrev", radices=radices, seed=seed)
            result = fit_factorization(target, config)
            errors.append(result.relative_error)
            times.append(result.seconds)
            used = tuple(result.details["radices"])
        order = ",".join(map(str, used)) + (" (default)" if radices is None else "")
        row = [str(n), order, str(result.nnz), f"{max(errors):.2e}", f"{np.median(errors):.2e}",
               f"{np.median(times):.2f}", f"{max(times):.2f}"]
        print(" | ".join(row), flush=True)
        rows.append(row)
    header = ["N", "radices", "nnz", "worst error", "median error", "median s / fit", "worst s / fit"]
    return markdown_table(header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    table = frontend_table(batch=args.batch, repeats=args.repeats) + "\n\n" + fit_table(seeds=args.seeds)
    notes = (
        f"Front-ends: batch {args.batch} frames of {FRAME} samples on CPU, {torch.get_num_threads()} torch "
        f"threads, min / median of {args.repeats} runs after 3 warm-ups; MACs: window + radix_macs (or "
        "butterfly_macs) on a real input with the kept outputs only + 2 per bin (1 MAC = 2 FLOPs). Fits: "
        "GradientFitConfig(permutation='bitrev') defaults (float64, Adam 150 steps then L-BFGS), the input "
        f"order the digit reversal of the radices, target np.fft.fft(np.eye(N), norm='ortho'), {args.seeds} "
        "seeds; error = ||M̂ - M||_F / ||M||_F. Load average (1 min) at the end: "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores."
    )
    print(notes)
    if not args.no_record:
        title = "Mixed-radix butterflies: front-end at 640, gradient fits of N = 12, 60"
        append_results(title, table, notes=notes)


if __name__ == "__main__":
    main()
