"""Recover hidden row and column permutations of a Kronecker-sparse product, then factorize it.

Problem: ``M = Pout · B · Pin`` with ``B = F_{L-1} ··· F_0`` (the digit reversal of the FFT is a
column permutation, so it is part of ``Pin``), factor ``k`` on the support
``I_a ⊗ 1_{r_k×r_k} ⊗ I_d`` (``d = r_0···r_{k-1}``) with arbitrary entries (complex, real,
non-unitary), radices ``r_k`` and permutations unknown. Nothing here is specific to one
transform: the search uses only the rank structure that the supports force on any matrix.

Labels: row ``i`` of ``B`` has digits ``i = t_0 + r_0 (t_1 + r_1 (t_2 + ...))`` (``t_0``, the
row *class* at level 0, is the lowest digit); column ``j`` has ``j = c_0 + r_0 (c_1 + ...)``
(columns sharing their high digits form the *groups* of level 0). Every block (rows of one
class x columns of one group) is rank one. The search builds both labellings level by level
(``_search_level.find_level``: the row classes from the ratios of a pivot column against its
best partner, the column groups by nearest neighbours, ``O(n²)`` per level instead of the
``O(n³)`` of testing all column pairs), reduces each block to its rank-one ``u``, and recurses
on the ``r_0`` reduced matrices of size ``N/r_0``, which share one column grouping.

Radices: at each level the distinct prime factors of the size left are tried in ascending order,
then its composite divisors up to 16; a level is accepted when the relative rank-one residual of
all its blocks is below ``tolerance`` (the first level) or within 100x of the largest residual of
the levels above it (the noise level they estimate; at least 1e-9), and a dead end below
backtracks (``max_branches`` level choices in all). When every level is found, the rows
relabelled and the column order as input permutation go to the exact hierarchical solver
(``_hierarchical.hierarchical_butterfly`` with the found radix order): with noise the result is
its best projection, error near the noise level. ``recover_butterfly`` is the entry point.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._errors import ConfigError
from ..butterfly._radix import MAX_RADIX_N, default_radices, prime_factors
from ._hierarchical import hierarchical_butterfly
from ._product import SparseFactorization
from ._search_cluster import bloch_vectors
from ._search_level import Level, find_level

__all__ = [
    "ButterflyLabels",
    "bloch_vectors",
    "factorize_labelled",
    "find_butterfly_labels",
    "recover_butterfly",
]

ATTEMPTS = 2  # seeded attempts (pivots, projections) per radix and level, after a residual too large
NOISE_SLACK = 100.0  # a level's residual may exceed the largest residual above it by this factor
RESIDUAL_FLOOR = 1e-9  # ... and may always reach this (rounding of an exact product)


@dataclasses.dataclass(frozen=True)
class ButterflyLabels:
    """Labels found by the search: ``B[row_labels[r], col_labels[c]] == M[r, c]``."""

    row_labels: np.ndarray  # (N,) int64, a permutation: row r of M is row row_labels[r] of B
    col_labels: np.ndarray  # (N,) int64, a permutation: column c of M is column col_labels[c] of B
    exact: bool  # every level had a consistent structure (False: completed arbitrarily)
    levels_found: int  # levels whose classes and groups were found (len(radices) when exact)
    branches: int  # how many level choices were tried
    gave_up: bool  # the search stopped at max_branches level choices (a larger budget may succeed)
    radices: tuple[int, ...] = ()  # radix order of the labels: found levels, then the completion
    residuals: tuple[float, ...] = ()  # relative rank-one residual of each found level
    stop: str = ""  # why no level was found below levels_found ("" when exact)

    @property
    def outcome(self) -> str:
        """One line: the radix order found, or where and why the search stopped."""
        tried = f"{self.branches} level choice{'s' if self.branches != 1 else ''} tried"
        residual = f"relative rank-one residual <= {max(self.residuals):.1e}, " if self.residuals else ""
        if self.exact:
            order = ",".join(map(str, self.radices))
            levels = f"all {len(self.radices)} levels" if len(self.radices) > 1 else "its 1 level"
            return f"structure at {levels}, radix order {order} ({residual}{tried})"
        found = ",".join(map(str, self.radices[: self.levels_found])) or "none"
        left = int(np.prod(self.radices[self.levels_found :]))
        text = (
            f"no structure past level {self.levels_found} (radix order found: {found}); "
            f"at size {left}: {self.stop} ({residual}{tried}"
        )
        return text + (", max_branches reached)" if self.gave_up else ")")


@dataclasses.dataclass(frozen=True)
class _State:
    """The search after some levels: ``m`` reduced matrices ``(m, n, n)`` sharing columns."""

    blocks: np.ndarray  # (m, n, n) complex
    rows: np.ndarray  # (m, n): original row of each local row
    columns: np.ndarray  # (n, d): original columns of each current column, tree order
    row_labels: np.ndarray  # (N,) digits found so far
    radices: tuple[int, ...]
    residuals: tuple[float, ...]

    def advance(self, level: Level) -> _State:
        m, n, _ = self.blocks.shape
        place = self.columns.shape[1]
        row_labels = self.row_labels.copy()
        row_labels[self.rows] += level.classes * place
        rows = np.take_along_axis(self.rows, level.order, axis=1).reshape(m * level.radix, n // level.radix)
        columns = self.columns[level.groups].reshape(n // level.radix, level.radix * place)
        return _State(level.reduced, rows, columns, row_labels, self.radices + (level.radix,),
                      self.residuals + (level.residual,))  # fmt: skip

    def complete(self) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        """Row labels, column labels and radices, the levels left filled in arbitrarily (local
        order, the default radices); exact when what is left is one prime-sized level."""
        m, n, _ = self.blocks.shape
        place = self.columns.shape[1]
        row_labels = self.row_labels.copy()
        row_labels[self.rows] += np.arange(n)[None, :] * place
        col_labels = np.empty(n * place, dtype=np.int64)
        col_labels[self.columns.reshape(-1)] = np.arange(n * place)
        return row_labels, col_labels, self.radices + (default_radices(n) if n > 1 else ())


def _candidate_radices(n: int) -> list[int]:
    """Distinct prime factors of ``n`` ascending, then composite divisors up to 16 (all < n)."""
    primes = sorted(set(prime_factors(n)))
    composite = [d for d in range(4, 17) if n % d == 0 and d not in primes]
    return [r for r in primes + composite if r < n]


class _Search:
    """Depth-first search over the level choices; one instance per call."""

    def __init__(self, matrix: np.ndarray, *, rng: np.random.Generator, tolerance: float, max_branches: int):
        self.n = matrix.shape[0]
        self.rng = rng
        self.tolerance = tolerance
        self.max_branches = max_branches
        self.branches = 0
        self.gave_up = False
        rows, columns = np.arange(self.n)[None], np.arange(self.n)[:, None]
        start = matrix[None].astype(np.complex128)
        self.deepest = _State(start, rows, columns, np.zeros(self.n, dtype=np.int64), (), ())
        self.reasons: dict[int, dict[int, str]] = {}  # per depth and radix: why it was refused

    def run(self) -> tuple[_State, bool]:
        found = self._descend(self.deepest)
        return (found, True) if found is not None else (self.deepest, False)

    def _bound(self, state: _State) -> float:
        if not state.residuals:
            return self.tolerance
        return min(self.tolerance, max(NOISE_SLACK * max(state.residuals), RESIDUAL_FLOOR))

    def _descend(self, state: _State) -> _State | None:
        """Try each radix (and attempt) at this level, recursing into the next; None: dead end."""
        n = state.blocks.shape[1]
        depth = len(state.radices)
        if n == 1 or prime_factors(n) == (n,):
            return state  # one dense level (or nothing) left: always consistent
        for r in _candidate_radices(n):
            for _ in range(ATTEMPTS):
                if self.branches >= self.max_branches:
                    self.gave_up = True
                    return None
                self.branches += 1
                level = find_level(state.blocks, r, self.rng)
                if isinstance(level, str):
                    self._refuse(depth, r, level)
                    break  # no classes or groups at all: another attempt rarely finds them
                bound = self._bound(state)
                if level.residual > bound:
                    self._refuse(depth, r, f"rank-one residual {level.residual:.1e} > {bound:.1e}")
                    continue
                child = state.advance(level)
                if len(child.radices) > len(self.deepest.radices):
                    self.deepest = child
                found = self._descend(child)
                if found is not None:
                    return found
        return None

    def _refuse(self, depth: int, radix: int, reason: str) -> None:
        """Record why ``radix`` was refused at ``depth`` (the first reason per radix)."""
        self.reasons.setdefault(depth, {}).setdefault(radix, reason)


def find_butterfly_labels(
    matrix: np.ndarray, *, seed: int = 0, tolerance: float = 0.05, max_branches: int = 64
) -> ButterflyLabels:
    """Row and column labels under which ``matrix`` is a Kronecker-sparse product (module doc).

    ``matrix``: ``(N, N)`` real or complex, ``2 <= N <= 8192`` (any size; a prime size is one
    dense level). ``tolerance``: the largest relative rank-one residual of the first level that
    counts as structure (later levels: see the module doc). ``max_branches``: level choices tried
    before giving up. When no structure exists (``exact=False``) the labels keep the deepest
    levels found and complete the rest arbitrarily; ``outcome`` says where and why it stopped.
    """
    matrix = _check_matrix(matrix)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 < tolerance < 1:
        raise ConfigError("tolerance", tolerance, "must be in (0, 1)")
    if isinstance(max_branches, bool) or not isinstance(max_branches, int) or max_branches < 1:
        raise ConfigError("max_branches", max_branches, "must be an integer >= 1")
    search = _Search(matrix, rng=np.random.default_rng(seed), tolerance=tolerance, max_branches=max_branches)
    state, exact = search.run()
    row_labels, col_labels, radices = state.complete()
    levels = len(radices) if exact else len(state.radices)
    reasons = search.reasons.get(levels, {})
    stop = "" if exact else "; ".join(f"radix {r}: {why}" for r, why in reasons.items()) or "no radix tried"
    gave_up = search.gave_up and not exact
    return ButterflyLabels(row_labels, col_labels, exact, levels, search.branches, gave_up, radices,
                           state.residuals, stop)  # fmt: skip


def recover_butterfly(
    matrix: np.ndarray, *, seed: int = 0, tolerance: float = 0.05, max_branches: int = 64
) -> SparseFactorization:
    """Factorize ``matrix = Pout · F_{L-1} ··· F_0 · Pin`` with permutations and radices unknown.

    Finds row and column labels and the radix order (``find_butterfly_labels``) and factorizes
    under them (``factorize_labelled``: one Kronecker-sparse factor per radix, ``N·r`` nonzeros
    for radix ``r``; ``2 N log2 N`` in all for radix 2). ``matrix``: ``(N, N)`` real or complex,
    ``2 <= N <= 8192``; real input gives real factors. With noise the factorization is the best
    projection under the labels found. If no structure is found (controls such as random
    Gaussian matrices) the result is the hierarchical projection under the partial structure,
    whose error stays high; the label says which happened, and where and why the search stopped.
    """
    labels = find_butterfly_labels(matrix, seed=seed, tolerance=tolerance, max_branches=max_branches)
    return factorize_labelled(matrix, labels)


def factorize_labelled(matrix: np.ndarray, labels: ButterflyLabels) -> SparseFactorization:
    """The Kronecker-sparse factorization of ``matrix`` ``(N, N)`` under ``labels``: the rows
    relabelled and the column order as input permutation go to the exact hierarchical solver
    (``_hierarchical.hierarchical_butterfly`` with ``labels.radices``, default radices when
    empty); the row labels become the output permutation."""
    matrix = _check_matrix(matrix)
    n = matrix.shape[0]
    if labels.row_labels.shape != (n,) or labels.col_labels.shape != (n,):
        raise ConfigError("labels", labels.row_labels.shape, f"must label {n} rows and {n} columns")
    rows_relabelled = np.empty_like(matrix)
    rows_relabelled[labels.row_labels] = matrix  # row i = row row_labels^-1(i) of M
    input_permutation = np.empty(n, dtype=np.int64)
    input_permutation[labels.col_labels] = np.arange(n)  # column j of B is this column of M
    radices = labels.radices or default_radices(n)
    inner = hierarchical_butterfly(rows_relabelled, input_permutation=input_permutation, radices=radices)
    kind = "butterfly" if set(radices) == {2} else "Kronecker-sparse"
    return SparseFactorization(
        factors=inner.factors,
        input_permutation=inner.input_permutation,
        output_permutation=labels.row_labels.astype(np.int64),
        label=f"{kind}, searched permutations, hierarchical: {labels.outcome}",
    )


def _check_matrix(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ConfigError("matrix", matrix.shape, "must be a square (N, N) array")
    if not 2 <= matrix.shape[0] <= MAX_RADIX_N:
        raise ConfigError("matrix", matrix.shape, f"N must be in [2, {MAX_RADIX_N}]")
    if not np.issubdtype(matrix.dtype, np.number) or not np.isfinite(matrix).all():
        raise ConfigError("matrix", "non-finite entries", "must be finite")
    return matrix.astype(np.complex128) if np.iscomplexobj(matrix) else matrix.astype(np.float64)
