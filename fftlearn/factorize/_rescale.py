"""The diagonal scaling of a factorization with the fewest real operations:
``rescale_for_fewest_operations`` and ``fewest_operation_count``.

An exact factorization ``F[L-1] ··· F[0]`` is determined only up to diagonal scalings between
factors: ``F[k] -> D[k+1] F[k] D[k]^-1`` keeps the product. The radix-2 FFT, the radix-2² FFT
(radix 4 as pairs of radix-2 layers) and split radix share one flowgraph and differ only by such
scalings; an exact fit on that support (``hierarchical_butterfly``) carries arbitrary ones from
its SVD splits. The search below chooses the scalings from the fitted numbers alone (no DFT
formula), scoring with ``_operation_count``'s rule (``_rescale_layout``):

1. *Starts.* (a) forward sharing: layer by layer, each block's rows
   scaled so that its first column becomes all ones (columns then share products up to ±1, ±i);
   (b) with ``stages`` (factors per stage of the radix order, e.g. ``(2, 2, 2, 2, 2)`` for
   radix 4 as radix-2 pairs at N = 1024), also (a) and then, inside each stage, a spanning forest of
   its inner columns made trivial, which pushes every multiplication of a stage to its first
   layer of columns (the radix-2² form), each stage's blocks then moved as one.
2. *Descent.* Sweeps over the layers, forward and back: every block of a layer moves to its best
   candidate scale (``_rescale_moves``; the blocks of one layer are independent), then the
   global output scale, then (with ``stages``) each stage's connected blocks as one, then the
   connected blocks of every window of 2 and of 3 consecutive factors as one (a move that keeps
   the window's inner columns; the split-radix and radix-2² rearrangements are of this kind);
   until a sweep saves nothing. No move raises the cost.
   With ``cheap_eighth_roots``: the cheap descent, and the general one followed by the cheap one.
3. The cheapest result by ``operation_count`` (the original too, so it never gets worse).

The product is kept to rounding; weights within 1e-10 of 0, ±1 in a part are snapped there.
Factorizations with a factor not made of full blocks of one size (``_rescale_layout``), with
blocks larger than ``MAX_BLOCK`` (64) or with a single factor are returned as given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from .._errors import ConfigError
from ._graph import kept_factors
from ._operation_count import operation_count
from ._product import SparseFactorization
from ._rescale_layout import FactorBlocks, factor_blocks
from ._rescale_moves import group_step

MAX_BLOCK = 64  # factors with larger blocks (a dense matrix, say) are returned as given
WINDOWS = (2, 3)  # factors per window of the window moves
SNAP = 1e-10  # parts within this (relative to the weight) of 0 or of ±1 are snapped


def fewest_operation_count(
    factorization: SparseFactorization,
    *,
    stages: Sequence[int] | None = None,
    cheap_eighth_roots: bool = False,
    max_sweeps: int = 50,
) -> int:
    """``operation_count`` of ``rescale_for_fewest_operations(...)``: real additions +
    multiplications on one vector at the best diagonal scaling found."""
    best = rescale_for_fewest_operations(
        factorization, stages=stages, cheap_eighth_roots=cheap_eighth_roots, max_sweeps=max_sweeps
    )
    return operation_count(best, cheap_eighth_roots=cheap_eighth_roots)


def fewest_operation_counts(
    factorization: SparseFactorization, *, stages: Sequence[int] | None = None, max_sweeps: int = 50
) -> tuple[int, int]:
    """``fewest_operation_count`` without and with ``cheap_eighth_roots``, from one search (the
    general descent, which the cheap search continues from, runs once)."""
    general, cheap = _best_scalings(factorization, stages, max_sweeps, with_cheap=True)
    return operation_count(general), operation_count(cheap, cheap_eighth_roots=True)


def rescale_for_fewest_operations(
    factorization: SparseFactorization,
    *,
    stages: Sequence[int] | None = None,
    cheap_eighth_roots: bool = False,
    max_sweeps: int = 50,
) -> SparseFactorization:
    """The same product with the node scales that need the fewest real operations found (see
    the module docstring). ``stages``: factors per stage of the radix order (positive ints,
    sum = number of factors), e.g. ``(2, 2, 2, 2, 2)``; ``None``: no stage start.
    ``cheap_eighth_roots``: score ``a·(±1 ± i)`` as 4, not 6 (``operation_count``'s option)."""
    _checked(stages, len(kept_factors(factorization)), cheap_eighth_roots, max_sweeps)
    general, cheap = _best_scalings(factorization, stages, max_sweeps, with_cheap=cheap_eighth_roots)
    return cheap if cheap_eighth_roots else general


def _best_scalings(
    factorization: SparseFactorization, stages: Sequence[int] | None, max_sweeps: int, *, with_cheap: bool
) -> tuple[SparseFactorization, SparseFactorization]:
    """The best rescaled factorization found under the general count and, ``with_cheap``, under
    the cheap-eighth-roots count (else the given one). From every start: the general descent;
    with cheap eighth roots also the cheap descent continuing from it and the cheap descent alone
    (each of the two greedy paths finds scalings the other misses)."""
    kept = kept_factors(factorization)
    stages = _checked(stages, len(kept), False, max_sweeps)
    layout = [factor_blocks(factor) for factor in kept]
    best = {False: factorization, True: factorization}
    best_ops = {cheap: operation_count(factorization, cheap_eighth_roots=cheap) for cheap in (False, True)}

    def consider(scales: list[np.ndarray], conventions: tuple[bool, ...]) -> None:
        candidate = _rebuilt(factorization, layout, scales)
        for cheap in conventions:
            ops = operation_count(candidate, cheap_eighth_roots=cheap)
            if ops < best_ops[cheap]:
                best[cheap], best_ops[cheap] = candidate, ops

    if len(layout) < 2 or any(blocks is None or blocks.rows.shape[1] > MAX_BLOCK for blocks in layout):
        return factorization, factorization  # nothing to move between factors, or not (small) blocks
    # (start, the counts it serves): forward sharing serves both; a stage start is made per count
    starts = [(_forward_sharing(layout), (False, True) if with_cheap else (False,))]
    if stages is not None:
        counts = (False, True) if with_cheap else (False,)
        starts += [(_stage_start(layout, stages, cheap), (cheap,)) for cheap in counts]
    for start, counts in starts:
        if True in counts:  # the cheap descent alone
            scales = [layer.copy() for layer in start]
            _descend(layout, scales, stages, True, max_sweeps)
            consider(scales, (True,))
        scales = [layer.copy() for layer in start]
        _descend(layout, scales, stages, False, max_sweeps)  # the general descent
        consider(scales, counts)
        if True in counts:  # the cheap descent continuing from the general one
            _descend(layout, scales, stages, True, max_sweeps)
            consider(scales, (True,))
    return best[False], best[True]


def _checked(stages, count: int, cheap: bool, max_sweeps: int) -> tuple[int, ...] | None:
    if not isinstance(cheap, bool):
        raise ConfigError("cheap_eighth_roots", cheap, "must be true or false")
    if isinstance(max_sweeps, bool) or not isinstance(max_sweeps, int) or max_sweeps < 0:
        raise ConfigError("max_sweeps", max_sweeps, "must be an int >= 0")
    if stages is None:
        return None
    values = tuple(stages) if isinstance(stages, (list, tuple)) else None
    if (
        values is None
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in values)
        or sum(values) != count
    ):
        raise ConfigError("stages", stages, f"must be ints >= 1 summing to the {count} factors")
    return values


