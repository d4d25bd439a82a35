"""The experts' router: the spectral summary against NumPy, MAC counts by hand, expected MACs
under a given routing, experts of different sizes, and routing that follows content."""

from __future__ import annotations

import numpy as np
import optuna
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import fftlearn
from fftlearn import HeadConfig, ModelConfig
from fftlearn.analysis import router_usage
from fftlearn.data import LabelledFrames
from fftlearn.frontends import ExpertsConfig, ExpertsFrontEnd, ExpertsSpace, FrameShape, MultiplicativeConfig
from fftlearn.frontends._router import information_term, spectral_summary, summary_macs


def _frames(n: int, length: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, length, generator=torch.Generator().manual_seed(seed))


def _experts(**fields: object) -> ExpertsFrontEnd:
    config = ExpertsConfig(
        expert=MultiplicativeConfig(frame_length=128, n_kernels=8), router_width=8, **fields
    )
    torch.manual_seed(0)
    return ExpertsFrontEnd(config)


def test_spectral_summary_matches_numpy_and_ignores_the_level() -> None:
    frames = _frames(3, 100)  # 6 segments of 16 samples, 4 samples dropped
    window = torch.hann_window(16, periodic=True)
    ours = spectral_summary(frames, n_fft=16, window=window).numpy()
    segments = frames.numpy()[:, :96].reshape(3, 6, 16) * window.numpy()
    power = np.abs(np.fft.rfft(segments.astype(np.float64))) ** 2 + 1e-8  # (3, 6, 9)
    shape = np.log(power.mean(1))
    levels = np.log(power.sum(-1))
    flux = np.abs(np.diff(np.log(power), axis=1)).mean((1, 2))
    reference = np.concatenate(
        [
            shape - shape.mean(-1, keepdims=True),
            np.sort(levels - levels.mean(-1, keepdims=True), axis=-1),
            flux[:, None],
        ],
        axis=1,
    )
    np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-4)
    louder = spectral_summary(7.5 * frames, n_fft=16, window=window).numpy()
    np.testing.assert_allclose(louder, ours, atol=1e-4)


def test_spectral_router_macs_by_hand_and_dense_part_by_the_flop_counter() -> None:
    bins, segments = 33, 10  # n_fft = 64 over a 640-sample frame
    by_hand = segments * (64 + 480 + 2 * bins) + (segments * bins + 2 * bins)  # rfft(64): 1.25*64*6
    by_hand += (segments * bins + 2 * segments) + 2 * (segments - 1) * bins
    assert summary_macs(640, 64) == by_hand == 7440
    config = ExpertsConfig(
        expert=MultiplicativeConfig(frame_length=640, n_kernels=8),
        n_experts=2,
        router_width=8,
        router_input="spectrum",
    )
    frontend = ExpertsFrontEnd(config).eval()
    inputs = bins + segments + 1
    mlp = inputs * 8 + 8 * 8 + 8 * 2
    assert frontend.router_macs() == 7440 + 2 * inputs + mlp
    assert frontend.macs_per_example() == frontend.router_macs() + 8 * 640
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        frontend(_frames(6, 640))
    assert counter.get_total_flops() == 2 * 6 * frontend.dense_macs_per_example() == 2 * 6 * (mlp + 8 * 640)


def test_experts_of_different_sizes_pad_their_features_and_count_expected_macs() -> None:
    frontend = _experts(n_experts=3, size_ratio=0.5).eval()
    assert [e.config.n_kernels for e in frontend.experts] == [8, 4, 2]
    assert frontend.n_features == 8 and frontend.dense_macs_per_example() is None
    router = 2 * 128 + 128 * 8 + 8 * 8 + 8 * 3
    assert frontend.macs_per_example() == router + 8 * 128  # the worst case: the largest expert
    frames = _frames(10, 128)
    with torch.no_grad():
        frontend.router[-1].weight.zero_()
        frontend.router[-1].bias.copy_(torch.tensor([0.0, 0.0, 5.0]))  # every frame to expert 2
        assert frontend.expected_macs_per_example(frames) == router + 2 * 128
        features = frontend(frames)
        torch.testing.assert_close(features[:, :2], frontend.experts[2](frames))
        assert torch.equal(features[:, 2:], torch.zeros(10, 6))
        frontend.router[-1].bias.copy_(torch.tensor([0.0, 0.0, 0.5]))
        frontend.router[-1].weight[:, 0] = torch.tensor([0.0, 10.0, 0.0])  # hidden unit 0 > 0.05: expert 1
    chosen = frontend.routing(frames)
    counts = [int((chosen == k).sum()) for k in range(3)]
    assert counts[0] == 0 and min(counts[1:]) > 0, counts
    assert frontend.expected_macs_per_example(frames) == pytest.approx(
        router + (counts[0] * 8 + counts[1] * 4 + counts[2] * 2) * 128 / 10
    )
    assert torch.equal(frontend.train()(frames).detach()[chosen == 2, 2:], torch.zeros(counts[2], 6))
    with pytest.raises(fftlearn.ConfigError, match=r"^frames: got \(0, 128\); must hold at least one frame"):
        frontend.expected_macs_per_example(frames[:0])


