"""The search for hidden row and column permutations of Kronecker-sparse products
(``fftlearn.factorize._search``, ``_search_level``, ``_search_cluster``): structure recovery for
any radix order, with noise, zero and rank-one blocks, and why it fails on the controls."""

from __future__ import annotations

import numpy as np
import pytest

from fftlearn._errors import ConfigError
from fftlearn.butterfly._butterfly import butterfly_nonzeros
from fftlearn.factorize._fitter import fit_factorization
from fftlearn.factorize._kronecker import butterfly_pattern, support_mask
from fftlearn.factorize._product import relative_error
from fftlearn.factorize._search import bloch_vectors, find_butterfly_labels, recover_butterfly
from fftlearn.factorize._search_cluster import few_clusters, projective_features, small_groups
from fftlearn.factorize._search_level import find_level
from fftlearn.factorize.fitters._recover import RecoverFitConfig
from tests.matrices import (
    dft,
    factor_supports,
    hadamard,
    hide,
    legendre_like,
    random_butterfly,
    random_kronecker_product,
    with_noise,
)


def test_bloch_vectors_identify_proportional_pairs_by_value() -> None:
    x = np.array([1.0, 1j, -1.0, 2.0 + 0j])
    y = np.array([1j, 1.0, 1.0, 0.0])  # |x| = |y| in the first three: magnitudes cannot tell them apart
    points = bloch_vectors(x, y)
    np.testing.assert_allclose(np.linalg.norm(points, axis=-1), 1.0)
    np.testing.assert_allclose(bloch_vectors((0.3 - 2j) * x, (0.3 - 2j) * y), points, atol=1e-15)
    assert np.linalg.norm(points[0] - points[1]) > 1 and np.linalg.norm(points[0] - points[2]) > 1


def test_projective_features_are_projectors_and_agree_with_bloch_vectors() -> None:
    rng = np.random.default_rng(0)
    v, w = rng.standard_normal((2, 50, 5)) + 1j * rng.standard_normal((2, 50, 5))
    fv, fw = projective_features(v), projective_features(w)
    assert fv.shape == (50, 25)
    np.testing.assert_allclose(projective_features((2 - 3j) * v), fv, atol=1e-14)  # scale and phase
    overlap = np.abs(np.sum(np.conj(v) * w, axis=1)) ** 2 / (
        np.sum(np.abs(v) ** 2, 1) * np.sum(np.abs(w) ** 2, 1)
    )
    np.testing.assert_allclose(np.sum((fv - fw) ** 2, axis=1), 2 - 2 * overlap, atol=1e-12)
    projector = np.einsum("pi,pj->pij", v, np.conj(v)) / np.sum(np.abs(v) ** 2, axis=1)[:, None, None]
    np.testing.assert_allclose(np.sum(fv**2, axis=1), np.sum(np.abs(projector) ** 2, axis=(1, 2)), atol=1e-12)
    assert not projective_features(np.zeros((3, 4))).any()
    pairs = v[:, :2], w[:, :2]  # D = 2: the distance is the Bloch distance / sqrt(2)
    bloch = np.linalg.norm(bloch_vectors(*pairs[0].T) - bloch_vectors(*pairs[1].T), axis=-1)
    distance = np.linalg.norm(projective_features(pairs[0]) - projective_features(pairs[1]), axis=-1)
    np.testing.assert_allclose(distance, bloch / np.sqrt(2), atol=1e-12)


def small_groups_reference(features: np.ndarray, r: int) -> set[frozenset[int]]:
    """Slow twin of ``small_groups`` for well-separated groups: the full distance matrix, and
    each item with every item at distance below half the smallest between-group distance."""
    distance = np.linalg.norm(features[:, None] - features[None], axis=-1)
    return {frozenset(np.flatnonzero(row < 0.5).tolist()) for row in distance}


@pytest.mark.parametrize("r", [2, 3, 5])
def test_small_groups_find_planted_groups_like_their_slow_twin(r: int) -> None:
    rng = np.random.default_rng(r)
    centres = rng.standard_normal((40, 6)) * 10
    items = np.repeat(centres, r, axis=0) + 1e-3 * rng.standard_normal((40 * r, 6))
    order = rng.permutation(40 * r)
    groups, score = small_groups(items[order], r)
    assert {frozenset(g.tolist()) for g in groups} == small_groups_reference(items[order], r)
    assert groups.shape == (40, r) and score < 1e-3
    _, score = small_groups(rng.standard_normal((40 * r, 6)), r)  # no groups: a poor score
    assert score > 0.01


