"""The field's learned front-ends (SincNet, LEAF) and learnable PCEN, against independent
references: scipy.signal.firwin for the sinc band-pass filters, the FFT of the Gabor impulse
responses for their centre frequencies, a direct NumPy PCEN (the paper's equation), MAC counts
by hand, gradients against finite differences, and one tiny ``fftnas run``.

(librosa.pcen would be a second PCEN reference; librosa is not a dependency of fftnas.)
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import optuna
import pytest
import scipy.signal
import torch

import fftlearn
from fftlearn import ConfigError
from fftlearn.frontends import (
    FRONTENDS,
    PCEN,
    FrameShape,
    LEAFConfig,
    LEAFFrontEnd,
    SincNetConfig,
    SincNetFrontEnd,
    STFTConfig,
    build_frontend,
)
from nas.cli import main
from tests.helpers import edit_experiment, write_tiny_experiment

RATE = 16000  # Hz
SPECTRAL = ("stft", "logmel", "dstft", "butterfly", "conv", "multiplicative", "sincnet")


def set_band_edges(frontend: SincNetFrontEnd, low_hz: np.ndarray, high_hz: np.ndarray) -> None:
    """Store parameters whose effective cut-offs are ``low_hz`` and ``high_hz`` (Hz, (M,) each)."""
    config = frontend.config
    with torch.no_grad():
        frontend.low.copy_(torch.from_numpy((low_hz - config.min_low_hz) / config.sample_rate))
        frontend.band.copy_(torch.from_numpy((high_hz - low_hz - config.min_band_hz) / config.sample_rate))


def test_sincnet_filters_are_the_windowed_band_pass_of_firwin() -> None:
    config = SincNetConfig(frame_length=256, sample_rate=RATE, n_filters=3, filter_length=101, stride=8)
    frontend = SincNetFrontEnd(config)
    low, high = np.array([100.0, 700.0, 3000.0]), np.array([300.0, 1500.0, 7000.0])
    set_band_edges(frontend, low, high)
    edges = frontend.band_edges_hz()
    np.testing.assert_allclose(edges[0].numpy(), low, rtol=1e-5)
    np.testing.assert_allclose(edges[1].numpy(), high, rtol=1e-5)
    filters = frontend.kernels().numpy()  # (3, 101)
    n = np.arange(101) - 50
    for m in range(3):
        reference = scipy.signal.firwin(
            101, [low[m], high[m]], pass_zero=False, window="hamming", scale=False, fs=RATE
        )
        np.testing.assert_allclose(filters[m], reference, atol=2e-6)
        f1, f2 = low[m] / RATE, high[m] / RATE  # the closed form: a difference of two sincs
        closed = (2 * f2 * np.sinc(2 * f2 * n) - 2 * f1 * np.sinc(2 * f1 * n)) * np.hamming(101)
        np.testing.assert_allclose(filters[m], closed, atol=2e-6)
    assert np.allclose(filters, filters[:, ::-1])  # symmetric: linear phase


def test_sincnet_starts_mel_spaced_and_keeps_the_minimum_band() -> None:
    frontend = SincNetFrontEnd(SincNetConfig(n_filters=10))
    low, high = frontend.band_edges_hz()
    mel = 2595 * np.log10(1 + (low.numpy() - 50.0) / 700)  # stored low edges, before min_low_hz
    assert np.allclose(np.diff(mel), np.diff(mel)[0], rtol=1e-4) and float(low[0]) == pytest.approx(80.0)
    with torch.no_grad():
        frontend.band.fill_(0.0)
        frontend.low[-1] = 0.6  # beyond Nyquist: the upper edge stops at fs/2
    low, high = frontend.band_edges_hz()
    assert torch.allclose(high[:-1] - low[:-1], torch.tensor(50.0), atol=1e-3) and float(high[-1]) == RATE / 2


def test_leaf_gabor_filters_peak_at_their_learned_centre_frequency() -> None:
    frontend = LEAFFrontEnd(LEAFConfig(frame_length=640, n_filters=5, filter_length=401))
    with torch.no_grad():
        frontend.centre.copy_(torch.tensor([0.1, 0.5, 1.0, 2.0, 3.0]))  # radians per sample
        frontend.sigma.fill_(40.0)
    n_fft = 1 << 16
    spectrum = np.abs(np.fft.fft(frontend.gabor_filters().detach().numpy(), n=n_fft, axis=1))  # (5, n_fft)
    peaks = 2 * np.pi * np.argmax(spectrum, axis=1) / n_fft
    np.testing.assert_allclose(peaks, frontend.centre.detach().numpy(), atol=2 * np.pi / n_fft)
    half = spectrum >= spectrum.max(axis=1, keepdims=True) / 2  # FWHM = 2 sqrt(2 ln 2) / sigma rad
    np.testing.assert_allclose(half.sum(1) * 2 * np.pi / n_fft, 2 * np.sqrt(2 * np.log(2)) / 40, rtol=5e-3)
    np.testing.assert_allclose(spectrum.max(axis=1), 1.0, rtol=1e-4)  # unit gain at the centre


def numpy_pcen(energy: np.ndarray, alpha, smooth, delta, root, floor: float) -> np.ndarray:
    """The paper's PCEN, ``(B, C, T)``, per-channel parameters ``(C,)``, smoother from E[0]."""
    alpha, smooth, delta, root = (np.asarray(p)[:, None] for p in (alpha, smooth, delta, root))
    smoother = np.empty_like(energy)
    state = energy[:, :, 0]
    for t in range(energy.shape[2]):
        state = (1 - smooth[:, 0]) * state + smooth[:, 0] * energy[:, :, t]
        smoother[:, :, t] = state
    return (energy / (floor + smoother) ** alpha + delta) ** (1 / root) - delta ** (1 / root)


