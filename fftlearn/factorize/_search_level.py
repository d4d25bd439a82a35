"""One level of the structure search (``_search``): find the radix-``r`` row classes and column
groups of ``m`` matrices ``(m, n, n)`` that share their columns, and reduce them.

The first factor of a Kronecker-sparse product (radix ``r``) makes every block (rows of one
class x columns of one group) rank one: the columns of a group are proportional on the rows of a
class, and the rows of a class are proportional on the columns of a group. The steps:

1. *Row classes of one matrix.* For a pivot column ``c`` and every other column ``c'``, the
   ratio ``M[row, c] / M[row, c']`` (its projective point) takes ``r`` values, one per row class,
   when ``c'`` is in the group of ``c``, and many otherwise. The candidate ``c'`` whose ratios
   form ``r`` balanced tight clusters (``few_clusters``, on a sample of rows) gives the classes.
2. *Column groups.* On each row class, the columns of a group are proportional: features of the
   columns (projectors of a random projection of each class's rows, concatenated over the
   classes) are grouped by nearest neighbours (``small_groups``): ``O(n² k)``, not ``O(n³)``.
3. *Row classes of every matrix.* Rows of a class are proportional on every group: features on
   a few high-energy groups, clustered into ``r`` balanced classes.
4. *Reduce.* Each (class x group) block gets its best rank-one approximation ``u vᴴ``; the
   relative residual of all blocks measures the structure (rounding for an exact product, the
   noise level for a noisy one, order one for none). The ``u`` are the next level's matrices:
   ``m·r`` of size ``n/r``, sharing one column set (the groups).

Zero or rank-one blocks are consistent everywhere: a column that is zero on every class fits
any group (it fills a group left short), a zero row any class (it is placed last), a pair of
zeros in the ratios is no evidence (pivot/partner pairs with fewer of them come first), and a
pivot in a rank-one group gives one ratio (``r`` coinciding centres score ``inf``), so another
pivot wins. Scores pick the best candidate; the fixed bounds (``PARTNER_SCORE``: clusters at
least ~7x tighter than apart; the caller's residual bound) only separate "some structure" from
"none", so the same code runs exact and noisy matrices (tested to relative noise 3e-2).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._search_cluster import balanced_labels, few_clusters, projective_features, small_groups

PIVOTS = 4  # pivot columns tried per attempt (the best-scoring one wins)
SAMPLE_ROWS = 384  # rows on which the pivot's partners are scored
PROJECTION = 4  # complex dimensions of the random projection of the columns (16 real features;
# fewer for large radices, so that the r classes give about 64 features in all)
ROW_GROUPS = 8  # high-energy column groups whose rows give the row features
PARTNER_SCORE = 0.02  # a best pivot/partner score above this (spread over separation): no classes
RESIDUAL_GROUPS = 256  # column groups on which a level's residual is measured
CHUNK = 1024  # partner candidates scored at once (memory: r x SAMPLE_ROWS x CHUNK x 4 floats)


@dataclasses.dataclass(frozen=True)
class Level:
    """A level found by ``find_level``."""

    radix: int
    residual: float  # relative Frobenius residual of the best rank-one fit of every block
    classes: np.ndarray  # (m, n) int: the class (next digit) of each row of each matrix
    groups: np.ndarray  # (n/r, r) int: the columns of each group, digit order
    reduced: np.ndarray  # (m r, n/r, n/r) complex: matrix k·r + t = class t of matrix k, reduced
    order: np.ndarray  # (m, n) int: local rows, class 0 first, then class 1, ...


def column_energies(blocks: np.ndarray) -> np.ndarray:
    """Squared norms ``(m, n)`` of the columns of ``blocks`` ``(m, n, n)`` (no temporaries)."""
    parts = (blocks.real, blocks.imag) if np.iscomplexobj(blocks) else (blocks,)
    return sum(np.einsum("mnk,mnk->mk", part, part) for part in parts)


def _partner_classes(
    matrix: np.ndarray, energy: np.ndarray, r: int, rng: np.random.Generator
) -> tuple[np.ndarray | None, float]:
    """Row classes ``(n,)`` of ``matrix`` ``(n, n)`` from the best pivot/partner pair, and its
    score (``few_clusters``); ``None`` when no pair gives ``r`` balanced classes with a score
    below ``PARTNER_SCORE``; among those, the pairs with the fewest zero rows come first."""
    n = matrix.shape[0]
    strong = np.flatnonzero(energy >= np.median(energy))
    pivots = rng.choice(strong, size=min(PIVOTS, strong.size), replace=False)
    rows = np.sort(rng.choice(n, size=SAMPLE_ROWS, replace=False)) if n > SAMPLE_ROWS else np.arange(n)
    best = (np.inf, -1, -1)
    for pivot in pivots:
        x = matrix[rows, pivot][:, None]  # (S, 1)
        for start in range(0, n, CHUNK):
            y = matrix[rows, start : start + CHUNK]  # (S, P)
            pair = np.stack(np.broadcast_arrays(x, y), axis=-1)  # (S, P, 2)
            weights = np.abs(x) ** 2 + np.abs(y) ** 2
            _, score, _ = few_clusters(projective_features(pair), weights, r)
            zero = np.mean(weights <= 1e-24 * weights.max(axis=0), axis=0)  # (P,) rows with no evidence
            score = np.where(score <= PARTNER_SCORE, score + zero, np.inf)  # fewest zero rows first
            if start <= pivot < start + score.size:
                score[pivot - start] = np.inf  # the pivot is not its own partner
            if score.min() < best[0]:
                best = (float(score.min()), int(pivot), start + int(np.argmin(score)))
    score, pivot, partner = best
    if not np.isfinite(score):
        return None, score
    pair = matrix[:, [pivot, partner]][:, None, :]  # (n, 1, 2)
    weights = np.sum(np.abs(pair) ** 2, axis=-1)
    distances, score_all, _ = few_clusters(projective_features(pair), weights, r)
    return balanced_labels(distances[:, :, 0], weights[:, 0]), min(score, float(score_all[0]))


def _column_groups(
    matrix: np.ndarray, energy: np.ndarray, classes: np.ndarray, r: int, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Groups ``(n/r, r)`` of the columns of ``matrix`` proportional on every row class."""
    features = []
    dimension = max(2, min(PROJECTION, int(np.sqrt(64 / r))))  # at most about 64 features in all
    for t in range(r):
        block = matrix[classes == t]  # (n/r, n)
        k = min(dimension, block.shape[0])
        projection = rng.standard_normal((k, block.shape[0])) + 1j * rng.standard_normal((k, block.shape[0]))
        features.append(projective_features((projection @ block).T))  # (n, k²)
    return small_groups(np.concatenate(features, axis=1), r, wildcard=energy <= 1e-24 * energy.max())


