"""Convolutional, log-mel and experts front-ends against independent references."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import torch

import fftlearn
from fftlearn import HeadConfig, ModelConfig
from fftlearn.frontends import ConvConfig, ExpertsConfig, LogMelConfig, MultiplicativeConfig


def _frames(n: int = 3, length: int = 256, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, length, generator=torch.Generator().manual_seed(seed))


def _linear_conv_256(pooling: str, **sizes: object) -> ConvConfig:
    """A convolutional front-end on 256-sample frames without log compression, so that its
    features compare directly with linear references."""
    return ConvConfig(frame_length=256, pooling=pooling, log_compress=False, **sizes)  # type: ignore[arg-type]


@pytest.mark.parametrize("pooling", ["max", "mean", "l2"])
def test_conv_frontend_matches_scipy_correlation(pooling: str) -> None:
    config = _linear_conv_256(pooling, n_filters=5, filter_length=32, stride=8, pool_windows=3)
    frontend = fftlearn.frontends.ConvFrontEnd(config)
    frames = _frames()
    ours = frontend(frames).detach().numpy().reshape(3, 5, 3)
    filters = frontend.kernels().numpy()
    for b in range(3):
        for m in range(5):
            full = scipy.signal.correlate(frames[b].numpy(), filters[m], mode="valid")[::8]  # (positions,)
            assert len(full) == config.n_positions == 29
            segments = full[:27].reshape(3, 9)
            reference = {
                "max": np.abs(segments).max(1),
                "mean": np.abs(segments).mean(1),
                "l2": np.sqrt((segments**2).mean(1)),
            }[pooling]
            np.testing.assert_allclose(ours[b, m], reference, rtol=1e-4, atol=1e-5)


def test_conv_dft_init_and_mac_count() -> None:
    config = ConvConfig(frame_length=640, n_filters=16, filter_length=64, stride=32, init="dft", pooling="l2")
    model = fftlearn.build(ModelConfig(frontend=config, head=HeadConfig(depth=0), n_classes=4))
    filters = model.frontend.kernels().numpy()
    peaks = np.abs(np.fft.rfft(filters, n=1024, axis=1)).argmax(1)
    assert np.all(np.diff(peaks) > 0)  # cosines at rising frequencies
    positions = 1 + (640 - 64) // 32
    frontend_macs = 16 * positions * 64 + 16 * positions  # taps + squares for L2 pooling
    assert model.frontend.macs_per_example() == frontend_macs
    counted = fftlearn._compute.flop_counter_flops(model, torch.zeros(2, 640)) // 2
    assert counted == 16 * positions * 64 + 16 * 4  # the flop counter sees the convolution and the head


def test_conv_config_errors() -> None:
    with pytest.raises(
        fftlearn.ConfigError, match=r"^filter_length: got 700; must be an integer in \[1, 640\]$"
    ):
        ConvConfig(filter_length=700)
    with pytest.raises(fftlearn.ConfigError, match=r"^pool_windows: got 5; must be an integer in \[1, 2\]$"):
        ConvConfig(filter_length=400, stride=160, pool_windows=5)


def test_logmel_matches_numpy_reference() -> None:
    config = LogMelConfig(frame_length=512, n_fft=256, hop=128, n_mels=20, f_min=50.0, f_max=7000.0)
    frontend = fftlearn.frontends.LogMelFrontEnd(config)
    frames = _frames(2, 512)
    ours = frontend(frames).numpy().reshape(2, config.n_windows, 20)
    mel = fftlearn.frontends.mel_filterbank(n_mels=20, n_fft=256, sample_rate=16000, f_min=50.0, f_max=7000.0)
    assert mel.shape == (20, 129) and mel.max() <= 1.0 and np.all(mel.max(1) > 0.5)  # every band sees a bin
    centres = (np.arange(129) * 16000 / 256)[mel.argmax(1)]
    assert np.all(np.diff(centres) > 0) and 50 < centres[0] < centres[-1] < 7000
    window = scipy.signal.get_window("hann", 256)
    for w in range(config.n_windows):
        segment = frames[:, w * 128 : w * 128 + 256].numpy() * window
        power = np.abs(np.fft.rfft(segment, axis=1)) ** 2
        np.testing.assert_allclose(ours[:, w], np.log(power @ mel.T + 1e-6), rtol=1e-4, atol=1e-4)
    assert sum(p.numel() for p in frontend.parameters()) == 0


def _experts(estimator: str = "straight_through") -> fftlearn.frontends.ExpertsFrontEnd:
    config = ExpertsConfig(
        expert=MultiplicativeConfig(frame_length=128, n_kernels=6),
        n_experts=3,
        router_width=8,
        estimator=estimator,
        balance_weight=0.5,
    )
    torch.manual_seed(0)
    return fftlearn.frontends.ExpertsFrontEnd(config)


@pytest.mark.parametrize("estimator", ["straight_through", "gumbel"])
def test_experts_route_each_frame_to_exactly_one_kernel_set(estimator: str) -> None:
    frontend = _experts(estimator)
    frames = _frames(16, 128)
    frontend.eval()
    chosen = frontend.routing(frames)
    expected = torch.stack([frontend.experts[int(k)](frames[i : i + 1])[0] for i, k in enumerate(chosen)])
    torch.testing.assert_close(frontend(frames), expected)
    frontend.train()
    out = frontend(frames)
    per_expert = torch.stack([e(frames) for e in frontend.experts], 1)  # (B, K, F)
    matches = [float((out[i] - per_expert[i]).abs().amax(-1).min().detach()) for i in range(16)]
    assert max(matches) < 1e-6  # the training output is one expert's features too


def test_straight_through_gradient_reaches_the_router_and_balance_term_is_switch_style() -> None:
    frontend = _experts()
    frontend.train()
    frames = _frames(32, 128)
    out = frontend(frames)
    logits = frontend.router(frames)
    probs = logits.softmax(-1)
    share = torch.nn.functional.one_hot(probs.argmax(-1), 3).float().mean(0)
    expected = 0.5 * 3 * (share * probs.mean(0)).sum()
    torch.testing.assert_close(frontend.auxiliary_loss(), expected)
    (out.square().sum() + frontend.auxiliary_loss()).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in frontend.router.parameters())


def test_experts_count_the_router_and_one_expert() -> None:
    frontend = _experts()
    router = 2 * 128 + 128 * 8 + 8 * 8 + 8 * 3
    assert frontend.macs_per_example() == router + 6 * 128
    assert frontend.kernels().shape == (18, 128)
    with pytest.raises(fftlearn.ConfigError, match=r"^n_experts: got 9"):
        ExpertsConfig(n_experts=9)


def test_gumbel_experts_train_deterministically_from_the_seed() -> None:
    data = fftlearn.make_task_data(
        fftlearn.TaskConfig(
            data=fftlearn.data.HarmonicTonesConfig(
                n_train=64, n_test=8, frame_length=128, midi_low=60, midi_high=63
            )
        ),
        seed=0,
    )[0]
    config = ModelConfig(frontend=_experts("gumbel").config, head=HeadConfig(depth=0), n_classes=4)
    weights = []
    for _ in range(2):
        model = fftlearn.build(config, seed=3)
        fftlearn.train_classifier(
            model,
            data,
            optimizer=fftlearn.OptimizerConfig(),
            budget=fftlearn.TrainConfig(epochs=2, batch_size=16),
            seed=3,
            device=torch.device("cpu"),
        )
        weights.append(model.frontend.router[-1].weight.detach().clone())
    torch.testing.assert_close(weights[0], weights[1], rtol=0, atol=0)


def test_logmel_mac_count_is_the_dense_product_it_runs() -> None:
    config = LogMelConfig(frame_length=512, n_fft=256, hop=128, n_mels=20, f_min=50.0, f_max=7000.0)
    frontend = fftlearn.frontends.LogMelFrontEnd(config)
    bins = 129
    assert int((frontend.mel != 0).sum()) < 20 * bins  # the mel matrix is sparse; the product is not
    counted = fftlearn._compute.flop_counter_flops(frontend, _frames(4, 512))  # FLOPs; FFT and elementwise ops are 0
    mel_product_macs = config.n_windows * 20 * bins
    assert counted == 2 * mel_product_macs
    per_window = 256 + fftlearn.frontends.rfft_macs(256) + 2 * bins + 20 * bins  # window, rfft, |.|^2, mel
    assert frontend.macs_per_example() == config.n_windows * per_window


def _stft_slice_config(pooling: str = "max") -> ConvConfig:
    # bins = 33 of a 64-point DFT; one pool window per position keeps every STFT frame
    return _linear_conv_256(
        pooling,
        n_filters=66,
        filter_length=64,
        stride=16,
        pool_windows=13,
        init="dft_pairs",
        pair_magnitude=True,
    )


@pytest.mark.parametrize("pooling", ["max", "mean", "l2"])
def test_conv_dft_pairs_with_pair_magnitude_is_the_stft_magnitude_slice(pooling: str) -> None:
    config = _stft_slice_config(pooling)
    assert config.n_positions == 13 and config.n_features == 33 * 13
    frontend = fftlearn.frontends.ConvFrontEnd(config)
    frames = _frames(3, 256)
    ours = frontend(frames).detach().numpy().reshape(3, 33, 13)  # (B, bins, STFT frames)
    # torch.stft with center=False (no padding): frame p starts at p * hop, as the conv positions
    # do; the periodic Hann window is torch.hann_window's default; no normalisation
    reference = torch.stft(
        frames.double(),
        n_fft=64,
        hop_length=16,
        window=torch.hann_window(64, dtype=torch.float64),
        center=False,
        return_complex=True,
    ).abs()  # (B, 33, 13)
    np.testing.assert_allclose(ours, reference.numpy(), rtol=1e-5, atol=1e-5)
    # scipy.signal.stft: boundary=None and padded=False align its frames the same way; its
    # 'spectrum' scaling divides by the window's sum
    _, _, spectrum = scipy.signal.stft(
        frames.double().numpy(),
        window="hann",
        nperseg=64,
        noverlap=48,
        boundary=None,
        padded=False,
        detrend=False,
        scaling="spectrum",
    )  # (B, 33, 13)
    window_sum = scipy.signal.get_window("hann", 64).sum()
    np.testing.assert_allclose(ours, np.abs(spectrum) * window_sum, rtol=1e-5, atol=1e-5)


def test_dft_pairs_filters_are_the_stft_kernels() -> None:
    config = _stft_slice_config()
    conv = fftlearn.frontends.ConvFrontEnd(config).kernels()
    stft = fftlearn.frontends.STFTFrontEnd(
        fftlearn.frontends.STFTConfig(frame_length=256, n_fft=64, hop=16)
    ).kernels()
    torch.testing.assert_close(conv, stft)
    # fewer pairs than bins: evenly spread whole bins from 0 to Nyquist
    few = fftlearn.frontends.ConvFrontEnd(
        ConvConfig(frame_length=256, n_filters=10, filter_length=64, stride=16, init="dft_pairs")
    ).kernels()
    peaks = np.abs(np.fft.rfft(few[0::2].numpy(), axis=1)).argmax(1)
    assert peaks.tolist() == [0, 8, 16, 24, 32]


def test_conv_pair_magnitude_mac_count_and_errors() -> None:
    config = ConvConfig(
        frame_length=640, n_filters=16, filter_length=64, stride=32, pair_magnitude=True, pooling="l2"
    )
    model = fftlearn.build(ModelConfig(frontend=config, head=HeadConfig(depth=0), n_classes=4))
    positions = 1 + (640 - 64) // 32
    assert config.n_features == 8
    taps, pairs, squares = 16 * positions * 64, 16 * positions, 8 * positions  # 2 per pair per position
    assert model.frontend.macs_per_example() == taps + pairs + squares
    counted = fftlearn._compute.flop_counter_flops(model, torch.zeros(2, 640)) // 2
    assert counted == taps + 8 * 4  # the flop counter sees the convolution and the head only
    with pytest.raises(
        fftlearn.ConfigError, match=r"^n_filters: got 15; must be even when pair_magnitude is true$"
    ):
        ConvConfig(n_filters=15, pair_magnitude=True)
    with pytest.raises(
        fftlearn.ConfigError, match=r"^init: got 'fft'; must be one of random, dft, dft_pairs$"
    ):
        ConvConfig(init="fft")  # type: ignore[arg-type]
    round_trip = fftlearn.config_from_json(fftlearn.config_to_json(config))
    assert round_trip == config