def test_pcen_is_the_papers_equation() -> None:
    generator = torch.Generator().manual_seed(0)
    energy = torch.rand(2, 3, 7, generator=generator, dtype=torch.float64) * 5  # (B, C, T)
    parameters = {"alpha": [0.5, 0.96, 1.0], "smooth": [0.04, 0.3, 1.0], "delta": [2.0, 0.5, 10.0]}
    parameters["root"] = [2.0, 1.0, 4.0]
    pcen = PCEN(3, floor=1e-6).double()
    with torch.no_grad():
        for name, values in parameters.items():
            getattr(pcen, name).copy_(torch.tensor(values, dtype=torch.float64))
        out = pcen(energy).numpy()
    np.testing.assert_allclose(out, numpy_pcen(energy.numpy(), **parameters, floor=1e-6), rtol=1e-12)
    one = PCEN(3).double()  # one step: M = E, so (E / (floor + E)^alpha + delta)^(1/root) - delta^(1/root)
    e, alpha = energy[..., :1], float(one.alpha.detach()[0])  # LEAF's 0.96, as float32 holds it
    np.testing.assert_allclose(
        one(e).detach().numpy(), ((e / (1e-12 + e) ** alpha + 2) ** 0.5 - 2**0.5).numpy(), rtol=1e-12
    )


def test_macs_equal_a_count_by_hand() -> None:
    # SincNet: 2 filters of 9 taps at 14 positions; 28 squares; 2 x 2 means; log 8 each
    sincnet = SincNetConfig(frame_length=64, n_filters=2, filter_length=9, stride=4, pool_windows=2)
    assert build_frontend(sincnet).macs_per_example() == 2 * 14 * 9 + 28 + 4 + 8 * 4
    pcen = dataclasses.replace(sincnet, log_compress=False, pcen=True)
    assert build_frontend(pcen).macs_per_example() == 2 * 14 * 9 + 28 + 4 + 36 * 4  # PCEN: 36 each
    # LEAF: 2 x 2 real filters of 9 taps at 24 positions, |.|^2, 3 pooled outputs of 8 taps, PCEN
    leaf = LEAFConfig(frame_length=32, n_filters=2, filter_length=9, pool_length=8, pool_stride=8)
    assert leaf.n_windows == 3
    assert build_frontend(leaf).macs_per_example() == 4 * 9 * 24 + 2 * 2 * 24 + 2 * 3 * 8 + 36 * 2 * 3
    # STFT: 3 windows of 64 (window, rfft 480, |.|^2 66) + PCEN over 33 bins x 3 windows
    stft = STFTConfig(frame_length=128, n_fft=64, hop=32, log_compress=False, pcen=True)
    assert build_frontend(stft).macs_per_example() == 3 * (64 + 480 + 66) + 36 * 33 * 3


