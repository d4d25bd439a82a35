"""Differentiable STFT: plain-STFT oracles, a slow reference twin, finite-difference gradients,
config round trip and errors, concentration losses, and the window-length search target."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import scipy.signal
import torch

from fftlearn._config import config_from_json, config_to_json
from fftlearn._errors import ConfigError
from fftlearn.frontends import DSTFTConfig, DSTFTFrontEnd, dstft, window_function
from fftlearn.frontends._concentration import spectrogram_entropy, spectrogram_kurtosis
from fftlearn.frontends._stft import STFTConfig, STFTFrontEnd
from tests.helpers import load_benchmark

ALIGNED = DSTFTConfig(frame_length=256, n_fft=64, n_windows=7, win_length=64, hop=32, position=32)


def _frames(batch: int, length: int, seed: int = 0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(batch, length, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _double_frontend(config: DSTFTConfig, *, win_lengths: list[float] | None = None) -> DSTFTFrontEnd:
    """``config``'s front-end in float64; ``win_lengths`` (samples, one a window) replace its learned lengths."""
    frontend = DSTFTFrontEnd(config).double()
    if win_lengths is not None:
        with torch.no_grad():
            frontend.raw_win_length.copy_(torch.tensor(win_lengths) / config.n_fft)
    return frontend


def _chirp(length: int, *, rate: float, f0: float = 500.0, sample_rate: int = 16000) -> torch.Tensor:
    """``cos(2 pi (f0 t + rate t^2 / 2))``: a linear chirp, ``(1, length)`` float64."""
    t = np.arange(length) / sample_rate
    return torch.tensor(np.cos(2 * np.pi * (f0 * t + 0.5 * rate * t * t)))[None]


@pytest.mark.parametrize("window", ["hann", "hamming", "blackman"])
@pytest.mark.parametrize("log_compress", [False, True])
def test_full_length_aligned_windows_are_the_plain_stft(window: str, log_compress: bool) -> None:
    config = dataclasses.replace(ALIGNED, window=window, log_compress=log_compress)
    stft = STFTFrontEnd(
        STFTConfig(frame_length=256, n_fft=64, hop=32, window=window, log_compress=log_compress)
    )
    frames = _frames(3, 256)
    ours = DSTFTFrontEnd(config)(frames)
    assert ours.shape == (3, config.n_features) == (3, stft.n_features)
    torch.testing.assert_close(ours, stft(frames), rtol=1e-5, atol=1e-5)