def _identity(n: int, count: int) -> list[np.ndarray]:
    return [np.ones(n, dtype=np.complex128) for _ in range(count + 1)]


def _forward_sharing(layout: list[FactorBlocks]) -> list[np.ndarray]:
    """Start (b): each block's first column made all ones, layer by layer (not the outputs)."""
    scales = _identity(layout[0].col_rows.shape[0], len(layout))
    for k, blocks in enumerate(layout[:-1]):
        reference = scales[k][blocks.cols[:, 0]][:, None]  # (nb, 1): scale of each first column
        scales[k + 1][blocks.rows] = reference / blocks.weights[:, :, 0]
    return scales


def _stage_graph(
    layout: list[FactorBlocks], start: int, size: int
) -> tuple[scipy.sparse.csr_matrix, list, dict]:
    """Vertices: the blocks of layers ``start+1 .. start+size`` (offsets per layer); edges: the
    stage's inner columns (factors ``start+1 .. start+size-1``), each to the block of its rows.
    Returns the graph, the offsets and ``{(vertex, vertex): (factor, column)}``."""
    offsets = [0]
    for k in range(start + 1, start + size + 1):
        offsets.append(offsets[-1] + layout[k - 1].rows.shape[0])
    edges: dict[tuple[int, int], tuple[int, int]] = {}
    heads, tails = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for index, k in enumerate(range(start + 1, start + size)):
        head = offsets[index] + layout[k - 1].row_block  # (N,) vertex of node j of layer k
        tail = offsets[index + 1] + layout[k].row_block[layout[k].col_rows[:, 0]]
        heads.append(head)
        tails.append(tail)
        for j, (u, v) in enumerate(zip(head.tolist(), tail.tolist())):
            edges.setdefault((u, v), (k, j))
            edges.setdefault((v, u), (k, j))
    u, v = np.concatenate(heads), np.concatenate(tails)
    total = offsets[-1]
    graph = scipy.sparse.coo_matrix((np.ones(u.size), (u, v)), shape=(total, total)).tocsr()
    return graph, offsets, edges


