"""The gradient fitter's loss on fixed probe rows, its exact error, and its target check."""

from __future__ import annotations

import numpy as np
import torch

from .._errors import ConfigError
from ..butterfly._radix import MAX_RADIX_N
from ._butterfly_model import ButterflyModel


class ProbeLoss:
    """``||model(rows) - targets||² / ||targets||²`` on fixed rows (identity or probes)."""

    def __init__(self, target: np.ndarray, *, probes: int, generator: torch.Generator, dtype: torch.dtype):
        n = target.shape[0]
        if probes >= n:
            columns = np.eye(n)
        else:  # real Gaussian probes: exact on them means exact (the model is complex-linear)
            columns = torch.randn(n, probes, generator=generator, dtype=torch.float64).numpy()
        self.rows = torch.from_numpy(np.ascontiguousarray(columns.T)).to(dtype)  # (K, N)
        self.targets = torch.from_numpy(np.ascontiguousarray((target @ columns).T)).to(dtype)  # (K, N)
        self.norm = float(torch.linalg.vector_norm(self.targets)) ** 2

    def __call__(self, model: ButterflyModel) -> torch.Tensor:
        residual = model(self.rows) - self.targets  # (K, N)
        return torch.linalg.vector_norm(residual) ** 2 / self.norm


def exact_relative_error(model: ButterflyModel, target: np.ndarray) -> float:
    """``||M̂ - M||_F / ||M||_F`` with ``M̂`` built from the identity (``O(N² log N)``)."""
    with torch.no_grad():
        eye = torch.eye(model.n, dtype=model.dtype)
        dense = model(eye).T.to(torch.complex128).numpy()  # (N, N): column j = M̂ e_j
    return float(np.linalg.norm(dense - target) / np.linalg.norm(target))


def validated_target(matrix: np.ndarray, *, power_of_two: bool) -> np.ndarray:
    """``matrix`` as a finite, nonzero ``(N, N)`` float64 or complex128 array (``N`` a power of
    two >= 2 when ``power_of_two``, else ``N`` in [2, MAX_RADIX_N]); ``ConfigError`` if not."""
    array = np.asarray(matrix)
    shape = array.shape
    square = len(shape) == 2 and shape[0] == shape[1] and shape[0] >= 2
    if power_of_two and not (square and shape[0] & (shape[0] - 1) == 0):
        raise ConfigError("matrix", shape, "must be a square (N, N) array with N a power of two >= 2")
    if not power_of_two and not (square and shape[0] <= MAX_RADIX_N):
        raise ConfigError("matrix", shape, f"must be a square (N, N) array with N in [2, {MAX_RADIX_N}]")
    if array.dtype.kind not in "biufc":
        raise ConfigError("matrix", str(array.dtype), "must hold real or complex numbers")
    array = array.astype(np.complex128 if np.iscomplexobj(array) else np.float64)
    if not np.all(np.isfinite(array)) or not np.any(array):
        raise ConfigError("matrix", "non-finite or all zero", "must hold finite numbers, not all zero")
    return array
