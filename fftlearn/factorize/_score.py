"""Scoring a fit: ``FitResult`` and ``make_fit_result`` (errors, nonzeros, the real operation
count and the FFT-structure verdict of a ``SparseFactorization`` against its target).

``fit_factorization`` (``_fitter``) is the one place that times a fit and scores it here."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._operation_count import operation_count
from ._product import SparseFactorization, relative_error, rmse_per_real_entry
from ._radix_graph import fft_graph_radices


@dataclass(frozen=True)
class FitResult:
    """What every fitter reports (``fftnas fit --json`` prints these fields)."""

    relative_error: float  # ||M̂ - M||_F / ||M||_F
    rmse: float  # root mean square error per real entry (a complex entry counts as two)
    nnz: int  # nonzeros of all factors
    ops: int  # real arithmetic operations to apply it, trivial multiplications removed
    seconds: float  # wall-clock time of the fit
    recovered_fft_structure: bool  # error <= RECOVERY_TOLERANCE AND the graph is a Cooley-Tukey graph
    factorization: SparseFactorization = field(repr=False)
    details: dict[str, object] = field(default_factory=dict)  # fitter-specific figures
    fft_radices: tuple[int, ...] | None = None  # the radix order of that Cooley-Tukey graph, or None


RECOVERY_TOLERANCE = 1e-6  # relative error under which a Cooley-Tukey-shaped fit counts as recovered


def make_fit_result(
    factorization: SparseFactorization,
    target: np.ndarray,
    *,
    seconds: float,
    details: dict[str, object] | None = None,
) -> FitResult:
    """The ``FitResult`` of ``factorization`` against ``target``: errors, nonzeros, the real
    operation count (``_operation_count``) and the FFT-structure verdict (``_graph``).

    ``recovered_fft_structure`` needs both: a dataflow graph isomorphic to the Cooley-Tukey
    graph of some radix order (``fft_graph_radices``; the radix-2 graph for the butterfly) AND a
    relative error <= ``RECOVERY_TOLERANCE`` (a control fitted on the butterfly supports has the
    right shape at a large error: not recovered). The shape alone is in ``fft_radices`` (that
    order, or None) and ``details["radix2_graph"]`` (whether it is all 2s).
    """
    dense = factorization.to_dense()
    error = relative_error(dense, target)
    radices = fft_graph_radices(factorization)
    shaped = radices is not None
    return FitResult(
        relative_error=error,
        rmse=rmse_per_real_entry(dense, target),
        nnz=factorization.nnz,
        ops=operation_count(factorization),
        seconds=seconds,
        recovered_fft_structure=shaped and error <= RECOVERY_TOLERANCE,
        factorization=factorization,
        details={**(details or {}), "radix2_graph": shaped and set(radices) == {2}},  # type: ignore[arg-type]
        fft_radices=radices,
    )