def test_complex_spectrogram_equals_torch_stft() -> None:
    frames = _frames(2, 256, dtype=torch.float64)
    ours = DSTFTFrontEnd(ALIGNED).double().spectrogram(frames)  # (2, 7, 33)
    window = torch.hann_window(64, periodic=True, dtype=torch.float64)
    reference = torch.stft(frames, 64, hop_length=32, window=window, center=False, return_complex=True)
    torch.testing.assert_close(ours, reference.transpose(1, 2), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("window", ["hann", "hamming", "blackman", "gaussian"])
def test_window_families_match_scipy_periodic_windows(window: str) -> None:
    n = 64
    u = (torch.arange(n, dtype=torch.float64) - n / 2) / n
    spec: object = ("gaussian", n / 6) if window == "gaussian" else window
    expected = scipy.signal.get_window(spec, n, fftbins=True)
    np.testing.assert_allclose(window_function(u, window).numpy(), expected, atol=1e-12)
    assert float(window_function(torch.tensor([0.5001, -0.6]), window).abs().sum()) == 0.0


def _reference_dstft(
    frame: np.ndarray, lengths: np.ndarray, centres: np.ndarray, n_fft: int, window: str
) -> np.ndarray:
    """Slow twin: explicit DFT sums over the frame samples each window covers, ``(W, bins)``."""
    out = np.zeros((len(centres), n_fft // 2 + 1), dtype=complex)
    k = np.arange(n_fft // 2 + 1)
    for w, (length, centre) in enumerate(zip(lengths, centres)):
        start = math.floor(centre) - n_fft // 2
        for n in range(len(frame)):
            u = (n - centre) / length
            if abs(u) > 0.5:
                continue
            value = float(window_function(torch.tensor(u, dtype=torch.float64), window))
            out[w] += frame[n] * value * np.exp(-2j * np.pi * k * (n - start) / n_fft)
    return out


@pytest.mark.parametrize("window", ["hann", "hamming", "gaussian"])
def test_generic_fractional_windows_match_the_slow_reference(window: str) -> None:
    config = DSTFTConfig(
        frame_length=96,
        n_fft=32,
        n_windows=4,
        win_length=21.3,
        hop=19.7,
        position=3.4,
        window=window,
        time_varying=True,
    )
    frontend = _double_frontend(config, win_lengths=[12.6, 21.3, 30.0, 7.9])
    frame = _frames(1, 96, seed=5, dtype=torch.float64)
    ours = frontend.spectrogram(frame)[0].detach().numpy()
    reference = _reference_dstft(
        frame[0].numpy(), frontend.win_lengths.numpy(), frontend.centres.numpy(), 32, window
    )
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-9)


def test_windows_past_the_frame_edges_see_zeros() -> None:
    frames = _frames(1, 64, dtype=torch.float64)
    spectra = dstft(
        frames, torch.tensor([32.0], dtype=torch.float64), torch.tensor([0.0, 63.0, 500.0]), n_fft=32
    )
    edge = frames[0, :16] * window_function((torch.arange(16.0, dtype=torch.float64)) / 32, "hann")
    torch.testing.assert_close(spectra[0, 0].abs(), torch.fft.rfft(edge, n=32).abs())
    torch.testing.assert_close(spectra[0, 1], spectra[0, 2])  # centres past the end sit on it


def test_functional_gradients_match_finite_differences() -> None:
    frames = _frames(2, 80, seed=1, dtype=torch.float64)
    lengths = torch.tensor([17.3, 23.8, 11.1], dtype=torch.float64, requires_grad=True)
    centres = torch.tensor([12.37, 40.61, 66.2], dtype=torch.float64, requires_grad=True)

    def power(lengths: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
        return dstft(frames, lengths, centres, n_fft=32, window="blackman").abs().square()

    assert torch.autograd.gradcheck(power, (lengths, centres), eps=1e-6, atol=1e-6, rtol=1e-5)


def _module_loss(frontend: DSTFTFrontEnd, frames: torch.Tensor) -> torch.Tensor:
    return spectrogram_entropy(frontend.spectrogram(frames).abs().square()).mean()


@pytest.mark.parametrize("time_varying", [False, True])
@pytest.mark.parametrize("window", ["hann", "gaussian"])
def test_module_gradients_match_central_differences(time_varying: bool, window: str) -> None:
    config = DSTFTConfig(
        frame_length=160,
        n_fft=64,
        n_windows=5,
        win_length=37.3,
        hop=27.13,
        position=21.71,
        window=window,
        time_varying=time_varying,
    )
    frontend = _double_frontend(config, win_lengths=[37.3, 22.9, 51.4, 30.35, 44.7] if time_varying else None)
    frames = _frames(2, 160, seed=2, dtype=torch.float64) + _chirp(160, rate=2e5)
    _module_loss(frontend, frames).backward()
    step = 1e-7  # relative units: no centre or window edge crosses a sample
    for parameter in (frontend.raw_win_length, frontend.raw_hop, frontend.raw_position):
        flat = parameter.data.view(-1)
        for i in range(flat.numel()):
            original = float(flat[i])
            flat[i] = original + step
            up = _module_loss(frontend, frames).item()
            flat[i] = original - step
            down = _module_loss(frontend, frames).item()
            flat[i] = original
            numeric = (up - down) / (2 * step)
            assert parameter.grad.view(-1)[i].item() == pytest.approx(numeric, rel=1e-4, abs=1e-6)
        assert parameter.grad.abs().sum() > 0


def test_values_are_projected_onto_their_bounds_and_still_learn() -> None:
    frontend = DSTFTFrontEnd(
        DSTFTConfig(frame_length=128, n_fft=32, n_windows=2, win_length=30, hop=50, position=20)
    )
    with torch.no_grad():
        frontend.raw_win_length.fill_(2.0)  # 64 samples: beyond the 32-sample support
        frontend.raw_hop.fill_(-1.0)
        frontend.raw_position.fill_(5.0)
    frontend(_frames(1, 128)).sum().backward()
    assert frontend.win_lengths.tolist() == [32.0, 32.0]
    assert frontend.hop == pytest.approx(1.0) and frontend.position == pytest.approx(127.0)
    assert frontend.raw_win_length.grad is not None and frontend.raw_win_length.grad.abs().sum() > 0


def test_fixed_values_are_buffers_and_accessors_report_samples() -> None:
    config = DSTFTConfig(learn_hop=False, learn_position=False, time_varying=True)
    frontend = DSTFTFrontEnd(config)
    assert [name for name, _ in frontend.named_parameters()] == ["raw_win_length"]
    assert frontend.raw_win_length.shape == (4,)
    assert frontend.win_lengths.tolist() == [256.0] * 4
    assert frontend.hop == pytest.approx(128.0) and frontend.position == pytest.approx(128.0)
    assert frontend.centres.tolist() == pytest.approx([128.0, 256.0, 384.0, 512.0])
    assert frontend(_frames(2, 640)).shape == (2, 4 * 257) and frontend.n_features == 1028


def test_kernels_are_the_windowed_waves_of_the_stft_when_aligned() -> None:
    ours = DSTFTFrontEnd(ALIGNED).kernels()
    stft = STFTFrontEnd(STFTConfig(frame_length=256, n_fft=64, hop=32)).kernels()  # (66, 64)
    assert ours.shape == (7 * 66, 64)
    torch.testing.assert_close(ours.reshape(7, 66, 64), stft.expand(7, 66, 64), rtol=1e-6, atol=1e-6)


def test_macs_count_window_fft_and_squared_magnitude() -> None:
    stft = STFTFrontEnd(STFTConfig(frame_length=256, n_fft=64, hop=32))
    assert DSTFTFrontEnd(ALIGNED).macs_per_example() == stft.macs_per_example()
    assert DSTFTFrontEnd(DSTFTConfig()).macs_per_example() == 4 * (512 + 5760 + 2 * 257)


@pytest.mark.parametrize(
    "config",
    [
        DSTFTConfig(),
        DSTFTConfig(
            frame_length=1000,
            n_fft=128,
            n_windows=9,
            win_length=77,
            hop=101.25,
            position=3,
            learn_hop=False,
            window="gaussian",
            time_varying=True,
            normalize_window=True,
            log_compress=False,
        ),
    ],
)
def test_config_round_trips_exactly_through_json(config: DSTFTConfig) -> None:
    text = config_to_json(config)
    again = config_from_json(text)
    assert again == config and config_to_json(again) == text
    assert isinstance(again.win_length, float) and isinstance(again.position, float)


@pytest.mark.parametrize(
    ("kwargs", "field", "allowed"),
    [
        ({"win_length": 600.0}, "win_length", "must be a finite number in [4, 512]"),
        ({"win_length": 2.0}, "win_length", "must be a finite number in [4, 512]"),
        ({"n_fft": 511}, "n_fft", "must be an even integer"),
        ({"n_windows": 0}, "n_windows", "must be an integer in [1, 4096]"),
        ({"hop": 200.0}, "hop", "must keep the last window centre, position + (n_windows - 1) * hop, <= 639"),
        ({"hop": 0.5}, "hop", "must be a finite number in [1, 639]"),
        ({"position": -1.0}, "position", "must be a finite number in [0, 639]"),
        ({"window": "boxcar"}, "window", "must be one of 'hann', 'hamming', 'blackman', 'gaussian'"),
        ({"time_varying": 1}, "time_varying", "must be true or false"),
        ({"learn_hop": "yes"}, "learn_hop", "must be true or false"),
    ],
)
def test_bad_configs_name_the_field(kwargs: dict[str, object], field: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as caught:
        DSTFTConfig(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field and caught.value.allowed == allowed


def test_bad_json_names_the_field() -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_json('{"kind": "dstft", "hop_length": 3}')
    assert caught.value.field == "hop_length"
    with pytest.raises(ConfigError) as caught:
        config_from_json('{"kind": "dstft", "win_length": "long"}')
    assert caught.value.field == "win_length" and caught.value.allowed == "must be a number"


def test_entropy_and_kurtosis_values_and_gradients() -> None:
    spike = torch.zeros(1, 4, 8, dtype=torch.float64)
    spike[0, 2, 3] = 5.0
    flat = torch.ones(1, 4, 8, dtype=torch.float64, requires_grad=True)
    assert spectrogram_entropy(spike).item() == pytest.approx(0.0, abs=1e-9)
    assert spectrogram_entropy(flat * 7).item() == pytest.approx(math.log(32))
    assert spectrogram_kurtosis(spike).item() == pytest.approx(30.0 + 1 / 31, rel=1e-9)  # (n^2-3n+3)/(n-1)
    gaussian = torch.randn(1, 300, 300, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert spectrogram_kurtosis(gaussian).item() == pytest.approx(3.0, abs=0.05)
    power = torch.rand(2, 3, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda p: spectrogram_entropy(p), (power,))
    assert torch.autograd.gradcheck(lambda p: spectrogram_kurtosis(p), (power,))
    spectrogram_entropy(spike.clone().requires_grad_()).sum().backward()  # zeros: finite gradient


def test_entropy_descent_from_four_times_the_best_length_ends_within_ten_percent() -> None:
    n, n_fft, hop = 1024, 512, 8.0
    signal = _chirp(n, rate=1e5)  # 500 Hz rising 100 kHz/s: interior optimum near 100 samples

    window_search = load_benchmark("dstft_window_search")

    def frontend(win_length: float) -> DSTFTFrontEnd:  # 64 windows; only the length learns
        model = window_search.frontend(win_length, torch.device("cpu"), frame_length=n, n_fft=n_fft, hop=hop)
        assert model.config.n_windows == 64
        return model

    with torch.no_grad():
        grid = np.arange(16.0, n_fft / 4 + 1, 1.0)
        losses = [_module_loss(frontend(length), signal).item() for length in grid]
    best = float(grid[int(np.argmin(losses))])
    assert 16 < best < n_fft / 4  # interior optimum

    model = frontend(4 * best)
    steps = 100
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    for _ in range(steps):
        optimizer.zero_grad()
        _module_loss(model, signal).backward()
        optimizer.step()
        schedule.step()
    end = model.win_lengths[0].item()
    assert abs(end / best - 1) < 0.10, (best, end)
