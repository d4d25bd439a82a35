"""Is it an FFT of some radix order? ``fft_graph_radices`` against networkx VF2 on the
mixed-radix Cooley-Tukey graphs (``cooley_tukey_graph``), relabelings, near misses and random
block structures, and the order it names."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
import scipy.sparse

from fftlearn._errors import ConfigError
from fftlearn.factorize import cooley_tukey_graph, fft_graph_radices
from fftlearn.factorize._baselines import top_entries_baseline
from fftlearn.factorize._exact import dct2_factorization, fft_factorization, hadamard_factorization
from fftlearn.factorize._graph import dataflow_graph, is_radix2_fft_graph, radix2_graph
from fftlearn.factorize._product import SparseFactorization
from fftlearn.factorize._targets import TargetConfig, make_target


def _relabeled(factorization: SparseFactorization, rng: np.random.Generator) -> SparseFactorization:
    """The same matrix with every layer's values relabeled: ``F'[k] = P[k+1] F[k] P[k]ᵀ``."""
    n, factors = factorization.n, factorization.factors
    perms = [rng.permutation(n) for _ in range(len(factors) + 1)]
    new = tuple(scipy.sparse.csr_matrix(f[perms[k + 1]][:, perms[k]]) for k, f in enumerate(factors))
    output_permutation = np.argsort(perms[-1])[factorization.output_permutation]
    return SparseFactorization(new, factorization.input_permutation[perms[0]], output_permutation)


def _swap_two_inputs(
    factorization: SparseFactorization, rng: np.random.Generator, *, level: int
) -> SparseFactorization:
    """A near miss: in factor ``level``, two input values trade places (blocks stay r x r)."""
    n, factors = factorization.n, list(factorization.factors)
    swap = np.arange(n)
    a, b = rng.choice(n, size=2, replace=False)
    swap[[a, b]] = swap[[b, a]]
    factors[level] = scipy.sparse.csr_matrix(factors[level][:, swap])
    return SparseFactorization(
        tuple(factors), factorization.input_permutation, factorization.output_permutation
    )


def _random_blocks(radices: tuple[int, ...], rng: np.random.Generator) -> SparseFactorization:
    """One factor per radix r: N/r dense r x r blocks joining a random grouping of its inputs to a
    random grouping of its outputs. The right local structure, rarely the Cooley-Tukey graph."""
    n = int(np.prod(radices))
    factors = []
    for r in radices:
        inputs, outputs = rng.permutation(n).reshape(-1, r), rng.permutation(n).reshape(-1, r)
        rows, cols = np.repeat(outputs, r, axis=1).ravel(), np.tile(inputs, (1, r)).ravel()
        factors.append(scipy.sparse.csr_matrix((rng.standard_normal(n * r), (rows, cols)), shape=(n, n)))
    return SparseFactorization(tuple(factors), np.arange(n), np.arange(n))


def _orders(n: int, length: int) -> list[tuple[int, ...]]:
    """Every radix order of ``n`` with ``length`` radices (ints >= 2, product n)."""
    if length == 1:
        return [(n,)] if n >= 2 else []
    return [(r, *rest) for r in range(2, n + 1) if n % r == 0 for rest in _orders(n // r, length - 1)]


def _vf2_radices(factorization: SparseFactorization) -> tuple[int, ...] | None:
    """The reference: every radix order with as many stages as the graph has transitions,
    tried by networkx VF2++ (layer as node label); the one that is isomorphic, or None."""
    graph = dataflow_graph(factorization)
    found = [
        order
        for order in _orders(factorization.n, graph.graph["n_layers"] - 1)
        if nx.vf2pp_is_isomorphic(graph, cooley_tukey_graph(order), node_label="layer")
    ]
    assert len(found) <= 1  # a graph is the Cooley-Tukey graph of at most one order
    return found[0] if found else None


ORDERS = [
    (2, 3),
    (3, 2),
    (6,),
    (2, 2, 3),
    (3, 2, 2),
    (2, 3, 2),
    (4, 3),
    (3, 3, 2),
    (2, 9),
    (2, 2, 2, 3),
    (4, 3, 2),
]


@pytest.mark.parametrize("radices", ORDERS, ids=[",".join(map(str, o)) for o in ORDERS])
def test_relabeled_ffts_are_found_and_agree_with_vf2(radices: tuple[int, ...]) -> None:
    n = int(np.prod(radices))
    rng = np.random.default_rng(n + 7 * len(radices))
    fft = fft_factorization(n, radices=radices)
    for factorization in (_relabeled(fft, rng), _swap_two_inputs(fft, rng, level=0)):  # level 0: a relabeling
        assert fft_graph_radices(factorization) == radices == _vf2_radices(factorization)


# (radices, level, seed) of near misses: two inputs of stage `level` swapped (rng seed `seed`).
# Some swaps stay inside one r x r group and are harmless relabelings, the others break the
# wiring between stages. The cases are ones VF2 decides in about a second (it can take minutes
# to prove that two of these highly symmetric graphs differ).
NEAR_MISSES = [
    ((2, 3), 1, 0),
    ((2, 3), 1, 1),
    ((3, 2), 1, 0),
    ((3, 2), 1, 1),
    ((2, 2, 3), 1, 2),
    ((3, 2, 2), 2, 0),
    ((3, 2, 2), 2, 1),
    ((2, 3, 2), 1, 0),
    ((2, 3, 2), 1, 1),
    ((4, 3), 1, 1),
    ((3, 3, 2), 1, 0),
    ((2, 9), 1, 1),
    ((3, 6), 1, 0),
    ((4, 3, 2), 2, 0),
    ((2, 2, 2, 3), 2, 0),
    ((3, 2, 2, 2), 1, 0),
    ((3, 2, 2, 2), 2, 0),
]


def test_near_misses_agree_with_vf2() -> None:
    verdicts = []
    for radices, level, seed in NEAR_MISSES:
        fft = fft_factorization(int(np.prod(radices)), radices=radices)
        factorization = _swap_two_inputs(fft, np.random.default_rng(seed), level=level)
        certificate = fft_graph_radices(factorization)
        assert certificate == _vf2_radices(factorization), (radices, level, seed)
        assert certificate in (None, radices)
        verdicts.append(certificate is not None)
    assert 0 < sum(verdicts) < len(verdicts)  # both answers occur, so the comparison means something
    broken_sizes = {int(np.prod(radices)) for (radices, *_), ok in zip(NEAR_MISSES, verdicts) if not ok}
    assert {6, 12, 24} <= broken_sizes  # refused near misses at several sizes


def test_random_block_structures_agree_with_vf2() -> None:
    rng = np.random.default_rng(3)
    verdicts = []
    for case in range(24):
        radices = [(2, 3), (3, 2), (2, 2, 2)][case % 3]
        factorization = _random_blocks(radices, rng)
        certificate = fft_graph_radices(factorization)
        assert certificate == _vf2_radices(factorization)
        verdicts.append(certificate is not None)
    assert 0 < sum(verdicts) < len(verdicts)  # both answers occur, so the comparison means something


def test_orders_with_the_same_radices_are_told_apart() -> None:
    assert fft_graph_radices(fft_factorization(6, radices=(2, 3))) == (2, 3)
    assert fft_graph_radices(fft_factorization(6, radices=(3, 2))) == (3, 2)
    first, second = cooley_tukey_graph((2, 3)), cooley_tukey_graph((3, 2))
    assert not nx.vf2pp_is_isomorphic(first, second, node_label="layer")
    for radices in [(4, 4, 5, 2, 2, 2), (2, 2, 2, 2, 2, 2, 2, 5), (5, 2, 2, 2, 2, 2, 2, 2), (8, 5, 16)]:
        relabeled = _relabeled(fft_factorization(640, radices=radices), np.random.default_rng(1))
        assert fft_graph_radices(relabeled) == radices


def test_radix2_graphs_are_the_all_twos_order() -> None:
    for n in (4, 8, 16):
        ours, reference = cooley_tukey_graph((2,) * (n.bit_length() - 1)), radix2_graph(n)
        assert set(ours.edges) == set(reference.edges) and set(ours.nodes) == set(reference.nodes)
    for n in (2, 64, 1024):
        assert fft_graph_radices(fft_factorization(n)) == (2,) * (n.bit_length() - 1)
        assert fft_graph_radices(hadamard_factorization(n)) == (2,) * (n.bit_length() - 1)
        assert is_radix2_fft_graph(fft_factorization(n))
    assert not is_radix2_fft_graph(fft_factorization(12))  # a Cooley-Tukey graph, not radix 2


def test_other_structures_name_no_order() -> None:
    dft = make_target(TargetConfig(name="dft", n=12)).matrix
    single = SparseFactorization((scipy.sparse.csr_matrix(dft),), np.arange(12), np.arange(12))
    assert fft_graph_radices(single) == (12,)  # one dense stage IS the order (12,): the DFT itself
    fft = fft_factorization(12)
    negatives = {
        "top entries": top_entries_baseline(make_target(TargetConfig(name="dft", n=16)).matrix),
        "dct through the fft": dct2_factorization(12),  # one factor too many
        "a stage missing": SparseFactorization(fft.factors[1:], np.arange(12), np.arange(12)),
        "product not N": SparseFactorization(fft.factors + fft.factors[:1], np.arange(12), np.arange(12)),
    }
    for label, factorization in negatives.items():
        assert fft_graph_radices(factorization) is None, label


def test_small_weights_are_dropped_before_the_test() -> None:
    fft = fft_factorization(12)
    noisy = list(fft.factors)
    rows, cols = np.nonzero(np.ones((12, 12)))
    dust = scipy.sparse.csr_matrix((np.full(144, 1e-14), (rows, cols)), shape=(12, 12))
    noisy[1] = scipy.sparse.csr_matrix(noisy[1] + dust)  # dense, but only by rounding dust
    dusty = SparseFactorization(tuple(noisy), fft.input_permutation, fft.output_permutation)
    assert fft_graph_radices(dusty) == (2, 2, 3)
    assert fft_graph_radices(dusty, tol=0.0) is None


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: fft_graph_radices(np.eye(4)), "factorization"),
        (lambda: fft_graph_radices(fft_factorization(4), tol=-1.0), "tol"),
        (lambda: cooley_tukey_graph((2, 1)), "radices"),
    ],
)
def test_errors_name_the_argument(call, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        call()
    assert caught.value.field == field


def test_orders_helper_lists_every_order() -> None:
    assert sorted(_orders(12, 2)) == [(2, 6), (3, 4), (4, 3), (6, 2)]
    assert set(_orders(24, 4)) == set(itertools.permutations((2, 2, 2, 3)))
