"""Frames of NSynth notes, read from a local copy in its published layout.

A split directory holds ``examples.json`` (note name -> {"pitch", "velocity",
"instrument_family", "instrument_family_str", "sample_rate", ...}) and ``audio/<note>.wav``
(4 s, 16 kHz, int16; the key is held for the first 3 s). ``root`` is read for the train split
and ``test_root`` for the test split; with ``test_root = ""`` both splits come from ``root``,
whose notes the seed splits (``test_fraction`` of them for test). Notes are filtered by pitch
and family, shuffled by the seed and read in that order, ``frames_per_note`` frames each at
random loud offsets between ``attack_seconds`` and ``sustain_seconds``, until ``n_train`` (or
``n_test``) frames are collected. Labels: f0 from the MIDI pitch, the NSynth family (0-10).
The cache key names the directories, not their contents: clear the cache after replacing a copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy.io import wavfile

from .._errors import ConfigError
from .._validate import check_int
from ._augment import cached_and_augmented
from ._base import DataSet, register_dataset
from ._frameset import (
    MUSIC,
    FrameSet,
    SplitName,
    check_note_frames,
    check_split,
    gather,
    labelled,
    resample,
    split_pool,
)
from ._pitch import midi_to_hz

NSYNTH_FAMILY_NAMES = (
    "bass",
    "brass",
    "flute",
    "guitar",
    "keyboard",
    "mallet",
    "organ",
    "reed",
    "string",
    "synth_lead",
    "vocal",
)


@dataclass(frozen=True)
class NSynthConfig(DataSet):
    """Frames of NSynth notes, labelled by pitch and instrument family."""

    kind: ClassVar[str] = "nsynth"
    FAMILY_NAMES: ClassVar[tuple[str, ...]] = NSYNTH_FAMILY_NAMES  # what the family ids mean
    root: str = ""  # NSynth split directory for training (examples.json + audio/); required
    test_root: str = ""  # NSynth split directory for testing; "" = split root's notes by seed
    midi_low: int = 21  # lowest MIDI pitch used; 21 = A0
    midi_high: int = 108  # highest MIDI pitch used; 108 = C8
    families: tuple[int, ...] = ()  # NSynth family ids (0-10) to use; () = all
    n_train: int = 4000  # training frames
    n_test: int = 1000  # test frames
    frames_per_note: int = 4  # frames cut from one note, at random loud offsets
    test_fraction: float = 0.2  # share of root's notes kept for test when test_root is ""
    attack_seconds: float = 0.1  # start of each note never used for frames (s)
    sustain_seconds: float = 3.0  # frames end before this time (s); NSynth releases the key at 3 s
    min_level_db: float = 30.0  # frames more than this many dB below the note's loudest are dropped
    frame_length: int = 640  # samples per frame (640 = 40 ms at 16 kHz)
    sample_rate: int = 16000  # Hz of the frames (NSynth is 16 kHz; other rates are resampled)
    noise_std: float = 0.05  # std of white noise added to each peak-1 frame
    gain_db: float = 12.0  # frames are scaled by a gain uniform in [-gain_db, 0] dB
    cache_dir: str = ""  # where read frames are stored; "" = $FFTNAS_CACHE or ~/.cache/fftnas

    def __post_init__(self) -> None:
        for field in ("root", "test_root", "cache_dir"):
            if not isinstance(getattr(self, field), str):
                raise ConfigError(field, getattr(self, field), "must be a string (a path)")
        if not self.root:
            raise ConfigError("root", self.root, "must be the path of an NSynth split directory")
        check_int("sample_rate", self.sample_rate, low=1000, high=384_000)
        check_int("midi_low", self.midi_low, low=0, high=127)
        check_int("midi_high", self.midi_high, low=self.midi_low, high=127)
        if not isinstance(self.families, tuple):
            raise ConfigError("families", self.families, "must be a list of NSynth family ids (0-10)")
        for i, family in enumerate(self.families):
            check_int(f"families[{i}]", family, low=0, high=len(NSYNTH_FAMILY_NAMES) - 1)
        if len(set(self.families)) != len(self.families):
            raise ConfigError("families", self.families, "must not repeat a family")
        check_note_frames(self, end_field="sustain_seconds")

    def check_sources(self) -> None:
        """Raise ``ConfigError`` naming the field if a split directory or its examples.json is missing."""
        for field in ("root", "test_root"):
            if getattr(self, field):
                _examples_path(getattr(self, field), field)

    def make_frames(self, *, split: SplitName, seed: int) -> FrameSet:
        return make_nsynth(self, split=split, seed=seed)

    def pitch_range(self) -> tuple[int, int]:
        return self.midi_low, self.midi_high

    @classmethod
    def example(cls, *, root: Path) -> NSynthConfig:
        """12 training and 4 test frames from the NSynth split directories ``root/nsynth-train``
        and ``root/nsynth-test`` (the published layout; they must be there)."""
        return cls(
            root=str(root / "nsynth-train"),
            test_root=str(root / "nsynth-test"),
            n_train=12,
            n_test=4,
            frames_per_note=2,
        )


def _examples_path(root: str, field: str) -> Path:
    folder = Path(root)
    if not folder.is_dir():
        raise ConfigError(field, root, "is not a directory; give an NSynth split (examples.json + audio/)")
    path = folder / "examples.json"
    if not path.is_file():
        raise ConfigError(field, root, "has no examples.json; give an NSynth split directory")
    return path


def read_examples(root: str, *, field: str) -> dict[str, dict[str, Any]]:
    """``<root>/examples.json``: note name -> metadata; errors name ``field``."""
    path = _examples_path(root, field)
    try:
        examples = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(field, root, f"has an unreadable examples.json ({error})") from None
    if not isinstance(examples, dict):
        raise ConfigError(field, root, "has an examples.json that is not a table of notes")
    for name, meta in examples.items():
        if not isinstance(meta, dict) or not all(
            isinstance(meta.get(key), int) for key in ("pitch", "instrument_family")
        ):
            raise ConfigError(
                field, root, f"examples.json entry {name!r} lacks integer pitch/instrument_family"
            )
    return examples


def make_nsynth(config: NSynthConfig, *, split: SplitName, seed: int) -> FrameSet:
    """The ``split`` of the NSynth frames for ``seed``, augmented (noise, gain); the same
    arguments give the same arrays. The clean frames are cached (see ``cached_frames``)."""
    return cached_and_augmented(config, split=split, seed=seed, render=read_nsynth)


def read_nsynth(config: NSynthConfig, *, split: SplitName, seed: int) -> FrameSet:
    """The ``split`` read now, without the cache and without augmentation (raw levels)."""
    stream = check_split(split, seed)
    field = "test_root" if split == "test" and config.test_root else "root"
    root = getattr(config, field)
    examples = read_examples(root, field=field)
    keep = set(config.families) if config.families else set(range(len(NSYNTH_FAMILY_NAMES)))
    names = sorted(
        name
        for name, meta in examples.items()
        if config.midi_low <= int(meta["pitch"]) <= config.midi_high and meta["instrument_family"] in keep
    )
    if config.test_root:
        pool = [names[i] for i in np.random.default_rng([seed, stream, 3]).permutation(len(names))]
    else:
        train, test = split_pool(names, test_fraction=config.test_fraction, seed=seed)
        pool = train if split == "train" else test
    n_keep = round(config.sustain_seconds * config.sample_rate)

    def render(name: str) -> np.ndarray:
        path = Path(root) / "audio" / f"{name}.wav"
        if not path.is_file():
            raise ConfigError(field, root, f"has no audio/{name}.wav for a note in examples.json")
        rate, samples = wavfile.read(path)
        audio = samples.astype(np.float64)
        if samples.dtype == np.int16:
            audio /= 32768.0
        audio = audio.mean(axis=1) if audio.ndim == 2 else audio
        return resample(audio, int(rate), config.sample_rate)[:n_keep]

    frames, item, _ = gather(
        pool,
        render,
        n=config.n_train if split == "train" else config.n_test,
        per_item=config.frames_per_note,
        frame_length=config.frame_length,
        start=round(config.attack_seconds * config.sample_rate),
        min_level_db=config.min_level_db,
        rng=np.random.default_rng([seed, stream, 1]),
        field="n_train" if split == "train" else "n_test",
    )
    midi = np.array([int(examples[pool[i]]["pitch"]) for i in item], dtype=np.int64)
    family = np.array([int(examples[pool[i]]["instrument_family"]) for i in item], dtype=np.int64)
    return labelled(
        frames,
        sample_rate=config.sample_rate,
        family_names=NSYNTH_FAMILY_NAMES,
        f0_hz=midi_to_hz(midi.astype(np.float64)),
        midi=midi,
        family=family,
        source=MUSIC,
    )


register_dataset(NSynthConfig)
