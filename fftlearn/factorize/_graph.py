"""Is it an FFT? The dataflow graph of a factorization and a test whether its structure is the
radix-2 Cooley–Tukey graph (its operation count: ``_operation_count``).

**Dataflow graph.** One node ``(k, i)`` per value: ``(0, i)`` is entry ``i`` of the permuted
input ``x[input_permutation]``, ``(k + 1, i)`` is entry ``i`` of ``F[k] @ (values of layer k)``.
Edge ``(k, j) -> (k + 1, i)`` for every weight ``F[k][i, j]`` kept; a weight is dropped when
``|w| <= tol · max|F[k]|``. Permutations only relabel values and cost nothing.

**Radix-2 structure.** The radix-2 Cooley–Tukey graph of ``n = 2^L`` has ``L + 1`` layers of
``n`` nodes; node ``(k, x)`` (``x`` an ``L``-bit address) feeds ``(k + 1, x)`` and
``(k + 1, x XOR 2^k)``. ``is_radix2_fft_graph`` asks whether the kept weights' graph is that
graph up to relabeling the nodes within each layer (structure only: the Hadamard factorization
has it too). Factors with exactly one weight per row and per column only relabel (and scale)
values; they are merged into the next factor before the test. See ``is_radix2_fft_graph`` for
the exact test used at every size and its VF2 twin. Any composite ``n``, any radix order:
``_radix_graph.fft_graph_radices`` (which ``make_fit_result`` uses).
"""

from __future__ import annotations

from typing import Literal

import networkx as nx
import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from .._errors import ConfigError
from ..butterfly._butterfly import bit_reversal_permutation, butterfly_factor_indices
from ._flops import checked_log2
from ._product import SparseFactorization

# method="auto" asks networkx VF2++ up to this n and uses the address certificate above: the
# radix-2 graph has a huge automorphism group, and VF2 already needs seconds to minutes at n = 16
VF2_MAX_N = 8


def kept_factors(factorization: SparseFactorization, *, tol: float = 1e-12) -> list[scipy.sparse.csr_matrix]:
    """The factors with every weight ``|w| <= tol · max|F[k]|`` removed (CSR, canonical)."""
    kept = []
    for factor in factorization.factors:
        matrix = scipy.sparse.csr_matrix(factor, copy=True)
        matrix.sum_duplicates()
        magnitude = np.abs(matrix.data)
        largest = float(magnitude.max()) if magnitude.size else 0.0
        matrix.data[magnitude <= tol * largest] = 0
        matrix.eliminate_zeros()
        kept.append(matrix)
    return kept


def dataflow_graph(factorization: SparseFactorization, *, tol: float = 1e-12) -> nx.DiGraph:
    """The dataflow graph: nodes ``(layer, index)`` with attribute ``layer``; edges with ``weight``.

    Layer-0 nodes carry ``input_index`` (the input entry they read), last-layer nodes
    ``output_index`` (the output entry they become). Graph attributes: ``n``, ``n_layers``.
    """
    n, kept = factorization.n, kept_factors(factorization, tol=tol)
    graph = _layered_graph(n, [factor.tocoo() for factor in kept], weighted=True)
    graph.graph.update(n=n, n_layers=len(kept) + 1)
    output_of = np.argsort(factorization.output_permutation)  # value i becomes output output_of[i]
    for i in range(n):
        graph.nodes[(0, i)]["input_index"] = int(factorization.input_permutation[i])
        graph.nodes[(len(kept), i)]["output_index"] = int(output_of[i])
    return graph


def radix2_graph(n: int) -> nx.DiGraph:
    """The radix-2 Cooley–Tukey graph of ``n``: nodes ``(layer, index)`` with attribute ``layer``,
    edges ``(k, a) -> (k + 1, a)``, ``(k, a) -> (k + 1, a XOR 2^k)`` (the FFT's butterflies)."""
    transitions = []
    for level in range(checked_log2(n)):
        rows, cols = butterfly_factor_indices(n, level)  # (n/2, 2, 2) each
        ends = (rows.ravel(), cols.ravel())
        transitions.append(scipy.sparse.coo_matrix((np.ones(2 * n), ends), shape=(n, n)))
    return _layered_graph(n, transitions, weighted=False)


