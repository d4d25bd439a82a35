"""A product of sparse factors with input and output permutations, and how close it is.

``M ≈ Pout · F[L-1] ··· F[1] · F[0] · Pin``: applying it to x permutes x by ``input_permutation``
(``x[input_permutation]``), applies ``F[0]`` first and ``F[L-1]`` last, then permutes the
result by ``output_permutation``. Every fitter in ``fftlearn.factorize`` returns one of these,
so errors, nonzeros, operation counts and the FFT-structure check are computed one way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class FitResult:
    """What every fitter reports (``fftnas fit --json`` prints these fields)."""

    relative_error: float  # ||M̂ - M||_F / ||M||_F
    rmse: float  # root mean square error per real entry (a complex entry counts as two)
    nnz: int  # nonzeros of all factors
    ops: int  # real arithmetic operations to apply it, trivial multiplications removed
    seconds: float  # wall-clock time of the fit
    recovered_fft_structure: bool  # error <= RECOVERY_TOLERANCE AND the graph is radix-2 Cooley-Tukey
    factorization: SparseFactorization = field(repr=False)
    details: dict[str, object] = field(default_factory=dict)  # fitter-specific figures


RECOVERY_TOLERANCE = 1e-6  # relative error under which a radix-2-shaped fit counts as recovered


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


def make_fit_result(
    factorization: SparseFactorization,
    target: np.ndarray,
    *,
    seconds: float,
    details: dict[str, object] | None = None,
) -> FitResult:
    """The ``FitResult`` of ``factorization`` against ``target``: errors, nonzeros, the real
    operation count and the FFT-structure verdict (both from ``fftlearn.factorize._graph``).

    ``recovered_fft_structure`` needs both: a dataflow graph isomorphic to the radix-2
    Cooley-Tukey graph AND a relative error <= ``RECOVERY_TOLERANCE`` (a control fitted on the
    butterfly supports has the right shape at a large error: not recovered). The shape alone is
    in ``details["radix2_graph"]``.
    """
    from ._graph import is_radix2_fft_graph, operation_count  # the dataflow-graph analysis

    dense = factorization.to_dense()
    error = relative_error(dense, target)
    shaped = is_radix2_fft_graph(factorization)
    return FitResult(
        relative_error=error,
        rmse=rmse_per_real_entry(dense, target),
        nnz=factorization.nnz,
        ops=operation_count(factorization),
        seconds=seconds,
        recovered_fft_structure=shaped and error <= RECOVERY_TOLERANCE,
        factorization=factorization,
        details={**(details or {}), "radix2_graph": shaped},
    )
