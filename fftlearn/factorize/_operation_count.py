"""The real operation count of a factorization applied to one vector: ``operation_count``.

Weights are kept as in the dataflow graph (``_graph.kept_factors``: ``|w| <= tol · max|F[k]|``
dropped); permutations only relabel values and cost nothing. Reference counts of the dense
matrix and of the FFTs: ``_flops``.

**Rule** (real additions + real multiplications, one vector, trivial ones removed).
Every value is tracked as having a real part, an imaginary part, or both (a real input has no
imaginary part). Per factor:

1. *Products.* In each column ``j``, weights equal up to a factor ±1, ±i (``w`` and ``-w`` of a
   butterfly) share one product ``w · x_j``. A product needs one real multiplication per
   partial product (weight component × value component) whose weight component is not ±1, and
   ``P - 1`` additions to combine the ``P`` partials of each of its parts. So complex × complex
   = 4 multiplications + 2 additions = 6; real × complex = 2; ±1 and ±i are free (a sign or a
   swap of parts); an exact 0 is no weight at all. With ``cheap_eighth_roots``, a weight
   ``a·(±1 ± i)`` (equal real and imaginary magnitudes, ``a ≠ 1``; the eighth roots of unity
   ``(±1 ± i)/√2`` among them) costs one real multiplication per value part plus the additions:
   ``a(1 + i)(x + iy) = a(x − y) + i·a(x + y)``, 2 + 2 = 4 instead of 6 (the textbook
   convention of ``5 n log2 n − 10 n + 16`` and of split radix; off by default, the convention of
   ``radix2_flops`` and ``radix4_flops``).
2. *Sums.* Output ``i`` adds its terms: ``(r - 1) + (m - 1)`` additions when ``r`` terms have a
   real part and ``m`` an imaginary part (complex ± complex = 2, real + complex = 1).
3. *Scale.* A factor may be written ``c · F'`` with ``c > 0`` the most frequent magnitude among
   its weights' real and imaginary parts (if it occurs at least twice): whichever of ``F`` and
   ``F'`` costs less is counted. All such scales multiply into one global constant, which is not
   counted, as in every published FFT count (a unitary and an unnormalized FFT cost the same).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from .._errors import ConfigError
from ._graph import kept_factors
from ._product import SparseFactorization


def operation_count(
    factorization: SparseFactorization,
    *,
    tol: float = 1e-12,
    complex_input: bool | None = None,
    cheap_eighth_roots: bool = False,
) -> int:
    """Real operations to apply ``factorization`` to one vector (rule: the module docstring).

    ``complex_input``: whether the input vector is complex; default: complex when any factor has
    a complex dtype (the DFT, also the DCT through the FFT), real otherwise (real factors).
    ``cheap_eighth_roots``: count ``a·(±1 ± i)`` as 2 multiplications + 2 additions, not 6.
    The count is of the factors as given; the fewest over the diagonal scalings that keep the
    product: ``fewest_operation_count`` (``_rescale``).
    """
    if not isinstance(cheap_eighth_roots, bool):
        raise ConfigError("cheap_eighth_roots", cheap_eighth_roots, "must be true or false")
    kept = kept_factors(factorization, tol=tol)
    if complex_input is None:
        complex_input = any(np.iscomplexobj(factor.data) for factor in factorization.factors)
    has_real = np.ones(factorization.n, dtype=bool)
    has_imag = np.full(factorization.n, bool(complex_input))
    total = 0
    for factor in kept:
        ops, has_real, has_imag = _factor_operations(factor, has_real, has_imag, tol, cheap_eighth_roots)
        total += ops
    return total


def _factor_operations(
    factor: scipy.sparse.csr_matrix, has_real: np.ndarray, has_imag: np.ndarray, tol: float, cheap: bool
) -> tuple[int, np.ndarray, np.ndarray]:
    """Cost of one factor given which parts its inputs have; and which parts its outputs have."""
    n = factor.shape[0]
    if factor.nnz == 0:
        return 0, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    coo = factor.tocoo()
    weights = coo.data.astype(np.complex128)
    best = _operations_at_scale(coo.row, coo.col, weights, has_real, has_imag, tol, n, cheap)
    parts = np.abs(np.concatenate([weights.real, weights.imag]))
    parts = parts[parts > tol * np.abs(weights).max()]  # nonzero real and imaginary parts
    _, first, counts = np.unique(_quantize(parts, tol * parts.max()), return_index=True, return_counts=True)
    if counts.size and counts.max() >= 2:  # the most frequent magnitude, smallest on ties
        scale = float(parts[first[np.argmax(counts)]])
        scaled = _operations_at_scale(coo.row, coo.col, weights / scale, has_real, has_imag, tol, n, cheap)
        best = min(best, scaled, key=lambda result: result[0])
    return best


def _quantize(values: np.ndarray, step: float) -> np.ndarray:
    return np.round(values / step) if step > 0 else values


def _operations_at_scale(
    rows: np.ndarray,
    cols: np.ndarray,
    weights: np.ndarray,
    has_real: np.ndarray,
    has_imag: np.ndarray,
    tol: float,
    n: int,
    cheap: bool = False,
) -> tuple[int, np.ndarray, np.ndarray]:
    threshold = tol * np.abs(weights).max()
    real, imag = _snap(weights.real, threshold), _snap(weights.imag, threshold)
    # canonical representative of w up to ±1, ±i: rotate into re > 0, im >= 0
    quadrant = [(real > 0) & (imag >= 0), (real <= 0) & (imag > 0), (real < 0) & (imag <= 0)]
    rep_real = np.select(quadrant, [real, imag, -real], default=-imag)
    rep_imag = np.select(quadrant, [imag, -real, -imag], default=real)
    x_real, x_imag = has_real[cols], has_imag[cols]
    x_parts = x_real.astype(np.int64) + x_imag
    w_imag = rep_imag != 0
    trivial = (rep_real == 1) & ~w_imag
    multiplies = (rep_real != 1) * x_parts + (w_imag & (rep_imag != 1)) * x_parts
    if cheap:  # a·(1 + i): one real multiplication by a per value part
        eighth = w_imag & (rep_real != 1) & (np.abs(rep_real - rep_imag) <= threshold)
        multiplies = np.where(eighth, x_parts, multiplies)
    partial_real = x_real.astype(np.int64) + (w_imag & x_imag)
    partial_imag = x_imag.astype(np.int64) + (w_imag & x_real)
    inner_adds = np.maximum(partial_real - 1, 0) + np.maximum(partial_imag - 1, 0)
    cost = np.where(trivial, 0, multiplies + inner_adds)
    keys = np.stack([cols, _quantize(rep_real, threshold), _quantize(rep_imag, threshold)], axis=1)
    _, first = np.unique(keys, axis=0, return_index=True)  # one product per (column, class)
    products = int(cost[first].sum())
    term_real = ((real != 0) & x_real) | ((imag != 0) & x_imag)  # parts of the value w · x_j
    term_imag = ((real != 0) & x_imag) | ((imag != 0) & x_real)
    count_real = np.bincount(rows, weights=term_real, minlength=n).astype(np.int64)
    count_imag = np.bincount(rows, weights=term_imag, minlength=n).astype(np.int64)
    sums = int(np.maximum(count_real - 1, 0).sum() + np.maximum(count_imag - 1, 0).sum())
    return products + sums, count_real > 0, count_imag > 0


def _snap(part: np.ndarray, threshold: float) -> np.ndarray:
    """Parts within ``threshold`` of 0 become 0, within ``threshold`` of ±1 become ±1."""
    snapped = np.where(np.abs(part) <= threshold, 0.0, part)
    return np.where(np.abs(np.abs(snapped) - 1) <= threshold, np.sign(snapped), snapped)
