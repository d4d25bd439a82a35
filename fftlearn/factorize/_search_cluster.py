"""Projective features and the clusterings of the structure search (``_search_level``).

A vector ``v`` (``(D,)``, complex) stands for its projective point ``[v]``: all ``λ v`` with
``λ != 0`` are the same point. ``projective_features`` maps it to the real coordinates of the
projector ``v vᴴ / |v|²`` (``D²`` reals; ``|f(v) - f(w)|² = 2 - 2 |<v, w>|² / (|v|² |w|²)``),
which is continuous, needs no choice of phase and is zero for a zero vector. Two vectors are
proportional iff their features are equal; with ``D = 2`` this is the Bloch vector of the ratio.

Two clusterings use them, both without fixed thresholds (the best-scoring candidate wins; the
level's rank-one residual decides later whether there is structure):

- ``few_clusters``: many items (rows) into ``r`` large classes, farthest-point starts taken among
  the reliable (high-energy) items, nearest-centre assignment, one weighted Lloyd step; the
  score is the within-class spread against the smallest between-centre distance.
- ``small_groups``: many items (columns) into groups of ``r`` nearest neighbours
  (``scipy.spatial.cKDTree``), the tightest groups first.
"""

from __future__ import annotations

import numpy as np
import scipy.spatial


