"""Hierarchical exact butterfly factorization (arXiv 2110.01230) against numpy/scipy oracles,
exact butterfly products and its slow loop-over-blocks reference twin."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.linalg
import torch

from fftlearn._errors import ConfigError
from fftlearn.butterfly._butterfly import (
    bit_reversal_permutation,
    butterfly_dense_matrix,
    butterfly_factor_indices,
    butterfly_nonzeros,
    random_unitary_twiddles,
)
from fftlearn.factorize import HierarchicalFitConfig, fit_factorization
from fftlearn.factorize._hierarchical import (
    RANK_ONE_TOL,
    TREES,
    _fix_phase,
    _rank_one,
    _rank_one_svd,
    hierarchical_butterfly,
    hierarchical_butterfly_reference,
)
from fftlearn.factorize._operation_count import operation_count
from fftlearn.factorize._product import relative_error, rmse_per_real_entry
from fftlearn.factorize._score import FitResult

SIZES = [2**k for k in range(1, 9)]  # 2 .. 256


def _target(name: str, n: int, seed: int = 0) -> np.ndarray:
    """Matrices with an exact butterfly factorization after the bit-reversal input permutation."""
    if name == "dft":
        return np.fft.fft(np.eye(n), norm="ortho")
    if name == "idft":
        return np.fft.ifft(np.eye(n), norm="ortho")
    if name == "hadamard":
        return scipy.linalg.hadamard(n)  # integers, unnormalised
    generator = torch.Generator().manual_seed(seed)
    if name == "random_unitary":
        twiddles = random_unitary_twiddles(n, generator=generator, dtype=torch.complex128)
    elif name == "random_gaussian":  # real, not unitary
        twiddles = torch.randn(n.bit_length() - 1, n // 2, 2, 2, generator=generator, dtype=torch.float64)
    else:
        raise KeyError(name)
    return butterfly_dense_matrix(twiddles).numpy()


def _permutation(name: str, n: int) -> np.ndarray:
    """The known input permutation: Sylvester's Hadamard matrix is itself a butterfly product
    (identity); the others are butterfly products times the bit reversal."""
    return np.arange(n) if name == "hadamard" else bit_reversal_permutation(n)


def _max_factor_difference(first, second) -> float:
    """Largest entry difference between the factors of two factorizations."""
    assert len(first.factors) == len(second.factors)
    return max(float(np.abs(a.toarray() - b.toarray()).max()) for a, b in zip(first.factors, second.factors))


@pytest.mark.parametrize("name", ["dft", "idft", "hadamard", "random_unitary", "random_gaussian"])
@pytest.mark.parametrize("n", SIZES)
def test_exact_recovery_with_butterfly_supports(name: str, n: int) -> None:
    target, perm = _target(name, n, seed=n), _permutation(name, n)
    factorization = hierarchical_butterfly(target, input_permutation=None if name != "hadamard" else perm)
    assert relative_error(factorization.to_dense(), target) <= 1e-12
    assert factorization.nnz == butterfly_nonzeros(n) == 2 * n * (n.bit_length() - 1)
    np.testing.assert_array_equal(factorization.input_permutation, perm)
    np.testing.assert_array_equal(factorization.output_permutation, np.arange(n))
    complex_target = np.iscomplexobj(target)
    for level, factor in enumerate(factorization.factors):
        assert factor.dtype == (np.complex128 if complex_target else np.float64)
        rows, cols = butterfly_factor_indices(n, level)
        expected = {(int(r), int(c)) for r, c in zip(rows.ravel(), cols.ravel())}
        coo = factor.tocoo()
        assert set(zip(coo.row.tolist(), coo.col.tolist())) == expected  # exactly the butterfly support


def test_dft_at_1024() -> None:
    target = _target("dft", 1024)
    factorization = hierarchical_butterfly(target)
    assert relative_error(factorization.to_dense(), target) <= 1e-12
    assert factorization.nnz == 2 * 1024 * 10
    x = np.random.default_rng(0).standard_normal((1024, 3))
    np.testing.assert_allclose(factorization.apply(x), np.fft.fft(x, axis=0, norm="ortho"), atol=1e-12)


@pytest.mark.parametrize("tree", TREES)
def test_every_tree_is_exact(tree: str) -> None:
    target = _target("random_unitary", 64, seed=3)
    factorization = hierarchical_butterfly(target, tree=tree)
    assert relative_error(factorization.to_dense(), target) <= 1e-12
    assert tree in factorization.label


def test_given_input_permutation() -> None:
    n = 32
    perm = np.random.default_rng(5).permutation(n)
    twiddles = random_unitary_twiddles(n, generator=torch.Generator().manual_seed(5), dtype=torch.complex128)
    butterfly = butterfly_dense_matrix(twiddles, bit_reverse_input=False).numpy()
    target = butterfly @ np.eye(n)[perm]  # M x = B (x[perm])
    factorization = hierarchical_butterfly(target, input_permutation=perm)
    assert relative_error(factorization.to_dense(), target) <= 1e-12
    np.testing.assert_array_equal(factorization.input_permutation, perm)
    assert "given input permutation" in factorization.label
    wrong = hierarchical_butterfly(target)  # bit reversal: not this matrix's permutation
    assert relative_error(wrong.to_dense(), target) > 0.1


def test_hadamard_is_not_a_butterfly_after_bit_reversal() -> None:
    target = _target("hadamard", 16)  # H P = P H: a butterfly only up to a row permutation
    assert relative_error(hierarchical_butterfly(target).to_dense(), target) > 0.1


def test_matrix_without_butterfly_structure_gives_large_error() -> None:
    target = np.random.default_rng(1).standard_normal((64, 64))
    factorization = hierarchical_butterfly(target)
    error = relative_error(factorization.to_dense(), target)
    assert 0.5 < error < 1.0  # best effort on fixed supports, not a crash
    assert all(np.isfinite(f.data).all() for f in factorization.factors)


@pytest.mark.parametrize(
    "radices, nnz", [((4, 4, 4), 64 * 4 * 3), ((8, 8), 64 * 8 * 2), ((2, 4, 8), 64 * (2 + 4 + 8))]
)
def test_other_power_of_two_radices(radices: tuple[int, ...], nnz: int) -> None:
    target = _target("dft", 64)
    factorization = hierarchical_butterfly(target, radices=radices)
    assert len(factorization.factors) == len(radices)
    assert relative_error(factorization.to_dense(), target) <= 1e-12
    assert factorization.nnz == nnz
    reference = hierarchical_butterfly_reference(target, radices=radices)
    assert _max_factor_difference(factorization, reference) <= 1e-12


@pytest.mark.parametrize("tree", TREES)
@pytest.mark.parametrize("name", ["dft", "hadamard", "random_unitary", "random_gaussian"])
@pytest.mark.parametrize("n", [2, 4, 8, 16, 32])
def test_reference_twin_gives_the_same_factors(n: int, name: str, tree: str) -> None:
    target, perm = _target(name, n, seed=7), _permutation(name, n)
    fast = hierarchical_butterfly(target, tree=tree, input_permutation=perm)
    slow = hierarchical_butterfly_reference(target, tree=tree, input_permutation=perm)
    scale = max(float(np.abs(f.data).max()) for f in slow.factors)
    assert _max_factor_difference(fast, slow) <= 1e-12 * scale
    assert relative_error(slow.to_dense(), target) <= 1e-12


def test_reference_twin_on_a_matrix_that_is_not_a_butterfly() -> None:
    rng = np.random.default_rng(2)
    target = rng.standard_normal((16, 16)) + 1j * rng.standard_normal((16, 16))
    fast = hierarchical_butterfly(target)
    slow = hierarchical_butterfly_reference(target)
    assert _max_factor_difference(fast, slow) <= 1e-10
    slow_error = relative_error(slow.to_dense(), target)
    assert relative_error(fast.to_dense(), target) == pytest.approx(slow_error, rel=1e-10)


def test_rank_one_fast_path_matches_svd() -> None:
    rng = np.random.default_rng(4)
    u = rng.standard_normal((6, 5)) + 1j * rng.standard_normal((6, 5))
    v = rng.standard_normal((6, 3)) + 1j * rng.standard_normal((6, 3))
    blocks = u[:, :, None] * v[:, None, :]  # (6, 5, 3), rank one
    blocks[1] = 0  # a zero block
    blocks[2] += 1e-3 * (rng.standard_normal((5, 3)) + 1j * rng.standard_normal((5, 3)))  # rank 3: SVD path
    blocks[3] += 1e-9 * rng.standard_normal((5, 3))  # within RANK_ONE_TOL of rank one: power path
    assert 1e-9 < RANK_ONE_TOL
    fast_u, fast_v = _rank_one(blocks)
    svd_u, svd_v = _fix_phase(*_rank_one_svd(blocks))
    np.testing.assert_allclose(fast_u, svd_u, atol=1e-12)
    np.testing.assert_allclose(fast_v, svd_v, atol=1e-12)
    np.testing.assert_array_equal(fast_u[1], 0)
    approx = fast_u[:, :, None] * fast_v[:, None, :]
    np.testing.assert_allclose(approx[[0, 4, 5]], blocks[[0, 4, 5]], atol=1e-14)
    best = np.linalg.svd(blocks[2], compute_uv=False)
    assert np.linalg.norm(blocks[2] - approx[2]) == pytest.approx(np.sqrt((best[1:] ** 2).sum()), rel=1e-10)


def test_the_hierarchical_fitter_reports_a_fit_result() -> None:
    target = _target("dft", 64)
    result = fit_factorization(target, HierarchicalFitConfig())
    assert isinstance(result, FitResult)
    dense = result.factorization.to_dense()
    assert result.relative_error == relative_error(dense, target) <= 1e-12
    assert result.rmse == rmse_per_real_entry(dense, target)
    assert result.nnz == 2 * 64 * 6
    assert result.seconds > 0
    assert result.details == {"method": "hierarchical", "radix2_graph": True}
    assert result.ops == operation_count(result.factorization) > 0
    assert result.recovered_fft_structure is True  # the DFT's factors have the radix-2 graph
    random = np.random.default_rng(0).standard_normal((64, 64))
    assert fit_factorization(random, HierarchicalFitConfig()).relative_error > 0.5


@pytest.mark.parametrize(
    "matrix, shown",
    [
        (np.broadcast_to(0.0, (16384, 16384)), "(16384, 16384)"),  # a view: no memory
        (np.ones((8, 16)), "(8, 16)"),
        (np.ones(8), "(8,)"),
        (np.ones((1, 1)), "(1, 1)"),
        (np.ones((2, 2, 2)), "(2, 2, 2)"),
    ],
)
def test_bad_shape_names_matrix(matrix: np.ndarray, shown: str) -> None:
    with pytest.raises(ConfigError, match="^matrix: got " + re.escape(shown)) as info:
        hierarchical_butterfly(matrix)
    assert info.value.field == "matrix"
    for permutation in ("bitrev", "identity"):
        with pytest.raises(ConfigError) as info:
            fit_factorization(matrix, HierarchicalFitConfig(permutation=permutation))
        assert info.value.field == "matrix"


def test_other_bad_inputs_name_their_argument() -> None:
    bad_values = np.eye(8)
    bad_values[2, 3] = np.nan
    with pytest.raises(ConfigError, match="^matrix: got 'non-finite entries'"):
        hierarchical_butterfly(bad_values)
    with pytest.raises(ConfigError, match="^matrix: got '<U1'"):
        hierarchical_butterfly(np.full((4, 4), "a"))
    with pytest.raises(ConfigError, match=r"^input_permutation: got \(8,\); must be a permutation of 0..7"):
        hierarchical_butterfly(np.eye(8), input_permutation=np.zeros(8, dtype=int))
    with pytest.raises(ConfigError, match=r"^input_permutation: got \(4,\)"):
        hierarchical_butterfly(np.eye(8), input_permutation=np.arange(4))
    with pytest.raises(ConfigError, match="^tree: got 'bbtree'; must be one of balanced, left, right"):
        hierarchical_butterfly(np.eye(8), tree="bbtree")
    allowed = r"the product must be N = 8 \(it is 4\)"
    with pytest.raises(ConfigError, match=r"^radices: got \(2, 2\); " + allowed + "$"):
        hierarchical_butterfly(np.eye(8), radices=(2, 2))
    with pytest.raises(ConfigError, match="^radices: got 8; must be a non-empty tuple of ints >= 2"):
        hierarchical_butterfly(np.eye(8), radices=8)
    with pytest.raises(ConfigError, match=r"^radices: got \(3, 3\)"):
        hierarchical_butterfly(np.eye(9)[:8, :8], radices=(3, 3))
    with pytest.raises(ConfigError, match=r"^radices: got \(1, 8\); must be a non-empty tuple of ints >= 2"):
        hierarchical_butterfly(np.eye(8), radices=(1, 8))
