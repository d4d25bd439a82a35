"""The harder pitch data: detuned notes with vibrato (continuous f0), noise at an SNR (white,
pink, babble), held-out programs and families, context frames for pitch trackers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from fftlearn._config import config_from_json, config_to_json
from fftlearn._errors import ConfigError
from fftlearn.data import TaskConfig, label_frames
from fftlearn.data._augment import NoiseSpec, add_noise, unit_noise
from fftlearn.data._fluidsynth import BEND_BLOCK, pitch_track
from fftlearn.data._soundfont import note_pool
from tests.fftlearn.data.test_data_audio import espeak, small_notes, soundfonts  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("soundfonts")

SR = 16000


def peak_f0(frame: np.ndarray, near_hz: float) -> float:
    """The f0 (Hz) of a steady note: the peak of the zero-padded Hann spectrum within +-10 % of
    ``near_hz``."""
    spectrum = np.abs(np.fft.rfft(frame * np.hanning(len(frame)), 1 << 18))
    freqs = np.fft.rfftfreq(1 << 18, 1.0 / SR)
    band = (freqs > 0.9 * near_hz) & (freqs < 1.1 * near_hz)
    return float(freqs[band][np.argmax(spectrum[band])])


def test_pitch_track_holds_each_block_at_wheel_steps() -> None:
    track = pitch_track(
        detune_cents=30.0, vibrato_cents=0.0, vibrato_hz=5.0, phase=0.0, n_samples=1000, rate=48000
    )
    assert track.shape == (1000,)
    assert np.allclose(track, 30.0, atol=200.0 / 8192 / 2)  # one wheel step is 0.024 cents
    vibrato = pitch_track(
        detune_cents=0.0, vibrato_cents=50.0, vibrato_hz=6.0, phase=0.3, n_samples=48000, rate=48000
    )
    blocks = vibrato.reshape(-1, BEND_BLOCK)[:-1] if 48000 % BEND_BLOCK else vibrato.reshape(-1, BEND_BLOCK)
    assert np.all(blocks == blocks[:, :1])  # constant within a block
    assert 49.9 < vibrato.max() <= 50.0 and -50.0 <= vibrato.min() < -49.9
    assert abs(vibrato.mean()) < 0.5  # a whole number of periods (6 in 1 s) averages out


def test_detuned_notes_sound_at_their_label(tmp_path: Path) -> None:
    """Long flute frames, one per note in the same order: the measured f0 moves from the plain
    rendering by the label's detuning (the soundfont's own tuning, a few cents, cancels)."""
    settings = {"programs": (73,), "midi_low": 60, "midi_high": 72, "frame_length": 4096, "n_train": 12}
    settings |= {"frames_per_note": 1, "test_fraction": 0.01}
    plain = small_notes(tmp_path, **settings).make_frames(split="train", seed=2)
    detuned = small_notes(tmp_path, detune_cents=50.0, **settings).make_frames(split="train", seed=2)
    expected = 1200 * np.log2(detuned.f0_hz / plain.f0_hz)  # cents
    assert np.abs(expected).max() <= 50.0 and expected.std() > 10.0  # continuous, spread out
    assert np.array_equal(detuned.midi, np.round(np.log2(detuned.f0_hz / 440.0) * 12 + 69))
    measured = [
        1200 * np.log2(peak_f0(detuned.frames[i], detuned.f0_hz[i]) / peak_f0(plain.frames[i], plain.f0_hz[i]))
        for i in range(len(plain))
    ]
    error = np.abs(np.array(measured) - expected)  # cents; the flute's own wobble is +-3 cents
    assert error.max() < 4.0 and error.mean() < 2.0


def test_cent_bins_label_the_continuous_f0(tmp_path: Path) -> None:
    data = small_notes(tmp_path, detune_cents=40.0, vibrato_cents=20.0)
    task = TaskConfig(name="pitch", data=data, pitch_bins="cents", cents_per_bin=20)
    assert data.pitch_range() == (47, 73)  # widened by the 60 cents detuning and vibrato reach
    labelled = label_frames(data.make_frames(split="test", seed=0), task=task)
    assert labelled.pitch_decoding == "local_average"
    error = 1200 * np.log2(labelled.class_f0_hz[labelled.labels] / labelled.f0_hz)
    assert np.abs(error).max() <= 10.0 + 1e-9  # a frame's bin centre is within half a bin
    one_hot = np.eye(labelled.n_classes)[labelled.labels]
    assert np.allclose(labelled.decode_f0(one_hot), labelled.class_f0_hz[labelled.labels])


def test_context_frames_hold_the_frames_exactly(tmp_path: Path) -> None:
    data = small_notes(tmp_path, noise_std=0.05, gain_db=6.0, detune_cents=30.0)
    data = dataclasses.replace(data, noise_types=("white", "pink"), snr_db=(0.0, 10.0))
    for split in ("train", "test"):
        frames = data.make_frames(split=split, seed=1)
        context = data.context_frames(split=split, seed=1, context_length=1024)
        assert context.frames.shape == (len(frames), 1024)
        assert np.array_equal(context.frames[:, 192:832], frames.frames)
        assert np.array_equal(context.f0_hz, frames.f0_hz)
        assert np.all(np.abs(context.frames[:, :192]).max(axis=1) > 0)  # the note and noise go on
    with pytest.raises(ConfigError, match="context_length"):
        data.context_frames(split="test", seed=1, context_length=600)


@pytest.mark.parametrize("kind", ["white", "pink"])
def test_noise_is_mixed_at_the_drawn_snr(kind: str) -> None:
    rng = np.random.default_rng(0)
    clean = np.sin(np.arange(640) * 0.1)[None, :] * rng.uniform(0.1, 1.0, (50, 1))
    noisy = add_noise(
        clean,
        lead=0,
        frame_length=640,
        noise=NoiseSpec((kind,), (-5.0, 15.0)),
        rng=np.random.default_rng(1),
        outer_rng=np.random.default_rng(2),
        babble=None,
    )
    snr = 10 * np.log10(np.mean(clean**2, axis=1) / np.mean((noisy - clean) ** 2, axis=1))
    expected = np.random.default_rng(1)
    expected.integers(1, size=50)
    assert np.allclose(snr, expected.uniform(-5.0, 15.0, size=50), atol=1e-9)


def test_pink_noise_falls_by_3_db_per_octave() -> None:
    noise = unit_noise("pink", (200, 4096), rng=np.random.default_rng(0))
    power = np.mean(np.abs(np.fft.rfft(noise, axis=1)) ** 2, axis=0)[1:]
    slope = np.polyfit(np.log2(np.arange(1, len(power) + 1)), 10 * np.log10(power), 1)[0]
    assert -3.2 < slope < -2.8  # dB per octave
    assert np.allclose(np.sqrt(np.mean(noise**2, axis=1)), 1.0)


@pytest.mark.usefixtures("espeak")
def test_babble_at_0_db_and_test_noise_of_its_own(tmp_path: Path) -> None:
    data = small_notes(tmp_path, noise_types=("babble",), snr_db=(0.0, 0.0), test_noise_types=("white",))
    clean = small_notes(tmp_path)
    for split, broadband in (("train", False), ("test", True)):
        noise = data.make_frames(split=split, seed=0).frames - clean.make_frames(split=split, seed=0).frames
        assert np.allclose(
            np.mean(noise**2, axis=1),
            np.mean(clean.make_frames(split=split, seed=0).frames ** 2, axis=1),
            rtol=1e-3,
        )
        spectrum = np.mean(np.abs(np.fft.rfft(noise, axis=1)) ** 2, axis=0)
        high_share = spectrum[len(spectrum) // 2 :].sum() / spectrum.sum()  # above 4 kHz
        assert (high_share > 0.4) == broadband  # white noise is flat, speech mostly below 4 kHz
    context = data.context_frames(split="train", seed=0, context_length=2048)
    assert np.array_equal(context.frames[:, 704:1344], data.make_frames(split="train", seed=0).frames)


@pytest.mark.parametrize("split_by", ["program", "family"])
def test_whole_programs_or_families_are_held_out(tmp_path: Path, split_by: str) -> None:
    data = small_notes(tmp_path, programs=(0, 4, 40, 42, 73, 75), split_by=split_by, test_fraction=0.34)
    group = (lambda p: p) if split_by == "program" else (lambda p: p // 8)
    train = {note[0] for note in note_pool(data, split="train", seed=3)}  # programs
    test = {note[0] for note in note_pool(data, split="test", seed=3)}
    assert train and test and not {group(p) for p in train} & {group(p) for p in test}
    assert train | test == set(data.programs)
    frames = data.make_frames(split="test", seed=3)
    assert set(np.unique(frames.family)) <= {p // 8 for p in test}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"detune_cents": 250.0}, "detune_cents"),
        ({"detune_cents": 150.0, "vibrato_cents": 60.0}, "vibrato_cents"),
        ({"noise_types": ("white", "brown")}, "noise_types"),
        ({"noise_types": ("white",), "snr_db": (10.0, 0.0)}, "snr_db[1]"),
        ({"test_snr_db": (0.0,)}, "test_snr_db"),
        ({"split_by": "velocity"}, "split_by"),
        ({"vibrato_hz": 0.0}, "vibrato_hz"),
    ],
)
def test_bad_settings_name_the_field(tmp_path: Path, changes: dict, field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        small_notes(tmp_path, **changes)
    assert caught.value.field == field


def test_settings_round_trip_through_json(tmp_path: Path) -> None:
    data = small_notes(tmp_path, detune_cents=50.0, noise_types=("pink", "babble"), test_snr_db=(0.0, 0.0))
    assert config_from_json(config_to_json(data)) == data
