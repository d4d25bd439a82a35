"""Hierarchical exact butterfly factorization: support and input permutation known.

The method of Zheng, Riccietti and Gribonval (arXiv 2110.01230; pyfaust's
``fact.butterfly(M, type='bbtree', perm='bitrev')``). Given ``M`` (``(N, N)``) and a permutation
``perm`` (bit reversal by default), it writes

    M ≈ F[L-1] ··· F[1] · F[0] · P          (P x = x[perm], so F[L-1]···F[0] = M[:, perm])

with factor ``k`` supported on ``I_{N/(b_0···b_k)} ⊗ 1_{b_k×b_k} ⊗ I_{b_0···b_{k-1}}``: with all
radices ``b_k = 2`` (the default) these are the radix-2 butterfly supports of
``fftlearn.butterfly._butterfly.butterfly_factor_indices`` (2N nonzeros each, ``2 N log2 N`` in all);
other radices give radix-4 factors, Monarch-like pairs (``b = sqrt N``), mixed radices for any
composite ``N`` (``(4, 4, 5, 2, 2, 2)`` at 640), and so on.

A product of consecutive factors ``i..j`` has the Kronecker support ``I_a ⊗ 1_{s×s} ⊗ I_d``
(``s = b_i···b_j``, ``d = b_0···b_{i-1}``, ``a = N / (s d)``), stored compactly as an array
``(a, d, s, s)`` (entry ``[i, r3, r, c]`` is the matrix entry at row ``i·s·d + r·d + r3`` and
column ``i·s·d + c·d + r3``). Splitting it into a left part (``s1 = b_{m+1}···b_j``) times a
right part (``s2 = b_i···b_m``) decouples into ``N`` independent ``s1 × s2`` blocks that must be
rank one: writing ``r = (r1, r2)`` and ``c = (c1, c2)``, the entries ``[i, r3, (r1, r2), (c1, c2)]``
with fixed ``(i, r2, r3, c1)`` are ``left[r1, c1] · right[r2, c2]``. Each block gets its best
rank-one approximation, so the split is exact whenever ``M`` has such a factorization, and the
recursion over a balanced binary tree of splits ends at the single factors.

Fast path: all blocks of a split are one stacked array; each block gets one power-iteration
step from its largest column, certified rank one (relative residual below ``RANK_ONE_TOL``),
and only the blocks that fail go to a batched ``numpy.linalg.svd``. No Python loop over blocks.
``hierarchical_butterfly_reference`` is the slow twin: dense ``(N, N)`` matrices, the supports as
boolean masks, one ``numpy.linalg.svd`` per block in a loop. Both fix the free phase of every
rank-one pair the same way, so they return the same factors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse

from .._errors import ConfigError
from ..butterfly._butterfly import bit_reversal_permutation
from ..butterfly._radix import MAX_RADIX_N, check_radices, default_radices, digit_reversal_permutation
from ._product import SparseFactorization

TREES = ("balanced", "left", "right")
# A block whose rank-one residual is below this fraction of its norm skips the SVD. The power
# step's excess error over the best rank-one approximation is second order in this, so 1e-6
# leaves the answer within rounding of the SVD's; the residual is read from
# ||B||^2 - ||B v||^2, which resolves about 1e-8, so the bound must stay well above that.
RANK_ONE_TOL = 1e-6


def _validated(
    matrix: np.ndarray,
    input_permutation: np.ndarray | None,
    tree: str,
    radices: Sequence[int] | None,
) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """The matrix as float64/complex128, the permutation as int64 and the radices, or
    ``ConfigError`` naming the bad argument."""
    array = np.asarray(matrix)
    shape = array.shape
    n = shape[0] if len(shape) == 2 else 0
    if len(shape) != 2 or shape[0] != shape[1] or not 2 <= n <= MAX_RADIX_N:
        raise ConfigError("matrix", shape, f"must be a square (N, N) array with 2 <= N <= {MAX_RADIX_N}")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise ConfigError("matrix", str(array.dtype), "must hold real or complex numbers")
    array = array.astype(np.complex128 if np.iscomplexobj(array) else np.float64, copy=False)
    if not np.isfinite(array.sum()) and not np.isfinite(array).all():  # the sum: one cheap pass
        raise ConfigError("matrix", "non-finite entries", "must hold finite numbers only")
    if tree not in TREES:
        raise ConfigError("tree", tree, f"must be one of {', '.join(TREES)}")
    radices = default_radices(n) if radices is None else check_radices(radices, n)
    if input_permutation is None:
        perm = digit_reversal_permutation(radices)
    else:
        perm = np.asarray(input_permutation)
        if (
            perm.shape != (n,)
            or not np.issubdtype(perm.dtype, np.integer)
            or not np.array_equal(np.sort(perm), np.arange(n))
        ):
            raise ConfigError("input_permutation", perm.shape, f"must be a permutation of 0..{n - 1}")
        perm = perm.astype(np.int64)
    return array, perm, radices


def _split_point(count: int, tree: str) -> int:
    """How many of ``count`` consecutive factors go to the right part of a split."""
    if tree == "left":
        return count - 1  # peel off the leftmost (last-applied) factor
    if tree == "right":
        return 1  # peel off the rightmost (first-applied) factor
    return count // 2


def _fix_phase(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fix the free phase of each rank-one pair ``outer(u[p], v[p])`` (``(..., m)``, ``(..., n)``):
    the first entry of ``v[p]`` with at least half its largest magnitude becomes real positive."""
    magnitude = np.abs(v)  # (..., n)
    first = np.argmax(magnitude >= 0.5 * magnitude.max(axis=-1, keepdims=True), axis=-1)  # (...,)
    pivot = np.take_along_axis(v, first[..., None], axis=-1)  # (..., 1)
    size = np.abs(pivot)
    phase = np.where(size > 0, pivot / np.where(size > 0, size, 1.0), 1.0)  # (..., 1), |phase| = 1
    return u * phase, v * np.conj(phase)


