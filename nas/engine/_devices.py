"""``--devices``: which device each local worker process trains on.

``all`` means every visible CUDA GPU (or the CPU on a machine without one); a comma list names
devices one by one (``cuda:0,cuda:1``, ``cpu``, ``auto``); a device may repeat to run several
workers on it. With ``--workers K`` the K workers go round the list.
"""

from __future__ import annotations

import re

from fftlearn import ConfigError

_CUDA = re.compile(r"^cuda(?::(\d+))?$")


def parse_devices(spec: str, *, cuda_count: int, workers: int | None = None) -> list[str]:
    """One device string per worker, e.g. ``["cuda:0", "cuda:1"]`` for ``"all"`` on 2 GPUs.

    ``cuda_count`` is the number of visible CUDA devices (``torch.cuda.device_count()``);
    ``workers`` (optional) is the number of workers wanted, dealt round the listed devices.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError("--devices", spec, "all, auto, cpu, cuda or a comma list such as cuda:0,cuda:1")
    text = spec.strip().lower()
    if text == "all":
        devices = [f"cuda:{index}" for index in range(cuda_count)] or ["cpu"]
    else:
        devices = [_one(name.strip(), spec, cuda_count) for name in text.split(",")]
    if workers is None:
        return devices
    return [devices[index % len(devices)] for index in range(workers)]


def _one(name: str, spec: str, cuda_count: int) -> str:
    if name == "cpu":
        return "cpu"
    if name == "auto":
        return "cuda:0" if cuda_count else "cpu"
    match = _CUDA.match(name)
    if match is None:
        raise ConfigError("--devices", spec, "each device must be cpu, auto, cuda or cuda:N")
    index = int(match.group(1) or 0)
    if index >= cuda_count:
        visible = f"cuda:0..cuda:{cuda_count - 1}" if cuda_count else "none (this machine has no CUDA GPU)"
        raise ConfigError("--devices", spec, f"{name} is not a visible GPU; visible: {visible}")
    return f"cuda:{index}"
