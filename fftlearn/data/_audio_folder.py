"""Frames of the user's own recordings: a folder of audio files, labelled by class sub-folder or by
a manifest (a class, or f0 in Hz for pitch).

Each file is read (``soundfile``: wav, flac, ogg), averaged to mono and resampled to
``sample_rate`` with a polyphase anti-aliasing filter, then cut into frames of ``frame_length``
samples every ``hop_length`` samples; frames more than ``min_level_db`` below the file's loudest
frame, or below -80 dB re full scale, are skipped (silence), and at most ``max_frames_per_file``
evenly spaced frames are kept per file. Train and test are split **by file**, so no recording is
heard in both: by the manifest's ``split_column`` when given, else by the seed, per class, with
``test_fraction`` of each class's files (at least one) held out. Frames are cached by the content
hash of the files and the settings, then peak-normalised (and optionally augmented with
``noise_std``, ``gain_db``) like every other data set. Labels: the class (``label``, task
``name = "label"``), or the f0 with its nearest MIDI note (task ``pitch``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np

from .._errors import ConfigError
from .._validate import check_float, check_fraction, check_int
from ._audio_files import AudioFile, check_audio_header, content_hash, list_audio_files, read_audio
from ._augment import cached_and_augmented
from ._base import DataSet, register_dataset
from ._frameset import MUSIC, SILENCE_RMS, FrameSet, SplitName, check_split, labelled
from ._pitch import hz_to_midi_note

LABEL_TYPES = ("class", "f0_hz")


@dataclass(frozen=True)
class AudioFolderConfig(DataSet):
    """A folder of audio files, framed, labelled by class or f0, split by file."""

    kind: ClassVar[str] = "audio_folder"
    root: str = ""  # directory of the audio files (class sub-folders, or the manifest's paths); required
    manifest: str = ""  # CSV (header row) or JSON (list of objects), relative to root; "" = sub-folders
    path_column: str = "path"  # manifest column of each file's path, relative to root (or absolute)
    label_column: str = "label"  # manifest column of each file's label
    label_type: Literal["class", "f0_hz"] = "class"  # what the labels are: a class, or f0 in Hz (pitch)
    split_column: str = ""  # manifest column saying "train" or "test" per file; "" = split by the seed
    test_fraction: float = 0.2  # share of each class's files held out for test when split by the seed
    frame_length: int = 640  # samples per frame (640 = 40 ms at 16 kHz)
    hop_length: int = 320  # samples between frame starts within a file
    sample_rate: int = 16000  # Hz of the frames; files at other rates are resampled
    min_level_db: float = 40.0  # frames more than this many dB below the file's loudest are skipped
    max_frames_per_file: int = 0  # at most this many frames per file, evenly spaced; 0 = all
    noise_std: float = 0.0  # std of white noise added to each peak-1 frame
    gain_db: float = 0.0  # frames are scaled by a gain uniform in [-gain_db, 0] dB
    cache_dir: str = ""  # where read frames are stored; "" = $FFTNAS_CACHE or ~/.cache/fftnas

    def __post_init__(self) -> None:
        for field in ("root", "manifest", "path_column", "label_column", "split_column", "cache_dir"):
            if not isinstance(getattr(self, field), str):
                raise ConfigError(field, getattr(self, field), "must be a string")
        if not self.root:
            raise ConfigError("root", self.root, "must be the path of a directory of audio files")
        # absolute, so a study resumed from another directory (or a worker) names the same folder
        object.__setattr__(self, "root", os.path.abspath(os.path.expanduser(self.root)))
        if self.label_type not in LABEL_TYPES:
            raise ConfigError("label_type", self.label_type, f"must be one of {', '.join(LABEL_TYPES)}")
        if self.label_type == "f0_hz" and not self.manifest:
            raise ConfigError("label_type", "f0_hz", "needs a manifest whose label_column holds f0 in Hz")
        for field in ("path_column", "label_column"):
            if self.manifest and not getattr(self, field):
                raise ConfigError(field, "", "must name a column of the manifest")
        check_fraction("test_fraction", self.test_fraction)
        check_int("frame_length", self.frame_length, low=8, high=1 << 16)
        check_int("hop_length", self.hop_length, low=1, high=1 << 20)
        check_int("sample_rate", self.sample_rate, low=1000, high=384_000)
        check_float("min_level_db", self.min_level_db, low=0.0, high=120.0, low_open=True)
        check_int("max_frames_per_file", self.max_frames_per_file, low=0, high=10_000_000)
        check_float("noise_std", self.noise_std, low=0.0, high=10.0)
        check_float("gain_db", self.gain_db, low=0.0, high=120.0)

    def files(self) -> list[AudioFile]:
        """The folder's files (sorted by path) with their labels; ``ConfigError`` on a mistake."""
        return list_audio_files(
            root=self.root,
            manifest=self.manifest,
            path_column=self.path_column,
            label_column=self.label_column,
            split_column=self.split_column,
        )

    def check_sources(self) -> None:
        """Every file is listed, readable and one frame long at least, every f0 is a number, and
        the split leaves each class a training and a test file (headers only: no audio decoded)."""
        files = self.files()
        for file in files:
            check_audio_header(file, sample_rate=self.sample_rate, frame_length=self.frame_length)
        file_labels(self, files)
        split_files(self, files, seed=0)  # the per-class guarantee holds for every seed

    def has_classes(self) -> bool:
        return self.label_type == "class"

    def is_pitched(self) -> bool:
        return self.label_type == "f0_hz"

    def label_names(self) -> tuple[str, ...] | None:
        """The classes, sorted (class labels); None for f0 labels."""
        return class_names(self, self.files()) if self.label_type == "class" else None

    def pitch_range(self) -> tuple[int, int] | None:
        """The MIDI notes nearest the lowest and highest f0 (f0 labels); None for class labels."""
        if self.label_type != "f0_hz":
            return None
        notes = hz_to_midi_note(file_labels(self, self.files()))
        return int(notes.min()), int(notes.max())

    def make_frames(self, *, split: SplitName, seed: int) -> FrameSet:
        return make_audio_folder(self, split=split, seed=seed)

    @classmethod
    def example(cls, *, root: Path) -> AudioFolderConfig:
        """The class sub-folders under ``root/audio-folder`` (the tests write a few short files
        there), 1,024-sample frames, at most 4 per file."""
        return cls(root=str(root / "audio-folder"), frame_length=1024, hop_length=512, max_frames_per_file=4)


