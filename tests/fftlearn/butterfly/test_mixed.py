"""Mixed-radix stages against torch.fft / numpy, their dense twin, and the radix-2 butterfly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse
import torch

from fftlearn._errors import ConfigError
from fftlearn.butterfly._butterfly import (
    apply_butterfly,
    butterfly_dense_matrix,
    butterfly_macs,
    butterfly_nonzeros,
    random_unitary_twiddles,
)
from fftlearn.butterfly._mixed import (
    apply_radix_stages,
    butterfly_to_radix_stages,
    dft_radix_stages,
    radices_of_stages,
    radix_macs,
    radix_nonzeros,
    radix_stage_dense,
    radix_stage_indices,
    radix_stages_dense_matrix,
    random_unitary_stages,
)
from fftlearn.butterfly._radix import default_radices, digit_reversal_permutation

ORDERS = [(3,), (2, 3), (3, 2), (2, 2, 3), (5, 3, 2, 2), (4, 4, 5, 2, 2, 2), (2,) * 7 + (5,), (7, 9), (2, 2)]
ORDERS.append((2, 19))  # r > 8: the einsum branch


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _complex_randn(*shape: int, seed: int) -> torch.Tensor:
    g = _gen(seed)
    real = torch.randn(shape, generator=g, dtype=torch.float64)
    return torch.complex(real, torch.randn(shape, generator=g, dtype=torch.float64))


@pytest.mark.parametrize("radices", ORDERS)
def test_dft_stages_are_the_fft(radices: tuple[int, ...]) -> None:
    n = math.prod(radices)
    x = _complex_randn(3, n, seed=n)
    tol = 1e-12 * math.sqrt(n)
    plain = apply_radix_stages(x, dft_radix_stages(radices, normalized=False))
    assert plain.dtype == torch.complex128 and plain.shape == (3, n)
    assert (plain - torch.fft.fft(x)).abs().max() < tol
    np.testing.assert_allclose(plain.numpy(), np.fft.fft(x.numpy()), rtol=0, atol=tol)
    unitary = apply_radix_stages(x, dft_radix_stages(radices))
    assert (unitary - torch.fft.fft(x, norm="ortho")).abs().max() < 1e-12
    inverse = apply_radix_stages(x, dft_radix_stages(radices, inverse=True, normalized=False))
    assert (inverse - torch.fft.ifft(x)).abs().max() < 1e-12
    real = torch.randn(2, n, generator=_gen(1), dtype=torch.float64)  # real input, complex stages
    spectrum = apply_radix_stages(real, dft_radix_stages(radices))
    assert (spectrum - torch.fft.fft(real, norm="ortho")).abs().max() < 1e-12


@pytest.mark.parametrize("radices", ORDERS)
def test_dense_twin_matches_fast_path_in_values_and_gradients(radices: tuple[int, ...]) -> None:
    n = math.prod(radices)
    fresh = random_unitary_stages(radices, generator=_gen(n), dtype=torch.complex128)
    stages = [s.requires_grad_() for s in fresh]
    x = _complex_randn(4, n, seed=n + 1)
    weights = _complex_randn(4, n, seed=n + 2)
    fast = apply_radix_stages(x, stages)
    dense = radix_stages_dense_matrix(stages)
    slow = x @ dense.T  # (4, N)
    assert (fast - slow).abs().max() < 1e-12
    grads_fast = torch.autograd.grad((fast * weights).real.sum(), stages)
    grads_slow = torch.autograd.grad((slow * weights).real.sum(), stages)
    for a, b in zip(grads_fast, grads_slow):
        assert (a - b).abs().max() < 1e-11
    # the random chain is unitary; without Q the dense matrix is the product of the stages only
    eye = torch.eye(n, dtype=torch.complex128)
    assert (dense.conj().T @ dense - eye).abs().max() < 1e-12
    perm = digit_reversal_permutation(radices)
    without = radix_stages_dense_matrix(stages, digit_reverse_input=False)
    assert (dense[:, perm] - without).abs().max() == 0  # M = S Q, (Q x) = x[perm]


@pytest.mark.parametrize("radices", ORDERS)
def test_dense_dft_chain_is_numpy_dft_matrix(radices: tuple[int, ...]) -> None:
    n = math.prod(radices)
    dense = radix_stages_dense_matrix(dft_radix_stages(radices, normalized=False)).numpy()
    np.testing.assert_allclose(dense, np.fft.fft(np.eye(n), axis=0), rtol=0, atol=1e-12 * n)


def test_stage_indices_are_a_kronecker_support() -> None:
    radices = (2, 3, 5)
    for k, (a, d, r) in enumerate([(15, 1, 2), (5, 2, 3), (1, 6, 5)]):
        rows, cols = radix_stage_indices(radices, k)
        assert rows.shape == cols.shape == (a, d, r, r)
        support = scipy.sparse.coo_matrix((np.ones(rows.size), (rows.ravel(), cols.ravel())), shape=(30, 30))
        expected = np.kron(np.kron(np.eye(a), np.ones((r, r))), np.eye(d))  # I_a ⊗ 1_{r×r} ⊗ I_d
        np.testing.assert_array_equal(support.toarray(), expected)


@pytest.mark.parametrize("n", [2, 4, 16, 128])
def test_radix2_stages_agree_with_apply_butterfly(n: int) -> None:
    twiddles = random_unitary_twiddles(n, generator=_gen(n), dtype=torch.complex128).requires_grad_()
    stages = butterfly_to_radix_stages(twiddles)
    assert radices_of_stages(stages) == (2,) * (n.bit_length() - 1)
    x = _complex_randn(3, n, seed=n)
    mixed = apply_radix_stages(x, stages)
    radix2 = apply_butterfly(x, twiddles)
    assert (mixed - radix2).abs().max() < 1e-13
    assert (radix_stages_dense_matrix(stages) - butterfly_dense_matrix(twiddles)).abs().max() < 1e-13
    g_mixed = torch.autograd.grad(mixed.abs().sum(), twiddles)[0]
    g_radix2 = torch.autograd.grad(radix2.abs().sum(), twiddles)[0]
    assert (g_mixed - g_radix2).abs().max() < 1e-12
    plain = apply_radix_stages(x, stages, digit_reverse_input=False)
    assert (plain - apply_butterfly(x, twiddles, bit_reverse_input=False)).abs().max() < 1e-13


@pytest.mark.parametrize("radices", ORDERS)
def test_nonzeros_and_macs(radices: tuple[int, ...]) -> None:
    n = math.prod(radices)
    assert radix_nonzeros(radices) == n * sum(radices)
    nnz = sum(int(radix_stage_dense(s, radices=radices, stage=k).abs().gt(0).sum())
              for k, s in enumerate(random_unitary_stages(radices, generator=_gen(0))))
    assert nnz == radix_nonzeros(radices)
    assert radix_macs(radices) == 4 * radix_nonzeros(radices)
    assert radix_macs(radices, real_input=True) == 4 * radix_nonzeros(radices) - 2 * n * radices[0]
    # one kept output needs one row of the last stage, r rows of the one before, and so on
    expected = 0
    rows = 1
    for r in reversed(radices):
        expected += 4 * rows * r
        rows *= r
    assert radix_macs(radices, n_outputs=1) == expected
    assert radix_macs(radices, n_outputs=n // 2 + 1) <= radix_macs(radices)


@pytest.mark.parametrize("n", [2, 8, 64, 1024])
def test_radix2_macs_equal_butterfly_macs(n: int) -> None:
    radices = (2,) * (n.bit_length() - 1)
    assert radix_nonzeros(radices) == butterfly_nonzeros(n)
    for n_outputs in sorted({1, min(3, n), n // 2 + 1, n}):
        for real_input in (False, True):
            kwargs = {"real_input": real_input, "n_outputs": n_outputs}
            assert radix_macs(radices, **kwargs) == butterfly_macs(n, **kwargs)


def test_errors_name_the_field() -> None:
    stages = dft_radix_stages((2, 3))
    with pytest.raises(ConfigError, match=r"^x: got 'last dimension 5'; must be N = 6"):
        apply_radix_stages(torch.zeros(5), stages)
    with pytest.raises(ConfigError, match=r"^stages: got \[\(3, 1, 2, 2\), \(3, 2, 3, 3\)\]; must be"):
        apply_radix_stages(torch.zeros(6), [stages[0], torch.zeros(3, 2, 3, 3)])
    with pytest.raises(ConfigError, match="^stages: got 'list'; must be a non-empty list"):
        radices_of_stages([])
    with pytest.raises(ConfigError, match="^radices: got"):
        dft_radix_stages((1, 6))
    with pytest.raises(ConfigError, match=r"^n_outputs: got 0; must be an int in \[1, 6\]"):
        radix_macs((2, 3), n_outputs=0)
    assert default_radices(640) == (2, 2, 2, 2, 2, 2, 2, 5)
