"""Dataflow graphs, real operation counts and the radix-2 structure test ("is it an FFT?")."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse

from fftlearn._errors import ConfigError
from fftlearn.factorize._baselines import low_rank_baseline, top_entries_baseline
from fftlearn.factorize._exact import dct2_factorization, fft_factorization, hadamard_factorization
from fftlearn.factorize._flops import dense_flops, radix2_flops, split_radix_flops
from fftlearn.factorize._graph import VF2_MAX_N, dataflow_graph, is_radix2_fft_graph, radix2_graph
from fftlearn.factorize._operation_count import operation_count
from fftlearn.factorize._product import SparseFactorization
from fftlearn.factorize._score import make_fit_result
from fftlearn.factorize._targets import TargetConfig, make_target

SIZES = [2**k for k in range(1, 11)]  # 2 .. 1024


def _single(matrix: np.ndarray) -> SparseFactorization:
    n = matrix.shape[0]
    return SparseFactorization((scipy.sparse.csr_matrix(matrix),), np.arange(n), np.arange(n))


def _relabeled(factorization: SparseFactorization, rng: np.random.Generator) -> SparseFactorization:
    """The same matrix with the values of every layer relabeled by a random permutation:
    ``F'[k] = P[k+1] F[k] P[k]ᵀ`` (value ``i`` of new layer k is value ``p[k][i]`` of old layer k)."""
    n, factors = factorization.n, factorization.factors
    perms = [rng.permutation(n) for _ in range(len(factors) + 1)]
    new = tuple(scipy.sparse.csr_matrix(f[perms[k + 1]][:, perms[k]]) for k, f in enumerate(factors))
    output_permutation = np.argsort(perms[-1])[factorization.output_permutation]
    return SparseFactorization(new, factorization.input_permutation[perms[0]], output_permutation)


def _random_blocks(n: int, rng: np.random.Generator) -> SparseFactorization:
    """log2 n factors, each n/2 dense 2x2 blocks joining a random pairing of its inputs to a
    random pairing of its outputs: the right local structure, rarely the radix-2 graph."""
    factors = []
    for _ in range(n.bit_length() - 1):
        inputs, outputs = rng.permutation(n).reshape(-1, 2), rng.permutation(n).reshape(-1, 2)
        rows, cols = np.repeat(outputs, 2, axis=1).ravel(), np.tile(inputs, (1, 2)).ravel()
        factors.append(scipy.sparse.csr_matrix((rng.standard_normal(2 * n), (rows, cols)), shape=(n, n)))
    return SparseFactorization(tuple(factors), np.arange(n), np.arange(n))


def _swap_two_inputs(factorization: SparseFactorization, rng: np.random.Generator) -> SparseFactorization:
    """A near miss: in one random factor, two input values trade places (still 2x2 blocks)."""
    n, factors = factorization.n, list(factorization.factors)
    level = int(rng.integers(len(factors)))
    swap = np.arange(n)
    a, b = rng.choice(n, size=2, replace=False)
    swap[[a, b]] = swap[[b, a]]
    factors[level] = scipy.sparse.csr_matrix(factors[level][:, swap])
    return SparseFactorization(
        tuple(factors), factorization.input_permutation, factorization.output_permutation
    )


# ---------------------------------------------------------------- reference counts


def test_reference_formulas_by_hand() -> None:
    assert [dense_flops(n) for n in (2, 4, 8)] == [28, 120, 496]
    # radix-2: n=2 one butterfly (2 complex adds each side); n=4 two levels of 2n; n=8: 16 + 16 +
    # level 2 with twiddles 1, w8, -i, w8^3: 2 trivial pairs of 4 and 2 pairs of 6 + 4
    assert [radix2_flops(n) for n in (2, 4, 8)] == [4, 16, 60]
    assert [split_radix_flops(n) for n in (2, 4, 8, 16)] == [4, 16, 56, 168]
    with pytest.raises(ConfigError) as caught:
        radix2_flops(12)
    assert (caught.value.field, caught.value.allowed) == ("n", "must be a power of two >= 2")


