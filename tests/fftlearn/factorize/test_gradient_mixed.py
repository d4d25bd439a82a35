"""The gradient fitter on mixed-radix chains: the DFT of composite N (numpy's matrix), the model
against its dense twin (the radix stages of fftlearn.butterfly._mixed), errors and the registry."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fftlearn._config import config_from_json, config_to_json
from fftlearn._errors import ConfigError
from fftlearn.butterfly._mixed import radix_nonzeros, radix_stages_dense_matrix
from fftlearn.butterfly._radix import digit_reversal_permutation
from fftlearn.factorize import fit_factorization
from fftlearn.factorize._fitter import registered_fitters
from fftlearn.factorize._gradient import ButterflyModel, GradientFitConfig


def dft(n: int) -> np.ndarray:
    return np.fft.fft(np.eye(n), norm="ortho", axis=0)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize(
    ("n", "radices", "used"),
    [
        (12, None, (2, 2, 3)),  # the default order: prime factors ascending
        (12, (3, 4), (3, 4)),
        (60, None, (2, 2, 3, 5)),
        (60, (5, 3, 4), (5, 3, 4)),
    ],
)
def test_digit_reversal_fits_the_dft_of_composite_n(n: int, radices: tuple | None, used: tuple) -> None:
    config = GradientFitConfig(permutation="bitrev", radices=radices, seed=0)
    result = fit_factorization(dft(n), config)
    assert result.relative_error <= 1e-8  # measured 2e-11 .. 9e-10
    assert result.details["radices"] == list(used)
    assert result.nnz == radix_nonzeros(used) == n * sum(used)
    assert len(result.factorization.factors) == len(used)
    np.testing.assert_array_equal(result.factorization.input_permutation, digit_reversal_permutation(used))
    assert f"radices {','.join(map(str, used))}, permutation bitrev" in result.factorization.label


def test_tied_stages_and_power_of_two_radix_orders_fit_the_dft() -> None:
    config = GradientFitConfig(permutation="bitrev", radices=(2, 3, 2), tied_twiddles=True)
    tied = fit_factorization(dft(12), config)
    assert tied.relative_error <= 1e-8  # the DFT's stages repeat over their a groups
    radix4 = fit_factorization(dft(16), GradientFitConfig(permutation="bitrev", radices=(4, 4)))
    assert radix4.relative_error <= 1e-8 and radix4.nnz == 16 * 8
    assert radix4.details["radices"] == [4, 4]
    radix2 = fit_factorization(dft(16), GradientFitConfig(permutation="bitrev"))  # radices None: today's path
    assert radix2.details["radices"] is None and radix2.nnz == 2 * 16 * 4


def test_wrong_fixed_permutation_does_not_fit_the_dft() -> None:
    result = fit_factorization(dft(12), GradientFitConfig(permutation="identity", restarts=1))
    assert result.relative_error > 0.1


@pytest.mark.parametrize("n", [12, 15])
@pytest.mark.parametrize("tied", [False, True])
def test_model_factorization_and_dense_twin_agree(n: int, tied: bool) -> None:
    radices = (3, 2, 2) if n == 12 else (5, 3)
    perm = np.random.default_rng(n).permutation(n)
    model = ButterflyModel(
        n,
        dtype=torch.complex128,
        tied=tied,
        init="unitary",
        generator=_gen(n),
        fixed_input=perm,
        stage=True,
        radices=radices,
    )
    model.set_structure(perm, reversed_output=True)
    with torch.no_grad():
        fast = model(torch.eye(n, dtype=torch.complex128)).T  # (N, N): column j = model(e_j)
        chain = radix_stages_dense_matrix(model.stage_tensors(), digit_reverse_input=False)
        diagonal, partner = model.pair_weights()
    stage = torch.diag(diagonal).clone()  # y_k = a_k z_k + b_k z_{-k}; row 0 (N/2) its own partner
    for k in range(n):
        stage[k, (-k) % n] += partner[k]
    slow = (stage @ chain @ torch.eye(n, dtype=torch.complex128)[torch.from_numpy(perm)]).flip(0)
    torch.testing.assert_close(fast, slow, rtol=1e-12, atol=1e-12)
    factorization = model.factorization("test")
    np.testing.assert_allclose(factorization.to_dense(), fast.numpy(), rtol=1e-12, atol=1e-12)
    pair_nnz = 2 * n - (2 if n % 2 == 0 else 1)
    assert factorization.nnz == radix_nonzeros(radices) + pair_nnz
    stages = model.stage_tensors()
    if tied:
        for block in stages:
            torch.testing.assert_close(block, block[:1].expand_as(block))
    unitary = chain.conj().T @ chain  # "unitary" init: every r x r block unitary
    torch.testing.assert_close(unitary, torch.eye(n, dtype=torch.complex128), rtol=0, atol=1e-12)


def test_registry_budget_and_oracle() -> None:
    fitter = registered_fitters()["gradient"]
    plain = fitter(GradientFitConfig(permutation="bitrev", output_stage="none"))
    assert plain.nnz_budget(60) == 60 * (2 + 2 + 3 + 5)
    assert plain.nnz_budget(16) == 2 * 16 * 4  # powers of two: the radix-2 butterfly
    assert fitter(GradientFitConfig(permutation="bitrev")).nnz_budget(15) == 15 * 8 + 2 * 15 - 1
    assert fitter(GradientFitConfig(permutation="bitrev")).nnz_budget(12) == 12 * 7 + 2 * 12 - 2
    np.testing.assert_allclose(plain.oracle(12), dft(12), rtol=0, atol=1e-15)
    assert fitter(GradientFitConfig(permutation="identity")).oracle(12) is None
    chain = fitter(GradientFitConfig(permutation="bitrev", radices=(4, 3)))
    assert chain.nnz_budget(12) == 12 * 7 + 2 * 12 - 2
    with pytest.raises(ConfigError, match=r"^radices: got \(4, 3\); the product must be N = 16"):
        chain.nnz_budget(16)


def test_errors_name_the_field() -> None:
    with pytest.raises(ConfigError) as error:
        fit_factorization(dft(12), GradientFitConfig())  # permutation "learn" by default
    assert str(error.value) == (
        "matrix: got (12, 12); permutation 'learn' needs N a power of two >= 2 (use 'bitrev' or 'identity')"
    )
    with pytest.raises(ConfigError, match=r"^permutation: got 'learn'; 'learn' needs a power-of-two product"):
        GradientFitConfig(radices=(3, 4))
    with pytest.raises(ConfigError, match=r"^radices: got \(1, 12\); must be a non-empty tuple of ints >= 2"):
        GradientFitConfig(permutation="bitrev", radices=(1, 12))
    with pytest.raises(ConfigError, match=r"^radices: got \(3, 4\); the product must be N = 60 \(it is 12\)"):
        fit_factorization(dft(60), GradientFitConfig(permutation="bitrev", radices=(3, 4)))
    with pytest.raises(ConfigError, match=r"^matrix: got \(9000, 9000\); must be a square \(N, N\) array"):
        fit_factorization(np.zeros((9000, 9000), dtype=np.float32), GradientFitConfig(permutation="bitrev"))


def test_config_round_trip_and_learn_on_power_of_two_chain() -> None:
    config = GradientFitConfig(permutation="bitrev", radices=(2, 2, 3, 5), tied_twiddles=True)
    assert config_from_json(config_to_json(config)) == config
    assert '"radices":[2,2,3,5]' in config_to_json(config)
    plain = config_to_json(GradientFitConfig(seed=3))  # no radices key: stored configs stay byte-identical
    assert '"radices"' not in plain and config_from_json(plain) == GradientFitConfig(seed=3)
    learned = GradientFitConfig(permutation="learn", radices=(4, 2))  # power-of-two product: allowed
    result = fit_factorization(dft(8), learned)
    assert result.details["radices"] == [4, 2]
    assert math.isfinite(result.relative_error)


@pytest.mark.parametrize("n", [12, 15])
def test_real_hartley_target_uses_the_hermitian_pair_stage(n: int) -> None:
    unitary = np.fft.fft(np.eye(n), axis=0) / np.sqrt(n)
    hartley = unitary.real - unitary.imag  # cas kernel: H_k = (1+i)/2 Z_k + (1-i)/2 Z_{-k} for real x
    config = GradientFitConfig(permutation="bitrev", seed=0)
    result = fit_factorization(hartley, config)
    assert result.relative_error <= 1e-8 and result.details["hermitian_pair_stage"]
    assert result.nnz == registered_fitters()["gradient"](config).nnz_budget(n)  # rows 0 (, N/2): 1 nonzero
