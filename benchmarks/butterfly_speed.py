"""Butterfly front-end vs the dense multiplicative front-end vs torch.fft.rfft: time and MACs.

For each transform size N (frames of N samples, a batch of 64), three front-ends with the same
N/2 + 1 output features: the learned butterfly (log2 N factors), the dense multiplicative
front-end (N + 2 learned kernels, paired into magnitudes) and the fixed STFT front-end with one
window (window, ``torch.fft.rfft``, magnitude). Times per batch are the minimum and the median of
``--repeats`` runs after warm-up (on a shared machine the minimum is the least disturbed):
forward under ``no_grad``, and forward + backward of ``output.sum()`` (to the learned
parameters; for the parameter-free rfft, to the input frames). MACs per example are
each module's analytic count (1 MAC = 2 FLOPs).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/butterfly_speed.py [--device cpu] [--repeats 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import append_results  # noqa: E402
from _timing import seconds

from fftlearn.frontends._butterfly import ButterflyConfig, ButterflyFrontEnd  # noqa: E402
from fftlearn.frontends._multiplicative import MultiplicativeConfig, MultiplicativeFrontEnd  # noqa: E402
from fftlearn.frontends._stft import STFTConfig, STFTFrontEnd  # noqa: E402


def front_ends(size: int) -> dict[str, nn.Module]:
    """The three front-ends for frames of ``size`` samples, each with ``size // 2 + 1`` features."""
    bins = size // 2 + 1
    return {
        "butterfly": ButterflyFrontEnd(ButterflyConfig(frame_length=size, size=size)),
        "dense multiplicative": MultiplicativeFrontEnd(
            MultiplicativeConfig(frame_length=size, n_kernels=2 * bins, pair_magnitude=True, init="dft")
        ),
        "torch.fft.rfft": STFTFrontEnd(STFTConfig(frame_length=size, n_fft=size, hop=size)),
    }


def time_ms(step: Callable[[], None], *, repeats: int, device: torch.device) -> tuple[float, float]:
    """Minimum and median wall milliseconds of ``step()`` over ``repeats`` runs after 3 warm-ups."""
    for _ in range(3):
        step()
    times = [seconds(step, device=device) * 1000 for _ in range(repeats)]
    return min(times), statistics.median(times)


def measure(
    module: nn.Module, frames: torch.Tensor, *, repeats: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(min, median) milliseconds per batch of the forward and of forward + backward."""
    has_params = any(p.requires_grad for p in module.parameters())
    inputs = frames if has_params else frames.clone().requires_grad_(True)

    def forward() -> None:
        with torch.no_grad():
            module(frames)

    def forward_backward() -> None:
        module.zero_grad(set_to_none=True)
        if inputs.grad is not None:
            inputs.grad = None
        module(inputs).sum().backward()

    return (
        time_ms(forward, repeats=repeats, device=frames.device),
        time_ms(forward_backward, repeats=repeats, device=frames.device),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    rows = [
        (
            "| N | front-end | features | MACs / example | MACs vs butterfly | parameters "
            "| forward, ms / batch (min / median) | forward + backward, ms / batch (min / median) |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size in args.sizes:
        frames = torch.randn(args.batch, size, device=device)
        modules = front_ends(size)
        base = modules["butterfly"].macs_per_example()
        for name, module in modules.items():
            module.to(device)
            forward, both = measure(module, frames, repeats=args.repeats)
            macs = module.macs_per_example()
            params = sum(p.numel() for p in module.parameters())
            row = (
                f"| {size} | {name} | {module.n_features} | {macs:,} | {macs / base:.2f}x | {params:,} "
                f"| {forward[0]:.3f} / {forward[1]:.3f} | {both[0]:.3f} / {both[1]:.3f} |"
            )
            rows.append(row)
            print(row, flush=True)
    table = "\n".join(rows)
    print()
    print(table)
    notes = (
        f"Batch {args.batch} frames, device {device.type}, {torch.get_num_threads()} torch threads, "
        f"min / median of {args.repeats} runs after 3 warm-ups. MACs: 1 MAC = 2 FLOPs; butterfly = window + "
        "butterfly_macs(N, real_input=True, n_outputs=N/2+1) + 2 per bin; dense = 2(N/2+1)·N + "
        "2 per bin; rfft = window + 1.25·N·log2 N + 2 per bin. Backward: learned front-ends to their "
        "parameters, rfft to its input. Load average (1 min) at the end: "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores."
    )
    print(notes)
    if not args.no_record:
        append_results(f"Butterfly front-end speed ({device.type})", table, notes=notes)


if __name__ == "__main__":
    main()
