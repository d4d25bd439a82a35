"""fftlearn on its own: data, front-ends against oracles, MACs, seeds, checkpoints, analysis."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import torch

import fftlearn
from fftlearn import HeadConfig, ModelConfig, OptimizerConfig, TrainConfig
from fftlearn.analysis import kernel_spectra, plot_kernel_spectra
from fftlearn.data import HarmonicTonesConfig
from fftlearn.frontends import MultiplicativeConfig, MultiplicativeFrontEnd, STFTConfig, STFTFrontEnd

DATA = HarmonicTonesConfig(n_train=300, n_test=100, frame_length=256, midi_low=60, midi_high=65)
TASK = fftlearn.TaskConfig(name="pitch", data=DATA)


def test_tones_are_deterministic_from_the_seed() -> None:
    a = fftlearn.data.make_harmonic_tones(DATA, split="train", seed=3)
    b = fftlearn.data.make_harmonic_tones(DATA, split="train", seed=3)
    c = fftlearn.data.make_harmonic_tones(DATA, split="train", seed=4)
    test = fftlearn.data.make_harmonic_tones(DATA, split="test", seed=3)
    np.testing.assert_array_equal(a.frames, b.frames)
    np.testing.assert_array_equal(a.midi, b.midi)
    assert not np.allclose(a.frames, c.frames)
    assert a.frames.shape == (300, 256) and a.frames.dtype == np.float32
    assert test.frames.shape == (100, 256) and not np.allclose(a.frames[:100], test.frames)
    assert set(np.unique(a.midi)) == set(range(60, 66))
    assert np.all(a.source == 0) and np.all(a.family == -1)


def test_tone_f0_matches_its_label() -> None:
    data = fftlearn.data.make_harmonic_tones(DATA, split="train", seed=0)
    cents = 1200 * np.log2(data.f0_hz / fftlearn.data.midi_to_hz(data.midi))
    assert np.all(np.abs(cents) <= DATA.detune_cents + 1e-9)


def test_stft_frontend_matches_scipy_stft_magnitudes() -> None:
    config = STFTConfig(frame_length=256, n_fft=64, hop=32, window="hann", log_compress=False)
    frames = torch.randn(3, 256, generator=torch.Generator().manual_seed(0))
    ours = STFTFrontEnd(config)(frames).reshape(3, config.n_windows, config.n_bins)
    window = scipy.signal.get_window("hann", 64)
    _, _, reference = scipy.signal.stft(
        frames.numpy(),
        window=window,
        nperseg=64,
        noverlap=32,
        boundary=None,
        padded=False,
        scaling="spectrum",
    )  # scaled by 1/sum(window)
    reference = np.abs(reference).transpose(0, 2, 1) * window.sum()  # (3, windows, bins)
    np.testing.assert_allclose(ours.numpy(), reference, rtol=1e-4, atol=1e-4)


def test_dft_initialised_kernels_give_dft_magnitudes() -> None:
    frame_length, n_kernels = 64, 64
    frontend = MultiplicativeFrontEnd(
        MultiplicativeConfig(
            frame_length=frame_length,
            n_kernels=n_kernels,
            init="dft",
            pair_magnitude=True,
            log_compress=False,
        )
    )
    frames = torch.randn(2, frame_length, dtype=torch.float32, generator=torch.Generator().manual_seed(1))
    ours = frontend(frames).detach().numpy()  # (2, 32): bins 0..31
    reference = np.abs(np.fft.rfft(frames.numpy(), axis=1))[:, :32] * np.sqrt(2 / frame_length)
    np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "frontend",
    [MultiplicativeConfig(frame_length=128, n_kernels=40), STFTConfig(frame_length=128, n_fft=32, hop=16)],
)
def test_mac_count_agrees_with_flop_counter(frontend: object) -> None:
    model = fftlearn.build(ModelConfig(frontend=frontend, head=HeadConfig(width=24, depth=2), n_classes=6))
    example = torch.zeros(5, 128)
    counted = fftlearn._compute.flop_counter_flops(model, example) // 2  # FLOPs -> MACs, linear layers only
    features = model.frontend.n_features
    head_linear = features * 24 + 24 * 24 + 24 * 6
    assert model.head.macs_per_example() == head_linear + 2 * features
    if isinstance(frontend, MultiplicativeConfig):
        assert counted == 40 * 128 + head_linear  # the flop counter sees the kernels as a matmul
        assert fftlearn.count_macs(model) == 40 * 128 + head_linear + 2 * features
    else:
        assert counted == head_linear  # the flop counter counts the FFT as 0
        per_window = 32 + fftlearn.frontends.rfft_macs(32) + 2 * 17
        assert fftlearn.count_macs(model) == 7 * per_window + head_linear + 2 * features
        assert fftlearn.frontends.rfft_macs(32) == 200  # 1.25 * 32 * log2(32)


def test_build_with_seed_is_deterministic_and_leaves_global_rng() -> None:
    config = ModelConfig(
        frontend=MultiplicativeConfig(frame_length=64, n_kernels=8), head=HeadConfig(), n_classes=3
    )
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = fftlearn.build(config, seed=7)
    after = torch.rand(1)
    b = fftlearn.build(config, seed=7)
    c = fftlearn.build(config, seed=8)
    assert torch.equal(before, after)
    assert torch.equal(a.frontend.weight, b.frontend.weight)
    assert not torch.equal(a.frontend.weight, c.frontend.weight)


def test_training_learns_pitch_and_is_reproducible() -> None:
    train, test = fftlearn.make_task_data(TASK, seed=0)
    config = ModelConfig(
        frontend=STFTConfig(frame_length=256, n_fft=256, hop=256), head=HeadConfig(depth=0), n_classes=6
    )
    accuracies = []
    for _ in range(2):
        model = fftlearn.build(config, seed=1)
        result = fftlearn.train_classifier(
            model,
            train,
            optimizer=OptimizerConfig(lr=1e-2),
            budget=TrainConfig(epochs=8, batch_size=32),
            seed=1,
            device=torch.device("cpu"),
        )
        assert result.steps == 8 * 10 and not result.stopped_by_time
        accuracies.append(fftlearn.evaluate_classifier(model, test, device=torch.device("cpu")).accuracy)
    assert accuracies[0] == accuracies[1]
    assert accuracies[0] > 0.6  # chance is 1/6


def test_divergent_training_raises_nonfinite_loss() -> None:
    train, _ = fftlearn.make_task_data(TASK, seed=0)
    model = fftlearn.build(
        ModelConfig(
            frontend=MultiplicativeConfig(frame_length=256, n_kernels=16),
            head=HeadConfig(depth=2),
            n_classes=6,
        ),
        seed=0,
    )
    with pytest.raises(fftlearn.NonFiniteLossError, match="non-finite"):
        fftlearn.train_classifier(
            model,
            train,
            optimizer=OptimizerConfig(name="sgd", lr=1e8),
            budget=TrainConfig(epochs=3),
            seed=0,
            device=torch.device("cpu"),
        )


def test_checkpoint_round_trip_is_weights_only(tmp_path) -> None:
    config = ModelConfig(
        frontend=MultiplicativeConfig(frame_length=64, n_kernels=8), head=HeadConfig(width=4), n_classes=3
    )
    model = fftlearn.build(config, seed=2)
    path = fftlearn.save_checkpoint(tmp_path / "m.pt", model)
    again = fftlearn.load_checkpoint(path)
    assert again.config == config
    frames = torch.randn(4, 64)
    torch.testing.assert_close(again(frames), model(frames), rtol=0, atol=0)
    torch.save({"format": "fftnas-checkpoint-1", "config": object()}, tmp_path / "evil.pt")
    with pytest.raises(fftlearn.ConfigError, match="not a readable checkpoint"):
        fftlearn.load_checkpoint(tmp_path / "evil.pt")


def test_kernel_spectra_are_sorted_by_peak_frequency(tmp_path) -> None:
    n = np.arange(128)
    freqs = [3000.0, 500.0, 1500.0]
    kernels = np.stack([np.cos(2 * np.pi * f * n / 16000) for f in freqs])
    spectra = kernel_spectra(kernels, sample_rate=16000, n_fft=1024)
    assert list(spectra.order) == [1, 2, 0]
    np.testing.assert_allclose(spectra.peak_hz, sorted(freqs), atol=16000 / 1024)
    picture = plot_kernel_spectra(spectra, tmp_path / "s.png", title="t")
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_device_names_are_validated() -> None:
    assert fftlearn.resolve_device("cpu") == torch.device("cpu")
    assert fftlearn.resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(fftlearn.ConfigError, match=r"^device: got 'gpu'"):
        fftlearn.resolve_device("gpu")
    if not torch.cuda.is_available():
        with pytest.raises(fftlearn.ConfigError, match="0 CUDA device"):
            fftlearn.resolve_device("cuda:0")


def _trained(
    budget: TrainConfig, *, max_steps: int | None = None, on_epoch=None
) -> tuple[torch.nn.Module, fftlearn.TrainResult]:
    train, _ = fftlearn.make_task_data(TASK, seed=0)
    model = fftlearn.build(
        ModelConfig(frontend=STFTConfig(frame_length=256, n_fft=64, hop=64), head=HeadConfig(), n_classes=6),
        seed=0,
    )
    result = fftlearn.train_classifier(
        model,
        train,
        optimizer=OptimizerConfig(),
        budget=budget,
        seed=0,
        device=torch.device("cpu"),
        max_steps=max_steps,
        on_epoch=on_epoch,
    )
    return model, result


def test_time_cap_stops_training_and_says_so() -> None:
    _, result = _trained(TrainConfig(epochs=50, max_seconds=1e-9))
    assert result.stopped_by_time and result.steps == 1


def test_step_cap_trains_exactly_the_first_steps_of_the_full_run() -> None:
    one_epoch, full = _trained(TrainConfig(epochs=1, batch_size=64))
    assert full.steps > 2 and not full.stopped_by_time
    capped_model, capped = _trained(TrainConfig(epochs=50, batch_size=64), max_steps=full.steps)
    assert capped.steps == full.steps and not capped.stopped_by_time
    assert capped.final_loss == full.final_loss
    for name, weight in one_epoch.state_dict().items():
        assert torch.equal(weight, capped_model.state_dict()[name]), name
    # a run the time cap stopped after its first step equals a run capped at one step
    timed_model, timed = _trained(TrainConfig(epochs=50, max_seconds=1e-9))
    stepped_model, stepped = _trained(TrainConfig(epochs=50), max_steps=1)
    assert timed.stopped_by_time and timed.steps == stepped.steps == 1 and not stepped.stopped_by_time
    assert timed.final_loss == stepped.final_loss
    for name, weight in timed_model.state_dict().items():
        assert torch.equal(weight, stepped_model.state_dict()[name]), name
    # mid-epoch: 2 steps into the second epoch
    _, mid = _trained(TrainConfig(epochs=50, batch_size=64), max_steps=full.steps + 2)
    assert mid.steps == full.steps + 2
    with pytest.raises(fftlearn.ConfigError, match=r"^max_steps: got 0; must be an integer"):
        _trained(TrainConfig(), max_steps=0)


def test_pitch_labels_in_midi_classes_and_cent_bins() -> None:
    midi_task = fftlearn.TaskConfig(name="pitch", data=DATA)
    cents_task = fftlearn.TaskConfig(name="pitch", pitch_bins="cents", cents_per_bin=20, data=DATA)
    frames = fftlearn.data.make_frames(DATA, split="train", seed=0)
    by_note = fftlearn.data.label_frames(frames, task=midi_task)
    np.testing.assert_array_equal(by_note.labels, frames.midi - 60)
    assert by_note.n_classes == midi_task.n_classes == 6
    by_cents = fftlearn.data.label_frames(frames, task=cents_task)
    assert by_cents.n_classes == cents_task.n_classes == 6 * 100 // 20  # 6 notes of 100 cents
    # every frame's bin centre lies within 10 cents (half a bin) of its true f0
    error = np.abs(
        fftlearn.data.hz_to_cents(by_cents.class_f0_hz[by_cents.labels])
        - fftlearn.data.hz_to_cents(frames.f0_hz)
    )
    assert error.max() <= 10.0 + 1e-9
    # perfect predictions score 1 on raw pitch accuracy; one semitone off scores 0
    assert fftlearn.data.raw_pitch_accuracy(by_note.class_f0_hz[by_note.labels], frames.f0_hz) == 1.0
    assert (
        fftlearn.data.raw_pitch_accuracy(by_note.class_f0_hz[by_note.labels] * 2 ** (1 / 12), frames.f0_hz)
        == 0.0
    )
    assert np.isnan(fftlearn.data.raw_pitch_accuracy(np.ones(3), np.full(3, np.nan)))


def test_music_speech_and_errors_for_missing_labels() -> None:
    frames = fftlearn.data.make_frames(DATA, split="test", seed=0)
    labelled = fftlearn.data.label_frames(frames, task=fftlearn.TaskConfig(name="music_speech", data=DATA))
    assert labelled.n_classes == 2 and np.all(labelled.labels == 0)
    with pytest.raises(fftlearn.ConfigError, match=r"^task\.name: got 'timbre'; needs an instrument family"):
        fftlearn.data.label_frames(frames, task=fftlearn.TaskConfig(name="timbre", data=DATA))
