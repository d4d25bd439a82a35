"""The arithmetic precision a forward pass runs in: float32, or bfloat16 autocast on a GPU.

``"bfloat16"`` runs the forward pass and the loss under ``torch.autocast(device_type="cuda",
dtype=torch.bfloat16)``: matrix products and convolutions in bfloat16, reductions and the loss in
float32, weights, gradients and optimizer state in float32 (no loss scaling is needed: bfloat16
has float32's exponent range). On the CPU the option is off and float32 runs: most CPUs emulate
bfloat16 matrix products more slowly than they do float32, and an experiment file that asks for
bfloat16 must still run unchanged on a CPU worker of the same study. ``precision_on`` says which
precision runs, so that a trial can record it.
"""

from __future__ import annotations

import contextlib

import torch

from .._validate import check_choice

PRECISIONS = ("float32", "bfloat16")


def precision_on(precision: str, *, device: torch.device) -> str:
    """The precision that runs for ``precision`` on ``device``: ``"bfloat16"`` only on CUDA."""
    check_choice("precision", precision, PRECISIONS)
    return "bfloat16" if precision == "bfloat16" and device.type == "cuda" else "float32"


def precision_context(
    precision: str, *, device: torch.device
) -> contextlib.AbstractContextManager[object]:
    """The context a forward pass (and its loss) runs in: bfloat16 autocast where
    ``precision_on`` says bfloat16 runs, else no context at all (plain float32)."""
    if precision_on(precision, device=device) == "bfloat16":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
