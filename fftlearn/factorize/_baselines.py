"""The two baselines of the literature, at the butterfly budget of ``2 N log2 N`` nonzeros.

A factorization that recovers the FFT has ``2 N log2 N`` nonzeros; these two spend the same
budget without any fast structure (Dao et al., arXiv 1903.05895, compare against both). For
``N`` not a power of two the budget is the mixed-radix FFT's at the default radix order,
``N·sum(p)`` over the prime factors ``p`` of ``N``, and the rank is their count (both equal
``2 N log2 N`` and ``log2 N`` for a power of two):

- ``top_entries_baseline``: the ``budget`` largest-magnitude entries of the matrix, one factor.
- ``low_rank_baseline``: the truncated SVD of rank ``log2 N``, ``U_r · (S_r V_rᴴ)``, as two
  square factors: ``F[0]`` holds ``S_r V_rᴴ`` in its first ``r`` rows (the other rows are
  empty) and ``F[1]`` holds ``U_r`` in its first ``r`` columns, so ``F[1] F[0] = U_r S_r V_rᴴ``
  and the stored nonzeros are ``2 N r`` (``2 N log2 N`` at the default rank; fewer when ``U`` or
  ``V`` happen to hold exact zeros, as the SVD of a matrix with repeated singular values can). Padding to
  ``(N, N)`` costs nothing: the empty rows and columns hold no nonzeros. By Eckart–Young this is
  the best rank-``r`` approximation in Frobenius norm.

Both return a ``SparseFactorization`` with identity permutations.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from .._errors import ConfigError
from .._validate import check_int
from ..butterfly._radix import prime_factors
from ._product import SparseFactorization


def top_entries_baseline(matrix: np.ndarray, *, budget: int | None = None) -> SparseFactorization:
    """One sparse factor holding the ``budget`` largest-magnitude entries of ``matrix`` ``(N, N)``.

    ``budget`` defaults to ``2 N log2 N``; ties are broken by position (row-major), so the result
    is deterministic. Exact zeros are never kept, so ``nnz <= budget``.
    """
    dense = _check_matrix(matrix)
    n = dense.shape[0]
    budget = _default_budget(n) if budget is None else check_int("budget", budget, low=1, high=n * n)
    flat = dense.ravel()
    order = np.argsort(-np.abs(flat), kind="stable")[:budget]
    order = order[flat[order] != 0]
    rows, cols = np.divmod(order, n)
    factor = scipy.sparse.csr_matrix((flat[order], (rows, cols)), shape=(n, n))
    identity = np.arange(n, dtype=np.int64)
    return SparseFactorization(
        factors=(factor,),
        input_permutation=identity,
        output_permutation=identity.copy(),
        label=f"top {budget} entries by magnitude",
    )


def low_rank_baseline(matrix: np.ndarray, *, rank: int | None = None) -> SparseFactorization:
    """The truncated SVD of rank ``rank`` (default ``log2 N``; for other ``N`` the count of its
    prime factors) as two padded square factors.

    ``F[0]`` (``(N, N)``, rows ``0..r-1`` = ``S_r V_rᴴ``, ``r N`` nonzeros) is applied first,
    then ``F[1]`` (``(N, N)``, columns ``0..r-1`` = ``U_r``, ``N r`` nonzeros); see the module
    docstring. Real matrices give real factors.
    """
    dense = _check_matrix(matrix)
    n = dense.shape[0]
    rank = max(1, len(prime_factors(n))) if rank is None else check_int("rank", rank, low=1, high=n)
    u, s, vh = np.linalg.svd(dense)
    left = np.zeros_like(u)
    left[:, :rank] = u[:, :rank]  # (N, N): U_r in the first r columns
    right = np.zeros_like(vh)
    right[:rank] = s[:rank, None] * vh[:rank]  # (N, N): S_r V_r^H in the first r rows
    identity = np.arange(n, dtype=np.int64)
    return SparseFactorization(
        factors=(scipy.sparse.csr_matrix(right), scipy.sparse.csr_matrix(left)),
        input_permutation=identity,
        output_permutation=identity.copy(),
        label=f"truncated SVD, rank {rank}",
    )


def _default_budget(n: int) -> int:
    return n * sum(prime_factors(n)) if n > 1 else 2  # 2 N log2 N for a power of two


def _check_matrix(matrix: object) -> np.ndarray:
    """``matrix`` as a finite square float64/complex128 array; ``ConfigError`` naming ``matrix``."""
    dense = np.asarray(matrix)
    square = dense.ndim == 2 and dense.shape[0] == dense.shape[1] and dense.size > 0
    if dense.dtype.kind not in "biufc" or not square:
        raise ConfigError("matrix", dense.shape, "must be a non-empty square numeric matrix")
    dense = dense.astype(np.complex128 if np.iscomplexobj(dense) else np.float64)
    if not np.all(np.isfinite(dense)):
        raise ConfigError("matrix", dense.shape, "must hold finite values only")
    return dense