def _rank_one_svd(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best rank-one factors of each ``(m, n)`` block by SVD: ``blocks[p] ≈ outer(u[p], v[p])``,
    the singular value split evenly (``sqrt`` on each side)."""
    left, values, right = np.linalg.svd(blocks, full_matrices=False)
    root = np.sqrt(values[..., :1])  # (..., 1)
    return left[..., :, 0] * root, right[..., 0, :] * root


def _rank_one(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``u`` (``(..., m)``) and ``v`` (``(..., n)``) with ``outer(u[p], v[p])`` the best rank-one
    approximation of each block of ``blocks`` (``(..., m, n)``, any strides with a contiguous
    last axis), phases fixed by ``_fix_phase``.

    One power step from each block's largest column (three streaming passes over the blocks);
    the blocks it leaves with a relative residual above ``RANK_ONE_TOL`` are redone by SVD.
    """
    parts = blocks.view(np.float64)  # (..., m, n or 2n): real (and imaginary) parts
    column_energy = np.einsum("...mk,...mk->...k", parts, parts)  # (..., n or 2n), no temporaries
    if np.iscomplexobj(blocks):
        column_energy = column_energy.reshape(*column_energy.shape[:-1], -1, 2).sum(axis=-1)
    energy = column_energy.sum(axis=-1)  # (...,) squared Frobenius norms
    best = np.argmax(column_energy, axis=-1)[..., None, None]  # (..., 1, 1)
    start = np.take_along_axis(blocks, best, axis=-1)  # (..., m, 1): the largest column
    row = np.matmul(np.conj(start).swapaxes(-1, -2), blocks)[..., 0, :]  # (..., n): start^H B
    row_norm = np.sqrt(np.einsum("...k,...k->...", row.view(np.float64), row.view(np.float64)))
    row /= np.where(row_norm > 0, row_norm, 1.0)[..., None]  # unit right singular row v
    column = np.matmul(blocks, np.conj(row)[..., None])[..., 0]  # (..., m): B v^H = sigma u
    sigma_sq = np.einsum("...k,...k->...", column.view(np.float64), column.view(np.float64))
    residual_sq = energy - sigma_sq  # squared norm of the rows of B projected off v
    root = np.sqrt(np.sqrt(sigma_sq))[..., None]  # (..., 1): sqrt(sigma)
    u = column / np.where(root > 0, root, 1.0)  # sigma u / sqrt(sigma)
    v = row * root
    redo = residual_sq > RANK_ONE_TOL**2 * energy  # (...,) not certified rank one
    if redo.any():
        u[redo], v[redo] = _rank_one_svd(blocks[redo])
    return _fix_phase(u, v)


def _split(compact: np.ndarray, s1: int, s2: int) -> tuple[np.ndarray, np.ndarray]:
    """One two-factor split of a Kronecker-sparse matrix ``(a, d, s1·s2, s1·s2)`` into its left
    part ``(a, s2·d, s1, s1)`` and right part ``(a·s1, d, s2, s2)`` (see the module docstring)."""
    a, d = compact.shape[:2]
    blocks = compact.reshape(a, d, s1, s2, s1, s2)  # [i, r3, r1, r2, c1, c2]
    blocks = blocks.transpose(0, 3, 1, 4, 2, 5)  # view [i, r2, r3, c1, r1, c2]: (r1, c2) blocks
    u, v = _rank_one(blocks)  # (a, s2, d, s1, s1), (a, s2, d, s1, s2)
    left = u.transpose(0, 1, 2, 4, 3)  # [i, r2, r3, r1, c1]
    right = v.transpose(0, 3, 2, 1, 4)  # [i, c1, r3, r2, c2]
    left, right = left.reshape(a, s2 * d, s1, s1), right.reshape(a * s1, d, s2, s2)
    return np.ascontiguousarray(left), np.ascontiguousarray(right)


def _factor(compact: np.ndarray, radices: tuple[int, ...], tree: str) -> list[np.ndarray]:
    """The compact factors (first-applied first) of the product with these radices."""
    if len(radices) == 1:
        return [compact]
    cut = _split_point(len(radices), tree)
    s1, s2 = int(np.prod(radices[cut:])), int(np.prod(radices[:cut]))
    left, right = _split(compact, s1, s2)
    return _factor(right, radices[:cut], tree) + _factor(left, radices[cut:], tree)


def compact_to_csr(compact: np.ndarray) -> scipy.sparse.csr_matrix:
    """The ``(N, N)`` CSR matrix of a compact ``(a, d, b, b)`` Kronecker-sparse factor (all ``N·b``
    support entries stored, row by row in ascending column order)."""
    a, d, b, _ = compact.shape
    n = a * b * d
    block, col, lane = np.ix_(np.arange(a), np.arange(b), np.arange(d))
    columns = np.broadcast_to((block * b * d + col * d + lane)[:, None, :, :], (a, b, b, d))  # [i, r, c, r3]
    data = compact.transpose(0, 2, 3, 1)  # [i, r3, r, c] -> [i, r, c, r3]
    order = (0, 1, 3, 2)  # rows (i, r, r3), then c: ascending columns within a row
    indices = columns.transpose(order).reshape(-1).astype(np.int32)
    indptr = np.arange(0, n * b + 1, b, dtype=np.int32)
    return scipy.sparse.csr_matrix((data.transpose(order).reshape(-1), indices, indptr), shape=(n, n))


def _label(perm: np.ndarray, radices: tuple[int, ...], tree: str) -> str:
    power_of_two = not perm.size & (perm.size - 1)
    if power_of_two and np.array_equal(perm, bit_reversal_permutation(perm.size)):
        known = "bit-reversal"
    elif np.array_equal(perm, digit_reversal_permutation(radices)):
        known = "digit-reversal"
    else:
        known = "given"
    kind = "butterfly" if set(radices) == {2} else f"Kronecker-sparse radices {list(radices)}"
    return f"{kind}, {known} input permutation, hierarchical ({tree} tree)"


def hierarchical_butterfly(
    matrix: np.ndarray,
    *,
    input_permutation: np.ndarray | None = None,
    tree: str = "balanced",
    radices: Sequence[int] | None = None,
) -> SparseFactorization:
    """Factor ``matrix`` (``(N, N)``, real or complex) into Kronecker-sparse factors.

    ``M ≈ F[L-1] ··· F[0] · P`` with ``P x = x[input_permutation]`` (default: the digit reversal
    of ``radices``, the FFT's order; the bit reversal for radix 2) and ``F[k]`` on the support
    described in the module docstring. ``radices`` (ints >= 2, product ``N``) default to the
    prime factors of ``N`` ascending (``fftlearn.butterfly._radix.default_radices``): for a power
    of two exactly the radix-2 supports ``butterfly_factor_indices(N, k)``, 2N stored entries
    each. Exact (to rounding) whenever ``M`` has such a factorization, e.g. the DFT,
    its inverse, Hadamard, any product of butterfly factors; otherwise each split is the best
    one for its fixed supports (Zheng et al., arXiv 2110.01230). ``tree``: "balanced" splits
    the chain in halves (pyfaust's 'bbtree'), "left" / "right" peel one factor at a time off the
    last-applied / first-applied end. Returns factors as CSR, float64 or complex128 like ``M``.
    """
    array, perm, radices = _validated(matrix, input_permutation, tree, radices)
    n = array.shape[0]
    product = np.take(array, perm, axis=1)  # F[L-1]···F[0] = M P^T (np.take: faster than [:, perm])
    compact = product.reshape(1, 1, n, n)  # one (a=1, d=1, N, N) Kronecker block
    factors = tuple(compact_to_csr(part) for part in _factor(compact, radices, tree))
    return SparseFactorization(
        factors=factors,
        input_permutation=perm,
        output_permutation=np.arange(n, dtype=np.int64),
        label=_label(perm, radices, tree),
    )


def _kronecker_support(a: int, s: int, d: int) -> np.ndarray:
    """Boolean ``(a·s·d, a·s·d)`` mask of ``I_a ⊗ 1_{s×s} ⊗ I_d``."""
    return np.kron(np.kron(np.eye(a), np.ones((s, s))), np.eye(d)).astype(bool)


def hierarchical_butterfly_reference(
    matrix: np.ndarray,
    *,
    input_permutation: np.ndarray | None = None,
    tree: str = "balanced",
    radices: Sequence[int] | None = None,
) -> SparseFactorization:
    """Slow reference twin of ``hierarchical_butterfly`` (tests only): dense ``(N, N)`` matrices,
    supports as boolean masks, and for every middle index ``k`` of a split the block
    ``X[rows with left[:, k] in support, columns with right[k, :] in support]`` factored by its
    own ``numpy.linalg.svd`` in a Python loop. Same phase convention, so the same factors."""
    array, perm, radices = _validated(matrix, input_permutation, tree, radices)
    n = array.shape[0]

    def support(levels: range) -> np.ndarray:
        below = int(np.prod(radices[: levels.start]))
        span = int(np.prod(radices[levels.start : levels.stop]))
        return _kronecker_support(n // (span * below), span, below)

    def factor(x: np.ndarray, levels: range) -> list[np.ndarray]:
        if len(levels) == 1:
            return [x]
        cut = levels.start + _split_point(len(levels), tree)
        left_mask, right_mask = support(range(cut, levels.stop)), support(range(levels.start, cut))
        left, right = np.zeros_like(x), np.zeros_like(x)
        for k in range(n):
            rows, cols = np.flatnonzero(left_mask[:, k]), np.flatnonzero(right_mask[k, :])
            u, v = _fix_phase(*_rank_one_svd(x[np.ix_(rows, cols)]))
            left[rows, k], right[k, cols] = u, v
        return factor(right, range(levels.start, cut)) + factor(left, range(cut, levels.stop))

    dense_factors = factor(array[:, perm], range(len(radices)))
    return SparseFactorization(
        factors=tuple(scipy.sparse.csr_matrix(f) for f in dense_factors),
        input_permutation=perm,
        output_permutation=np.arange(n, dtype=np.int64),
        label=_label(perm, radices, tree) + ", reference",
    )
