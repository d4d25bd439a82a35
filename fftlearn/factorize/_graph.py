"""Is it an FFT? The dataflow graph of a factorization, its real operation count, and a test
whether its structure is the radix-2 Cooley–Tukey graph.

**Dataflow graph.** One node ``(k, i)`` per value: ``(0, i)`` is entry ``i`` of the permuted
input ``x[input_permutation]``, ``(k + 1, i)`` is entry ``i`` of ``F[k] @ (values of layer k)``.
Edge ``(k, j) -> (k + 1, i)`` for every weight ``F[k][i, j]`` kept; a weight is dropped when
``|w| <= tol · max|F[k]|``. Permutations only relabel values and cost nothing.

**Operation count** (real additions + real multiplications, one vector, trivial ones removed).
Every value is tracked as having a real part, an imaginary part, or both (a real input has no
imaginary part). Per factor:

1. *Products.* In each column ``j``, weights equal up to a factor ±1, ±i (``w`` and ``-w`` of a
   butterfly) share one product ``w · x_j``. A product needs one real multiplication per
   partial product (weight component × value component) whose weight component is not ±1, and
   ``P - 1`` additions to combine the ``P`` partials of each of its parts. So complex × complex
   = 4 multiplications + 2 additions = 6; real × complex = 2; ±1 and ±i are free (a sign or a
   swap of parts); an exact 0 is no weight at all.
2. *Sums.* Output ``i`` adds its terms: ``(r - 1) + (m - 1)`` additions when ``r`` terms have a
   real part and ``m`` an imaginary part (complex ± complex = 2, real + complex = 1).
3. *Scale.* A factor may be written ``c · F'`` with ``c > 0`` the most frequent magnitude among
   its weights' real and imaginary parts (if it occurs at least twice): whichever of ``F`` and
   ``F'`` costs less is counted. All such scales multiply into one global constant, which is not
   counted, as in every published FFT count (a unitary and an unnormalized FFT cost the same).

A dense complex matrix on a complex vector (all weights generic) costs ``8n² − 2n``
(``dense_flops``). The exact radix-2 FFT (``fft_factorization``, normalized or not) costs
``radix2_flops(n) = 5 n log2 n − 9 n + 12``: ``2n`` per factor for the additions, plus 6 per
butterfly whose twiddle is not ±1, ±i; there are ``(log2 n − 3) n/2 + 2`` of those. (Treating
``(±1 ± i)/sqrt 2`` with 2 multiplications would give the textbook ``5 n log2 n − 10 n + 16``;
split radix needs ``4 n log2 n − 6 n + 8``.)

**Radix-2 structure.** The radix-2 Cooley–Tukey graph of ``n = 2^L`` has ``L + 1`` layers of
``n`` nodes; node ``(k, x)`` (``x`` an ``L``-bit address) feeds ``(k + 1, x)`` and
``(k + 1, x XOR 2^k)``. ``is_radix2_fft_graph`` asks whether the kept weights' graph is that
graph up to relabeling the nodes within each layer (structure only: the Hadamard factorization
has it too). Factors with exactly one weight per row and per column only relabel (and scale)
values; they are merged into the next factor before the test. See ``is_radix2_fft_graph`` for
the exact test used at every size and its VF2 twin.
"""

from __future__ import annotations

from typing import Literal

import networkx as nx
import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from .._errors import ConfigError
from ..butterfly._butterfly import bit_reversal_permutation, butterfly_factor_indices
from ._product import SparseFactorization

# method="auto" asks networkx VF2++ up to this n and uses the address certificate above: the
# radix-2 graph has a huge automorphism group, and VF2 already needs seconds to minutes at n = 16
VF2_MAX_N = 8


def dense_flops(n: int) -> int:
    """Real flops of a dense complex ``(n, n)`` matrix times a complex vector: ``8n² − 2n``
    (``n²`` complex multiplications of 6, ``n(n − 1)`` complex additions of 2)."""
    return 8 * n * n - 2 * n