def _stage_start(layout: list[FactorBlocks], stages: tuple[int, ...], cheap: bool) -> list[np.ndarray]:
    """Start (c): forward sharing, then in each stage a spanning forest of its inner columns made
    trivial (grown from the outputs where the stage ends there), then the stage moves."""
    scales = _forward_sharing(layout)
    last, start = len(layout), 0
    for size in stages:
        if size > 1:
            _spanning_forest(layout, scales, start, size, last)
        start += size
    for groups in _stage_groups(layout, stages):
        group_step(layout, scales, groups, cheap)
    return scales


def _spanning_forest(
    layout: list[FactorBlocks], scales: list[np.ndarray], start: int, size: int, last: int
) -> None:
    graph, offsets, edges = _stage_graph(layout, start, size)
    total = offsets[-1]
    count, label = scipy.sparse.csgraph.connected_components(graph, directed=False)
    roots = np.full(count, -1)
    if start + size == last:  # the outputs are fixed: they are the roots of their components
        outputs = np.arange(offsets[-2], total)
        roots[label[outputs]] = outputs[0]
    else:
        outputs = np.zeros(0, dtype=np.int64)
    unrooted = roots < 0
    roots[unrooted] = np.array(
        [np.flatnonzero(label == c)[0] for c in np.flatnonzero(unrooted)], dtype=np.int64
    )
    sources = np.unique(np.concatenate([roots, outputs]))
    virtual = scipy.sparse.coo_matrix(
        (np.ones(sources.size), (np.full(sources.size, total), sources)), shape=(total + 1, total + 1)
    )
    padded = scipy.sparse.bmat([[graph, None], [None, scipy.sparse.csr_matrix((1, 1))]]) + virtual
    order, parent = scipy.sparse.csgraph.breadth_first_order(padded, total, directed=False)
    layer_of = np.searchsorted(offsets, np.arange(total), side="right")  # 1-based stage layer
    for vertex in order[1:].tolist():
        if parent[vertex] == total:
            continue
        k, j = edges[(int(parent[vertex]), vertex)]
        layer = start + int(layer_of[vertex])  # layer of the vertex's block
        value = layout[k].col_weights[j, 0] * scales[k + 1][layout[k].col_rows[j, 0]] / scales[k][j]
        rows = layout[layer - 1].rows[vertex - offsets[layer - start - 1]]
        scales[layer][rows] *= (1 / value) if layer == k + 1 else value


