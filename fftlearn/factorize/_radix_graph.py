"""Is it an FFT of *some* radix order? The mixed-radix Cooley–Tukey graph and a certificate that
reads the radix order off a factorization's dataflow graph (``_graph`` has the radix-2 case).

**Mixed-radix Cooley–Tukey graph.** A radix order ``(r_0, ..., r_{L-1})`` (ints >= 2, product
``N``) writes an address ``x < N`` in mixed radix: digit ``k`` is ``(x // p_k) % r_k`` with place
``p_k = r_0···r_{k-1}``. The graph has ``L + 1`` layers of ``N`` nodes; node ``(k, x)`` feeds
the ``r_k`` nodes ``(k + 1, y)`` whose address differs from ``x`` at most in digit ``k``. That is
the support chain of the mixed-radix DIT FFT (``fftlearn.butterfly._radix``: stage ``k`` on
``I_a ⊗ 1_{r_k×r_k} ⊗ I_{p_k}``), so transition ``k`` has ``N·r_k`` edges; with every radix 2
it is the radix-2 graph of ``_graph.radix2_graph``.

**The order is read off the graph.** Transition ``k`` of a Cooley–Tukey graph has ``N·r_k``
edges, so a graph is isomorphic to the graph of at most one order, and that order is
``(edges of transition k) / N``: ``(2, 3)`` and ``(3, 2)`` are told apart by their first
transition. ``fft_graph_radices`` returns it when the graph is isomorphic to that order's
graph (``None`` otherwise), decided by the address certificate of ``fft_graph_radices``.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from .._errors import ConfigError
from ..butterfly._radix import check_radices
from ._graph import _layered_graph, _merged_patterns, kept_factors, tree_digits
from ._kronecker import radix_chain, support_indices
from ._product import SparseFactorization


def cooley_tukey_graph(radices: tuple[int, ...] | list[int]) -> nx.DiGraph:
    """The mixed-radix Cooley–Tukey graph of ``radices`` (``r_0`` first): nodes ``(layer, index)``
    with attribute ``layer``, ``N·r_k`` edges ``(k, j) -> (k + 1, i)`` at transition ``k``, one
    per support entry ``(i, j)`` of ``radix_pattern(radices, k)``. The reference graph for
    networkx VF2 (``vf2pp_is_isomorphic(..., node_label="layer")``)."""
    radices = check_radices(radices)
    n = int(np.prod(radices))
    transitions = []
    for pattern in radix_chain(radices):
        rows, cols = support_indices(pattern)
        transitions.append(scipy.sparse.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n)))
    return _layered_graph(n, transitions, weighted=False)


def fft_graph_radices(factorization: SparseFactorization, *, tol: float = 1e-12) -> tuple[int, ...] | None:
    """The radix order whose Cooley–Tukey graph the dataflow graph is isomorphic to (up to
    relabeling the nodes of each layer), or ``None`` when there is none.

    The graph is ``_graph.dataflow_graph``'s: weights ``|w| <= tol · max|F[k]|`` dropped,
    factors with one weight per row and per column (relabelings) merged into the next. The
    candidate order is ``r_k = (edges of transition k) / N``; it must be ints >= 2 with product
    ``N``. Then the address certificate (the radix-2 one of ``is_radix2_fft_graph`` with digits
    for bits). In the Cooley–Tukey graph the components of layers ``0..k`` are the nodes that
    agree on digits ``k..L-1`` ("prefix" tree: each component of layers ``0..k+1`` is the union
    of exactly ``r_k`` components of layers ``0..k``), and the components of layers ``k..L``
    are those that agree on digits ``0..k-1`` ("suffix" tree, the same on the reversed graph).
    A node of layer ``k`` gets digits ``k..L-1`` from its path in the prefix tree and digits
    ``0..k-1`` from its path in the suffix tree, numbering the ``r`` children of each split
    ``0..r-1`` (by their smallest layer index; any numbering works). Accepted iff (a) each
    layer's addresses are a permutation of ``0..N-1``, (b) every edge of transition ``k`` joins
    addresses that differ at most in digit ``k``, (c) transition ``k`` has ``N·r_k`` edges.
    *Sound*: (a)–(c) map the edges one-to-one onto the ``N·r_k`` edges of each transition of
    the Cooley–Tukey graph, a layer-preserving isomorphism. *Complete*: given an isomorphism,
    the trees are as described, and another numbering of the children at a prefix split of
    layers ``0..k`` permutes digit ``k`` on that component's layers ``0..k`` (at a suffix split:
    on layers ``k+1..L``), an automorphism of the Cooley–Tukey graph (an edge of transition
    ``k`` keeps differing in digit ``k`` only; other transitions see both ends changed alike),
    so the computed addresses pass too. Tests compare it with networkx VF2 on small orders and
    near misses. Cost ``O(N L²)`` with scipy's connected components.
    """
    if not isinstance(factorization, SparseFactorization):
        raise ConfigError("factorization", type(factorization).__name__, "must be a SparseFactorization")
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 <= tol < 1:
        raise ConfigError("tol", tol, "must be a number in [0, 1)")
    n = factorization.n
    patterns = _merged_patterns(kept_factors(factorization, tol=tol))
    radices = _candidate_order(patterns, n)
    if radices is None or not _addresses_certify(patterns, radices, n):
        return None
    return radices


def _candidate_order(patterns: list[scipy.sparse.csr_matrix], n: int) -> tuple[int, ...] | None:
    """``(edges of transition k) / N`` per transition when those are ints >= 2 with product ``N``."""
    if n < 2 or not patterns or any(p.nnz % n or p.nnz < 2 * n for p in patterns):
        return None
    radices = tuple(p.nnz // n for p in patterns)
    if int(np.prod(radices, dtype=object)) != n:
        return None
    return radices


def _addresses_certify(patterns: list[scipy.sparse.csr_matrix], radices: tuple[int, ...], n: int) -> bool:
    """Conditions (a) and (b) of ``fft_graph_radices`` on the tree addresses ((c) holds by the
    choice of the candidate order)."""
    levels = len(radices)
    places = np.cumprod((1,) + radices)  # places[k] = r_0···r_{k-1}; places[L] = N
    prefix = tree_digits(patterns, radices, n)  # digits k..L-1 of each node of layer k
    reversed_patterns = [p.T.tocsr() for p in reversed(patterns)]
    suffix = tree_digits(reversed_patterns, radices[::-1], n)  # on the reversed graph
    if prefix is None or suffix is None:
        return False
    addresses = []
    for layer in range(levels + 1):
        address = prefix[layer] + _reverse_digits(suffix[levels - layer], radices)
        if not np.array_equal(np.sort(address), np.arange(n)):
            return False
        addresses.append(address)
    for level, pattern in enumerate(patterns):
        coo = pattern.tocoo()  # rows: outputs (layer level + 1), cols: inputs (layer level)
        lower, upper = addresses[level][coo.col], addresses[level + 1][coo.row]
        low, high = places[level], places[level + 1]
        if np.any(lower % low != upper % low) or np.any(lower // high != upper // high):
            return False
    return True


def _reverse_digits(values: np.ndarray, radices: tuple[int, ...]) -> np.ndarray:
    """Addresses written in the reversed order's digits (digit ``j`` radix ``r_{L-1-j}``) as
    addresses of ``radices`` (that digit becomes digit ``L-1-j``)."""
    levels = len(radices)
    result = np.zeros_like(values)
    rest = values.copy()
    places = np.cumprod((1,) + radices)
    for j in range(levels):
        radix = radices[levels - 1 - j]
        result += (rest % radix) * places[levels - 1 - j]
        rest //= radix
    return result