def test_paired_experts_stay_even_and_equal_experts_cost_what_they_did() -> None:
    paired = MultiplicativeConfig(frame_length=128, n_kernels=10, pair_magnitude=True)
    config = ExpertsConfig(expert=paired, n_experts=3, size_ratio=0.25)  # 10, 2.5, 0.625
    assert [config.expert_config(k).n_kernels for k in range(3)] == [10, 2, 2]
    equal = _experts(n_experts=3)
    assert equal.expected_macs_per_example(_frames(7, 128)) == equal.macs_per_example()


def test_information_term_is_minus_the_mutual_information_of_the_soft_routing() -> None:
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    mean = probs.mean(0)
    expected = -(probs * probs.log()).sum(-1).mean() + (mean * mean.log()).sum()  # mean H(p_i) - H(mean)
    torch.testing.assert_close(information_term(probs), expected, rtol=1e-5, atol=1e-6)
    frontend = _experts(n_experts=2, balance_weight=0.0, entropy_weight=2.0).train()
    frames = _frames(16, 128)
    frontend(frames)
    soft = frontend.router_logits(frames).softmax(-1)
    torch.testing.assert_close(frontend.auxiliary_loss(), 2.0 * information_term(soft))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("router_input", "mel", r"^router_input: got 'mel'; must be one of raw, spectrum"),
        ("router_fft", 2, r"^router_fft: got 2"),
        ("size_ratio", 0.0, r"^size_ratio: got 0\.0"),
        ("size_ratio", 1.5, r"^size_ratio: got 1\.5"),
        ("entropy_weight", -1.0, r"^entropy_weight: got -1\.0"),
    ],
)
def test_bad_router_fields_name_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(fftlearn.ConfigError, match=message):
        ExpertsConfig(expert=MultiplicativeConfig(frame_length=128), **{field: value})


def test_the_summary_fft_must_fit_the_frame_only_when_the_router_reads_the_spectrum() -> None:
    short = MultiplicativeConfig(frame_length=32)
    assert ExpertsConfig(expert=short).router_fft == 64  # a raw router ignores it
    with pytest.raises(fftlearn.ConfigError, match=r"^router_fft: got 64"):
        ExpertsConfig(expert=short, router_input="spectrum")


def test_single_choices_add_no_param_and_several_are_searched() -> None:
    shape = FrameShape(frame_length=640, sample_rate=16000)
    old = {
        "x.expert_kind": "multiplicative",
        "x.multiplicative.pair_magnitude": False,
        "x.multiplicative.n_kernels": 16,
        "x.multiplicative.init": "random",
        "x.multiplicative.log_compress": True,
        "x.n_experts": 2,
        "x.router_width": 16,
        "x.estimator": "gumbel",
        "x.balance_weight": 0.01,
    }
    config = ExpertsSpace().suggest(optuna.trial.FixedTrial(old), prefix="x.", shape=shape)
    assert (config.router_input, config.size_ratio, config.entropy_weight) == ("raw", 1.0, 0.0)
    space = ExpertsSpace(router_input=("raw", "spectrum"), router_fft=(32, 64), size_ratio=(0.25, 1.0))
    new = {**old, "x.router_input": "spectrum", "x.router_fft": 32, "x.size_ratio": 0.25}
    config = space.suggest(optuna.trial.FixedTrial(new), prefix="x.", shape=shape)
    assert (config.router_input, config.router_fft, config.size_ratio) == ("spectrum", 32, 0.25)
    assert fftlearn.config_from_json(fftlearn.config_to_json(config)) == config
    with pytest.raises(
        fftlearn.ConfigError, match=r"^router_fft\[1\]: got 1024; must be <= the frame length 640"
    ):
        ExpertsSpace(router_input=("spectrum",), router_fft=(64, 1024)).check_frame_length(640)


def _tones_and_noise(n: int, seed: int) -> LabelledFrames:
    """``n`` low sine tones (class 0) and ``n`` white-noise frames (class 1), 128 samples, at
    random levels over 20 dB."""
    rng = np.random.default_rng(seed)
    t = np.arange(128)
    tones = np.sin(2 * np.pi * rng.uniform(0.01, 0.06, (n, 1)) * t + rng.uniform(0, 2 * np.pi, (n, 1)))
    frames = np.concatenate([tones, rng.standard_normal((n, 128))]) * 10 ** rng.uniform(-1, 0, (2 * n, 1))
    labels = np.repeat([0, 1], n)
    return LabelledFrames(frames.astype(np.float32), labels, np.full(2 * n, np.nan), 2, ("tone", "noise"))


def test_a_spectral_router_sends_tones_and_noise_to_different_experts() -> None:
    frontend = ExpertsConfig(
        expert=MultiplicativeConfig(frame_length=128, n_kernels=4),
        n_experts=2,
        router_width=8,
        router_input="spectrum",
        router_fft=16,
        size_ratio=0.5,
        entropy_weight=0.1,
    )
    model = fftlearn.build(ModelConfig(frontend=frontend, head=HeadConfig(depth=0), n_classes=2), seed=3)
    fftlearn.train_classifier(
        model,
        _tones_and_noise(64, seed=0),
        optimizer=fftlearn.OptimizerConfig(lr=1e-2),
        budget=fftlearn.TrainConfig(epochs=20, batch_size=16),
        seed=3,
        device=torch.device("cpu"),
    )
    test = _tones_and_noise(64, seed=1)
    chosen = model.eval().frontend.routing(torch.from_numpy(test.frames))
    usage = router_usage(chosen, test.labels, n_experts=2, n_classes=2)
    assert usage.purity >= 0.9 and usage.load.min() >= 0.1, usage
