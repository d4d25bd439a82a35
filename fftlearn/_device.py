"""Device names: ``auto`` picks CUDA when present; everything also runs on the CPU."""

from __future__ import annotations

import re

import torch

from ._errors import ConfigError

_CUDA = re.compile(r"^cuda(?::(\d+))?$")


def resolve_device(name: str) -> torch.device:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N`` -> a usable ``torch.device``."""
    if name == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    match = _CUDA.match(name) if isinstance(name, str) else None
    if match is None:
        raise ConfigError("device", name, "must be auto, cpu, cuda or cuda:N")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    index = int(match.group(1) or 0)
    if index >= count:
        raise ConfigError("device", name, f"this machine has {count} CUDA device(s); use auto or cpu")
    return torch.device(f"cuda:{index}")