def _stage_groups(layout: list[FactorBlocks], stages: tuple[int, ...]) -> list[list[np.ndarray | None]]:
    """Per stage of more than one factor: its connected blocks as groups (one move each)."""
    moves, start = [], 0
    for size in stages:
        if size > 1:
            moves.append(_window_groups(layout, start, size))
        start += size
    return moves


def _window_groups(layout: list[FactorBlocks], start: int, size: int) -> list[np.ndarray | None]:
    """The blocks of layers ``start+1 .. start+size`` joined by the inner columns of factors
    ``start+1 .. start+size-1``: one group per connected part (those holding outputs fixed)."""
    last = len(layout)
    graph, offsets, _ = _stage_graph(layout, start, size)
    count, label = scipy.sparse.csgraph.connected_components(graph, directed=False)
    groups: list[np.ndarray | None] = [None] * (last + 1)
    fixed = np.zeros(count, dtype=bool)
    for index, k in enumerate(range(start + 1, start + size + 1)):
        groups[k] = label[offsets[index] : offsets[index + 1]].copy()
        if k == last:
            fixed[groups[k]] = True
    for k in range(start + 1, start + size + 1):
        groups[k] = np.where(fixed[groups[k]], -1, groups[k])
    return groups


def _descend(
    layout: list[FactorBlocks], scales: list[np.ndarray], stages, cheap: bool, max_sweeps: int
) -> None:
    """Sweeps of layer moves (forward, back), the global output move, stage and window moves."""
    last = len(layout)
    layers = list(range(1, last)) + list(range(last - 1, 0, -1))
    output_group: list[np.ndarray | None] = [None] * (last + 1)
    output_group[last] = np.zeros(layout[-1].rows.shape[0], dtype=np.int64)
    stage_moves = _stage_groups(layout, stages) if stages is not None else []
    stage_moves += [  # every window of 2 and 3 factors: its connected blocks moved as one
        _window_groups(layout, start, size) for size in WINDOWS for start in range(last - size + 1)
    ]
    for _ in range(max_sweeps):
        saved = 0
        for k in layers:
            groups: list[np.ndarray | None] = [None] * (last + 1)
            groups[k] = np.arange(layout[k - 1].rows.shape[0])
            saved += group_step(layout, scales, groups, cheap)
        saved += group_step(layout, scales, output_group, cheap)
        for groups in stage_moves:
            saved += group_step(layout, scales, groups, cheap)
        if saved == 0:
            break


def _rebuilt(
    factorization: SparseFactorization, layout: list[FactorBlocks], scales: list[np.ndarray]
) -> SparseFactorization:
    """The factors under ``scales``; a global output scale goes back into the factor with the
    most trivial weights (a factor's common scale is not counted)."""
    n = factorization.n
    factors, trivial = [], []
    for k, blocks in enumerate(layout):
        rows = np.repeat(blocks.rows, blocks.cols.shape[1], axis=1).ravel()  # (nb·r·r,)
        cols = np.tile(blocks.cols, (1, blocks.rows.shape[1])).ravel()
        weights = blocks.weights.reshape(-1) * scales[k + 1][rows] / scales[k][cols]
        weights = _snapped(weights)
        trivial.append(int(np.sum(np.isin(weights, (1, -1, 1j, -1j)))))
        factors.append(scipy.sparse.csr_matrix((weights, (rows, cols)), shape=(n, n)))
    output = scales[-1][0]
    holder = int(np.argmax(trivial))
    factors[holder] = factors[holder] / output
    return SparseFactorization(
        factors=tuple(factors),
        input_permutation=factorization.input_permutation,
        output_permutation=factorization.output_permutation,
        label=factorization.label + ", rescaled for fewest operations",
    )


def _snapped(weights: np.ndarray) -> np.ndarray:
    size = np.abs(weights)
    parts = []
    for part in (weights.real, weights.imag):
        part = np.where(np.abs(part) <= SNAP * size, 0.0, part)
        parts.append(np.where(np.abs(np.abs(part) - 1) <= SNAP, np.sign(part), part))
    return parts[0] + 1j * parts[1]
