"""Each data split's tensors on a device, copied there once per process.

A study's worker trains many candidates on the same splits (``nas`` caches them per process),
and every trial scores the validation split after each epoch and the test split at the end:
copying the frames to a GPU each time is wasted. ``on_device`` keeps one copy per (split,
device) for as long as the ``LabelledFrames`` object lives: its entry is dropped when the
object is garbage-collected (``weakref.finalize``), so the cache never outlives its data and an
``id`` is never reused while cached. ``clear_device_cache`` frees the copies sooner.

A split's arrays must not be changed in place after its first ``on_device`` call (on the CPU
the tensors share their memory; on a GPU the copy would go stale).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import torch

from ..data._tasks import LabelledFrames


@dataclass(frozen=True)
class DeviceSplit:
    """A split's frames and labels on one device."""

    frames: torch.Tensor  # (n, frame_length) float32
    labels: torch.Tensor  # (n,) int64


@dataclass(frozen=True)
class DeviceCacheInfo:
    """What ``on_device`` did in this process (as ``functools.lru_cache``'s ``cache_info``)."""

    copies: int  # splits copied to a device (misses)
    hits: int  # calls answered from the cache
    held: int  # copies held now


_CACHE: dict[tuple[int, str], DeviceSplit] = {}
_COUNTS = {"copies": 0, "hits": 0}


def _device_name(device: torch.device) -> str:
    """``cuda`` and ``cuda:0`` (when 0 is the current GPU) name one device: one cache entry."""
    if device.type == "cuda" and device.index is None:
        return f"cuda:{torch.cuda.current_device()}"
    return str(device)


def on_device(data: LabelledFrames, *, device: torch.device) -> DeviceSplit:
    """``data``'s frames ``(n, N)`` and labels ``(n,)`` on ``device``: copied on the first call
    for this (split, device), the same tensors on every later call."""
    key = (id(data), _device_name(device))
    split = _CACHE.get(key)
    if split is not None:
        _COUNTS["hits"] += 1
        return split
    split = DeviceSplit(
        frames=torch.from_numpy(data.frames).to(device), labels=torch.from_numpy(data.labels).to(device)
    )
    _CACHE[key] = split
    weakref.finalize(data, _CACHE.pop, key, None)  # the copy goes with its split
    _COUNTS["copies"] += 1
    return split


def device_cache_info() -> DeviceCacheInfo:
    """Copies made, calls answered from the cache, and copies held, in this process."""
    return DeviceCacheInfo(copies=_COUNTS["copies"], hits=_COUNTS["hits"], held=len(_CACHE))


def clear_device_cache() -> None:
    """Drop every device copy now (the next ``on_device`` call copies again)."""
    _CACHE.clear()