def bloch_vectors(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Unit Bloch vectors of the projective points ``(first : second)``, shape ``(..., 3)``.

    Two nonzero pairs ``(x, y)`` and ``(x', y')`` are proportional iff their Bloch vectors are
    equal; the map is continuous and needs no choice of chart, so it is stable when ``|x| = |y|``.
    A pair with ``x = y = 0`` gives NaNs (``projective_features`` gives zeros instead).
    """
    px, py = np.abs(first) ** 2, np.abs(second) ** 2
    cross = first * np.conj(second)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = px + py
        return np.stack([(px - py) / total, 2 * cross.real / total, 2 * np.imag(cross) / total], axis=-1)


def projective_features(vectors: np.ndarray) -> np.ndarray:
    """Real coordinates ``(..., D²)`` of the projectors of ``vectors`` ``(..., D)`` (see module doc);
    zero vectors give zeros. Euclidean distances are Frobenius distances of the projectors."""
    dim = vectors.shape[-1]
    norm = np.sqrt(np.einsum("...k,...k->...", vectors.real, vectors.real)
                   + np.einsum("...k,...k->...", vectors.imag, vectors.imag))  # fmt: skip
    unit = vectors / np.where(norm > 0, norm, 1.0)[..., None]
    parts = [np.abs(unit) ** 2]
    first, second = np.triu_indices(dim, 1)
    if first.size:
        off = np.sqrt(2.0) * unit[..., first] * np.conj(unit[..., second])
        parts += [off.real, off.imag]
    return np.concatenate(parts, axis=-1)


def _distances(layers: np.ndarray, centres: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """Squared distances ``(r, S, P)`` of points given feature by feature (``layers`` ``(F, S, P)``,
    squared norms ``norms`` ``(S, P)``) to centres ``(r, P, F)``, as ``|p|² + |c|² - 2 p·c``
    (rounding of order 1e-16, far below the separations that matter)."""
    squared = norms[None] + np.sum(centres**2, axis=-1)[:, None, :]  # (r, S, P)
    for f, layer in enumerate(layers):
        squared -= 2 * layer[None] * centres[:, None, :, f]
    return np.maximum(squared, 0.0)


def few_clusters(
    points: np.ndarray, weights: np.ndarray, r: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cluster ``S`` points into ``r`` classes, independently for each of ``P`` problems: starts
    picked farthest first (a point's distance discounted when its weight is under a quarter of
    the median: noise dominates weak points), then nearest-centre assignment and Lloyd steps.

    ``points`` ``(S, P, F)``, ``weights`` ``(S, P)`` (energies: a point's reliability). Returns
    the squared distances ``(r, S, P)`` to the final centres, the score ``(P,)`` (weighted mean
    squared distance to the own centre over the smallest squared centre separation; ``inf`` when
    two centres coincide or a class has under half its share of the nonzero points; zero points
    carry no evidence) and the labels ``(S, P)``.
    """
    size, problems = weights.shape
    columns = np.arange(problems)
    median = np.median(weights, axis=0)
    reliability = np.minimum(1.0, weights / np.where(median > 0, 0.25 * median, 1.0))  # (S, P) in [0, 1]
    chosen = [np.argmax(weights, axis=0)]  # (P,): the most reliable point starts
    layers = np.ascontiguousarray(points.transpose(2, 0, 1))  # (F, S, P)
    norms = np.sum(layers**2, axis=0)  # (S, P)
    nearest = _distances(layers, points[chosen[0], columns][None], norms)[0]  # (S, P)
    for _ in range(1, r):
        chosen.append(np.argmax(nearest * reliability, axis=0))  # far, unless unreliable (weak)
        nearest = np.minimum(nearest, _distances(layers, points[chosen[-1], columns][None], norms)[0])
    centres = np.stack([points[c, columns] for c in chosen])  # (r, P, F)
    distances = _distances(layers, centres, norms)
    for _ in range(2):  # weighted Lloyd steps
        member = (np.argmin(distances, axis=0)[None] == np.arange(r)[:, None, None]) * weights  # (r, S, P)
        mass = member.sum(axis=1)  # (r, P)
        moved = np.stack([np.sum(member * layer[None], axis=1) for layer in layers], axis=-1)  # (r, P, F)
        moved /= np.where(mass > 0, mass, 1.0)[..., None]
        centres = np.where(mass[..., None] > 0, moved, centres)
        distances = _distances(layers, centres, norms)
    labels = np.argmin(distances, axis=0)  # (S, P)
    spread = np.sum(np.min(distances, axis=0) * weights, axis=0) / np.maximum(weights.sum(axis=0), 1e-300)
    separation = np.full(problems, np.inf)
    for a in range(r):
        for b in range(a + 1, r):
            separation = np.minimum(separation, np.sum((centres[a] - centres[b]) ** 2, axis=-1))
    known = weights > 1e-24 * weights.max(axis=0)  # (S, P): zero points are no class evidence
    counts = np.stack([((labels == k) & known).sum(axis=0) for k in range(r)])  # (r, P)
    balanced = counts.min(axis=0) >= 0.5 * known.sum(axis=0) / r
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(balanced & (separation > 0), spread / separation, np.inf)
    return distances, score, labels


def balanced_labels(distances: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Labels ``(S,)`` with exactly ``S/r`` items per class, from squared distances ``(r, S)``:
    the nearest class when that is already balanced, else pairs taken closest first (greedy).

    Items of zero weight (zero vectors: consistent with any class) are placed last, into the
    room left; ties between coinciding centres go to the lower class, so that items of one value
    stay together when a matrix has fewer than ``r`` distinct classes (a zero block)."""
    r, size = distances.shape
    known = weights > 1e-24 * weights.max()
    labels = np.argmin(distances, axis=0)
    if known.all() and (np.bincount(labels, minlength=r) == size // r).all():
        return labels
    biased = distances + 1e-12 * np.arange(r)[:, None] + 10.0 * ~known[None]  # features are within 2
    capacity = np.full(r, size // r)
    labels = np.full(size, -1)
    for flat in np.argsort(biased, axis=None, kind="stable"):
        k, item = divmod(int(flat), size)
        if labels[item] < 0 and capacity[k] > 0:
            labels[item] = k
            capacity[k] -= 1
    return labels


def _greedy_pass(
    features: np.ndarray, real: np.ndarray, r: int, cutoff: float, group_of: np.ndarray
) -> float:
    """One greedy pass over the ungrouped items ``real`` (see ``small_groups``): groups are
    written into ``group_of`` (``-1`` ungrouped, ``-2`` an unplaced wildcard); returns the largest
    squared distance inside a new group."""
    k = min(real.size, 2 * r + 2)
    distance, index = scipy.spatial.cKDTree(features[real]).query(features[real], k=k)
    distance, index = distance.reshape(real.size, k) ** 2, real[index.reshape(real.size, k)]
    worst, count = 0.0, group_of.max() + 1
    for row in np.argsort(distance[:, min(r, k) - 1], kind="stable"):
        item = int(real[row])
        if group_of[item] >= 0:
            continue
        near = zip(distance[row], index[row])
        mates = [int(j) for d, j in near if j != item and group_of[j] == -1 and d <= cutoff][: r - 1]
        members = [item] + mates
        members += [int(j) for j in np.flatnonzero(group_of == -2)[: r - len(members)]]
        if len(members) < r:
            continue
        group_of[members] = count
        count += 1
        worst = max(worst, float(np.max(np.sum((features[members] - features[item]) ** 2, axis=-1))))
    return worst


def small_groups(
    features: np.ndarray, r: int, wildcard: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Group ``n`` items (``features`` ``(n, F)``) into ``n/r`` groups of ``r`` near neighbours.

    Items are taken tightest first (by the distance to their ``(r-1)``-th neighbour); each takes
    its nearest ungrouped neighbours (among its ``2r + 2`` nearest; items whose neighbours were
    all taken wait for the next pass over the items left). ``wildcard`` ``(n,)`` bool marks
    items that fit any group (zero columns): the others then take only neighbours far closer than
    typical (squared distance under 1% of the median to the ``r``-th neighbour) and the wildcards
    fill the groups left short. Returns the groups ``(n/r, r)`` and the largest squared distance
    inside a group over that median (small when the groups are clusters; ``inf`` when items could
    not be grouped, which are then grouped in index order).
    """
    n = features.shape[0]
    wildcard = np.zeros(n, dtype=bool) if wildcard is None else wildcard
    real = np.flatnonzero(~wildcard)
    k = min(real.size, r + 1)
    if real.size == 0:
        return np.arange(n).reshape(n // r, r), 0.0
    distance, _ = scipy.spatial.cKDTree(features[real]).query(features[real], k=k)
    typical = float(np.median(distance.reshape(real.size, k)[:, -1] ** 2))
    cutoff = 0.01 * typical if wildcard.any() else np.inf
    group_of = np.where(wildcard, -2, -1)  # -2: a wildcard not yet placed
    worst = 0.0
    while (group_of == -1).any():
        left = np.flatnonzero(group_of == -1)
        worst = max(worst, _greedy_pass(features, left, r, cutoff, group_of))
        if np.array_equal(left, np.flatnonzero(group_of == -1)):
            break  # no progress
    rest = np.flatnonzero(group_of < 0)
    leftover = int((group_of == -1).sum())  # items that are not wildcards and found no group
    groups = [np.flatnonzero(group_of == g) for g in range(group_of.max() + 1)]
    groups += [rest[i : i + r] for i in range(0, rest.size, r)]
    score = np.inf if leftover else (worst / typical if typical > 0 else (0.0 if worst == 0 else np.inf))
    return np.asarray(groups, dtype=np.int64).reshape(n // r, r), score