def radix2_flops(n: int) -> int:
    """Real flops of the radix-2 FFT with ±1, ±i twiddles skipped: ``5 n log2 n − 9 n + 12``.

    Equals ``operation_count(fft_factorization(n))`` (see the module docstring for the rule).
    """
    levels = _log2(n)
    return 5 * n * levels - 9 * n + 12


def split_radix_flops(n: int) -> int:
    """Real flops of the split-radix FFT: ``4 n log2 n − 6 n + 8`` (n >= 2)."""
    levels = _log2(n)
    return 4 * n * levels - 6 * n + 8


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
    for level in range(_log2(n)):
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


def operation_count(
    factorization: SparseFactorization, *, tol: float = 1e-12, complex_input: bool | None = None
) -> int:
    """Real operations to apply ``factorization`` to one vector (rule: module docstring).

    ``complex_input``: whether the input vector is complex; default: complex when any factor has
    a complex dtype (the DFT, also the DCT through the FFT), real otherwise (real factors).
    """
    kept = kept_factors(factorization, tol=tol)
    if complex_input is None:
        complex_input = any(np.iscomplexobj(factor.data) for factor in factorization.factors)
    has_real = np.ones(factorization.n, dtype=bool)
    has_imag = np.full(factorization.n, bool(complex_input))
    total = 0
    for factor in kept:
        ops, has_real, has_imag = _factor_operations(factor, has_real, has_imag, tol)
        total += ops
    return total


def _factor_operations(
    factor: scipy.sparse.csr_matrix, has_real: np.ndarray, has_imag: np.ndarray, tol: float
) -> tuple[int, np.ndarray, np.ndarray]:
    """Cost of one factor given which parts its inputs have; and which parts its outputs have."""
    n = factor.shape[0]
    if factor.nnz == 0:
        return 0, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    coo = factor.tocoo()
    weights = coo.data.astype(np.complex128)
    best = _operations_at_scale(coo.row, coo.col, weights, has_real, has_imag, tol, n)
    parts = np.abs(np.concatenate([weights.real, weights.imag]))
    parts = parts[parts > tol * np.abs(weights).max()]  # nonzero real and imaginary parts
    _, first, counts = np.unique(_quantize(parts, tol * parts.max()), return_index=True, return_counts=True)
    if counts.size and counts.max() >= 2:  # the most frequent magnitude, smallest on ties
        scale = float(parts[first[np.argmax(counts)]])
        scaled = _operations_at_scale(coo.row, coo.col, weights / scale, has_real, has_imag, tol, n)
        best = min(best, scaled, key=lambda result: result[0])
    return best


def _quantize(values: np.ndarray, step: float) -> np.ndarray:
    return np.round(values / step) if step > 0 else values


def _operations_at_scale(
    rows: np.ndarray,
    cols: np.ndarray,
    weights: np.ndarray,
    has_real: np.ndarray,
    has_imag: np.ndarray,
    tol: float,
    n: int,
) -> tuple[int, np.ndarray, np.ndarray]:
    threshold = tol * np.abs(weights).max()
    real, imag = _snap(weights.real, threshold), _snap(weights.imag, threshold)
    # canonical representative of w up to ±1, ±i: rotate into re > 0, im >= 0
    quadrant = [(real > 0) & (imag >= 0), (real <= 0) & (imag > 0), (real < 0) & (imag <= 0)]
    rep_real = np.select(quadrant, [real, imag, -real], default=-imag)
    rep_imag = np.select(quadrant, [imag, -real, -imag], default=real)
    x_real, x_imag = has_real[cols], has_imag[cols]
    x_parts = x_real.astype(np.int64) + x_imag
    w_imag = rep_imag != 0
    trivial = (rep_real == 1) & ~w_imag
    multiplies = (rep_real != 1) * x_parts + (w_imag & (rep_imag != 1)) * x_parts
    partial_real = x_real.astype(np.int64) + (w_imag & x_imag)
    partial_imag = x_imag.astype(np.int64) + (w_imag & x_real)
    inner_adds = np.maximum(partial_real - 1, 0) + np.maximum(partial_imag - 1, 0)
    cost = np.where(trivial, 0, multiplies + inner_adds)
    keys = np.stack([cols, _quantize(rep_real, threshold), _quantize(rep_imag, threshold)], axis=1)
    _, first = np.unique(keys, axis=0, return_index=True)  # one product per (column, class)
    products = int(cost[first].sum())
    term_real = ((real != 0) & x_real) | ((imag != 0) & x_imag)  # parts of the value w · x_j
    term_imag = ((real != 0) & x_imag) | ((imag != 0) & x_real)
    count_real = np.bincount(rows, weights=term_real, minlength=n).astype(np.int64)
    count_imag = np.bincount(rows, weights=term_imag, minlength=n).astype(np.int64)
    sums = int(np.maximum(count_real - 1, 0).sum() + np.maximum(count_imag - 1, 0).sum())
    return products + sums, count_real > 0, count_imag > 0


