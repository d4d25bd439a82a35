"""Test matrices for the factorization tests: the DFT, Hadamard, random butterfly products, a
Legendre control, and hiding a matrix behind seeded row and column permutations."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.special
import torch

from fftlearn.butterfly._butterfly import butterfly_dense_matrix
from fftlearn.butterfly._radix import stage_shape
from fftlearn.factorize._hierarchical import compact_to_csr
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


def random_kronecker_product(
    radices: tuple[int, ...],
    seed: int,
    *,
    zero_blocks: tuple[tuple[int, int], ...] = (),
    rank_one_blocks: tuple[tuple[int, int], ...] = (),
    permute: bool = True,
) -> np.ndarray:
    """F_{L-1}···F_0 with complex Gaussian blocks on the supports of ``radices`` (stage k on
    I_a ⊗ 1_{r×r} ⊗ I_d), times a seeded column permutation (``permute``). ``zero_blocks`` /
    ``rank_one_blocks``: (stage, block number) pairs whose r×r block is zero / rank one."""
    rng = np.random.default_rng([seed, len(radices)])
    n = int(np.prod(radices))
    product = np.eye(n, dtype=np.complex128)
    for stage in range(len(radices)):
        a, d, r = stage_shape(radices, stage)
        blocks = rng.standard_normal((a * d, r, r)) + 1j * rng.standard_normal((a * d, r, r))
        for k, b in zero_blocks:
            if k == stage:
                blocks[b % (a * d)] = 0
        for k, b in rank_one_blocks:
            if k == stage:
                block = blocks[b % (a * d)]
                blocks[b % (a * d)] = np.outer(block[:, 0], block[0, :])
        product = compact_to_csr(blocks.reshape(a, d, r, r)) @ product
    return product[:, rng.permutation(n)] if permute else product


def with_noise(matrix: np.ndarray, relative: float, seed: int) -> np.ndarray:
    """``matrix`` plus complex Gaussian noise of Frobenius norm ``relative · ||matrix||_F``."""
    rng = np.random.default_rng([seed, 7])
    noise = rng.standard_normal(matrix.shape) + 1j * rng.standard_normal(matrix.shape)
    return matrix + relative * np.linalg.norm(matrix) * noise / np.linalg.norm(noise)
