"""The gradient fitter and the learned permutation: oracles are numpy/scipy matrices and the
exact permutations (bit reversal, Makhoul's fold); every relaxed path against its dense twin."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.fft
import scipy.linalg
import torch

from fftlearn._config import config_from_json, config_to_json
from fftlearn._errors import ConfigError
from fftlearn.butterfly._butterfly import bit_reversal_permutation, butterfly_dense_matrix, butterfly_nonzeros
from fftlearn.factorize import fit_factorization
from fftlearn.factorize._gradient import ButterflyModel, GradientFitConfig
from fftlearn.factorize._permutation import (
    RelaxedChoice,
    RelaxedPermutation,
    fixed_permutation,
    fold_permutation,
    hierarchical_permutation,
    is_permutation,
    level_permutation,
    number_of_levels,
)

SIZES = [2, 4, 8, 16, 64, 1024]


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def dft(n: int) -> np.ndarray:
    return np.fft.fft(np.eye(n), norm="ortho", axis=0)


def hadamard(n: int) -> np.ndarray:
    return scipy.linalg.hadamard(n) / math.sqrt(n)


def dct2(n: int) -> np.ndarray:
    return scipy.fft.dct(np.eye(n), type=2, norm="ortho", axis=0)


# ---- permutations -------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_all_separate_is_the_bit_reversal(n: int) -> None:
    every = hierarchical_permutation(n, ["separate"] * number_of_levels(n))
    np.testing.assert_array_equal(every, bit_reversal_permutation(n))
    np.testing.assert_array_equal(fixed_permutation(n, "bitrev"), bit_reversal_permutation(n))
    np.testing.assert_array_equal(fixed_permutation(n, "identity"), np.arange(n))


def test_fold_is_makhoul_then_bit_reversal() -> None:
    np.testing.assert_array_equal(fold_permutation(8), [0, 2, 4, 6, 7, 5, 3, 1])
    folded = hierarchical_permutation(8, ["separate", "separate"], fold=True)
    np.testing.assert_array_equal(folded, fold_permutation(8)[bit_reversal_permutation(8)])
    np.testing.assert_array_equal(level_permutation(8, 1, "separate"), [0, 2, 1, 3, 4, 6, 5, 7])


@pytest.mark.parametrize("share", [False, True])
@pytest.mark.parametrize("n", [8, 64])
def test_relaxed_permutation_hardens_to_a_valid_permutation(n: int, share: bool) -> None:
    for seed in range(5):
        relaxed = RelaxedPermutation(n, generator=_gen(seed), share_logits=share, scale=3.0)
        perm = relaxed.harden()
        assert is_permutation(perm, n)
        np.testing.assert_array_equal(
            perm, hierarchical_permutation(n, relaxed.choices(), fold=relaxed.fold())
        )
        assert len(set(relaxed.choices())) == 1 or not share


def test_one_hot_relaxation_is_the_hard_permutation() -> None:
    n = 32
    relaxed = RelaxedPermutation(n, generator=_gen(0))
    with torch.no_grad():
        relaxed.fold_logits.copy_(torch.tensor([-60.0, 60.0]))  # fold
        relaxed.level_logits.copy_(torch.tensor([[-60.0, 60.0]] * number_of_levels(n)))  # all separate
    x = torch.randn(3, n, generator=_gen(1), dtype=torch.float64)
    expected = x[:, torch.from_numpy(fold_permutation(n)[bit_reversal_permutation(n)])]
    torch.testing.assert_close(relaxed(x), expected, rtol=0, atol=1e-12)
    assert relaxed.confidence() > 1 - 1e-12


@pytest.mark.parametrize("share", [False, True])
def test_soft_permutation_matches_its_dense_twin_with_gradients(share: bool) -> None:
    n = 16
    relaxed = RelaxedPermutation(n, generator=_gen(2), share_logits=share, scale=1.0)
    x = torch.randn(4, n, generator=_gen(3), dtype=torch.complex128)
    fast = relaxed(x)
    slow = x @ relaxed.dense_matrix().to(x.dtype).T
    torch.testing.assert_close(fast, slow, rtol=1e-12, atol=1e-12)
    mix = relaxed.dense_matrix()
    np.testing.assert_allclose(mix.sum(0).detach().numpy(), 1.0, atol=1e-12)  # doubly stochastic
    np.testing.assert_allclose(mix.sum(1).detach().numpy(), 1.0, atol=1e-12)
    weight = torch.randn(4, n, generator=_gen(4), dtype=torch.float64)
    grads = [torch.autograd.grad((out.real * weight).sum(), relaxed.level_logits)[0] for out in (fast, slow)]
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-10, atol=1e-12)


def test_relaxed_choice_matches_its_dense_twin() -> None:
    n = 8
    choice = RelaxedChoice([np.arange(n), np.arange(n)[::-1].copy()], generator=_gen(5), scale=1.0)
    x = torch.randn(2, n, generator=_gen(6), dtype=torch.float64)
    torch.testing.assert_close(choice(x), x @ choice.dense_matrix().T, rtol=1e-12, atol=1e-12)
    assert is_permutation(choice.harden(), n)


@pytest.mark.parametrize("share", [False, True])
def test_ranked_settings_are_exact_and_sorted(share: bool) -> None:
    n = 32
    relaxed = RelaxedPermutation(n, generator=_gen(7), share_logits=share, scale=2.0)
    every = relaxed.ranked(10_000)
    assert len(every) == 2 * (2 if share else 2 ** number_of_levels(n))
    assert len({(fold, choices) for _, fold, choices in every}) == len(every)
    log_probs = [lp for lp, _, _ in every]
    assert log_probs == sorted(log_probs, reverse=True)
    assert math.isclose(sum(math.exp(lp) for lp in log_probs), 1.0, rel_tol=1e-9)
    _, fold, choices = every[0]
    assert (fold, choices) == (relaxed.fold(), relaxed.choices())
    assert relaxed.ranked(3) == every[:3]


def test_permutation_errors_name_the_field() -> None:
    with pytest.raises(ConfigError, match="^choice: got 'reverse'"):
        level_permutation(8, 0, "reverse")
    with pytest.raises(ConfigError, match="^choices: got"):
        hierarchical_permutation(16, ["keep"])
    with pytest.raises(ConfigError, match="^permutation: got 'learn'"):
        fixed_permutation(8, "learn")


# ---- the model against its dense twin ----------------------------------------------------


@pytest.mark.parametrize("tied", [False, True])
def test_model_factorization_and_dense_twin_agree(tied: bool) -> None:
    n = 16
    perm = hierarchical_permutation(n, ["separate", "keep", "separate"], fold=True)
    model = ButterflyModel(
        n, dtype=torch.complex128, tied=tied, init="random", generator=_gen(8), fixed_input=None, stage=True
    )
    model.set_structure(perm, reversed_output=True)
    with torch.no_grad():
        fast = model(torch.eye(n, dtype=torch.complex128)).T  # (N, N): column j = model(e_j)
        twiddles = model.twiddle_tensor()
        diagonal, partner = model.pair_weights()
    butterfly = butterfly_dense_matrix(twiddles, bit_reverse_input=False)  # B, the slow twin
    stage = torch.diag(diagonal).clone()  # A: y_k = a_k z_k + b_k z_{-k}
    for k in range(n):
        stage[k, (-k) % n] += partner[k]
    slow = stage @ butterfly @ torch.eye(n, dtype=torch.complex128)[torch.from_numpy(perm)]
    slow = slow.flip(0)  # the reversed output
    torch.testing.assert_close(fast, slow, rtol=1e-12, atol=1e-12)
    dense = model.factorization("test").to_dense()
    np.testing.assert_allclose(dense, fast.numpy(), rtol=1e-12, atol=1e-12)
    if tied:
        blocks = twiddles[1].reshape(n // 4, 2, 2, 2)  # factor 1: blocks of 4, 2 positions each
        torch.testing.assert_close(blocks, blocks[:1].expand_as(blocks))


# ---- fits -------------------------------------------------------------------------------


def test_dft_16_with_bit_reversal_given_reaches_1e_9() -> None:
    config = GradientFitConfig(permutation="bitrev", tolerance=1e-11, seed=0)
    result = fit_factorization(dft(16), config)
    assert result.relative_error <= 1e-9
    assert result.nnz == butterfly_nonzeros(16) == 2 * 16 * 4
    assert result.recovered_fft_structure
    np.testing.assert_array_equal(result.factorization.input_permutation, bit_reversal_permutation(16))
    np.testing.assert_allclose(result.factorization.to_dense(), dft(16), atol=1e-9)
    assert result.details["hermitian_pair_stage"] is False


@pytest.mark.parametrize("n", [8, 16, 32])
@pytest.mark.parametrize("name", ["dft", "hadamard"])
def test_learned_permutation_recovers_dft_and_hadamard(name: str, n: int) -> None:
    matrix = dft(n) if name == "dft" else hadamard(n)
    result = fit_factorization(matrix, GradientFitConfig(permutation="learn", seed=0))
    assert result.relative_error <= 1e-6
    assert result.nnz == 2 * n * int(math.log2(n))
    assert result.recovered_fft_structure  # radix-2 dataflow graph (the Hadamard matrix has it too)
    expected = "separate" if name == "dft" else "keep"
    assert result.details["permutation_choices"] == [expected] * number_of_levels(n)
    assert result.details["stage_dropped"] is (name == "hadamard")  # real target: stage tried, then dropped


def test_dct2_needs_the_fold_and_the_hermitian_pair_stage() -> None:
    n = 16
    result = fit_factorization(dct2(n), GradientFitConfig(seed=0))
    assert result.relative_error <= 1e-6
    assert result.details["permutation_choices"] == ["fold"] + ["separate"] * number_of_levels(n)
    assert result.details["hermitian_pair_stage"] and not result.details["output_reversed"]
    assert result.nnz == 2 * n * 4 + 2 * n - 2
    assert not result.recovered_fft_structure


def test_tied_twiddles_fit_the_dft() -> None:
    n = 16
    result = fit_factorization(dft(n), GradientFitConfig(permutation="bitrev", tied_twiddles=True))
    assert result.relative_error <= 1e-8
    first_factor = result.factorization.factors[3].toarray()  # level 3: one block of 16, no tying
    last_tied = result.factorization.factors[0].toarray()  # level 0: 8 blocks of 2, one shared block
    np.testing.assert_allclose(last_tied[2:4, 2:4], last_tied[0:2, 0:2], rtol=0, atol=0)
    assert np.count_nonzero(first_factor) == 2 * n


def test_wrong_fixed_permutation_does_not_fit_the_dft() -> None:
    config = GradientFitConfig(permutation="identity", adam_steps=50, lbfgs_steps=300, restarts=1)
    assert fit_factorization(dft(16), config).relative_error > 0.1


def test_float32_mode() -> None:
    config = GradientFitConfig(permutation="bitrev", dtype="float32", seed=1)
    result = fit_factorization(dft(16), config)
    assert 1e-9 < result.relative_error <= 1e-4  # float32 arithmetic: solved, above float64's floor
    assert result.nnz == 2 * 16 * 4


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("permutation", "random"),
        ("output_stage", "real_part"),
        ("dtype", "float16"),
        ("adam_steps", -1),
        ("lr", 0.0),
        ("perm_lr", -0.1),
        ("lbfgs_steps", 2.5),
        ("tied_twiddles", "yes"),
        ("share_logits", 1),
        ("init", "fft"),
        ("restarts", 0),
        ("max_hardenings", 0),
        ("probes", -3),
        ("tolerance", 0.0),
        ("seed", -1),
    ],
)
def test_config_errors_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ConfigError) as error:
        GradientFitConfig(**{field: value})
    assert error.value.field == field
    assert str(error.value).startswith(f"{field}: got {value!r}")


def test_config_cross_field_rules_and_round_trip() -> None:
    with pytest.raises(ConfigError, match="^adam_steps: got 0; must be >= 1 when permutation is 'learn'"):
        GradientFitConfig(permutation="learn", adam_steps=0)
    with pytest.raises(ConfigError, match="^lbfgs_steps: got 0"):
        GradientFitConfig(permutation="bitrev", adam_steps=0, lbfgs_steps=0)
    config = GradientFitConfig(permutation="bitrev", dtype="float32", tolerance=1e-5, tied_twiddles=True)
    assert config_from_json(config_to_json(config)) == config
    assert GradientFitConfig().probe_count(16) == 16 and GradientFitConfig().probe_count(1024) == 128


def test_matrix_errors_name_the_field() -> None:
    with pytest.raises(ConfigError, match="^matrix: got \\(4, 8\\)"):
        fit_factorization(np.zeros((4, 8)), GradientFitConfig())
    with pytest.raises(ConfigError, match="^matrix: got \\(6, 6\\)"):
        fit_factorization(np.eye(6), GradientFitConfig())
    with pytest.raises(ConfigError, match="^matrix: got 'non-finite or all zero'"):
        fit_factorization(np.full((4, 4), np.nan), GradientFitConfig())