def test_few_clusters_finds_balanced_classes_and_refuses_coinciding_ones() -> None:
    rng = np.random.default_rng(1)
    centres = projective_features(rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2)))
    truth = rng.permutation(np.repeat(np.arange(3), 30))
    points = (centres[truth] + 1e-6 * rng.standard_normal((90, 4)))[:, None, :]  # (S, P=1, F)
    distances, score, labels = few_clusters(points, np.ones((90, 1)), 3)
    assert score[0] < 1e-9 and distances.shape == (3, 90, 1)
    assert len({(a, b) for a, b in zip(truth, labels[:, 0])}) == 3  # the same partition
    _, score, _ = few_clusters(np.repeat(points[:1], 90, axis=0), np.ones((90, 1)), 3)
    assert np.isinf(score[0])  # one value only (a rank-one block): no classes


@pytest.mark.parametrize("radices", [(2, 2, 2, 2), (3, 2, 5), (5, 2, 3)])
def test_find_level_returns_the_true_classes_and_groups(radices: tuple[int, ...]) -> None:
    product = random_kronecker_product(radices, 3, permute=False)
    n, r = product.shape[0], radices[0]
    rng = np.random.default_rng(4)
    rows, cols = rng.permutation(n), rng.permutation(n)
    level = find_level(product[rows][:, cols][None], r, np.random.default_rng(0))
    assert not isinstance(level, str) and level.residual < 1e-12
    classes = {frozenset(np.flatnonzero(level.classes[0] == t).tolist()) for t in range(r)}
    assert classes == {frozenset(np.flatnonzero(rows % r == t).tolist()) for t in range(r)}
    groups = {frozenset(g.tolist()) for g in level.groups}
    assert groups == {frozenset(np.flatnonzero(cols // r == g).tolist()) for g in range(n // r)}
    assert level.reduced.shape == (r, n // r, n // r)


MATRICES = {"dft": dft, "hadamard": hadamard, "random butterfly": lambda n: random_butterfly(n, seed=n)}


@pytest.mark.parametrize("n", [8, 16, 32])
@pytest.mark.parametrize("name", list(MATRICES))
@pytest.mark.parametrize("seed", [0, 1])
def test_search_recovers_hidden_permutations_exactly(name: str, n: int, seed: int) -> None:
    matrix = hide(MATRICES[name](n), seed)
    fit = recover_butterfly(matrix, seed=seed)
    assert relative_error(fit.to_dense(), matrix) <= 1e-9
    assert fit.nnz == butterfly_nonzeros(n)
    for level, support in enumerate(factor_supports(fit)):
        np.testing.assert_array_equal(support, support_mask(butterfly_pattern(n, level)))
    levels = n.bit_length() - 1
    assert f": structure at all {levels} levels, radix order {','.join(['2'] * levels)} (" in fit.label
    expected_dtype = np.float64 if name == "hadamard" else np.complex128
    assert all(f.dtype == expected_dtype for f in fit.factors)


@pytest.mark.parametrize(
    ("n", "order"), [(12, "2,2,3"), (30, "2,3,5"), (640, "2,2,2,2,2,2,2,5"), (1000, "2,2,2,5,5,5")]
)
def test_search_recovers_the_dft_of_composite_sizes(n: int, order: str) -> None:
    matrix = hide(np.fft.fft(np.eye(n)), 2)
    fit = recover_butterfly(matrix, seed=2)
    assert relative_error(fit.to_dense(), matrix) <= 1e-12
    assert f": structure at all {order.count(',') + 1} levels, radix order {order} (" in fit.label
    assert fit.nnz == n * sum(int(r) for r in order.split(","))


@pytest.mark.parametrize("radices", [(4, 5, 2, 3), (2, 3, 5, 2), (3, 3, 2), (2, 9, 2)])
def test_search_finds_the_radix_order_of_random_products(radices: tuple[int, ...]) -> None:
    matrix = hide(random_kronecker_product(radices, 0), 5)
    labels = find_butterfly_labels(matrix, seed=1)
    assert labels.exact and labels.radices == radices  # prime radices first, then composite ones
    assert relative_error(recover_butterfly(matrix, seed=1).to_dense(), matrix) <= 1e-12


@pytest.mark.parametrize("noise", [1e-8, 1e-6, 1e-3])
def test_search_degrades_gracefully_with_noise(noise: float) -> None:
    clean = hide(random_kronecker_product((2,) * 7, 1), 1)
    matrix = with_noise(clean, noise, 1)
    labels = find_butterfly_labels(matrix, seed=0)
    assert labels.exact and noise / 10 < max(labels.residuals) < 10 * noise  # the residual is the noise
    fit = recover_butterfly(matrix, seed=0)
    assert relative_error(fit.to_dense(), matrix) <= 10 * noise
    assert relative_error(fit.to_dense(), clean) <= 10 * noise


@pytest.mark.parametrize("radices", [(2, 2, 2, 2, 2), (2, 3, 2, 5)])
@pytest.mark.parametrize("kind", ["zero", "rank-one"])
def test_search_handles_zero_and_rank_one_blocks(radices: tuple[int, ...], kind: str) -> None:
    for stage in range(len(radices)):
        blocks = ((stage, 1), (stage, 2))  # two blocks of one stage
        special = {"zero_blocks" if kind == "zero" else "rank_one_blocks": blocks}
        product = random_kronecker_product(radices, stage, **special)
        matrix = hide(product, stage)
        labels = find_butterfly_labels(matrix, seed=stage)
        assert labels.exact and labels.radices == radices, (stage, labels.outcome)
        assert relative_error(recover_butterfly(matrix, seed=stage).to_dense(), matrix) <= 1e-12


def test_search_works_on_real_non_unitary_products_without_hiding() -> None:
    matrix = random_butterfly(16, seed=5, real=True)
    labels = find_butterfly_labels(matrix)
    assert labels.exact and labels.levels_found == 4
    fit = recover_butterfly(matrix)
    assert relative_error(fit.to_dense(), matrix) <= 1e-9
    assert all(f.dtype == np.float64 for f in fit.factors)


@pytest.mark.parametrize("n", [8, 16, 32])
@pytest.mark.parametrize("control", ["gaussian", "legendre"])
def test_search_does_not_recover_the_controls(control: str, n: int) -> None:
    matrix = np.random.default_rng(n).standard_normal((n, n)) if control == "gaussian" else legendre_like(n)
    np.testing.assert_allclose(legendre_like(n) @ legendre_like(n).T, np.eye(n), atol=1e-12)
    labels = find_butterfly_labels(hide(matrix, 0))
    # Legendre's parity (P_k(-x) = (-1)^k P_k(x) on symmetric nodes) is one exact level, no more
    found = 1 if control == "legendre" else 0
    assert not labels.exact and labels.levels_found == found and not labels.gave_up
    assert labels.outcome.startswith(
        f"no structure past level {found} (radix order found: {'2' if found else 'none'}); "
    )
    assert f"at size {n >> found}: radix 2: " in labels.outcome  # the reason, per radix tried
    fit = recover_butterfly(hide(matrix, 0))
    assert relative_error(fit.to_dense(), hide(matrix, 0)) > 0.2
    assert fit.label.endswith(labels.outcome)


def test_search_says_when_its_branch_budget_stopped_it() -> None:
    matrix = hide(legendre_like(16), 0)  # level 0 is exact, level 1 has no structure
    labels = find_butterfly_labels(matrix, max_branches=1)
    assert not labels.exact and labels.levels_found == 1 and labels.gave_up
    residual = f"relative rank-one residual <= {labels.residuals[0]:.1e}"
    tail = f"({residual}, 1 level choice tried, max_branches reached)"
    assert labels.outcome.endswith(tail)
    labels = find_butterfly_labels(matrix, max_branches=1000)
    assert not labels.exact and labels.levels_found == 1 and not labels.gave_up  # everything tried


def test_search_arguments_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"^matrix: got \(1, 1\); N must be in \[2, 8192\]$"):
        recover_butterfly(np.eye(1))
    with pytest.raises(ConfigError, match=r"^matrix: got \(4, 2\); must be a square \(N, N\) array$"):
        recover_butterfly(np.ones((4, 2)))
    with pytest.raises(ConfigError, match=r"^tolerance: got 0.0; must be in \(0, 1\)$"):
        recover_butterfly(np.eye(4), tolerance=0.0)
    with pytest.raises(ConfigError, match=r"^max_branches: got 0; must be an integer >= 1$"):
        find_butterfly_labels(np.eye(4), max_branches=0)
    fit = recover_butterfly(np.diag(np.arange(1.0, 8.0)))  # a prime size is one dense level
    assert fit.label.endswith("structure at its 1 level, radix order 7 (0 level choices tried)")


def test_noise_at_a_composite_size_and_the_fitter_reports_the_radix_order() -> None:
    clean = hide(random_kronecker_product((3, 2, 5, 2), 4), 4)
    matrix = with_noise(clean, 1e-4, 4)
    result = fit_factorization(matrix, RecoverFitConfig(seed=2))
    assert result.relative_error <= 1e-3 and result.details["radices"] == [3, 2, 5, 2]
    assert result.details["exact_structure"] and result.details["outcome"].startswith(
        "structure at all 4 levels, radix order 3,2,5,2 (relative rank-one residual <= "
    )