def class_names(config: AudioFolderConfig, files: list[AudioFile]) -> tuple[str, ...]:
    """The classes of ``files``, sorted (the label ids' order); () for f0 labels."""
    return tuple(sorted({file.label for file in files})) if config.label_type == "class" else ()


def file_labels(config: AudioFolderConfig, files: list[AudioFile]) -> np.ndarray:
    """``(n_files,) float64`` f0 in Hz of each file (f0 labels; NaN for class labels). A label that
    is not a number in (0, sample_rate / 2) Hz is a ``ConfigError`` naming the row and file."""
    if config.label_type != "f0_hz":
        return np.full(len(files), np.nan)
    f0 = np.empty(len(files))
    for index, file in enumerate(files):
        try:
            f0[index] = float(file.label)
        except ValueError:
            f0[index] = np.nan
        if not 0.0 < f0[index] < config.sample_rate / 2:
            raise ConfigError(
                "label_column",
                config.label_column,
                f"{file.origin} ({file.path}): f0 {file.label!r} must be a number of Hz "
                f"in (0, {config.sample_rate / 2:g})",
            )
    return f0


def split_files(config: AudioFolderConfig, files: list[AudioFile], *, seed: int) -> dict[str, list[int]]:
    """Indices of the train and test files: the manifest's split column, or per class (f0 labels:
    one class) ``test_fraction`` of the files drawn by ``seed``, at least one of each. A class left
    without a test (or training) file is a ``ConfigError`` naming the class and its files."""
    by_class: dict[str, list[int]] = {}
    for index, file in enumerate(files):
        by_class.setdefault(file.label if config.label_type == "class" else "", []).append(index)
    if config.split_column:
        chosen = {name: [i for i in found if files[i].split == "test"] for name, found in by_class.items()}
        field, value = "split_column", config.split_column
    else:
        rng = np.random.default_rng([seed, 11])
        chosen = {}
        for name, indices in sorted(by_class.items()):
            n_test = min(max(round(config.test_fraction * len(indices)), 1), len(indices) - 1)
            chosen[name] = sorted(rng.permutation(indices)[:n_test].tolist())
        field, value = "test_fraction", config.test_fraction
    for name, indices in sorted(by_class.items()):
        what = f"class {name!r}" if config.label_type == "class" else "the folder"
        its = f"its {len(indices)} files: " + ", ".join(str(files[i].path) for i in indices[:3])
        if not chosen[name]:
            raise ConfigError(field, value, f"leaves {what} with no test file ({its})")
        if len(chosen[name]) == len(indices):
            raise ConfigError(field, value, f"leaves {what} with no training file ({its})")
    test = sorted(i for indices in chosen.values() for i in indices)
    return {"train": sorted(set(range(len(files))) - set(test)), "test": test}


