"""The search for hidden row and column permutations of butterfly matrices
(``fftlearn.factorize._search``): structure recovery, and why it fails on the controls."""

from __future__ import annotations

import numpy as np
import pytest

from fftlearn._errors import ConfigError
from fftlearn.butterfly._butterfly import butterfly_nonzeros
from fftlearn.factorize._kronecker import butterfly_pattern, support_mask
from fftlearn.factorize._product import relative_error
from fftlearn.factorize._search import (
    _pair_partitions,
    bloch_vectors,
    find_butterfly_labels,
    recover_butterfly,
)
from tests.matrices import dft, factor_supports, hadamard, hide, legendre_like, random_butterfly


def test_bloch_vectors_identify_proportional_pairs_by_value() -> None:
    x = np.array([1.0, 1j, -1.0, 2.0 + 0j])
    y = np.array([1j, 1.0, 1.0, 0.0])  # |x| = |y| in the first three: magnitudes cannot tell them apart
    points = bloch_vectors(x, y)
    np.testing.assert_allclose(np.linalg.norm(points, axis=-1), 1.0)
    np.testing.assert_allclose(bloch_vectors((0.3 - 2j) * x, (0.3 - 2j) * y), points, atol=1e-15)
    assert np.linalg.norm(points[0] - points[1]) > 1 and np.linalg.norm(points[0] - points[2]) > 1


def pair_partitions_reference(blocks: np.ndarray, tol: float = 1e-9) -> dict[bytes, list[tuple[int, int]]]:
    """Slow twin of ``_pair_partitions``: loops, with 2x2 minors as the proportionality test."""
    m, n, _ = blocks.shape
    groups: dict[bytes, list[tuple[int, int]]] = {}
    for c in range(n):
        for c2 in range(c + 1, n):
            memberships = []
            for block in blocks:
                x, y = (block[:, [c, c2]] / np.linalg.norm(block[:, [c, c2]], axis=1, keepdims=True)).T
                same = np.abs(x[:, None] * y[None, :] - y[:, None] * x[None, :]) < tol  # (n, n) minors
                first = same[0]
                other = same[np.argmin(first)]
                if first.sum() != n // 2 or not (first ^ other).all():
                    break
                memberships.append(first)
            else:
                groups.setdefault(np.packbits(np.stack(memberships)).tobytes(), []).append((c, c2))
    return groups


@pytest.mark.parametrize("name", ["dft", "hadamard", "random butterfly", "gaussian"])
def test_pair_partitions_match_their_slow_twin(name: str) -> None:
    matrices = {"dft": dft(16), "hadamard": hadamard(16), "random butterfly": random_butterfly(16, seed=2)}
    matrix = matrices.get(name, np.random.default_rng(0).standard_normal((16, 16)))
    blocks = hide(matrix, 3)[None].astype(np.complex128)
    fast = _pair_partitions(blocks, 1e-6)
    assert fast == pair_partitions_reference(blocks)
    expected_groups = {"dft": 1, "hadamard": 15, "random butterfly": 1, "gaussian": 0}[name]
    assert len(fast) == expected_groups  # the Hadamard matrix: one pairing per direction d != 0
    assert all(len(pairs) == 8 for pairs in fast.values())


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
    assert f": exact butterfly structure at all {n.bit_length() - 1} levels (" in fit.label
    expected_dtype = np.float64 if name == "hadamard" else np.complex128
    assert all(f.dtype == expected_dtype for f in fit.factors)


def test_search_works_on_real_non_unitary_products_without_hiding() -> None:
    matrix = random_butterfly(16, seed=5, real=True)
    labels = find_butterfly_labels(matrix)
    assert labels.exact and labels.levels_found == 4
    fit = recover_butterfly(matrix)
    assert relative_error(fit.to_dense(), matrix) <= 1e-9


@pytest.mark.parametrize("n", [8, 16, 32])
@pytest.mark.parametrize("control", ["gaussian", "legendre"])
def test_search_does_not_recover_the_controls(control: str, n: int) -> None:
    matrix = np.random.default_rng(n).standard_normal((n, n)) if control == "gaussian" else legendre_like(n)
    np.testing.assert_allclose(legendre_like(n) @ legendre_like(n).T, np.eye(n), atol=1e-12)
    labels = find_butterfly_labels(hide(matrix, 0))
    # Legendre's parity (P_k(-x) = (-1)^k P_k(x) on symmetric nodes) is one exact level, no more
    found = 1 if control == "legendre" else 0
    assert not labels.exact and labels.levels_found == found and not labels.gave_up
    assert (
        labels.outcome
        == f"no exact butterfly structure past level {found} of {n.bit_length() - 1} ({found} level choice{'' if found == 1 else 's'} tried)"
    )
    fit = recover_butterfly(hide(matrix, 0))
    assert relative_error(fit.to_dense(), hide(matrix, 0)) > 0.2
    assert fit.label.endswith(labels.outcome)


def test_search_says_when_its_branch_budget_stopped_it() -> None:
    matrix = hide(legendre_like(16), 0)  # level 0 is exact, level 1 has no structure
    labels = find_butterfly_labels(matrix, max_branches=1)
    assert not labels.exact and labels.levels_found == 1 and not labels.gave_up  # nothing left to try
    labels = find_butterfly_labels(hide(random_butterfly(16, seed=5, real=True), 0), max_branches=2)
    assert not labels.exact and labels.gave_up and labels.levels_found == 2
    assert labels.outcome.endswith("(2 level choices tried, max_branches reached)")


def test_search_arguments_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"^matrix: got \(6, 6\); N must be a power of two >= 2$"):
        recover_butterfly(np.eye(6))
    with pytest.raises(ConfigError, match=r"^matrix: got \(4, 2\); must be a square \(N, N\) array$"):
        recover_butterfly(np.ones((4, 2)))
    with pytest.raises(ConfigError, match=r"^tolerance: got 0.0; must be in \(0, 1\)$"):
        recover_butterfly(np.eye(4), tolerance=0.0)
    with pytest.raises(ConfigError, match=r"^max_branches: got 0; must be an integer >= 1$"):
        find_butterfly_labels(np.eye(4), max_branches=0)
