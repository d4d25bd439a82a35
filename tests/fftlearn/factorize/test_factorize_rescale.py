"""The diagonal scaling with the fewest operations (``_rescale``), the cheap-eighth-root option of
``operation_count`` and ``radix4_flops``; checked against numpy.fft and a radix-4 FFT written
out here that counts its own operations."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from fftlearn import ConfigError
from fftlearn.factorize import (
    SparseFactorization,
    TargetConfig,
    fewest_operation_count,
    fewest_operation_counts,
    fft_factorization,
    hadamard_factorization,
    hierarchical_butterfly,
    make_target,
    operation_count,
    radix2_flops,
    radix4_flops,
    rescale_for_fewest_operations,
    split_radix_flops,
)
from tests.helpers import load_benchmark


def _dft(n: int) -> np.ndarray:
    return make_target(TargetConfig(name="dft", n=n)).matrix


def _same_product(a: SparseFactorization, b: SparseFactorization) -> float:
    dense_a, dense_b = a.to_dense(), b.to_dense()
    return float(np.linalg.norm(dense_a - dense_b) / np.linalg.norm(dense_a))


def _randomly_scaled(factorization: SparseFactorization, seed: int) -> SparseFactorization:
    """``F[k] -> D[k+1] F[k] D[k]^-1`` with random complex diagonals inside (outer ones 1)."""
    rng = np.random.default_rng(seed)
    n, count = factorization.n, len(factorization.factors)
    diagonals = (
        [np.ones(n)]
        + [rng.uniform(0.3, 3.0, n) * np.exp(2j * np.pi * rng.random(n)) for _ in range(count - 1)]
        + [np.ones(n)]
    )
    factors = tuple(
        scipy.sparse.csr_matrix(
            scipy.sparse.diags(diagonals[k + 1]) @ f @ scipy.sparse.diags(1 / diagonals[k])
        )
        for k, f in enumerate(factorization.factors)
    )
    return SparseFactorization(factors, factorization.input_permutation, factorization.output_permutation)


@pytest.mark.parametrize("n", [16, 64, 1024])
def test_rescaled_radix2_oracle_is_not_above_radix2(n):
    oracle = fft_factorization(n)
    rescaled = rescale_for_fewest_operations(oracle)
    assert operation_count(rescaled) <= radix2_flops(n)
    assert _same_product(oracle, rescaled) < 1e-12
    x = np.random.default_rng(0).normal(size=n) + 1j * np.random.default_rng(1).normal(size=n)
    np.testing.assert_allclose(rescaled.apply(x), np.fft.fft(x, norm="ortho"), atol=1e-12)


@pytest.mark.parametrize("n", [64, 256, 1024])
def test_exact_fit_rescaled_reaches_radix2(n):
    fit = hierarchical_butterfly(_dft(n))
    count = fewest_operation_count(fit)
    assert count <= radix2_flops(n)
    assert count <= operation_count(fit)


@pytest.mark.parametrize("n", [16, 64, 256])
def test_exact_fit_with_radix4_stages_reaches_radix4(n):
    levels = n.bit_length() - 1
    fit = hierarchical_butterfly(_dft(n))
    rescaled = rescale_for_fewest_operations(fit, stages=(2,) * (levels // 2))
    assert operation_count(rescaled) <= radix4_flops(n)
    assert _same_product(fit, rescaled) < 1e-12


def test_random_diagonal_scalings_are_undone():
    oracle = fft_factorization(64)
    scrambled = _randomly_scaled(oracle, seed=3)
    assert _same_product(oracle, scrambled) < 1e-12
    assert operation_count(scrambled) > 2 * radix2_flops(64)  # the scalings cost a lot as given
    rescaled = rescale_for_fewest_operations(scrambled)
    assert operation_count(rescaled) == fewest_operation_count(oracle) <= radix2_flops(64)
    assert _same_product(oracle, rescaled) < 1e-12


@pytest.mark.parametrize(
    "factorization",
    [
        fft_factorization(15, radices=(3, 5)),
        fft_factorization(64, radices=(4, 4, 4)),
        fft_factorization(32, radices=(2, 8, 2), inverse=True),
        hadamard_factorization(16),
    ],
    ids=["3x5", "4x4x4", "inverse 2x8x2", "hadamard"],
)
def test_product_never_changes_and_count_never_rises(factorization):
    for cheap in (False, True):
        rescaled = rescale_for_fewest_operations(factorization, cheap_eighth_roots=cheap)
        assert _same_product(factorization, rescaled) < 1e-12
        assert operation_count(rescaled, cheap_eighth_roots=cheap) <= operation_count(
            factorization, cheap_eighth_roots=cheap
        )


def test_factors_not_made_of_blocks_come_back_as_given():
    rng = np.random.default_rng(0)
    factor = scipy.sparse.random(8, 8, density=0.4, random_state=1, format="csr") + scipy.sparse.eye(8)
    given = SparseFactorization((scipy.sparse.csr_matrix(factor),) * 2, rng.permutation(8), np.arange(8))
    assert rescale_for_fewest_operations(given) is given
    dense = SparseFactorization((scipy.sparse.csr_matrix(_dft(8)),), np.arange(8), np.arange(8))
    assert rescale_for_fewest_operations(dense) is dense  # one factor: nothing to move
    wide = fft_factorization(128, radices=(128,))
    chained = SparseFactorization(wide.factors * 2, wide.input_permutation, wide.output_permutation)
    assert rescale_for_fewest_operations(chained) is chained  # blocks above 64


def test_cheap_eighth_roots_counts():
    for weight, general, cheap in [
        ((1 + 1j) / np.sqrt(2), 6, 4),
        (1 + 1j, 2, 2),
        (0.3 + 0.7j, 6, 6),
        (1j, 0, 0),
    ]:
        diagonal = scipy.sparse.csr_matrix(np.diag([1, 1, 1, weight]).astype(complex))  # 1 most frequent
        single = SparseFactorization((diagonal,), np.arange(4), np.arange(4))
        assert operation_count(single) == general
        assert operation_count(single, cheap_eighth_roots=True) == cheap
    for n in (16, 64, 1024):  # the textbook radix-2 count: 5 n log2 n - 10 n + 16
        levels = n.bit_length() - 1
        assert operation_count(fft_factorization(n), cheap_eighth_roots=True) == 5 * n * levels - 10 * n + 16


@pytest.mark.parametrize("n", [4, 16, 64, 256, 1024])
def test_radix4_flops_counts_a_running_radix4_fft(n):
    counting = load_benchmark("fewest_operations")
    x = np.random.default_rng(n).normal(size=n) + 1j * np.random.default_rng(n + 1).normal(size=n)
    result, ops = counting.radix4_counting(x)
    np.testing.assert_allclose(result, np.fft.fft(x), atol=1e-9)
    assert radix4_flops(n) == ops
    assert radix4_flops(1024) == 36872 and split_radix_flops(1024) < radix4_flops(1024) < radix2_flops(1024)


@pytest.mark.parametrize("n", [2, 4, 8, 16, 64, 256])
def test_split_radix_flops_counts_a_running_split_radix_fft(n):
    counting = load_benchmark("fewest_operations")
    x = np.random.default_rng(n).normal(size=n) + 1j * np.random.default_rng(n + 1).normal(size=n)
    cheap_result, cheap = counting.split_radix_counting(x, True)
    general_result, general = counting.split_radix_counting(x, False)
    np.testing.assert_allclose(cheap_result, np.fft.fft(x), atol=1e-9)
    np.testing.assert_allclose(general_result, np.fft.fft(x), atol=1e-9)
    assert cheap == split_radix_flops(n) <= general


def test_benchmark_table_at_a_tiny_size():
    benchmark = load_benchmark("fewest_operations")
    assert benchmark.parse_order("2,8L,4") == ((2, 2, 2, 2, 4), (1, 3, 1))
    references, counts = benchmark.reference_rows(16)
    assert counts == {"dense": 2016, "radix-2": 188, "split-radix": 168, "radix-4": 176}
    rows, best = benchmark.measured_rows(16, ["4L,4L", "4,4"])
    assert len(rows) == 3 and best["fit 4L,4L"][0] <= radix4_flops(16) < best["fit 4,4"][0]
    assert best["fit 4L,4L"][1] <= best["fit 4L,4L"][0]


def test_bad_arguments_get_one_line_errors():
    oracle = fft_factorization(16)
    with pytest.raises(ConfigError, match="stages"):
        rescale_for_fewest_operations(oracle, stages=(2, 1))
    with pytest.raises(ConfigError, match="stages"):
        rescale_for_fewest_operations(oracle, stages=(2, True, 1))
    with pytest.raises(ConfigError, match="cheap_eighth_roots"):
        rescale_for_fewest_operations(oracle, cheap_eighth_roots="yes")
    with pytest.raises(ConfigError, match="cheap_eighth_roots"):
        operation_count(oracle, cheap_eighth_roots=1)
    with pytest.raises(ConfigError, match="max_sweeps"):
        fewest_operation_count(oracle, max_sweeps=-1)
    for n in (8, 32, 12):
        with pytest.raises(ConfigError, match="n"):
            radix4_flops(n)


@pytest.mark.parametrize("stages", [None, (2, 2, 2)])
def test_both_counts_from_one_search_equal_the_separate_searches(stages: tuple[int, ...] | None) -> None:
    fitted = hierarchical_butterfly(make_target(TargetConfig(name="dft", n=64)).matrix)
    separate = tuple(
        fewest_operation_count(fitted, stages=stages, cheap_eighth_roots=cheap) for cheap in (False, True)
    )
    assert fewest_operation_counts(fitted, stages=stages) == separate == (1184, 1176)