def _row_classes(blocks: np.ndarray, energy: np.ndarray, groups: np.ndarray, r: int) -> np.ndarray:
    """Classes ``(m, n)`` of the rows of every matrix, from their projective points on the
    ``ROW_GROUPS`` groups of largest energy in that matrix."""
    m, n, _ = blocks.shape
    group_energy = energy[:, groups].sum(axis=-1)  # (m, n/r)
    count = min(ROW_GROUPS, groups.shape[0])
    top = np.argsort(-group_energy, axis=1, kind="stable")[:, :count]  # (m, count)
    columns = groups[top].reshape(m, 1, count * r)  # (m, 1, count r)
    rows = np.take_along_axis(blocks, columns, axis=2).reshape(m, n, count, r)
    features = projective_features(rows).reshape(m, n, count * r * r).transpose(1, 0, 2)  # (n, m, F)
    weights = np.sum(np.abs(rows) ** 2, axis=(2, 3)).T  # (n, m)
    distances, _, _ = few_clusters(features, weights, r)  # (r, n, m)
    return np.stack([balanced_labels(distances[:, :, k], weights[:, k]) for k in range(m)])


def _reduce(
    blocks: np.ndarray, classes: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """The reduced matrices ``(m r, n/r, n/r)``, the row order ``(m, n)`` and the residual.

    The residual is measured exactly (``B - u vᴴ``, not ``|B|² - |u|²``, which would lose half
    the digits) on every class and matrix but at most ``RESIDUAL_GROUPS`` column groups."""
    m, n, _ = blocks.shape
    q, r = groups.shape
    order = np.argsort(classes, axis=1, kind="stable")  # (m, n): class 0 rows first
    rows = order.reshape(m, r, 1, q, 1)  # [k, t, ., i, .]
    sub = blocks[np.arange(m).reshape(m, 1, 1, 1, 1), rows, groups.reshape(1, 1, q, 1, r)]  # [k, t, g, i, c]
    gram = np.einsum("ktgic,ktgid->ktgcd", np.conj(sub), sub)  # (m, r, q, r, r)
    _, vectors = np.linalg.eigh(gram)
    top = vectors[..., -1:]  # (m, r, q, r, 1): dominant right singular vector of each block
    u = np.matmul(sub, top)  # (m, r, q groups, q rows, 1)
    sample = np.arange(0, q, max(1, q // RESIDUAL_GROUPS))
    part = sub[:, :, sample]
    residual = part - u[:, :, sample] * np.conj(top[:, :, sample]).swapaxes(-1, -2)
    energy = np.vdot(part, part).real
    ratio = np.sqrt(np.vdot(residual, residual).real / energy) if energy > 0 else 0.0
    reduced = u[..., 0].swapaxes(-1, -2).reshape(m * r, q, q)  # [k t, i, g]
    return np.ascontiguousarray(reduced), order, float(ratio)


def _same_partition(first: np.ndarray, second: np.ndarray) -> bool:
    """Whether two labellings ``(n,)`` define the same classes (up to naming)."""
    pairs = np.unique(np.stack([first, second]), axis=1)
    return pairs.shape[1] == np.unique(first).size == np.unique(second).size


def find_level(blocks: np.ndarray, r: int, rng: np.random.Generator) -> Level | str:
    """The radix-``r`` level of ``blocks`` ``(m, n, n)``, or one line saying why there is none.

    The reference matrix (whose classes seed the column groups) is one of those with the fewest
    zero columns, the largest first; ``rng`` picks the pivots and projections."""
    m, n, _ = blocks.shape
    energy = column_energies(blocks)  # (m, n)
    zeros = (energy <= 1e-28 * energy.max(axis=1, keepdims=True)).sum(axis=1)
    candidates = np.flatnonzero(zeros == zeros.min())
    reference = int(candidates[np.argmax(energy[candidates].sum(axis=1))])
    classes, score = _partner_classes(blocks[reference], energy[reference], r, rng)
    if classes is None:
        return f"no column pair whose ratios form {r} balanced classes"
    for _ in range(2):  # the second pass regroups with the refined classes of the reference
        groups, group_score = _column_groups(blocks[reference], energy[reference], classes, r, rng)
        if not np.isfinite(group_score):
            return f"the columns do not fall into groups of {r}"
        all_classes = _row_classes(blocks, energy, groups, r)
        if _same_partition(all_classes[reference], classes):
            break
        classes = all_classes[reference]
    reduced, order, residual = _reduce(blocks, all_classes, groups)
    return Level(r, residual, all_classes, groups, reduced, order)