def frame_starts(audio: np.ndarray, *, config: AudioFolderConfig) -> np.ndarray:
    """``(k,) int64`` starts of the kept frames of ``audio (t,)``: every ``hop_length``, loud
    (within ``min_level_db`` of the loudest frame and above -80 dB), at most
    ``max_frames_per_file`` of them evenly spaced."""
    length = config.frame_length
    starts = np.arange(0, len(audio) - length + 1, config.hop_length)
    energy = np.concatenate([[0.0], np.cumsum(audio**2)])
    rms = np.sqrt(np.maximum(energy[starts + length] - energy[starts], 0.0) / length)
    loud = starts[(rms >= rms.max() * 10.0 ** (-config.min_level_db / 20.0)) & (rms > SILENCE_RMS)]
    if config.max_frames_per_file and len(loud) > config.max_frames_per_file:
        loud = loud[np.round(np.linspace(0, len(loud) - 1, config.max_frames_per_file)).astype(np.int64)]
    return loud.astype(np.int64)


def make_audio_folder(config: AudioFolderConfig, *, split: SplitName, seed: int) -> FrameSet:
    """The ``split`` of the folder's frames for ``seed``, peak-normalised and augmented; the clean
    frames are cached under the content hash of the files."""
    check_split(split, seed)
    files = config.files()
    return cached_and_augmented(
        config,
        split=split,
        seed=seed,
        render=lambda _config, split, seed: read_audio_folder(config, files, split=split, seed=seed),
        content=content_hash(files),
    )


def read_audio_folder(
    config: AudioFolderConfig, files: list[AudioFile], *, split: SplitName, seed: int
) -> FrameSet:
    """The ``split``'s frames read now from ``files``, without the cache or augmentation."""
    chosen = split_files(config, files, seed=seed)[split]
    f0_of_file = file_labels(config, files)
    names = class_names(config, files)
    frames, owner = [], []
    for index in chosen:
        audio = read_audio(files[index], sample_rate=config.sample_rate)
        if len(audio) < config.frame_length:
            raise ConfigError(
                "frame_length",
                config.frame_length,
                f"is longer than {files[index].path} ({len(audio)} samples at {config.sample_rate} Hz)",
            )
        starts = frame_starts(audio, config=config)
        if not len(starts):
            raise ConfigError("root", str(files[index].path), "holds only silence (below -80 dB re 1.0)")
        frames.append(audio[starts[:, None] + np.arange(config.frame_length)[None, :]])
        owner.extend([index] * len(starts))
    item = np.array(owner, dtype=np.int64)
    f0 = f0_of_file[item]
    labels = None
    if names:
        labels = np.array([names.index(files[i].label) for i in item], dtype=np.int64)
    return labelled(
        np.concatenate(frames),
        sample_rate=config.sample_rate,
        family_names=(),
        f0_hz=f0,
        midi=np.where(np.isfinite(f0), hz_to_midi_note(np.nan_to_num(f0, nan=440.0)), -1),
        source=MUSIC,
        label=labels,
        label_names=names,
    )


register_dataset(AudioFolderConfig)
