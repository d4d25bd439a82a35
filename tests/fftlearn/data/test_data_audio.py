"""Real audio data: SoundFont notes (FluidSynth), espeak-ng speech, NSynth, their mixture, the cache.

Renders are real and small. Needs Debian's libfluidsynth3, fluid-soundfont-gm,
timgm6mb-soundfont and espeak-ng (scripts/setup.sh installs them); without them those tests
are skipped, or fail when ``FFTNAS_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fftlearn._config import config_from_json, config_to_json
from fftlearn._errors import ConfigError
from fftlearn.data._augment import augment
from fftlearn.data._cache import cache_key, cached_frames
from fftlearn.data._frameset import (
    FrameSet,
    concatenate,
    labelled,
    pick_offsets,
    split_pool,
)
from fftlearn.data._music_speech import MusicSpeechConfig, make_music_speech
from fftlearn.data._nsynth import NSynthConfig, make_nsynth
from fftlearn.data._soundfont import SoundfontNotesConfig, make_soundfont_notes, render_soundfont_notes
from fftlearn.data._speech import EspeakSpeechConfig, make_espeak_speech
from tests.helpers import write_nsynth, write_nsynth_splits

FLUID = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
TIMGM = "/usr/share/sounds/sf2/TimGM6mb.sf2"
SR = 16000


def _require(what: str, present: bool) -> None:
    if present:
        return
    reason = f"{what} is not installed (scripts/setup.sh installs it)"
    if os.environ.get("FFTNAS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and FFTNAS_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


@pytest.fixture()
def soundfonts() -> None:
    try:
        import fluidsynth  # noqa: F401

        loaded = True
    except (ImportError, OSError):
        loaded = False
    _require("pyfluidsynth with libfluidsynth3", loaded)
    _require("FluidR3_GM.sf2 and TimGM6mb.sf2", Path(FLUID).is_file() and Path(TIMGM).is_file())


@pytest.fixture()
def espeak() -> None:
    _require("espeak-ng", shutil.which("espeak-ng") is not None)


def small_notes(tmp_path: Path, **changes: Any) -> SoundfontNotesConfig:
    """Piano, violin, flute over C3-C5 at one velocity: 12 train notes, 6 test notes."""
    settings: dict[str, Any] = {
        "programs": (0, 40, 73), "midi_low": 48, "midi_high": 72, "velocities": (90,),
        "n_train": 24, "n_test": 12, "frames_per_note": 2, "noise_std": 0.0, "gain_db": 0.0,
        "cache_dir": str(tmp_path / "cache"),
    }  # fmt: skip
    settings.update(changes)
    return SoundfontNotesConfig(**settings)


def small_speech(tmp_path: Path, **changes: Any) -> EspeakSpeechConfig:
    settings: dict[str, Any] = {
        "voices": ("en", "en-us+f4"), "pitches": (30, 70), "speeds": (175,), "n_train": 16,
        "n_test": 8, "frames_per_utterance": 4, "cache_dir": str(tmp_path / "cache"),
    }  # fmt: skip
    settings.update(changes)
    return EspeakSpeechConfig(**settings)


def yin_f0(frame: np.ndarray, sample_rate: int, *, fmin: float = 60.0, fmax: float = 1500.0) -> float:
    """A YIN pitch estimate (Hz) of one frame: first dip of the cumulative-mean-normalised
    difference below 0.15 (else its minimum), refined by a parabola."""
    x = np.asarray(frame, np.float64) - np.mean(frame)
    t_max, t_min = int(sample_rate / fmin), int(sample_rate / fmax)
    width = len(x) - t_max
    diff = np.array([np.sum((x[:width] - x[t : t + width]) ** 2) for t in range(t_max + 1)])
    cmnd = np.ones_like(diff)
    cmnd[1:] = diff[1:] * np.arange(1, t_max + 1) / np.maximum(np.cumsum(diff[1:]), 1e-20)
    below = np.nonzero(cmnd[t_min:] < 0.15)[0]
    if len(below):
        t = t_min + int(below[0])
        while t < t_max and cmnd[t + 1] < cmnd[t]:
            t += 1
    else:
        t = t_min + int(np.argmin(cmnd[t_min:]))
    shift = 0.0
    if 1 <= t < t_max:
        a, b, c = cmnd[t - 1], cmnd[t], cmnd[t + 1]
        shift = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c > 0 else 0.0
    return sample_rate / (t + shift)


def share_within_50_cents(frame_set: FrameSet) -> float:
    estimates = np.array([yin_f0(frame, frame_set.sample_rate) for frame in frame_set.frames])
    return float(np.mean(np.abs(1200 * np.log2(estimates / frame_set.f0_hz)) < 50))


def assert_same(a: FrameSet, b: FrameSet) -> None:
    for name in ("frames", "f0_hz", "midi", "family", "source"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert (a.sample_rate, a.family_names) == (b.sample_rate, b.family_names)


def tiny_set(n: int, value: float, source: int = 0) -> FrameSet:
    names = ("a", "b") if source == 0 else ()
    family = np.zeros(n, np.int64) if source == 0 else None
    return labelled(np.full((n, 8), value), sample_rate=SR, family_names=names, family=family, source=source)


# ---- FrameSet, augment, the cache ---------------------------------------------------------------


def test_augment_peak_normalises_then_gains_then_adds_noise() -> None:
    frames = np.array([[0.0, 2.0, -4.0, 1.0], [0.5, -0.25, 0.0, 0.0]])
    kept = frames.copy()
    out = augment(frames, noise_std=0.0, gain_db=0.0, rng=np.random.default_rng(0))
    np.testing.assert_allclose(out, [[0.0, 0.5, -1.0, 0.25], [1.0, -0.5, 0.0, 0.0]])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(frames, kept)  # the input is not touched
    loud = np.ones((2000, 4))
    gained = augment(loud, noise_std=0.0, gain_db=12.0, rng=np.random.default_rng(1))
    assert 10 ** (-12 / 20) - 1e-6 <= gained.min() and gained.max() <= 1.0
    noisy = augment(np.zeros((100, 400)), noise_std=0.1, gain_db=0.0, rng=np.random.default_rng(2))
    assert abs(float(noisy.std()) - 0.1) < 0.005


def test_concatenate_keeps_labels_and_joins_family_names() -> None:
    both = concatenate(tiny_set(3, 1.0), tiny_set(2, 2.0, source=1))
    assert len(both) == 5 and both.frame_length == 8
    np.testing.assert_array_equal(both.source, [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(both.family, [0, 0, 0, -1, -1])
    assert both.family_names == ("a", "b") and np.isnan(both.f0_hz).all()
    with pytest.raises(ValueError, match="frame"):
        concatenate(tiny_set(1, 1.0), labelled(np.zeros((1, 4)), sample_rate=SR, family_names=(), source=0))


def test_cached_frames_calls_make_once_and_keys_on_config_split_and_seed(tmp_path: Path) -> None:
    calls = []

    def make() -> FrameSet:
        calls.append(1)
        return tiny_set(4, 0.5)

    config = small_notes(tmp_path)
    first = cached_frames(config, split="train", seed=3, cache_dir=str(tmp_path), make=make)
    second = cached_frames(config, split="train", seed=3, cache_dir=str(tmp_path), make=make)
    assert len(calls) == 1
    assert_same(first, second)
    assert [p.suffix for p in tmp_path.iterdir() if p.is_file()] == [".npz"]  # no temporary file left
    key = cache_key(config, split="train", seed=3)
    assert key != cache_key(config, split="train", seed=4)
    assert key != cache_key(config, split="test", seed=3)
    assert key != cache_key(dataclasses.replace(config, midi_high=71), split="train", seed=3)
    assert key == cache_key(dataclasses.replace(config), split="train", seed=3)
    cached_frames(config, split="train", seed=4, cache_dir=str(tmp_path), make=make)
    assert len(calls) == 2


def test_cached_frames_uses_fftnas_cache_and_remakes_a_broken_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FFTNAS_CACHE", str(tmp_path / "env"))
    config = small_notes(tmp_path)
    cached_frames(config, split="test", seed=0, cache_dir="", make=lambda: tiny_set(2, 1.0))
    (stored,) = (tmp_path / "env").iterdir()
    stored.write_bytes(b"not a zip file")
    again = cached_frames(config, split="test", seed=0, cache_dir="", make=lambda: tiny_set(2, 3.0))
    assert float(again.frames[0, 0]) == 3.0
    kept = cached_frames(config, split="test", seed=0, cache_dir="", make=lambda: tiny_set(2, 9.0))
    assert float(kept.frames[0, 0]) == 3.0


def test_split_pool_is_disjoint_complete_and_seeded() -> None:
    items = list(range(50))
    train, test = split_pool(items, test_fraction=0.2, seed=5)
    assert len(test) == 10 and sorted(train + test) == items
    assert split_pool(items, test_fraction=0.2, seed=5) == (train, test)
    assert split_pool(items, test_fraction=0.2, seed=6)[1] != test


def test_pick_offsets_skips_silence_and_the_attack() -> None:
    audio = np.zeros(4000)
    audio[2000:3000] = np.sin(np.arange(1000) * 0.3)
    offsets = pick_offsets(
        audio, frame_length=100, count=5, start=500, min_level_db=20.0, rng=np.random.default_rng(0)
    )
    assert len(offsets) == 5 and (offsets >= 1900).all() and (offsets <= 2900).all()
    silent = pick_offsets(
        np.zeros(4000), frame_length=100, count=5, start=0, min_level_db=20.0, rng=np.random.default_rng(0)
    )
    assert len(silent) == 0


# ---- SoundFont notes ---------------------------------------------------------------------------


@pytest.mark.usefixtures("soundfonts")
def test_soundfont_notes_are_loud_labelled_and_at_the_labelled_pitch(tmp_path: Path) -> None:
    config = small_notes(tmp_path)
    for font in (FLUID, TIMGM):
        raw = render_soundfont_notes(dataclasses.replace(config, soundfont=font), split="train", seed=0)
        assert raw.frames.shape == (24, 640) and raw.frames.dtype == np.float32
        assert np.sqrt(np.mean(raw.frames.astype(np.float64) ** 2, axis=1)).min() > 1e-3  # not silent
        assert set(raw.family.tolist()) <= {0, 5, 9} and (raw.source == 0).all()
        assert raw.family_names[5] == "strings" and len(raw.family_names) == 16
        assert ((raw.midi >= 48) & (raw.midi <= 72)).all()
        np.testing.assert_allclose(raw.f0_hz, 440 * 2 ** ((raw.midi - 69) / 12))
        assert share_within_50_cents(raw) >= 0.9, font


@pytest.mark.usefixtures("soundfonts")
def test_soundfont_notes_are_deterministic_from_the_seed(tmp_path: Path) -> None:
    config = small_notes(tmp_path, noise_std=0.05, gain_db=12.0)
    first = make_soundfont_notes(config, split="train", seed=0)
    again = make_soundfont_notes(
        dataclasses.replace(config, cache_dir=str(tmp_path / "other")), split="train", seed=0
    )
    assert_same(first, again)  # rendered twice, in two caches
    other = make_soundfont_notes(config, split="train", seed=1)
    assert not np.array_equal(first.frames, other.frames)
    test = make_soundfont_notes(config, split="test", seed=0)
    assert len(test) == 12 and not np.array_equal(first.frames[:12], test.frames)


@pytest.mark.usefixtures("soundfonts")
def test_test_split_is_rendered_from_the_test_soundfont(tmp_path: Path) -> None:
    config = small_notes(tmp_path)
    fluid = render_soundfont_notes(config, split="test", seed=0)
    mixed = render_soundfont_notes(dataclasses.replace(config, test_soundfont=TIMGM), split="test", seed=0)
    timgm = render_soundfont_notes(dataclasses.replace(config, soundfont=TIMGM), split="test", seed=0)
    assert_same(mixed, timgm)
    assert not np.array_equal(mixed.frames, fluid.frames)
    train = render_soundfont_notes(dataclasses.replace(config, test_soundfont=TIMGM), split="train", seed=0)
    assert_same(train, render_soundfont_notes(config, split="train", seed=0))


@pytest.mark.usefixtures("soundfonts")
def test_second_call_reads_the_cache_and_noise_settings_share_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = small_notes(tmp_path)
    first = make_soundfont_notes(config, split="train", seed=0)
    files = sorted((tmp_path / "cache").iterdir())
    assert len(files) == 1

    def no_render(*args: object, **kwargs: object) -> FrameSet:
        raise AssertionError("rendered again instead of reading the cache")

    monkeypatch.setattr("fftlearn.data._soundfont.render_soundfont_notes", no_render)
    assert_same(first, make_soundfont_notes(config, split="train", seed=0))
    noisy = make_soundfont_notes(dataclasses.replace(config, noise_std=0.1), split="train", seed=0)
    assert sorted((tmp_path / "cache").iterdir()) == files  # augmentation reuses the clean render
    assert not np.array_equal(noisy.frames, first.frames)
    np.testing.assert_array_equal(noisy.midi, first.midi)


@pytest.mark.usefixtures("soundfonts")
def test_asking_more_frames_than_the_notes_give_names_the_count(tmp_path: Path) -> None:
    config = small_notes(tmp_path, programs=(0,), midi_low=60, midi_high=61, n_test=100)
    with pytest.raises(ConfigError) as error:
        make_soundfont_notes(config, split="test", seed=0)
    assert error.value.field == "n_test"


def test_a_missing_soundfont_names_its_field(tmp_path: Path) -> None:
    config = small_notes(tmp_path, soundfont=str(tmp_path / "none.sf2"))
    with pytest.raises(ConfigError) as error:
        make_soundfont_notes(config, split="train", seed=0)
    assert error.value.field == "soundfont" and "none.sf2" in str(error.value)
    config = small_notes(tmp_path, soundfont=FLUID, test_soundfont=str(tmp_path / "gone.sf2"))
    with pytest.raises(ConfigError) as error:
        config.check_sources()
    assert error.value.field == "test_soundfont"


# ---- espeak-ng speech --------------------------------------------------------------------------


@pytest.mark.usefixtures("espeak")
def test_speech_frames_are_loud_speech_and_deterministic(tmp_path: Path) -> None:
    config = small_speech(tmp_path, noise_std=0.0, gain_db=0.0)
    first = make_espeak_speech(config, split="train", seed=0)
    assert first.frames.shape == (16, 640) and (first.source == 1).all()
    assert np.isnan(first.f0_hz).all() and (first.midi == -1).all() and (first.family == -1).all()
    assert first.family_names == () and first.sample_rate == 16000
    assert np.abs(first.frames).max(axis=1).min() == pytest.approx(1.0)  # peak-normalised
    raw_rms = np.sqrt(np.mean(first.frames.astype(np.float64) ** 2, axis=1))
    assert raw_rms.min() > 0.02  # speech, not the pauses between words
    again = make_espeak_speech(
        dataclasses.replace(config, cache_dir=str(tmp_path / "b")), split="train", seed=0
    )
    assert_same(first, again)
    assert not np.array_equal(first.frames, make_espeak_speech(config, split="train", seed=1).frames)
    assert len(make_espeak_speech(config, split="test", seed=0)) == 8


def test_missing_espeak_and_bad_voice_name_their_fields(tmp_path: Path) -> None:
    config = small_speech(tmp_path, espeak=str(tmp_path / "espeak-ng"))
    with pytest.raises(ConfigError) as error:
        make_espeak_speech(config, split="train", seed=0)
    assert error.value.field == "espeak" and "espeak-ng" in str(error.value)
    if shutil.which("espeak-ng"):
        with pytest.raises(ConfigError) as error:
            make_espeak_speech(small_speech(tmp_path, voices=("en", "xx-nope")), split="train", seed=0)
        assert error.value.field == "voices" and error.value.value == "xx-nope"


# ---- NSynth ------------------------------------------------------------------------------------


def test_nsynth_reads_notes_with_their_labels(tmp_path: Path) -> None:
    write_nsynth_splits(tmp_path)
    train, test = tmp_path / "nsynth-train", tmp_path / "nsynth-test"
    config = NSynthConfig(
        root=str(train), test_root=str(test), n_train=12, n_test=4, frames_per_note=2,
        noise_std=0.0, gain_db=0.0, cache_dir=str(tmp_path / "cache"),
    )  # fmt: skip
    frames = make_nsynth(config, split="train", seed=0)
    assert frames.frames.shape == (12, 640) and frames.family_names[2] == "flute"
    assert sorted(set(frames.midi.tolist())) == [48, 51, 54, 57, 60, 63]
    np.testing.assert_array_equal(frames.family, (frames.midi - 48) // 3 % 4)
    assert share_within_50_cents(frames) == 1.0
    held_out = make_nsynth(config, split="test", seed=0)
    assert set(held_out.midi.tolist()) == {57, 64} and set(held_out.family.tolist()) == {1, 3}
    assert_same(frames, make_nsynth(config, split="train", seed=0))
    only_flutes = make_nsynth(dataclasses.replace(config, families=(2,), n_train=2), split="train", seed=0)
    assert set(only_flutes.family.tolist()) == {2}
    one_root = dataclasses.replace(config, test_root="", test_fraction=0.5, n_train=6, n_test=6)
    midi_train = set(make_nsynth(one_root, split="train", seed=0).midi.tolist())
    midi_test = set(make_nsynth(one_root, split="test", seed=0).midi.tolist())
    assert len(midi_train) == len(midi_test) == 3 and not midi_train & midi_test


def test_nsynth_missing_files_name_the_field(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    with pytest.raises(ConfigError) as error:
        make_nsynth(NSynthConfig(root=str(tmp_path / "absent"), cache_dir=cache), split="train", seed=0)
    assert error.value.field == "root"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="examples.json") as error:
        make_nsynth(NSynthConfig(root=str(tmp_path / "empty"), cache_dir=cache), split="train", seed=0)
    assert error.value.field == "root"
    root = write_nsynth(tmp_path / "split", {"a": (60, 0), "b": (62, 0)})
    (root / "audio" / "a.wav").unlink()
    config = NSynthConfig(
        root=str(root), test_root=str(tmp_path / "absent"), n_train=4, frames_per_note=2, cache_dir=cache
    )
    with pytest.raises(ConfigError, match="a.wav") as error:
        make_nsynth(config, split="train", seed=0)
    assert error.value.field == "root"
    with pytest.raises(ConfigError) as error:
        make_nsynth(config, split="test", seed=0)
    assert error.value.field == "test_root"


# ---- music + speech ----------------------------------------------------------------------------


@pytest.mark.usefixtures("soundfonts", "espeak")
def test_music_speech_mixes_both_sources_as_configured(tmp_path: Path) -> None:
    config = MusicSpeechConfig(music=small_notes(tmp_path), speech=small_speech(tmp_path, n_train=8))
    both = make_music_speech(config, split="train", seed=0)
    assert len(both) == 32 and both.source.sum() == 8
    assert not (np.diff(both.source) >= 0).all()  # shuffled together
    assert (np.isnan(both.f0_hz) == (both.source == 1)).all() and both.family_names[0] == "piano"
    assert_same(both, make_music_speech(config, split="train", seed=0))


def test_music_speech_errors_name_the_part(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        MusicSpeechConfig(music=small_notes(tmp_path), speech=small_speech(tmp_path, frame_length=512))
    assert error.value.field == "speech.frame_length"
    config = MusicSpeechConfig(music=small_notes(tmp_path, soundfont=str(tmp_path / "x.sf2")))
    with pytest.raises(ConfigError) as error:
        make_music_speech(config, split="train", seed=0)
    assert error.value.field == "music.soundfont"
    with pytest.raises(ConfigError) as error:
        config.check_sources()
    assert error.value.field == "music.soundfont"


# ---- configs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        SoundfontNotesConfig(),
        SoundfontNotesConfig(
            test_soundfont=TIMGM, programs=(0, 127), velocities=(1,), noise_std=0.0, oversample=1
        ),
        EspeakSpeechConfig(),
        EspeakSpeechConfig(voices=("en+f2",), pitches=(0, 99), speeds=(80,), gain_db=3.5),
        NSynthConfig(root="/data/nsynth-train", test_root="/data/nsynth-test", families=(0, 10)),
        MusicSpeechConfig(),
        MusicSpeechConfig(music=SoundfontNotesConfig(n_train=10), speech=EspeakSpeechConfig(n_train=10)),
    ],
)
def test_configs_round_trip_through_json(config: object) -> None:
    assert config_from_json(config_to_json(config)) == config


@pytest.mark.parametrize(
    ("cls", "changes", "field"),
    [
        (SoundfontNotesConfig, {"programs": ()}, "programs"),
        (SoundfontNotesConfig, {"programs": (0, 128)}, "programs[1]"),
        (SoundfontNotesConfig, {"programs": (3, 3)}, "programs"),
        (SoundfontNotesConfig, {"velocities": (0,)}, "velocities[0]"),
        (SoundfontNotesConfig, {"midi_low": 60, "midi_high": 59}, "midi_high"),
        (SoundfontNotesConfig, {"midi_high": 127, "sample_rate": 8000, "oversample": 1}, "midi_high"),
        (SoundfontNotesConfig, {"soundfont": ""}, "soundfont"),
        (SoundfontNotesConfig, {"test_fraction": 1.0}, "test_fraction"),
        (SoundfontNotesConfig, {"oversample": 7}, "oversample"),
        (SoundfontNotesConfig, {"note_seconds": 0.12}, "note_seconds"),
        (SoundfontNotesConfig, {"frames_per_note": 0}, "frames_per_note"),
        (SoundfontNotesConfig, {"noise_std": -0.1}, "noise_std"),
        (EspeakSpeechConfig, {"pitches": (100,)}, "pitches[0]"),
        (EspeakSpeechConfig, {"speeds": (50,)}, "speeds[0]"),
        (EspeakSpeechConfig, {"voices": ("en", "-x")}, "voices[1]"),
        (EspeakSpeechConfig, {"voices": ()}, "voices"),
        (EspeakSpeechConfig, {"espeak": ""}, "espeak"),
        (EspeakSpeechConfig, {"n_train": 0}, "n_train"),
        (NSynthConfig, {"root": ""}, "root"),
        (NSynthConfig, {"root": "r", "families": (11,)}, "families[0]"),
        (NSynthConfig, {"root": "r", "sustain_seconds": 0.1}, "sustain_seconds"),
        (MusicSpeechConfig, {"speech": EspeakSpeechConfig(sample_rate=22050)}, "speech.sample_rate"),
    ],
)
def test_bad_values_name_the_field(cls: type, changes: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as error:
        cls(**changes)
    assert error.value.field == field


def test_bad_values_in_json_name_the_nested_field() -> None:
    text = config_to_json(MusicSpeechConfig()).replace('"velocities":[60,90,120]', '"velocities":[60,900]')
    with pytest.raises(ConfigError) as error:
        config_from_json(text)
    assert error.value.field == "music.velocities[1]"


@pytest.mark.parametrize("make", [make_soundfont_notes, make_espeak_speech, make_nsynth, make_music_speech])
def test_bad_split_and_seed_name_the_argument(make: Any, tmp_path: Path) -> None:
    config = {
        make_soundfont_notes: SoundfontNotesConfig(),
        make_espeak_speech: EspeakSpeechConfig(),
        make_nsynth: NSynthConfig(root=str(tmp_path)),
        make_music_speech: MusicSpeechConfig(),
    }[make]
    with pytest.raises(ConfigError) as error:
        make(config, split="valid", seed=0)
    assert error.value.field == "split"
    with pytest.raises(ConfigError) as error:
        make(config, split="train", seed=-1)
    assert error.value.field == "seed"
