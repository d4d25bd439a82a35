"""Recover hidden row and column permutations of a butterfly matrix, then factorize it exactly.

Problem: ``M = Pout · B · Pin`` where ``B = B_{L-1} ··· B_0`` (the bit reversal of the FFT is a
column permutation, so it is part of ``Pin``) has arbitrary twiddles (complex, real, non-unitary)
and the permutations are unknown. Nothing here is specific to one transform: the search uses
only the rank structure that the butterfly support forces on any matrix.

The structure (index bits ``i = (i_{L-1} .. i_0)`` of a row, ``j`` of a column): for every
``s = 1 .. L-1``, the block of ``B`` with rows sharing their low ``s`` bits and columns sharing
their high ``L - s`` bits has rank <= 1 (the path from column ``j`` to row ``i`` passes through
the single intermediate index ``(j_{>=s}, i_{<s})``). A labelling of rows and columns by bits is
therefore a pair of binary trees: rows split into halves (bit 0), quarters (bit 1), ...; columns
merge into pairs (bit 0), pairs of pairs (bit 1), ... . The search builds both trees level by
level:

1. *Pairs and halves.* For a candidate column pair ``(c, c')`` each row ``r`` gives a point
   ``(X[r, c] : X[r, c'])`` of the projective line, compared through its Bloch vector
   ``(|x|² - |y|², 2 Re(x ȳ), 2 Im(x ȳ)) / (|x|² + |y|²)`` (values, phases included; entries of
   equal magnitude, as in the DFT, are told apart). A true pair has exactly two points, each
   taken by half the rows, and the two classes are the row halves. All pairs of one level must
   induce the same halves, so valid pairs are grouped by the partition they induce and a group
   that is a perfect matching of the columns is chosen (the DFT has one, the Hadamard matrix
   one per direction; ``seed`` picks among them, and a dead end later backtracks).
2. *Reduce.* Each (half x pair) block is rank one, ``u vᴴ``; the ``u`` of all pairs form the
   next level's matrices, one per row half, of half the size, sharing one column set (the pairs).
3. When every tree is complete, ``M`` with rows and columns relabelled is a plain butterfly
   product, and the exact hierarchical solver (``_hierarchical.hierarchical_butterfly``, given
   the column order as its input permutation) factorizes it.

Cost: level ``k`` tests ``(N/2^k)²/2`` pairs on ``2^k`` matrices of ``N/2^k`` rows: ``O(N³)`` in
all, about a second at N = 256 in NumPy. ``recover_butterfly`` is the public entry point.
"""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np

from .._errors import ConfigError
from ..butterfly._butterfly import log2_exact
from ._hierarchical import hierarchical_butterfly
from ._product import SparseFactorization


@dataclasses.dataclass(frozen=True)
class ButterflyLabels:
    """Bit labels found by the search: ``B[row_labels[r], col_labels[c]] == M[r, c]``."""

    row_labels: np.ndarray  # (N,) int64, a permutation: row r of M is row row_labels[r] of B
    col_labels: np.ndarray  # (N,) int64, a permutation: column c of M is column col_labels[c] of B
    exact: bool  # every level had a consistent exact structure (False: completed arbitrarily)
    levels_found: int  # levels whose pairing and halves were found (log2 N when exact)
    branches: int  # how many level choices were tried (1 per level without backtracking)
    gave_up: bool  # the search stopped at max_branches level choices (a larger budget may succeed)

    @property
    def outcome(self) -> str:
        """One line: what the search found, or why it found no exact structure."""
        levels = self.row_labels.size.bit_length() - 1
        tried = f"{self.branches} level choice{'s' if self.branches != 1 else ''} tried"
        if self.exact:
            return f"exact butterfly structure at all {levels} levels ({tried})"
        reason = f"no exact butterfly structure past level {self.levels_found} of {levels} ({tried}"
        return reason + (", max_branches reached)" if self.gave_up else ")")