def _snap(part: np.ndarray, threshold: float) -> np.ndarray:
    """Parts within ``threshold`` of 0 become 0, within ``threshold`` of ±1 become ±1."""
    snapped = np.where(np.abs(part) <= threshold, 0.0, part)
    return np.where(np.abs(np.abs(snapped) - 1) <= threshold, np.sign(snapped), snapped)


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
    prefix = _tree_addresses(patterns, n)  # bits k..L-1 of each node of layer k
    suffix = _tree_addresses([p.T.tocsr() for p in reversed(patterns)], n)  # reversed graph
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


def _tree_addresses(patterns: list[scipy.sparse.csr_matrix], n: int) -> list[np.ndarray] | None:
    """Per layer ``k``, the prefix-tree bits ``k..L-1`` of each node (``None``: not a binary tree).

    Components of layers ``0..k`` come from scipy's ``connected_components``; every one must
    reach layer ``k``; the single component of all layers gets bits 0, and each component of
    layers ``0..k+1`` must split into exactly two of layers ``0..k``, which get bit ``k`` = 0
    (the one holding the smaller layer-``k`` index) and 1. On the reversed graph the same code
    gives the suffix bits, numbered from the other end (the caller reverses them).
    """
    levels = len(patterns)
    edges_u, edges_v = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]  # ids: layer * n + index
    components, labels = [], []  # per stage k: count and component of each node of layers 0..k
    for stage in range(levels + 1):
        if stage > 0:
            coo = patterns[stage - 1].tocoo()  # rows: layer `stage`, cols: layer `stage - 1`
            edges_u.append((stage - 1) * n + coo.col.astype(np.int64))
            edges_v.append(stage * n + coo.row.astype(np.int64))
        u, v, size = np.concatenate(edges_u), np.concatenate(edges_v), (stage + 1) * n
        adjacency = scipy.sparse.coo_matrix((np.ones(u.size), (u, v)), shape=(size, size))
        count, label = scipy.sparse.csgraph.connected_components(adjacency, directed=False)
        if np.unique(label[stage * n :]).size != count:  # a component that stops before layer k
            return None
        components.append(count)
        labels.append(label)
    if components[levels] != 1:
        return None
    bits = [np.zeros(count, dtype=np.int64) for count in components]  # per stage, per component
    index = np.arange(n)
    for stage in range(levels - 1, -1, -1):
        child = labels[stage][stage * n : (stage + 1) * n]  # layer `stage` belongs to both stages
        parent_of = np.zeros(components[stage], dtype=np.int64)
        parent_of[child] = labels[stage + 1][stage * n : (stage + 1) * n]
        if np.any(np.bincount(parent_of, minlength=components[stage + 1]) != 2):
            return None
        smallest = np.full(components[stage], n)
        np.minimum.at(smallest, child, index)
        order = np.lexsort((smallest, parent_of))  # children grouped by parent, smaller first
        second = np.zeros(components[stage], dtype=np.int64)
        second[order[1::2]] = 1
        bits[stage] = bits[stage + 1][parent_of] | (second << stage)
    return [bits[k][labels[k][k * n : (k + 1) * n]] for k in range(levels + 1)]


def _log2(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 2 or n & (n - 1):
        raise ConfigError("n", n, "must be a power of two >= 2")
    return n.bit_length() - 1
