"""Timing of a call on CPU or GPU: wall-clock on the CPU, CUDA events on a GPU."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


def seconds(fn: Callable[[], object], *, device: torch.device, number: int = 1) -> float:
    """Seconds that ``number`` calls of ``fn()`` take in all, the GPU work they queue included:
    on a GPU, between CUDA events recorded before the first call and after the last (queued
    work finished first), which is the wall time of the calls once the GPU has caught up."""
    if device.type != "cuda":
        start = time.perf_counter()
        for _ in range(number):
            fn()
        return time.perf_counter() - start
    with torch.cuda.device(device):
        torch.cuda.synchronize()
        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        begin.record()
        for _ in range(number):
            fn()
        end.record()
        end.synchronize()
    return begin.elapsed_time(end) / 1000.0  # ms -> s