def bloch_vectors(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Unit Bloch vectors of the projective points ``(first : second)``, shape ``(..., 3)``.

    Two nonzero pairs ``(x, y)`` and ``(x', y')`` are proportional iff their Bloch vectors are
    equal; the map is continuous and needs no choice of chart, so it is stable when ``|x| = |y|``.
    A pair with ``x = y = 0`` gives NaNs (it matches nothing).
    """
    px, py = np.abs(first) ** 2, np.abs(second) ** 2
    cross = first * np.conj(second)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = px + py
        return np.stack([(px - py) / total, 2 * cross.real / total, 2 * np.imag(cross) / total], axis=-1)


def _pair_partitions(blocks: np.ndarray, tolerance: float) -> dict[bytes, list[tuple[int, int]]]:
    """Valid column pairs of ``blocks`` (``(m, n, n)``), grouped by the row halves they induce.

    A pair ``(c, c')`` is valid when, in every block, the rows take exactly two projective points
    ``(X[r, c] : X[r, c'])``, ``n/2`` rows each. The key is the packed membership of each block's
    rows in the class of its row 0 (so equal keys mean equal partitions in every block).
    """
    m, n, _ = blocks.shape
    groups: dict[bytes, list[tuple[int, int]]] = {}
    for c in range(n - 1):
        rest = np.arange(c + 1, n)
        first = np.broadcast_to(blocks[:, :, c : c + 1], (m, n, rest.size))  # (m, n, P)
        bloch = bloch_vectors(first, blocks[:, :, rest])  # (m, n, P, 3)
        distance0 = np.linalg.norm(bloch - bloch[:, :1], axis=-1)  # (m, n, P)
        in_first = distance0 < tolerance  # (m, n, P)
        ok = (in_first.sum(axis=1) == n // 2).all(axis=0)  # (P,)
        if not ok.any():
            continue
        other_row = np.argmin(in_first, axis=1)  # (m, P): a row of the second class
        other = np.take_along_axis(bloch, other_row[:, None, :, None], axis=1)  # (m, 1, P, 3)
        in_second = np.linalg.norm(bloch - other, axis=-1) < tolerance  # (m, n, P)
        ok &= (in_first ^ in_second).all(axis=(0, 1))
        for index in np.flatnonzero(ok):
            key = np.packbits(in_first[:, :, index]).tobytes()
            groups.setdefault(key, []).append((c, int(rest[index])))
    return groups


def _perfect_matching(pairs: list[tuple[int, int]], n: int) -> list[tuple[int, int]] | None:
    """A perfect matching of ``0..n-1`` made of ``pairs``, or None."""
    used = np.zeros(n, dtype=int)
    for a, b in pairs:
        used[a] += 1
        used[b] += 1
    if (used == 1).all():
        return sorted(pairs)
    if (used == 0).any():
        return None
    graph = nx.Graph(pairs)
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    if 2 * len(matching) != n:
        return None
    return sorted((min(a, b), max(a, b)) for a, b in matching)


def _reduce(
    blocks: np.ndarray, halves: np.ndarray, pairs: list[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Next level: the rank-one ``u`` of every (block half x pair) block.

    ``halves`` ``(m, n)`` bool marks half 0 of each block's rows. Returns the new blocks
    ``(2m, n/2, n/2)`` (block ``2a + h`` is half ``h`` of block ``a``) and the row order
    ``(m, n)``: for each old block, its half-0 rows then its half-1 rows (local indices).
    """
    m, n, _ = blocks.shape
    order = np.argsort(~halves, axis=1, kind="stable")  # (m, n): half 0 first
    ordered = np.take_along_axis(blocks, order[:, :, None], axis=1)  # (m, n, n)
    split = ordered.reshape(m, 2, n // 2, n)  # (m, 2, n/2, n)
    cols = np.asarray(pairs)  # (n/2, 2)
    sub = split[..., cols]  # (m, 2, n/2, n/2 pairs, 2)
    sub = np.moveaxis(sub, 3, 2)  # (m, 2, P, n/2, 2)
    gram = np.conj(np.swapaxes(sub, -1, -2)) @ sub  # (m, 2, P, 2, 2)
    _, vectors = np.linalg.eigh(gram)
    top = vectors[..., :, -1]  # (m, 2, P, 2): the dominant right singular vector
    u = np.einsum("...rk,...k->...r", sub, top)  # (m, 2, P, n/2)
    new = np.swapaxes(u, -1, -2).reshape(2 * m, n // 2, n // 2)  # (2m, n/2 rows, P)
    return new, order


class _Search:
    """Depth-first search over the level choices; one instance per call."""

    def __init__(self, matrix: np.ndarray, *, rng: np.random.Generator, tolerance: float, max_branches: int):
        self.n = matrix.shape[0]
        self.rng = rng
        self.tolerance = tolerance
        self.max_branches = max_branches
        self.branches = 0
        self.deepest = 0
        self.gave_up = False
        self.matrix = matrix

    def run(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """Rows and columns in tree order (see ``_labels_from_orders``) and whether the structure
        is exact. When it is not, the levels that have a consistent pairing keep it (first
        choice) and the others are completed arbitrarily (consecutive pairs, first rows)."""
        blocks = self.matrix[None].astype(np.complex128)  # (1, N, N)
        rows = np.arange(self.n)[None]  # (1, N): original rows of each block, in order
        columns = [np.array([c]) for c in range(self.n)]  # original columns of each group
        found = self._descend(blocks, rows, columns, 0)
        if found is not None:
            return found[0], found[1], True
        found = self._descend(blocks, rows, columns, 0, approximate=True)
        assert found is not None  # the approximate descent always completes
        return found[0], found[1], False

    def _descend(
        self,
        blocks: np.ndarray,
        rows: np.ndarray,
        columns: list[np.ndarray],
        level: int,
        *,
        approximate: bool = False,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Try every consistent pairing of this level (seeded order), recursing into the next.
        ``approximate``: take the first consistent pairing, or an arbitrary one if none."""
        m, n, _ = blocks.shape
        if n == 1:
            return rows.reshape(-1), columns[0]
        arbitrary = np.zeros((m, n), dtype=bool)
        arbitrary[:, : n // 2] = True
        choices = []  # (pairs, halves) in the order to try
        if n == 2:  # two rows and two columns: any split is rank one
            choices.append(([(0, 1)], arbitrary))
        else:
            groups = _pair_partitions(blocks, self.tolerance)
            keys = list(groups)
            self.rng.shuffle(keys)
            for key in keys:
                pairs = _perfect_matching(groups[key], n)
                if pairs is not None:
                    bits = np.unpackbits(np.frombuffer(key, dtype=np.uint8), count=m * n)
                    choices.append((pairs, bits.reshape(m, n).astype(bool)))
        if approximate:
            choices = choices[:1] or [([(2 * p, 2 * p + 1) for p in range(n // 2)], arbitrary)]
        for pairs, halves in choices:
            if not approximate:
                if self.branches >= self.max_branches:
                    self.gave_up = True  # a choice left untried: a larger budget may succeed
                    return None
                self.branches += 1
                self.deepest = max(self.deepest, level + 1)
            new_blocks, order = _reduce(blocks, halves, pairs)
            new_rows = np.take_along_axis(rows, order, axis=1).reshape(2 * m, n // 2)
            new_columns = [np.concatenate([columns[a], columns[b]]) for a, b in pairs]
            found = self._descend(new_blocks, new_rows, new_columns, level + 1, approximate=approximate)
            if found is not None:
                return found
        return None


def _labels_from_orders(row_order: np.ndarray, column_order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row labels (bit k = the half taken at level k) and column labels (position in the tree).

    ``row_order`` lists the rows leaf by leaf with the level-0 half as the *outermost* split, so
    leaf position ``q`` has bit ``k`` of the label at bit ``L-1-k`` of ``q``: bit reversal.
    ``column_order`` lists the columns with the level-0 pairing innermost: position = label.
    """
    n = row_order.size
    levels = log2_exact(n)
    position = np.arange(n)
    reversed_position = np.zeros(n, dtype=np.int64)
    for bit in range(levels):
        reversed_position |= ((position >> bit) & 1) << (levels - 1 - bit)
    row_labels = np.empty(n, dtype=np.int64)
    row_labels[row_order] = reversed_position
    col_labels = np.empty(n, dtype=np.int64)
    col_labels[column_order] = position
    return row_labels, col_labels


def find_butterfly_labels(
    matrix: np.ndarray, *, seed: int = 0, tolerance: float = 1e-6, max_branches: int = 64
) -> ButterflyLabels:
    """Row and column bit labels under which ``matrix`` is a butterfly product (see module doc).

    ``tolerance``: distance between unit Bloch vectors below which two rows count as the same
    projective point. ``max_branches``: level choices tried before giving up (backtracking).
    When no exact structure exists (``exact=False``) the labels keep the first consistent
    pairing of every level that has one and complete the others arbitrarily.
    """
    matrix = _check_matrix(matrix)
    if not 0 < tolerance < 1:
        raise ConfigError("tolerance", tolerance, "must be in (0, 1)")
    if isinstance(max_branches, bool) or not isinstance(max_branches, int) or max_branches < 1:
        raise ConfigError("max_branches", max_branches, "must be an integer >= 1")
    search = _Search(matrix, rng=np.random.default_rng(seed), tolerance=tolerance, max_branches=max_branches)
    row_order, column_order, exact = search.run()
    row_labels, col_labels = _labels_from_orders(row_order, column_order)
    levels = log2_exact(matrix.shape[0]) if exact else search.deepest
    gave_up = search.gave_up and not exact
    return ButterflyLabels(row_labels, col_labels, exact, levels, search.branches, gave_up)


def recover_butterfly(
    matrix: np.ndarray, *, seed: int = 0, tolerance: float = 1e-6, max_branches: int = 64
) -> SparseFactorization:
    """Factorize ``matrix = Pout · B_{L-1} ··· B_0 · Pin`` with the permutations unknown.

    Finds row and column labels (``find_butterfly_labels``) and factorizes under them
    (``factorize_labelled``: ``log2 N`` butterfly factors, ``2 N log2 N`` nonzeros).
    ``matrix``: ``(N, N)`` real or complex, ``N`` a power of two >= 2; real input gives real
    factors. If no exact structure is found (controls such as random Gaussian matrices) the
    result is the hierarchical projection under the partial structure found (see
    ``find_butterfly_labels``), whose error stays high; the label says which happened.
    """
    labels = find_butterfly_labels(matrix, seed=seed, tolerance=tolerance, max_branches=max_branches)
    return factorize_labelled(matrix, labels)


def factorize_labelled(matrix: np.ndarray, labels: ButterflyLabels) -> SparseFactorization:
    """The butterfly factorization of ``matrix`` ``(N, N)`` under ``labels``: the rows
    relabelled and the column order as input permutation go to the exact hierarchical solver
    (``_hierarchical.hierarchical_butterfly``); the row labels become the output permutation."""
    matrix = _check_matrix(matrix)
    n = matrix.shape[0]
    if labels.row_labels.shape != (n,) or labels.col_labels.shape != (n,):
        raise ConfigError("labels", labels.row_labels.shape, f"must label {n} rows and {n} columns")
    rows_relabelled = np.empty_like(matrix)
    rows_relabelled[labels.row_labels] = matrix  # row i = row row_labels^-1(i) of M
    input_permutation = np.empty(n, dtype=np.int64)
    input_permutation[labels.col_labels] = np.arange(n)  # column j of B is this column of M
    inner = hierarchical_butterfly(rows_relabelled, input_permutation=input_permutation)
    return SparseFactorization(
        factors=inner.factors,
        input_permutation=inner.input_permutation,
        output_permutation=labels.row_labels.astype(np.int64),
        label=f"butterfly, searched permutations, hierarchical: {labels.outcome}",
    )


def _check_matrix(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ConfigError("matrix", matrix.shape, "must be a square (N, N) array")
    n = matrix.shape[0]
    if n < 2 or n & (n - 1):
        raise ConfigError("matrix", matrix.shape, "N must be a power of two >= 2")
    if not np.isfinite(matrix).all():
        raise ConfigError("matrix", "non-finite entries", "must be finite")
    return matrix.astype(np.complex128) if np.iscomplexobj(matrix) else matrix.astype(np.float64)
