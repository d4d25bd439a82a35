"""Wall-clock timing of a call on CPU or GPU, waiting for queued GPU work before and after."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


def seconds(fn: Callable[[], object], *, device: torch.device, number: int = 1) -> float:
    """Wall seconds that ``number`` calls of ``fn()`` take in all, CUDA work included."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(number):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start
