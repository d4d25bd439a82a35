"""Compute per example, in multiply-accumulates (MACs; 1 MAC = 2 FLOPs).

Convention: the multiplies of every linear map count (kernels, FIR taps, FFT butterflies,
Linear layers), as do the multiplies that belong to a transform (window, squared magnitude) and
2 per feature for a normalisation; elementwise nonlinearities (abs, log, ReLU, sqrt) count 0.
Each module states its count in ``macs_per_example``; dense modules are cross-checked against
``torch.utils.flop_counter`` (which counts FFTs and elementwise ops as 0).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_macs(model: nn.Module) -> int:
    """MACs for one example, from the module's own analytic count."""
    count = getattr(model, "macs_per_example", None)
    if count is None:
        raise TypeError(f"{type(model).__name__} has no macs_per_example()")
    return int(count())


def flop_counter_flops(module: nn.Module, example: torch.Tensor) -> int:
    """FLOPs that ``torch.utils.flop_counter`` counts for ``module(example)``, per example.

    ``example`` has a leading batch dimension; the total is divided by the batch size.
    """
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(example)
    return counter.get_total_flops() // example.shape[0]
