"""Pareto ranking of objective vectors (all minimised): non-dominated sorting, crowding
distance and exclusive hypervolume contribution, and the order MO-ASHA promotes in."""

from __future__ import annotations

import numpy as np
from optuna._hypervolume import compute_hypervolume
from optuna.study._multi_objective import _fast_non_domination_rank

TIE_BREAKS = ("crowding", "hypervolume")


def non_dominated_fronts(values: np.ndarray) -> list[np.ndarray]:
    """Indices of ``values`` ``(n, m)`` (minimised) by front: the non-dominated points first,
    then those dominated only by the first front, and so on (each front in index order).
    Optuna's non-domination ranking does the sorting (O(n log n) for two objectives)."""
    points = np.asarray(values, dtype=np.float64)
    if len(points) == 0:
        return []
    ranks = _fast_non_domination_rank(points)
    return [np.flatnonzero(ranks == rank) for rank in range(int(ranks.max()) + 1)]


def crowding_distance(values: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance of each point of one front ``(k, m)``: the sum over objectives
    of the gap between its neighbours, scaled by the objective's range; the extremes get inf and
    an objective on which every point is equal adds nothing (as Optuna's NSGA-II counts it)."""
    points = np.asarray(values, dtype=np.float64)
    distance = np.zeros(len(points))
    for j in range(points.shape[1]):
        order = np.argsort(points[:, j], kind="stable")
        column = np.concatenate(([-np.inf], points[order, j], [np.inf]))
        span = column[-2] - column[1]
        if span == 0:
            continue
        distance[order] += (column[2:] - column[:-2]) / span
    return distance


def hypervolume_contribution(values: np.ndarray) -> np.ndarray:
    """The hypervolume each point of one front ``(k, m)`` adds alone, against a reference 10%
    of the front's range beyond its worst point in every objective (Optuna's hypervolume)."""
    points = np.asarray(values, dtype=np.float64)
    if len(points) == 1:
        return np.full(1, np.inf)
    span = points.max(0) - points.min(0)
    reference = points.max(0) + 0.1 * np.where(span > 0, span, 1.0)
    total = compute_hypervolume(points, reference)
    return np.array(
        [total - compute_hypervolume(np.delete(points, i, axis=0), reference) for i in range(len(points))]
    )


def promotion_order(values: np.ndarray, *, tie_break: str = "crowding") -> np.ndarray:
    """Indices of ``values`` ``(n, m)`` best first: by non-dominated front, and within a front
    by ``tie_break`` (larger crowding distance or hypervolume contribution first, then index)."""
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break must be one of {TIE_BREAKS}, not {tie_break!r}")
    points = np.asarray(values, dtype=np.float64)
    score = crowding_distance if tie_break == "crowding" else hypervolume_contribution
    order = []
    for front in non_dominated_fronts(points):
        spread = score(points[front])
        order.extend(front[np.lexsort((front, -spread))])
    return np.asarray(order, dtype=np.int64)
