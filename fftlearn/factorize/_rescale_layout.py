"""The block layout of a factorization and the multiplication cost of its columns, for
``_rescale`` (the search for the diagonal scalings with the fewest operations).

**Layout.** Each factor whose support is a union of disjoint full blocks (rows ``R_b`` ×
columns ``C_b``, all of one size ``r``; every Kronecker-sparse factor ``I ⊗ 1_{r×r} ⊗ I``, so
every butterfly and mixed-radix factor) is stored as ``rows`` ``(nb, r)``, ``cols`` ``(nb, r)``
and ``weights`` ``(nb, r, r)``, and column-wise as ``col_rows`` / ``col_weights`` ``(N, r)``
(entry ``e`` of column ``j``: row ``col_rows[j, e]``, weight ``col_weights[j, e]``).

**Node scales.** ``scales[k]`` (``(N,)`` complex, ``k = 0..L``) scales value ``i`` of layer
``k``: factor ``k``'s weight ``w[i, j]`` becomes ``w[i, j] · scales[k + 1][i] / scales[k][j]``,
which leaves the product unchanged while ``scales[0]`` and ``scales[L]`` are 1.

**Cost of a column** (``_operation_count``'s rule, complex values): the column's weights equal
up to ±1, ±i share one product; a class costs 0 (±1, ±i), 2 (real or imaginary: 2 real
multiplications), 4 (one part ±1, e.g. ``1 + i·t``: 2 multiplications + 2 additions; or
``a(1 + i)`` with ``cheap_eighth_roots``), 2 (``±1 ± i``: 2 additions) or 6 (4 + 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

EPS = 1e-9  # |part - 1| or |part| / |w| below this: the part counts as exactly 1 or 0


@dataclass(frozen=True)
class FactorBlocks:
    """One factor as ``nb`` disjoint full ``r × r`` blocks (see the module docstring)."""

    rows: np.ndarray  # (nb, r) row indices of block b
    cols: np.ndarray  # (nb, r) column indices of block b
    weights: np.ndarray  # (nb, r, r) complex: weights[b, a, c] = F[rows[b, a], cols[b, c]]
    col_rows: np.ndarray  # (N, r) rows of column j
    col_weights: np.ndarray  # (N, r) complex weights of column j
    row_block: np.ndarray  # (N,) the block that holds row i


def factor_blocks(factor: scipy.sparse.csr_matrix) -> FactorBlocks | None:
    """``factor`` as disjoint full blocks of one size, or ``None`` if it is not one."""
    n = factor.shape[0]
    coo = factor.tocoo()
    bipartite = scipy.sparse.coo_matrix((np.ones(coo.nnz), (coo.row, n + coo.col)), shape=(2 * n, 2 * n))
    _, label = scipy.sparse.csgraph.connected_components(bipartite, directed=False)
    row_ids, row_counts = np.unique(label[:n], return_counts=True)
    col_ids, col_counts = np.unique(label[n:], return_counts=True)
    if not (np.array_equal(row_ids, col_ids) and np.all(row_counts == row_counts[0])):
        return None
    blocks, r = row_ids.size, int(row_counts[0])
    if not np.all(col_counts == r) or coo.nnz != blocks * r * r:  # every block full
        return None
    order_rows = np.argsort(label[:n], kind="stable").reshape(blocks, r)
    order_cols = np.argsort(label[n:], kind="stable").reshape(blocks, r)
    position_row = np.empty(n, dtype=np.int64)
    position_row[order_rows.ravel()] = np.arange(n)
    position_col = np.empty(n, dtype=np.int64)
    position_col[order_cols.ravel()] = np.arange(n)
    weights = np.zeros((blocks, r, r), dtype=np.complex128)
    block_of, a, c = position_row[coo.row] // r, position_row[coo.row] % r, position_col[coo.col] % r
    weights[block_of, a, c] = coo.data
    col_rows = np.empty((n, r), dtype=np.int64)
    col_weights = np.empty((n, r), dtype=np.complex128)
    col_rows[order_cols] = order_rows[:, None, :]  # (nb, r columns) <- (nb, 1, r rows)
    col_weights[order_cols] = weights.transpose(0, 2, 1)
    row_block = np.empty(n, dtype=np.int64)
    row_block[order_rows] = np.arange(blocks)[:, None]
    return FactorBlocks(order_rows, order_cols, weights, col_rows, col_weights, row_block)


def canonical(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real and imaginary parts of each value rotated by a power of ``i`` into ``re > 0,
    im >= 0`` (0 stays 0), after parts below ``EPS`` of its magnitude are set to 0."""
    real, imag = values.real, values.imag
    size = np.hypot(real, imag)
    a, b = np.abs(real), np.abs(imag)
    a = np.where(a <= EPS * size, 0.0, a)
    b = np.where(b <= EPS * size, 0.0, b)
    # quadrants 1 and 3 keep (|re|, |im|); 2 and 4 (and the imaginary axis) swap them
    swap = ((real < 0) != (imag < 0)) & (a > 0) & (b > 0) | ((a == 0) & (b > 0))
    return np.where(swap, b, a), np.where(swap, a, b)


def entry_cost(real: np.ndarray, imag: np.ndarray, cheap_eighth_roots: bool) -> np.ndarray:
    """Real operations of one product ``w · x`` (``x`` complex) for canonical parts of ``w``."""
    size = np.hypot(real, imag)
    re_one = np.abs(real - 1) <= EPS
    im_zero = imag <= EPS * size
    im_one = np.abs(imag - 1) <= EPS
    cost = np.where(im_zero, np.where(re_one, 0, 2), 2 * ~re_one + 2 * ~im_one + 2)
    if cheap_eighth_roots:
        eighth = ~im_zero & ~re_one & (np.abs(real - imag) <= EPS * size)
        cost = np.where(eighth, 4, cost)
    return np.where(size == 0, 0, cost)


def column_costs(values: np.ndarray, cheap_eighth_roots: bool) -> np.ndarray:
    """Multiplication cost of each column ``values[p]`` (``(P, r)``; 0 entries are no weights):
    the weights equal up to ±1, ±i share one product."""
    real, imag = canonical(values)  # (P, r) each
    cost = entry_cost(real, imag, cheap_eighth_roots)
    if values.shape[1] == 1:
        return cost[:, 0]
    scale = EPS * np.maximum(np.maximum(real, imag).max(axis=1, keepdims=True), 1e-300)  # (P, 1)
    keys = np.round(real / scale) + 1j * np.round(imag / scale)
    order = np.argsort(keys, axis=1)
    keys = np.take_along_axis(keys, order, axis=1)
    cost = np.take_along_axis(cost, order, axis=1)
    first = np.ones(keys.shape, dtype=bool)
    first[:, 1:] = keys[:, 1:] != keys[:, :-1]
    return (cost * first).sum(axis=1)


def scaled_columns(blocks: FactorBlocks, scale_in: np.ndarray, scale_out: np.ndarray) -> np.ndarray:
    """``(N, r)`` column weights of the factor under node scales ``scale_in`` (its input layer)
    and ``scale_out`` (its output layer)."""
    return blocks.col_weights * scale_out[blocks.col_rows] / scale_in[:, None]


def total_cost(layout: list[FactorBlocks], scales: list[np.ndarray], cheap_eighth_roots: bool) -> int:
    """Multiplication cost of all columns of all factors under ``scales`` (additions are fixed
    by the supports and not included)."""
    return int(
        sum(
            column_costs(scaled_columns(blocks, scales[k], scales[k + 1]), cheap_eighth_roots).sum()
            for k, blocks in enumerate(layout)
        )
    )
