"""Moves of the diagonal-scaling search (``_rescale``): scale groups of blocks and keep, per
group, the candidate scale with the cheapest columns (``_rescale_layout``'s cost).

A *group* is a set of blocks (a block of layer ``k``: the rows of one block of factor ``k - 1``);
moving it by ``δ`` multiplies the node scales of all its rows by ``δ``: the columns that enter
the group from outside are multiplied by ``δ``, the columns that leave it divided by ``δ``, the
columns inside it do not change. Groups moved in one step must not share a column, so each
group's best ``δ`` is found on its own. Candidates for ``δ`` come from the group's own columns:
the scale that makes a column's first weight 1, ``1 + i·t``, ``t + i``, ``1 + i`` or
``(1 + i)/√2``; ``δ = 1`` (no change) is always among them and wins ties.
"""

from __future__ import annotations

import numpy as np

from ._rescale_layout import FactorBlocks, column_costs, scaled_columns

CHUNK = 1 << 21  # (candidate, column entry) pairs evaluated at once
PER_GROUP = 16  # columns of a group that propose candidates (a global move has N columns)
ROUND = 1e8  # candidate scales closer than 1e-8 in log-magnitude and phase are one candidate


def group_step(
    layout: list[FactorBlocks], scales: list[np.ndarray], groups: list[np.ndarray | None], cheap: bool
) -> int:
    """Move every group of ``groups`` (per layer ``k = 0..L``: ``(blocks of layer k,)`` group ids,
    -1 = not moved; ``None`` = nothing moves) to its best candidate scale, in place.
    Returns the cost saved."""
    values, gid, sign = _moved_columns(layout, scales, groups)
    if gid.size == 0:
        return 0
    cand_group, cand_scale = _candidates(values[:, 0], gid, sign)
    order = np.argsort(gid, kind="stable")
    values, gid, sign = values[order], gid[order], sign[order]
    counts = np.bincount(gid, minlength=cand_group.max() + 1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    cost = np.zeros(cand_group.size)
    width = values.shape[1]
    step = max(1, CHUNK // max(1, width * int(counts.max())))
    for low in range(0, cand_group.size, step):
        index = np.arange(low, min(low + step, cand_group.size))
        repeat = counts[cand_group[index]]
        owner = np.repeat(index, repeat)  # candidate of each pair
        offset = np.arange(repeat.sum()) - np.repeat(np.cumsum(repeat) - repeat, repeat)
        column = starts[cand_group[owner]] + offset
        moved = values[column] * (cand_scale[owner] ** sign[column])[:, None]
        cost[index] = np.bincount(owner - low, weights=column_costs(moved, cheap), minlength=index.size)
    return _apply_best(layout, scales, groups, cand_group, cand_scale, cost)


def _moved_columns(
    layout: list[FactorBlocks], scales: list[np.ndarray], groups: list[np.ndarray | None]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights ``(C, r_max)`` of the columns a move changes (zero-padded), their group and sign
    (+1: the column enters the group, multiplied by δ; -1: it leaves, divided by δ)."""
    n = layout[0].col_rows.shape[0]
    node_group = [np.full(n, -1)] + [
        np.full(n, -1) if groups[k] is None else groups[k][layout[k - 1].row_block]
        for k in range(1, len(layout) + 1)
    ]
    width = max(blocks.col_rows.shape[1] for blocks in layout)
    parts, gids, signs = [], [], []
    for k, blocks in enumerate(layout):
        g_in, g_out = node_group[k], node_group[k + 1][blocks.col_rows[:, 0]]
        moved = (g_in != g_out) & ((g_in >= 0) | (g_out >= 0))
        if np.any(moved & (g_in >= 0) & (g_out >= 0)):
            raise ValueError("two groups moved in one step share a column")
        if not moved.any():
            continue
        weights = scaled_columns(blocks, scales[k], scales[k + 1])[moved]
        parts.append(np.pad(weights, ((0, 0), (0, width - weights.shape[1]))))
        gids.append(np.where(g_out[moved] >= 0, g_out[moved], g_in[moved]))
        signs.append(np.where(g_out[moved] >= 0, 1, -1))
    if not parts:
        return (
            np.zeros((0, width), dtype=np.complex128),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
        )
    return np.concatenate(parts), np.concatenate(gids), np.concatenate(signs)


def _candidates(first: np.ndarray, gid: np.ndarray, sign: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate (group, δ) from the first ``PER_GROUP`` columns of each group, deduplicated up
    to ±1, ±i; ``δ = 1`` first in each group."""
    order = np.argsort(gid, kind="stable")
    rank = np.empty(gid.size, dtype=np.int64)
    starts = np.searchsorted(gid[order], gid[order])  # first position of each column's group
    rank[order] = np.arange(gid.size) - starts
    keep = rank < PER_GROUP
    first, gid, sign = first[keep], gid[keep], sign[keep]
    size = np.abs(first)
    real = np.where(np.abs(first.real) > 1e-6 * size, first.real, np.nan)  # no noise-level parts
    imag = np.where(np.abs(first.imag) > 1e-6 * size, first.imag, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.stack(
            [1 / first, 1 / real, 1 / imag, (1 + 1j) / first, (1 + 1j) / (np.sqrt(2) * first)]
        ).astype(np.complex128)  # (5, C): the column's first weight times ratio is the target
        scales = np.where(sign[None, :] > 0, ratios, 1 / ratios).ravel()
    owners = np.broadcast_to(gid, ratios.shape).ravel()
    keep = np.isfinite(scales) & (scales != 0)
    groups = np.unique(gid)
    owners = np.concatenate([groups, owners[keep]])
    scales = np.concatenate([np.ones(groups.size, dtype=np.complex128), scales[keep]])
    keys = np.stack(
        [
            owners,
            np.round(np.log(np.abs(scales)) * ROUND),
            np.round(np.mod(np.angle(scales), np.pi / 2) * ROUND),
        ],
        axis=1,
    )
    keys[:, 2] = np.where(keys[:, 2] >= np.round(np.pi / 2 * ROUND), 0, keys[:, 2])
    _, first_index = np.unique(keys, axis=0, return_index=True)
    first_index = np.sort(first_index)  # the δ = 1 entries come first and survive
    return owners[first_index], scales[first_index]


def _apply_best(
    layout: list[FactorBlocks],
    scales: list[np.ndarray],
    groups: list[np.ndarray | None],
    cand_group: np.ndarray,
    cand_scale: np.ndarray,
    cost: np.ndarray,
) -> int:
    """Apply each group's cheapest candidate if it beats ``δ = 1``; returns the cost saved."""
    size = int(cand_group.max()) + 1
    current = np.full(size, np.inf)
    is_one = np.abs(cand_scale - 1) == 0
    np.minimum.at(current, cand_group[is_one], cost[is_one])
    order = np.lexsort((np.arange(cost.size), cost, cand_group))
    first = order[np.concatenate([[True], cand_group[order][1:] != cand_group[order][:-1]])]
    best = np.ones(size, dtype=np.complex128)
    better = cost[first] < current[cand_group[first]]
    best[cand_group[first][better]] = cand_scale[first][better]
    for k in range(1, len(scales)):
        if groups[k] is not None:
            selected = groups[k] >= 0
            rows = layout[k - 1].rows[selected]  # (moved blocks, r)
            scales[k][rows] *= best[groups[k][selected]][:, None]
    return int(np.sum(current[cand_group[first][better]] - cost[first][better]))
