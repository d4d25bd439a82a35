"""Any composite N: targets against numpy/scipy, the DCT-II through the mixed-radix FFT, the
radix Kronecker patterns, and the hierarchical fitter with a radix order (the issue's targets:
the DFT of N = 12, 60, 360, 640, 1000 factored exactly, the certificate naming the order)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.fft

from fftlearn._config import config_from_json, config_to_json
from fftlearn._errors import ConfigError
from fftlearn.butterfly._radix import digit_reversal_permutation
from fftlearn.factorize import (
    BaselineFitConfig,
    GradientFitConfig,
    HierarchicalFitConfig,
    IHTFitConfig,
    L1FitConfig,
    RecoverFitConfig,
    fit_factorization,
    get_fitter,
    radix_chain,
)
from fftlearn.factorize._exact import dct2_factorization, fft_factorization
from fftlearn.factorize._kronecker import butterfly_chain, radix_pattern, support_mask, support_mask_reference
from fftlearn.factorize._targets import TargetConfig, load_matrix_file, make_target


def test_hadamard_alone_needs_a_power_of_two() -> None:
    with pytest.raises(ConfigError) as caught:
        TargetConfig(name="hadamard", n=12)
    assert str(caught.value) == "n: got 12; must be a power of two in [2, 8192] for name 'hadamard'"
    assert make_target(TargetConfig(name="hadamard", n=16)).matrix.shape == (16, 16)


def test_files_and_hidden_permutations_of_any_size(tmp_path: Path) -> None:
    path = tmp_path / "m.npy"
    matrix = np.random.default_rng(0).standard_normal((12, 12))
    np.save(path, matrix)
    np.testing.assert_array_equal(load_matrix_file(str(path)), matrix)
    hidden = make_target(TargetConfig(name="file", n=12, path=str(path), hidden_permutation=True, seed=3))
    np.testing.assert_array_equal(hidden.base_matrix, matrix)
    dft = make_target(TargetConfig(name="dft", n=60, hidden_permutation=True, seed=3))
    assert not np.array_equal(dft.row_permutation, np.arange(60))
    np.testing.assert_array_equal(dft.base_matrix, make_target(TargetConfig(name="dft", n=60)).matrix)


@pytest.mark.parametrize("n", [12, 60, 360, 640, 1000, 3, 15, 45])
def test_dct2_through_the_mixed_radix_fft_matches_scipy(n: int) -> None:
    x = np.random.default_rng(n).standard_normal((n, 3))
    for normalized, norm in ((True, "ortho"), (False, None)):
        dct = dct2_factorization(n, normalized=normalized)
        y = dct.apply(x)
        oracle = scipy.fft.dct(x, type=2, norm=norm, axis=0)
        assert np.linalg.norm(y.real - oracle) <= 1e-12 * np.linalg.norm(oracle)
        assert np.abs(y.imag).max() <= 1e-12 * np.abs(oracle).max()
        fft_nnz = sum(f.nnz for f in fft_factorization(n).factors)
        assert dct.nnz == fft_nnz + 2 * n - (2 if n % 2 == 0 else 1)


def test_dct2_takes_a_radix_order() -> None:
    x = np.random.default_rng(0).standard_normal(640)
    for radices in [(4, 4, 5, 2, 2, 2), (5, 2, 2, 2, 2, 2, 2, 2), (640,)]:
        dct = dct2_factorization(640, radices=radices)
        assert len(dct.factors) == len(radices) + 1
        assert np.abs(dct.apply(x).real - scipy.fft.dct(x, type=2, norm="ortho")).max() < 1e-12
    with pytest.raises(ConfigError, match=r"^radices: got \(4, 4\); the product must be N = 640"):
        dct2_factorization(640, radices=(4, 4))


@pytest.mark.parametrize("radices", [(4, 4, 5, 2, 2, 2), (2, 3, 5), (3, 2), (7,), (2, 2, 2)])
def test_radix_patterns_are_the_exact_factors_supports(radices: tuple[int, ...]) -> None:
    n = int(np.prod(radices))
    chain = radix_chain(radices)
    exact = fft_factorization(n, radices=radices)
    for stage, (pattern, factor) in enumerate(zip(chain, exact.factors, strict=True)):
        assert pattern == radix_pattern(radices, stage) and pattern.nnz == n * radices[stage]
        mask = support_mask(pattern)
        np.testing.assert_array_equal(mask, support_mask_reference(pattern))
        np.testing.assert_array_equal(mask, factor.toarray() != 0)  # the DFT's stages: no zero weights
    assert radix_chain((2,) * 5) == butterfly_chain(32)


def test_radix_pattern_errors() -> None:
    with pytest.raises(ConfigError, match=r"^stage: got 3; must be in \[0, 2\]"):
        radix_pattern((2, 3, 2), 3)
    with pytest.raises(ConfigError, match=r"^radices: got \(2, 1\)"):
        radix_chain((2, 1))


def test_hierarchical_config_takes_a_radix_order() -> None:
    config = HierarchicalFitConfig(radices=(4, 4, 5, 2, 2, 2))
    assert config_from_json(config_to_json(config)) == config
    assert (
        config_from_json('{"kind": "hierarchical_fit", "permutation": "bitrev"}') == HierarchicalFitConfig()
    )
    fitter = get_fitter("hierarchical")
    assert fitter(config).nnz_budget(640) == 640 * 19
    assert fitter(HierarchicalFitConfig()).nnz_budget(1000) == 1000 * 21
    assert fitter(HierarchicalFitConfig()).nnz_budget(64) == 2 * 64 * 6
    assert fitter(config).oracle(64) is None  # another size
    assert fitter(HierarchicalFitConfig(permutation="identity")).oracle(12) is None
    np.testing.assert_array_equal(
        fitter(config).oracle(640), make_target(TargetConfig(name="dft", n=640)).matrix
    )
    for bad, message in [
        ((4, 1), r"^radices: got \(4, 1\); must be a non-empty tuple of ints >= 2"),
        ((), r"^radices: got \(\); must be a non-empty tuple of ints >= 2"),
        ([2, 3], r"^radices: got \[2, 3\]; must be a tuple of ints >= 2"),
    ]:
        with pytest.raises(ConfigError, match=message):
            HierarchicalFitConfig(radices=bad)  # type: ignore[arg-type]
    dft = make_target(TargetConfig(name="dft", n=12)).matrix
    with pytest.raises(ConfigError, match=r"^radices: got \(4, 4\); the product must be N = 12"):
        fit_factorization(dft, HierarchicalFitConfig(radices=(4, 4)))


@pytest.mark.parametrize(
    ("n", "radices"),
    [
        (12, None),
        (60, None),
        (360, None),
        (640, None),
        (640, (4, 4, 5, 2, 2, 2)),
        (1000, None),
        (1000, (10, 10, 10)),
    ],
)
def test_issue_targets_are_factored_exactly_with_the_order_named(
    n: int, radices: tuple[int, ...] | None
) -> None:
    dft = make_target(TargetConfig(name="dft", n=n)).matrix
    result = fit_factorization(dft, HierarchicalFitConfig(radices=radices))
    order = radices or tuple(sorted(int(p) for p in _prime_factors(n)))
    assert result.relative_error <= 1e-12 and result.recovered_fft_structure
    assert result.fft_radices == order and result.nnz == n * sum(order)
    np.testing.assert_array_equal(result.factorization.input_permutation, digit_reversal_permutation(order))
    assert result.details["radix2_graph"] is False


def _prime_factors(n: int) -> list[int]:
    """Trial division, written out here so the test does not read the default order from the code."""
    factors, p = [], 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    return factors


def test_identity_permutation_is_no_fft_of_a_composite_size() -> None:
    dft = make_target(TargetConfig(name="dft", n=60)).matrix
    result = fit_factorization(dft, HierarchicalFitConfig(permutation="identity"))
    assert result.relative_error > 0.1 and not result.recovered_fft_structure


def test_other_fitters_at_a_composite_size() -> None:
    dft = make_target(TargetConfig(name="dft", n=60)).matrix
    for which in ("top_entries", "low_rank"):
        result = fit_factorization(dft, BaselineFitConfig(which=which))  # type: ignore[arg-type]
        assert 0.5 < result.relative_error < 1 and not result.recovered_fft_structure
        assert result.nnz <= get_fitter("baseline")(BaselineFitConfig()).nnz_budget(60) == 60 * 12
    assert get_fitter("iht")(IHTFitConfig()).nnz_budget(60) == 4 * 60 * 2  # 4 factors (2, 2, 3, 5)
    assert get_fitter("l1")(L1FitConfig()).nnz_budget(60) == 60 * 12
    quick = get_fitter("l1").quick_config(n=12, seed=0)
    dft12 = make_target(TargetConfig(name="dft", n=12)).matrix
    assert quick.n_factors == 3 and fit_factorization(dft12, quick).nnz <= 12 * 7
    recovered = fit_factorization(dft, RecoverFitConfig())  # unknown permutations: any composite N
    assert recovered.relative_error < 1e-12 and recovered.fft_radices is not None
    refusals = {"gradient": (GradientFitConfig(), "matrix")}  # a learned permutation needs a power of two
    for method, (config, field) in refusals.items():
        with pytest.raises(ConfigError) as caught:
            fit_factorization(dft, config)
        assert caught.value.field == field and "power of two" in caught.value.allowed, method
        assert len(str(caught.value).splitlines()) == 1
    with pytest.raises(ConfigError, match="^n: got 60; must be a power of two"):
        get_fitter("patterns").default_config(n=60, seed=0)


def test_unset_radix_fields_keep_the_stored_config_json() -> None:
    # trials stored before radix orders existed hold exactly this JSON; reproduce compares it byte for byte
    assert config_to_json(HierarchicalFitConfig()) == '{"kind":"hierarchical_fit","permutation":"bitrev"}'
    stored = '{"kind":"hierarchical_fit","permutation":"identity"}'
    assert config_from_json(stored) == HierarchicalFitConfig(permutation="identity")
    ordered = HierarchicalFitConfig(radices=(4, 4, 4), stages=(1, 1, 1))
    assert config_from_json(config_to_json(ordered)) == ordered