def _layered_graph(n: int, transitions: list[scipy.sparse.coo_matrix], *, weighted: bool) -> nx.DiGraph:
    """Nodes ``(k, i)`` for ``k = 0..len(transitions)``; edge ``(k, j) -> (k+1, i)`` per entry (i, j)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(((k, i), {"layer": k}) for k in range(len(transitions) + 1) for i in range(n))
    for k, coo in enumerate(transitions):
        ends = zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist())
        if weighted:
            graph.add_edges_from(((k, j), (k + 1, i), {"weight": w}) for i, j, w in ends)
        else:
            graph.add_edges_from(((k, j), (k + 1, i)) for i, j, _ in ends)
    return graph


def is_radix2_fft_graph(
    factorization: SparseFactorization,
    *,
    tol: float = 1e-12,
    method: Literal["auto", "vf2", "labels"] = "auto",
) -> bool:
    """Whether the dataflow graph (kept weights) is the radix-2 Cooley–Tukey graph of ``n``,
    up to relabeling the nodes of each layer. Values are ignored: only which weights are kept.

    ``method``: ``"vf2"`` builds both graphs and asks ``networkx.vf2pp_is_isomorphic`` with the
    layer as node label (the reference); ``"labels"`` is the exact address certificate below;
    ``"auto"`` uses VF2 for ``n <= VF2_MAX_N`` and the certificate above.

    Address certificate. Write ``n = 2^L``. In the Cooley–Tukey graph, the connected components
    of the layers ``0..k`` are the nodes whose addresses agree on bits ``k..L-1`` ("prefix"
    components, a binary tree over ``k``: each component of layers ``0..k+1`` is the union of
    exactly two of layers ``0..k``), and the components of layers ``k..L`` are the nodes whose
    addresses agree on bits ``0..k-1`` ("suffix" components, again a binary tree). So the
    address of a node of layer ``k`` is recovered as (suffix-tree path to its component of
    layers ``k..L``: bits ``0..k-1``) + (prefix-tree path to its component of layers ``0..k``:
    bits ``k..L-1``), choosing 0/1 arbitrarily at each split of each tree. The test computes
    these addresses and accepts iff (a) each layer's addresses are a permutation of
    ``0..n-1``, (b) every edge ``(k, u) -> (k+1, s)`` has addresses that differ at most in bit
    ``k`` and (c) every transition has exactly ``2n`` edges.
    *Sound*: (a)–(c) make the addresses a layer-preserving bijection that maps the edges of the
    graph one-to-one onto the ``2n`` edges per transition of the Cooley–Tukey graph: an
    isomorphism. *Complete*: if an isomorphism ``ψ`` exists, the trees are as described and the
    addresses read off ``ψ`` satisfy (a)–(c); another 0/1 choice at a prefix split of layers
    ``0..k`` flips bit ``k`` on that component's layers ``0..k``, at a suffix split of layers
    ``k+1..L`` flips bit ``k`` on layers ``k+1..L``; both maps are automorphisms of the
    Cooley–Tukey graph (an edge at transition ``k`` gains or loses bit ``k`` only, other
    transitions see both ends flipped or neither), so the computed addresses are ``ψ`` followed
    by an automorphism and pass too. Tests compare it with VF2 on random graphs made of 2x2
    blocks and on near misses (two inputs of one factor swapped), for n = 4 and 8. Cost:
    ``O(n log² n)``; about 20–60 ms at n = 1024 on a 2-core machine.
    """
    if method not in ("auto", "vf2", "labels"):
        raise ConfigError("method", method, "must be 'auto', 'vf2' or 'labels'")
    n = factorization.n
    if n < 2 or n & (n - 1):
        return False
    patterns = _merged_patterns(kept_factors(factorization, tol=tol))
    levels = n.bit_length() - 1
    if len(patterns) != levels:
        return False
    if method == "vf2" or (method == "auto" and n <= VF2_MAX_N):
        return _is_radix2_vf2(patterns, n)
    return _is_radix2_by_addresses(patterns, n)


def _merged_patterns(kept: list[scipy.sparse.csr_matrix]) -> list[scipy.sparse.csr_matrix]:
    """Supports (int 0/1 CSR); factors with one weight per row and column merged into the next."""
    merged: list[scipy.sparse.csr_matrix] = []
    pending: scipy.sparse.csr_matrix | None = None  # relabeling to apply before the next factor
    for factor in kept:
        ones = np.ones(factor.nnz, dtype=np.int64)
        pattern = scipy.sparse.csr_matrix((ones, factor.indices, factor.indptr), shape=factor.shape)
        if np.all(pattern.getnnz(axis=0) == 1) and np.all(pattern.getnnz(axis=1) == 1):
            pending = pattern if pending is None else pattern @ pending
            continue
        if pending is not None:
            pattern = (pattern @ pending).tocsr()
            pending = None
        merged.append(pattern)
    return merged


def _is_radix2_vf2(patterns: list[scipy.sparse.csr_matrix], n: int) -> bool:
    graph = _layered_graph(n, [pattern.tocoo() for pattern in patterns], weighted=False)
    return bool(nx.vf2pp_is_isomorphic(graph, radix2_graph(n), node_label="layer"))


def _is_radix2_by_addresses(patterns: list[scipy.sparse.csr_matrix], n: int) -> bool:
    levels = len(patterns)
    if any(p.nnz != 2 * n for p in patterns):
        return False
    twos = (2,) * levels
    prefix = tree_digits(patterns, twos, n)  # bits k..L-1 of each node of layer k
    suffix = tree_digits([p.T.tocsr() for p in reversed(patterns)], twos, n)  # reversed graph
    if prefix is None or suffix is None:
        return False
    addresses = []
    mirror = bit_reversal_permutation(n)  # suffix bits were numbered from the last layer
    for layer in range(levels + 1):
        address = prefix[layer] | mirror[suffix[levels - layer]]
        if not np.array_equal(np.sort(address), np.arange(n)):
            return False
        addresses.append(address)
    for level, pattern in enumerate(patterns):
        coo = pattern.tocoo()  # rows: outputs (layer level + 1), cols: inputs (layer level)
        difference = addresses[level][coo.col] ^ addresses[level + 1][coo.row]
        if np.any(difference & ~(1 << level)):
            return False
    return True


def tree_digits(
    patterns: list[scipy.sparse.csr_matrix], radices: tuple[int, ...], n: int
) -> list[np.ndarray] | None:
    """Per layer ``k``, the prefix-tree digits ``k..L-1`` of each node as an address of
    ``radices`` (``None``: the components are not that tree).

    Components of layers ``0..k`` come from scipy's ``connected_components``; every one must
    reach layer ``k``; the single component of all layers gets address 0, and each component of
    layers ``0..k+1`` must split into exactly ``r_k`` components of layers ``0..k``, which get
    digit ``k`` = 0, 1, ... in the order of their smallest layer-``k`` index.
    """
    levels = len(patterns)
    places = np.cumprod((1,) + radices)
    components, labels = prefix_components(patterns, n)
    if components is None or components[levels] != 1:
        return None
    digits = [np.zeros(count, dtype=np.int64) for count in components]  # per stage, per component
    index = np.arange(n)
    for stage in range(levels - 1, -1, -1):
        child = labels[stage][stage * n : (stage + 1) * n]  # layer `stage` belongs to both stages
        parent_of = np.zeros(components[stage], dtype=np.int64)
        parent_of[child] = labels[stage + 1][stage * n : (stage + 1) * n]
        radix = radices[stage]
        if np.any(np.bincount(parent_of, minlength=components[stage + 1]) != radix):
            return None
        smallest = np.full(components[stage], n)
        np.minimum.at(smallest, child, index)
        order = np.lexsort((smallest, parent_of))  # children grouped by parent, smaller first
        digit = np.zeros(components[stage], dtype=np.int64)
        digit[order] = np.arange(components[stage]) % radix
        digits[stage] = digits[stage + 1][parent_of] + digit * places[stage]
    return [digits[k][labels[k][k * n : (k + 1) * n]] for k in range(levels + 1)]


def prefix_components(
    patterns: list[scipy.sparse.csr_matrix], n: int
) -> tuple[list[int] | None, list[np.ndarray]]:
    """Per stage ``k``, the number of components of layers ``0..k`` and the component of each of
    their nodes (ids ``layer·n + index``); ``None`` when a component stops before layer ``k``."""
    edges_u, edges_v = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    components, labels = [], []
    for stage in range(len(patterns) + 1):
        if stage > 0:
            coo = patterns[stage - 1].tocoo()  # rows: layer `stage`, cols: layer `stage - 1`
            edges_u.append((stage - 1) * n + coo.col.astype(np.int64))
            edges_v.append(stage * n + coo.row.astype(np.int64))
        u, v, size = np.concatenate(edges_u), np.concatenate(edges_v), (stage + 1) * n
        adjacency = scipy.sparse.coo_matrix((np.ones(u.size), (u, v)), shape=(size, size))
        count, label = scipy.sparse.csgraph.connected_components(adjacency, directed=False)
        if np.unique(label[stage * n :]).size != count:  # a component that stops before layer k
            return None, []
        components.append(count)
        labels.append(label)
    return components, labels
