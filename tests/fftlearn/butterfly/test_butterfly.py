"""Butterfly factors against torch.fft / scipy / numpy, their dense twin, and the front-end."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.fft
import scipy.linalg
import scipy.signal
import torch

from fftlearn._config import config_from_json, config_to_json
from fftlearn._errors import ConfigError
from fftlearn.butterfly._butterfly import (
    apply_butterfly,
    bit_reversal_permutation,
    butterfly_dense_matrix,
    butterfly_factor_dense,
    butterfly_macs,
    butterfly_nonzeros,
    fft_butterfly_macs,
    fft_butterfly_twiddles,
    hadamard_butterfly_twiddles,
    random_unitary_twiddles,
)
from fftlearn.frontends._butterfly import ButterflyConfig, ButterflyFrontEnd
from fftlearn.frontends._multiplicative import MultiplicativeConfig, MultiplicativeFrontEnd

SIZES = [2**k for k in range(1, 11)]  # 2 .. 1024


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _complex_randn(*shape: int, seed: int, dtype: torch.dtype = torch.complex128) -> torch.Tensor:
    g = _gen(seed)
    real = torch.randn(shape, generator=g, dtype=torch.float64)
    return torch.complex(real, torch.randn(shape, generator=g, dtype=torch.float64)).to(dtype)


def test_bit_reversal_permutation() -> None:
    np.testing.assert_array_equal(bit_reversal_permutation(8), [0, 4, 2, 6, 1, 5, 3, 7])
    np.testing.assert_array_equal(bit_reversal_permutation(2), [0, 1])
    for n in SIZES:
        perm = bit_reversal_permutation(n)
        assert perm.dtype == np.int64 and sorted(perm) == list(range(n))
        np.testing.assert_array_equal(perm[perm], np.arange(n))  # an involution
    with pytest.raises(ValueError, match="^n: got 12"):
        bit_reversal_permutation(12)


@pytest.mark.parametrize("n", SIZES)
def test_fft_factors_are_the_dft(n: int) -> None:
    x = _complex_randn(3, n, seed=n)
    xn = x.numpy()
    plain = apply_butterfly(x, fft_butterfly_twiddles(n, normalized=False))
    unitary = apply_butterfly(x, fft_butterfly_twiddles(n))
    inverse = apply_butterfly(x, fft_butterfly_twiddles(n, inverse=True, normalized=False))
    inverse_unitary = apply_butterfly(x, fft_butterfly_twiddles(n, inverse=True))
    scale = math.sqrt(n)  # |X| grows like sqrt(n): compare relative to it
    tol = 1e-12
    assert plain.dtype == torch.complex128
    assert (plain - torch.fft.fft(x)).abs().max() < tol * scale
    np.testing.assert_allclose(plain.numpy(), scipy.fft.fft(xn), rtol=0, atol=tol * scale)
    np.testing.assert_allclose(plain.numpy(), np.fft.fft(xn), rtol=0, atol=tol * scale)
    np.testing.assert_allclose(unitary.numpy(), scipy.fft.fft(xn, norm="ortho"), rtol=0, atol=tol)
    np.testing.assert_allclose(inverse.numpy(), np.fft.ifft(xn), rtol=0, atol=tol)
    assert (inverse_unitary - torch.fft.ifft(x, norm="ortho")).abs().max() < tol


@pytest.mark.parametrize("n", [2, 4, 8, 32, 64])
def test_dense_product_of_fft_factors_is_the_dft_matrix(n: int) -> None:
    twiddles = fft_butterfly_twiddles(n, normalized=False)
    dense = butterfly_dense_matrix(twiddles).numpy()
    np.testing.assert_allclose(dense, scipy.linalg.dft(n), rtol=0, atol=1e-12 * n)
    perm = bit_reversal_permutation(n)
    without = butterfly_dense_matrix(twiddles, bit_reverse_input=False).numpy()
    np.testing.assert_allclose(without[:, perm], dense, atol=0)  # M = B ... B P


@pytest.mark.parametrize("n", [2, 4, 16, 64, 256])
def test_hadamard_factors(n: int) -> None:
    twiddles = hadamard_butterfly_twiddles(n)
    assert twiddles.dtype == torch.float64 and set(twiddles.unique().tolist()) == {-1.0, 1.0}
    reference = scipy.linalg.hadamard(n).astype(np.float64)
    np.testing.assert_array_equal(
        butterfly_dense_matrix(twiddles, bit_reverse_input=False).numpy(), reference
    )
    x = torch.randn(5, n, generator=_gen(n), dtype=torch.float64)
    fast = apply_butterfly(x, twiddles, bit_reverse_input=False)
    assert fast.dtype == torch.float64
    np.testing.assert_allclose(fast.numpy(), x.numpy() @ reference.T, atol=1e-10)
    orthogonal = butterfly_dense_matrix(
        hadamard_butterfly_twiddles(n, normalized=True), bit_reverse_input=False
    )
    np.testing.assert_allclose(orthogonal.numpy() @ orthogonal.numpy().T, np.eye(n), atol=1e-12)


@pytest.mark.parametrize(("dtype", "rtol"), [(torch.complex128, 1e-11), (torch.complex64, 2e-4)])
@pytest.mark.parametrize("bit_reverse", [True, False])
@pytest.mark.parametrize("n", [2, 8, 32])
def test_fast_apply_matches_dense_twin(n: int, bit_reverse: bool, dtype: torch.dtype, rtol: float) -> None:
    levels = int(math.log2(n))
    twiddles = _complex_randn(levels, n // 2, 2, 2, seed=1, dtype=dtype).requires_grad_()
    x = _complex_randn(4, n, seed=2, dtype=dtype).requires_grad_()
    probe = _complex_randn(4, n, seed=3, dtype=dtype)

    def loss(y: torch.Tensor) -> torch.Tensor:  # real, nonlinear in y
        return (y * probe.conj()).real.sum() + 0.1 * (y.abs() ** 2).sum()

    fast = apply_butterfly(x, twiddles, bit_reverse_input=bit_reverse)  # (4, n)
    slow = x @ butterfly_dense_matrix(twiddles, bit_reverse_input=bit_reverse).T  # (4, n)
    scale = slow.abs().max().item()
    assert fast.dtype == dtype
    assert (fast - slow).abs().max().item() <= rtol * scale
    fast_grads = torch.autograd.grad(loss(fast), (twiddles, x))
    slow_grads = torch.autograd.grad(loss(slow), (twiddles, x))
    for got, want in zip(fast_grads, slow_grads):
        assert (got - want).abs().max().item() <= rtol * want.abs().max().item()


def test_real_input_with_complex_twiddles_and_shape_errors() -> None:
    x = torch.randn(2, 16, generator=_gen(0), dtype=torch.float64)
    out = apply_butterfly(x, fft_butterfly_twiddles(16, normalized=False))
    np.testing.assert_allclose(out.numpy(), np.fft.fft(x.numpy()), atol=1e-12)
    with pytest.raises(ValueError, match="^x: got last dimension 8"):
        apply_butterfly(x[:, :8], fft_butterfly_twiddles(16))
    with pytest.raises(ValueError, match=r"^twiddles: got shape \(2, 4, 2, 2\)"):
        apply_butterfly(x[:, :8], torch.zeros(2, 4, 2, 2))


def test_random_unitary_twiddles_are_unitary_and_seeded() -> None:
    twiddles = random_unitary_twiddles(32, generator=_gen(5), dtype=torch.complex128)
    same = random_unitary_twiddles(32, generator=_gen(5), dtype=torch.complex128)
    torch.testing.assert_close(twiddles, same, rtol=0, atol=0)
    blocks = twiddles @ twiddles.conj().transpose(-2, -1)  # (L, 16, 2, 2)
    torch.testing.assert_close(blocks, torch.eye(2, dtype=torch.complex128).expand_as(blocks))
    matrix = butterfly_dense_matrix(twiddles)
    torch.testing.assert_close(matrix @ matrix.conj().T, torch.eye(32, dtype=torch.complex128))


@pytest.mark.parametrize("n", [2, 4, 16, 64])
def test_each_factor_has_2n_nonzeros(n: int) -> None:
    levels = int(math.log2(n))
    twiddles = _complex_randn(levels, n // 2, 2, 2, seed=n)
    total = 0
    for level in range(levels):
        factor = butterfly_factor_dense(twiddles[level], level=level)
        assert int((factor != 0).sum()) == 2 * n
        total += int((factor != 0).sum())
    assert total == butterfly_nonzeros(n) == 2 * n * levels


def test_mac_counts_by_hand() -> None:
    # N = 4, two factors of 4 rows x 2 nonzeros: complex input 4 MACs each, real input 2 in factor 0
    assert butterfly_macs(4) == 2 * 4 * 2 * 4 == 64
    assert butterfly_macs(4, real_input=True) == 4 * 2 * 2 + 4 * 2 * 4 == 48
    assert butterfly_macs(4, real_input=True, n_outputs=3) == 16 + 3 * 2 * 4 == 40
    assert butterfly_macs(8) == 3 * 8 * 2 * 4 == 192
    # N = 8, one output: factor 2 computes row 0 (reads 0, 4), factor 1 rows 0, 4 (read 0, 2, 4, 6),
    # factor 0 rows 0, 2, 4, 6
    assert butterfly_macs(8, n_outputs=1) == (1 + 2 + 4) * 2 * 4 == 56
    assert butterfly_macs(8, real_input=True, n_outputs=1) == (1 + 2) * 2 * 4 + 4 * 2 * 2 == 40
    for n in SIZES:
        levels = int(math.log2(n))
        assert butterfly_macs(n) == 8 * n * levels
        assert butterfly_macs(n, real_input=True) == 8 * n * levels - 4 * n
        assert butterfly_macs(n, n_outputs=n // 2 + 1) == 8 * n * levels - 8 * (n // 2 - 1)
    # exact FFT: N = 8 needs w8^1 and w8^3 (one complex multiply each); N = 16: 4 + 6 multiplies
    assert fft_butterfly_macs(8) == 2 * 4
    assert fft_butterfly_macs(16) == 10 * 4
    assert fft_butterfly_macs(2) == fft_butterfly_macs(4) == 0
    # front-end, size 4 from an 8-sample frame: 4 window + 40 butterfly + 2 x 3 bins for |.|^2
    frontend = ButterflyFrontEnd(ButterflyConfig(frame_length=8, size=4))
    assert frontend.macs_per_example() == 4 + 40 + 6


@pytest.mark.parametrize("n", SIZES)
def test_fft_mac_count_skips_exactly_the_trivial_twiddles(n: int) -> None:
    twiddles = fft_butterfly_twiddles(n, normalized=False).numpy()[:, :, 0, 1]  # w^j per pair
    trivial = np.zeros(twiddles.shape, dtype=bool)
    for unit in (1, -1, 1j, -1j):
        trivial |= np.abs(twiddles - unit) < 1e-12
    assert fft_butterfly_macs(n) == 4 * int((~trivial).sum())
    assert fft_butterfly_macs(n) <= 4 * (n // 2) * int(math.log2(n))  # radix-2: (N/2) log2 N multiplies


def test_frontend_macs_are_n_log_n_and_far_below_dense() -> None:
    for size in SIZES[2:]:
        config = ButterflyConfig(frame_length=max(8, size), size=size)
        ratio = ButterflyFrontEnd(config).macs_per_example() / (size * math.log2(size))
        assert 4 < ratio <= 10  # about 8 N log2 N, whatever N
    config = ButterflyConfig(frame_length=1024, size=1024)
    dense = MultiplicativeFrontEnd(
        MultiplicativeConfig(frame_length=1024, n_kernels=2 * config.n_outputs, pair_magnitude=True)
    )
    butterfly = ButterflyFrontEnd(config)
    assert butterfly.n_features == dense.n_features == 513
    assert butterfly.macs_per_example() * 10 < dense.macs_per_example()


def _reference_buffer(frames: torch.Tensor, config: ButterflyConfig) -> torch.Tensor:
    kept = min(config.frame_length, config.size)
    start = (config.frame_length - kept) // 2
    window = torch.tensor(scipy.signal.get_window(config.window, kept), dtype=frames.dtype)
    left = (config.size - kept) // 2
    segment = frames[:, start : start + kept] * window
    return torch.nn.functional.pad(segment, (left, config.size - kept - left))


@pytest.mark.parametrize(
    ("frame_length", "size", "window", "n_bins"),
    [(640, 512, "hann", 0), (100, 128, "boxcar", 0), (64, 64, "hann", 10), (33, 256, "boxcar", 200)],
)
@pytest.mark.parametrize("log_compress", [False, True])
def test_frontend_at_dft_init_is_rfft_magnitude(
    frame_length: int, size: int, window: str, n_bins: int, log_compress: bool
) -> None:
    config = ButterflyConfig(
        frame_length=frame_length, size=size, window=window, n_bins=n_bins, log_compress=log_compress
    )
    frames = torch.randn(5, frame_length, generator=_gen(0))
    spectrum = torch.fft.fft(_reference_buffer(frames.double(), config), norm="ortho").abs()
    expected = spectrum[:, : config.n_outputs]  # rfft bins, then negative frequencies past N/2
    if n_bins == 0:
        rfft = torch.fft.rfft(_reference_buffer(frames.double(), config), norm="ortho").abs()
        torch.testing.assert_close(expected, rfft)
    if log_compress:
        expected = torch.log1p(expected)
    got = ButterflyFrontEnd(config)(frames)
    assert got.shape == (5, config.n_features) and got.dtype == torch.float32
    torch.testing.assert_close(got.double(), expected, rtol=1e-5, atol=1e-5)


def test_kernels_at_dft_init_are_windowed_cosines_and_sines() -> None:
    config = ButterflyConfig(frame_length=48, size=64, n_bins=20)
    frontend = ButterflyFrontEnd(config)
    kernels = frontend.kernels()
    assert kernels.shape == (40, 64)
    n = np.arange(64)
    placed = np.zeros(64)
    placed[8:56] = scipy.signal.get_window("hann", 48)
    phase = 2 * np.pi * np.arange(20)[:, None] * n / 64
    np.testing.assert_allclose(kernels[0::2].numpy(), np.cos(phase) * placed / 8, atol=1e-6)
    np.testing.assert_allclose(kernels[1::2].numpy(), -np.sin(phase) * placed / 8, atol=1e-6)
    dense = butterfly_dense_matrix(frontend.complex_twiddles().detach())[:20]
    torch.testing.assert_close(frontend.transform_matrix(), dense)


def test_random_init_is_a_seeded_unitary_transform() -> None:
    config = ButterflyConfig(
        frame_length=32, size=32, n_bins=32, init="random", window="boxcar", log_compress=False
    )
    frontend = ButterflyFrontEnd(config, generator=_gen(3))
    again = ButterflyFrontEnd(config, generator=_gen(3))
    torch.testing.assert_close(frontend.twiddles, again.twiddles, rtol=0, atol=0)
    matrix = frontend.transform_matrix().to(torch.complex128)  # (32, 32), all rows kept
    torch.testing.assert_close(
        matrix @ matrix.conj().T, torch.eye(32, dtype=torch.complex128), atol=1e-5, rtol=0
    )
    frames = torch.randn(4, 32, generator=_gen(4))
    magnitudes = frontend(frames)  # (4, 32): a unitary map keeps the energy
    torch.testing.assert_close(magnitudes.square().sum(1), frames.square().sum(1), rtol=1e-4, atol=1e-4)


def test_gradients_reach_the_twiddles_and_training_lowers_the_loss() -> None:
    torch.manual_seed(0)
    config = ButterflyConfig(frame_length=64, size=64, n_bins=16)
    student = ButterflyFrontEnd(config)
    teacher = ButterflyFrontEnd(
        ButterflyConfig(frame_length=64, size=64, n_bins=16, init="random"), generator=_gen(9)
    )
    frames = torch.randn(32, 64, generator=_gen(1))
    with torch.no_grad():
        target = teacher(frames)  # (32, 16)
    loss = torch.nn.functional.mse_loss(student(frames), target)
    loss.backward()
    grad = student.twiddles.grad
    assert grad is not None and grad.shape == (6, 32, 2, 2, 2)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    start = student.twiddles.detach().clone()
    optimizer = torch.optim.Adam(student.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        step_loss = torch.nn.functional.mse_loss(student(frames), target)
        step_loss.backward()
        optimizer.step()
        losses.append(step_loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert (student.twiddles.detach() - start).abs().max() > 1e-3
    assert [name for name, _ in student.named_parameters()] == ["twiddles"]


def test_config_round_trip() -> None:
    for config in (
        ButterflyConfig(),
        ButterflyConfig(
            frame_length=1000, size=2048, init="random", window="boxcar", n_bins=7, log_compress=False
        ),
    ):
        text = config_to_json(config)
        assert config_from_json(text) == config
        assert config_to_json(config_from_json(text)) == text
    assert '"kind":"butterfly"' in config_to_json(ButterflyConfig())
    assert ButterflyConfig().n_features == 257 and ButterflyConfig(size=1024).n_features == 513


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 601}, "size: got 601; must be a power of two in [2, 16384] or a composite number in [4, 8192]"),  # noqa: E501
        ({"size": 1 << 15}, "size: got 32768; must be an integer in [2, 16384]"),
        ({"size": 1.5}, "size: got 1.5; must be an integer"),
        ({"n_bins": 513}, "n_bins: got 513; must be an integer in [0, 512]"),
        ({"init": "fft"}, "init: got 'fft'; must be one of 'dft', 'random'"),
        ({"window": "hamming"}, "window: got 'hamming'; must be one of 'hann', 'boxcar'"),
        ({"frame_length": 4}, "frame_length: got 4; must be an integer in [8, 65536]"),
        ({"log_compress": 1}, "log_compress: got 1; must be true or false"),
    ],
)
def test_config_errors_name_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        ButterflyConfig(**kwargs)  # type: ignore[arg-type]
    assert str(error.value) == message


def test_config_from_json_rejects_unknown_keys_and_bad_sizes() -> None:
    with pytest.raises(ConfigError, match="^sizes: .*unknown key"):
        config_from_json('{"kind": "butterfly", "sizes": 512}')
    with pytest.raises(ConfigError, match="^size: got 101; must be a power of two"):
        config_from_json('{"kind": "butterfly", "size": 101}')
