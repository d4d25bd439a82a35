"""A product of sparse factors with input and output permutations, and how close it is.

``M ≈ Pout · F[L-1] ··· F[1] · F[0] · Pin``: applying it to x permutes x by ``input_permutation``
(``x[input_permutation]``), applies ``F[0]`` first and ``F[L-1]`` last, then permutes the
result by ``output_permutation``. Every fitter in ``fftlearn.factorize`` returns one of these,
so errors, nonzeros, operation counts and the FFT-structure check are computed one way
(``_score.make_fit_result``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse

from .._errors import ConfigError


@dataclass(frozen=True)
class SparseFactorization:
    """``L`` sparse ``(N, N)`` factors (CSR, complex128 or float64) and two permutations."""

    factors: tuple[scipy.sparse.csr_matrix, ...]  # F[0] is applied first
    input_permutation: np.ndarray  # (N,) int64: x -> x[input_permutation]
    output_permutation: np.ndarray  # (N,) int64: y -> y[output_permutation]
    label: str = ""  # how it was made, e.g. "butterfly, bit-reversal, hierarchical"

    def __post_init__(self) -> None:
        if not self.factors:
            raise ConfigError("factors", 0, "must hold at least one factor")
        n = self.factors[0].shape[1]
        for index, factor in enumerate(self.factors):
            if factor.shape != (n, n):
                raise ConfigError(f"factors[{index}]", factor.shape, f"must be ({n}, {n})")
        for name in ("input_permutation", "output_permutation"):
            perm = getattr(self, name)
            if perm.shape != (n,) or not np.array_equal(np.sort(perm), np.arange(n)):
                raise ConfigError(name, perm.shape, f"must be a permutation of 0..{n - 1}")

    @property
    def n(self) -> int:
        return self.factors[0].shape[1]

    @property
    def nnz(self) -> int:
        """Stored nonzeros of all factors (exact zeros not counted)."""
        return int(sum(np.count_nonzero(f.data) for f in self.factors))

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``M̂ @ x`` for ``x`` of shape ``(N,)`` or ``(N, B)``."""
        y = np.asarray(x)[self.input_permutation]
        for factor in self.factors:
            y = factor @ y
        return y[self.output_permutation]

    def to_dense(self) -> np.ndarray:
        """The ``(N, N)`` matrix the factorization represents."""
        return self.apply(np.eye(self.n, dtype=np.result_type(*[f.dtype for f in self.factors])))


def relative_error(approximation: np.ndarray, target: np.ndarray) -> float:
    """``||A - M||_F / ||M||_F``."""
    return float(np.linalg.norm(approximation - target) / np.linalg.norm(target))


def rmse_per_real_entry(approximation: np.ndarray, target: np.ndarray) -> float:
    """Root mean square error over real entries (real and imaginary parts counted separately
    when either matrix is complex), as Dao et al. (arXiv 1903.05895) report it."""
    difference = np.asarray(approximation) - np.asarray(target)
    if np.iscomplexobj(difference):
        parts = np.concatenate([difference.real.ravel(), difference.imag.ravel()])
    else:
        parts = difference.ravel()
    return float(np.sqrt(np.mean(parts**2)))