@pytest.mark.parametrize("n", SIZES)
def test_radix2_formula_counts_the_butterflies(n: int) -> None:
    levels = int(math.log2(n))
    nontrivial = 0  # butterflies whose twiddle w^j, w = exp(-2πi/2h), is not ±1 or ±i
    for level in range(levels):
        half = 1 << level
        j = np.arange(half)
        nontrivial += (n // (2 * half)) * int(np.sum((4 * j) % (2 * half) != 0))
    assert radix2_flops(n) == 2 * n * levels + 6 * nontrivial


# ---------------------------------------------------------------- operation counts


@pytest.mark.parametrize("n", SIZES)
def test_exact_fft_costs_the_radix2_count_whatever_its_scaling(n: int) -> None:
    for inverse in (False, True):
        for normalized in (False, True):
            factorization = fft_factorization(n, inverse=inverse, normalized=normalized)
            assert operation_count(factorization) == radix2_flops(n), (inverse, normalized)
    levels = int(math.log2(n))
    for normalized in (False, True):  # real ±1 butterflies on a real vector: n additions per level
        assert operation_count(hadamard_factorization(n, normalized=normalized)) == n * levels
    assert operation_count(fft_factorization(n), complex_input=False) < radix2_flops(n)


def test_small_counts_by_hand() -> None:
    real = np.array([[1.0, 2.0], [3.0, 4.0]])
    # real vector: 3·x0, 2·x1, 4·x1 (1·x0 is free) and one addition per output
    assert operation_count(_single(real)) == 3 + 2
    # complex vector: each real-by-complex product is 2 multiplications, each sum 2 additions
    assert operation_count(_single(real), complex_input=True) == 3 * 2 + 2 * 2
    # (1 + 2i)·x0 = (a - 2b) + i(b + 2a): 2 multiplications and 2 additions; i·x1 is free
    assert operation_count(_single(np.diag([1 + 2j, 1j]))) == 4
    # only ±1, ±i weights: two complex additions, no multiplication
    assert operation_count(_single(np.array([[1j, 1], [1, -1j]]))) == 4
    # w and -w in one column share their product: 6 for w·x1, then 2 + 2 for the sums
    w = np.exp(-0.3j)
    assert operation_count(_single(np.array([[1, w], [1, -w]]))) == 6 + 4
    # a common real scale is free: 3·[[1, 1], [1, -1]] costs what [[1, 1], [1, -1]] costs
    assert operation_count(_single(3 * np.array([[1.0, 1.0], [1.0, -1.0]]))) == 2


@pytest.mark.parametrize("n", [2, 4, 16])
def test_dense_generic_matrices_cost_the_dense_count(n: int) -> None:
    rng = np.random.default_rng(n)
    complex_matrix = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    assert operation_count(_single(complex_matrix)) == dense_flops(n)
    assert operation_count(_single(rng.standard_normal((n, n)))) == 2 * n * n - n  # real on real


def test_zero_and_negligible_weights_are_dropped() -> None:
    matrix = np.array([[1.0, 1e-14], [2.0, 0.0]])  # 1e-14 is below tol · max|F| = 2e-12
    explicit_zero = scipy.sparse.csr_matrix((np.array([1.0, 0.0, 2.0]), ([0, 0, 1], [0, 1, 0])), shape=(2, 2))
    for factor in (scipy.sparse.csr_matrix(matrix), explicit_zero):
        factorization = SparseFactorization((factor,), np.arange(2), np.arange(2))
        assert operation_count(factorization) == 1  # only 2·x0
        assert dataflow_graph(factorization).number_of_edges() == 2
    assert operation_count(_single(matrix), tol=0.0) == 1 + 1 + 1  # 1e-14·x1 kept: one more product and sum


def test_dct_through_the_fft_count_by_hand() -> None:
    # n = 4, unnormalized: after the FFT (16), the twiddle factor G has 2 at (0, 0), sqrt 2 at
    # (2, 2), e^{-iπ/8} and e^{3iπ/8} in column 1 (rows 1, 3), e^{iπ/8} and e^{-3iπ/8} in column 3.
    # The two weights of a column differ by a factor ±i, so they share one product. The most
    # frequent part magnitude is sin(π/8) (or cos(π/8), same saving): scaled by it, e^{-iπ/8} has a
    # unit part and costs 2 multiplications + 2 additions instead of 6. Complex vector: 2 + 2 for
    # the real weights, 4 + 4 for the shared products, 2 + 2 for the sums of rows 1 and 3.
    dct = dct2_factorization(4, normalized=False)
    assert operation_count(dct) == radix2_flops(4) + 16
    # real vector: the FFT costs 4 + 2 (the -i butterfly is free), the real weights 1 each, the
    # products of the complex values 4 each, the two sums 2 each
    assert operation_count(dct, complex_input=False) == 6 + 14


# ---------------------------------------------------------------- dataflow graph


def test_dataflow_graph_of_the_fft() -> None:
    n, levels = 16, 4
    factorization = fft_factorization(n)
    graph = dataflow_graph(factorization)
    assert graph.graph == {"n": n, "n_layers": levels + 1}
    assert graph.number_of_nodes() == n * (levels + 1) and graph.number_of_edges() == 2 * n * levels
    assert all(graph.in_degree(node) == 2 for node in graph if node[0] > 0)
    assert all(graph.out_degree(node) == 2 for node in graph if node[0] < levels)
    assert [graph.nodes[(0, i)]["input_index"] for i in range(n)] == factorization.input_permutation.tolist()
    assert graph.nodes[(levels, 5)] == {"layer": levels, "output_index": 5}
    first = factorization.factors[0]
    assert graph.edges[(0, 1), (1, 0)]["weight"] == first[0, 1]
    reference = radix2_graph(n)
    assert sorted(reference.edges) == sorted(graph.edges)  # the FFT's graph is the reference itself


# ---------------------------------------------------------------- is it an FFT?


@pytest.mark.parametrize("n", SIZES[1:])
def test_fft_and_hadamard_are_recognised_up_to_relabeling(n: int) -> None:
    rng = np.random.default_rng(n)
    fft = fft_factorization(n)
    without_bit_reversal = SparseFactorization(fft.factors, np.arange(n), np.arange(n))
    relabeled = _relabeled(fft, rng)
    np.testing.assert_allclose(relabeled.to_dense(), fft.to_dense(), atol=1e-12)  # same matrix
    candidates = [fft, without_bit_reversal, relabeled, fft_factorization(n, inverse=True, normalized=False)]
    candidates.append(hadamard_factorization(n))  # the structure is radix-2, whatever the values
    for factorization in candidates:
        assert is_radix2_fft_graph(factorization)
        assert is_radix2_fft_graph(factorization, method="labels")
    if n <= VF2_MAX_N:  # VF2 can take minutes from n = 16 on (huge automorphism groups)
        assert is_radix2_fft_graph(relabeled, method="vf2")


@pytest.mark.parametrize("n", [4, 16, 256])
def test_relabeling_only_factors_are_merged(n: int) -> None:
    fft = fft_factorization(n)
    rng = np.random.default_rng(0)
    permutation = np.eye(n)[rng.permutation(n)]
    scaled = scipy.sparse.csr_matrix(2.0 * permutation)  # a scaled permutation: relabels values only
    undo = scipy.sparse.csr_matrix(fft.factors[1] @ (0.5 * permutation.T))
    factors = (fft.factors[0], scaled, undo, *fft.factors[2:], scaled)
    inserted = SparseFactorization(factors, fft.input_permutation, fft.output_permutation)
    np.testing.assert_allclose(inserted.to_dense(), 2 * permutation @ fft.to_dense(), atol=1e-12)
    assert is_radix2_fft_graph(inserted) and is_radix2_fft_graph(inserted, method="labels")
    mixed_factors = (fft.factors[0], scaled, *fft.factors[1:])
    mixed = SparseFactorization(mixed_factors, fft.input_permutation, fft.output_permutation)
    if n > 4:  # a permutation that is not undone changes the wiring between the butterfly levels
        assert not is_radix2_fft_graph(mixed)


@pytest.mark.parametrize("n", [4, 8, 64])
def test_other_structures_are_not_recognised(n: int) -> None:
    rng = np.random.default_rng(n)
    levels = int(math.log2(n))
    dft = make_target(TargetConfig(name="dft", n=n)).matrix
    scrambled = []  # log2 n factors with 2n nonzeros each, at random positions
    for _ in range(levels):
        positions = rng.choice(n * n, size=2 * n, replace=False)
        scrambled.append(scipy.sparse.csr_matrix((np.ones(2 * n), np.divmod(positions, n)), shape=(n, n)))
    dft_factors = fft_factorization(n).factors
    dense_factors = tuple(scipy.sparse.csr_matrix(rng.standard_normal((n, n))) for _ in range(levels))
    negatives = {
        "dense": _single(dft),
        "dense factors": SparseFactorization(dense_factors, np.arange(n), np.arange(n)),
        "top entries": top_entries_baseline(dft),
        "low rank": low_rank_baseline(dft),
        "scrambled supports": SparseFactorization(tuple(scrambled), np.arange(n), np.arange(n)),
        "dct through the fft": dct2_factorization(n),  # one factor too many
        "fft minus a level": SparseFactorization(dft_factors[1:], np.arange(n), np.arange(n)),
    }
    for label, factorization in negatives.items():
        assert not is_radix2_fft_graph(factorization), label
        assert not is_radix2_fft_graph(factorization, method="labels"), label


@pytest.mark.parametrize(("n", "cases"), [(4, 60), (8, 30)])
def test_address_certificate_agrees_with_vf2(n: int, cases: int) -> None:
    rng = np.random.default_rng(100 + n)
    verdicts = []
    for case in range(cases):
        fft = _relabeled(fft_factorization(n), rng)
        factorization = [_random_blocks(n, rng), _relabeled(_swap_two_inputs(fft, rng), rng), fft][case % 3]
        by_labels = is_radix2_fft_graph(factorization, method="labels")
        assert by_labels == is_radix2_fft_graph(factorization, method="vf2")
        verdicts.append(by_labels)
    assert 0 < sum(verdicts) < len(verdicts)  # both answers occur, so the comparison means something


def test_auto_method_and_errors() -> None:
    assert VF2_MAX_N >= 4
    with pytest.raises(ConfigError) as caught:
        is_radix2_fft_graph(fft_factorization(4), method="nauty")  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.allowed) == ("method", "must be 'auto', 'vf2' or 'labels'")


def test_make_fit_result_reports_ops_and_structure() -> None:
    n = 64
    dft = make_target(TargetConfig(name="dft", n=n)).matrix
    result = make_fit_result(fft_factorization(n), dft, seconds=0.0)
    assert result.recovered_fft_structure and result.ops == radix2_flops(n)
    assert result.relative_error < 1e-14 and result.nnz == 2 * n * 6
    baseline = make_fit_result(top_entries_baseline(dft), dft, seconds=0.0)
    assert not baseline.recovered_fft_structure and baseline.relative_error > 0.5