@pytest.mark.parametrize("kind", ["sincnet", "leaf"])
def test_gradients_reach_the_frequency_parameters(kind: str) -> None:
    config = SincNetConfig(frame_length=256, n_filters=4, filter_length=65, stride=8)
    if kind == "leaf":
        config = LEAFConfig(frame_length=256, n_filters=4, filter_length=65, pool_length=96, pool_stride=48)
    frontend = build_frontend(config).double()
    frames = torch.randn(3, 256, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    names = ("low", "band") if kind == "sincnet" else ("centre", "sigma")
    frontend(frames).square().sum().backward()
    for name in names:
        parameter = getattr(frontend, name)
        assert (parameter.grad.abs() > 0).all(), name
        with torch.no_grad():  # a central difference on filter 1 agrees with the gradient
            step = 1e-6 * max(1.0, float(parameter[1].abs()))
            parameter[1] += step
            up = frontend(frames).square().sum()
            parameter[1] -= 2 * step
            down = frontend(frames).square().sum()
            parameter[1] += step
        assert float(parameter.grad[1]) == pytest.approx(float(up - down) / (2 * step), rel=1e-4)


@pytest.mark.parametrize("kind", SPECTRAL)
def test_pcen_option_of_every_spectral_kind(kind: str) -> None:
    shape = FrameShape(640, RATE)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    default = FRONTENDS.get(kind, field="kind").space_class()
    trial = study.ask()
    assert not default.suggest(trial, prefix=f"{kind}.", shape=shape).pcen
    assert f"{kind}.pcen" not in trial.params  # one choice: no param (stored studies unchanged)
    space = dataclasses.replace(default, pcen=(False, True))
    for _ in range(20):
        trial = study.ask()
        config = space.suggest(trial, prefix=f"{kind}.", shape=shape)
        if config.pcen:
            break
    assert trial.params[f"{kind}.pcen"] is True and not getattr(config, "log_compress", False)
    plain = json.loads(fftlearn.config_to_json(config))
    assert plain["pcen"] is True and fftlearn.config_from_json(json.dumps(plain)) == config
    frontend = build_frontend(config)
    assert frontend.learnable and isinstance(frontend.pcen, PCEN)
    assert {name for name, _ in frontend.named_parameters()} >= {"pcen.alpha", "pcen.root"}
    grouped = [
        id(p) for group in frontend.parameter_groups(fftlearn.OptimizerConfig()) for p in group["params"]
    ]
    assert sorted(grouped) == sorted(id(p) for p in frontend.parameters() if p.requires_grad)
    features = frontend(0.3 * torch.randn(4, 640, generator=torch.Generator().manual_seed(0)))
    assert features.shape == (4, config.n_features) and torch.isfinite(features).all()
    off = dataclasses.replace(config, pcen=False, **({"log_compress": True} if kind != "logmel" else {}))
    assert "pcen" not in json.loads(fftlearn.config_to_json(off))  # written as before the option
    log_macs = 8 if kind == "sincnet" else 0  # sincnet counts its log; the older kinds do not
    added = frontend.macs_per_example() - build_frontend(off).macs_per_example()
    assert added == (36 - log_macs) * config.n_features  # PCEN on every feature


def test_pcen_and_log_compress_are_exclusive() -> None:
    with pytest.raises(ConfigError, match=r"^pcen: got True; needs log_compress = false"):
        STFTConfig(frame_length=256, n_fft=64, hop=32, pcen=True)
    with pytest.raises(ConfigError, match=r"^filter_length: got 64; must be odd"):
        SincNetConfig(frame_length=256, filter_length=64)


def test_fftnas_run_searches_sincnet_and_leaf(tmp_path: Path) -> None:
    tables = (
        'frontends = ["sincnet", "leaf"]\n\n[space.sincnet]\nn_filters = { low = 4, high = 8 }\n'
        "filter_length = [33, 65]\npcen = [false, true]\n\n[space.leaf]\nn_filters = { low = 4, high = 8 }\n"
        "filter_length = [33, 65]"
    )
    experiment = write_tiny_experiment(tmp_path / "t.toml", trials=4, sampler="random")
    experiment = edit_experiment(experiment, tmp_path / "learned.toml", r"^frontends = .*$", tables)
    storage = tmp_path / "l.journal"
    assert main(["run", str(experiment), "--storage", str(storage), "--no-progress", "--device", "cpu"]) == 0
    backend = optuna.storages.journal.JournalFileBackend(str(storage))
    study = optuna.load_study(study_name="tiny", storage=optuna.storages.JournalStorage(backend))
    assert {t.params["frontend"] for t in study.trials} == {"sincnet", "leaf"}
    for trial in study.trials:
        assert trial.state == optuna.trial.TrialState.COMPLETE
        candidate = fftlearn.config_from_json(trial.user_attrs["config"])
        assert trial.user_attrs["metrics"]["macs"] == fftlearn.count_macs(fftlearn.build(candidate.model))
        assert trial.user_attrs["frame_bounds"]["kind"] == "strided"
