"""Test matrices for the factorization tests: the DFT, Hadamard, random butterfly products, a
Legendre control, and hiding a matrix behind seeded row and column permutations."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.special
import torch

from fftlearn.butterfly._butterfly import butterfly_dense_matrix
from fftlearn.factorize._product import SparseFactorization


def dft(n: int) -> np.ndarray:
    return scipy.linalg.dft(n) / np.sqrt(n)


def hadamard(n: int) -> np.ndarray:
    return scipy.linalg.hadamard(n).astype(np.float64)


def random_butterfly(n: int, seed: int, *, real: bool = False) -> np.ndarray:
    """A product of log2 n butterfly factors with Gaussian (non-unitary) twiddles, times P_bitrev."""
    rng = np.random.default_rng(seed)
    shape = (n.bit_length() - 1, n // 2, 2, 2)
    twiddles = rng.standard_normal(shape) + (0 if real else 1j * rng.standard_normal(shape))
    return butterfly_dense_matrix(torch.from_numpy(twiddles)).numpy()


def legendre_like(n: int) -> np.ndarray:
    """Orthonormal Legendre polynomials on the Gauss-Legendre nodes, Gauss-weighted: orthogonal."""
    nodes, weights = scipy.special.roots_legendre(n)
    values = np.polynomial.legendre.legvander(nodes, n - 1).T * np.sqrt((2 * np.arange(n)[:, None] + 1) / 2)
    return values * np.sqrt(weights)[None, :]


def hide(matrix: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(1000 + seed)
    n = matrix.shape[0]
    return matrix[rng.permutation(n)][:, rng.permutation(n)]


def factor_supports(factorization: SparseFactorization) -> list[np.ndarray]:
    return [f.toarray() != 0 for f in factorization.factors]
