"""Tasks: how a set of frames is labelled, and the pitch metric raw pitch accuracy.

- ``pitch``: classes over MIDI notes (``pitch_bins = "midi"``, decoded as the arg-max note) or
  finer bins of ``cents_per_bin`` cents (CREPE uses 20) between ``midi_low`` and ``midi_high``
  (decoded as CREPE does: the score-weighted average of the bins around the arg-max);
- ``timbre``: the instrument family (16 General MIDI families, or NSynth's 11);
- ``music_speech``: 0 for music, 1 for speech;
- ``label``: the data set's own classes (``DataSet.label_names``: an audio folder's classes).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated, Any, ClassVar, Literal, Protocol

import numpy as np

from .._config import OneOf, register_kind
from .._errors import ConfigError
from .._validate import check_int
from ._base import DATASETS, check_pitched, make_frames, pitch_range
from ._pitch import hz_to_cents, local_average_f0, midi_to_hz
from ._tones import HarmonicTonesConfig

TASK_NAMES = ("pitch", "timbre", "music_speech", "label")


class Frames(Protocol):
    """What a data set gives a task: frames and everything they can be labelled by."""

    frames: np.ndarray  # (n, frame_length) float32
    f0_hz: np.ndarray  # (n,) NaN where there is no pitch
    midi: np.ndarray  # (n,) -1 where there is no note
    family: np.ndarray  # (n,) -1 where there is no instrument
    source: np.ndarray  # (n,) 0 music, 1 speech
    family_names: tuple[str, ...]
    label: np.ndarray  # (n,) the data set's own class, -1 where none
    label_names: tuple[str, ...]


@register_kind
@dataclass(frozen=True)
class TaskConfig:
    """What the classifier learns, and from which data."""

    kind: ClassVar[str] = "task"
    name: Literal["pitch", "timbre", "music_speech", "label"] = "pitch"  # what is classified
    data: Annotated[Any, OneOf(DATASETS)] = field(
        default_factory=HarmonicTonesConfig
    )  # the data set, by its `kind`
    pitch_bins: Literal["midi", "cents"] = "midi"  # pitch classes: MIDI notes or cent bins
    cents_per_bin: int = 20  # width of a pitch class when pitch_bins = "cents"

    def __post_init__(self) -> None:
        if self.name not in TASK_NAMES:
            raise ConfigError("name", self.name, f"must be one of {', '.join(TASK_NAMES)}")
        if self.pitch_bins not in ("midi", "cents"):
            raise ConfigError("pitch_bins", self.pitch_bins, "must be 'midi' or 'cents'")
        check_int("cents_per_bin", self.cents_per_bin, low=1, high=100)
        # from the config alone: an audio folder's files are read when a study starts (check_sources)
        if self.name == "pitch":
            check_pitched(self.data)  # raises unless the data set has a pitch range
        if self.name == "label" and not self.data.has_classes():
            have = f"{self.data.kind} has none"
            raise ConfigError("name", "label", f"needs a data set with classes (audio_folder); {have}")

    @property
    def frame_length(self) -> int:
        return int(self.data.frame_length)

    @property
    def sample_rate(self) -> int:
        return int(self.data.sample_rate)

    @property
    def n_classes(self) -> int:
        """Classes the head outputs (from the config alone, without rendering data)."""
        if self.name == "music_speech":
            return 2
        if self.name == "timbre":
            return len(self.data.FAMILY_NAMES)
        if self.name == "label":
            return len(self.data.label_names())
        return len(pitch_class_centres(self))


@dataclass(frozen=True)
class LabelledFrames:
    """Frames with class labels: ``frames (n, frame_length) float32``, ``labels (n,) int64``."""

    frames: np.ndarray
    labels: np.ndarray
    f0_hz: np.ndarray  # (n,) true fundamental, NaN where none
    n_classes: int
    class_names: tuple[str, ...]
    class_f0_hz: np.ndarray | None = None  # (n_classes,) centre frequency of each pitch class
    pitch_decoding: Literal["argmax", "local_average"] = "argmax"  # how scores become an f0

    def decode_f0(self, probabilities: np.ndarray) -> np.ndarray:
        """Predicted f0 (Hz) from class probabilities ``(n, n_classes)`` -> ``(n,)``: the
        arg-max class's centre (MIDI classes), or CREPE's weighted average of the centres
        around the arg-max (cent bins, ``local_average_f0``). Needs ``class_f0_hz``."""
        if self.class_f0_hz is None:
            raise ConfigError("task.name", "pitch", "decoding an f0 needs pitch classes")
        if self.pitch_decoding == "local_average":
            return local_average_f0(probabilities, self.class_f0_hz)
        return self.class_f0_hz[np.asarray(probabilities).argmax(axis=1)]


def pitch_class_centres(task: TaskConfig) -> np.ndarray:
    """Centre frequency (Hz) of each pitch class, ``(n_classes,)``.

    MIDI classes are the notes ``midi_low..midi_high``; cent bins of ``cents_per_bin`` tile
    the same span, from 50 cents below ``midi_low`` to 50 cents above ``midi_high``.
    """
    low, high = pitch_range(task.data)
    if task.pitch_bins == "midi":
        return np.asarray(midi_to_hz(np.arange(low, high + 1)), dtype=np.float64)
    n_classes = -(-(high - low + 1) * 100 // task.cents_per_bin)  # ceiling
    start = hz_to_cents(midi_to_hz(low - 0.5))
    return 10.0 * 2.0 ** ((start + task.cents_per_bin * (np.arange(n_classes) + 0.5)) / 1200.0)


def label_frames(data: Frames, *, task: TaskConfig) -> LabelledFrames:
    """Label ``data`` for ``task``; pitch classes span the data set's ``[midi_low, midi_high]``.

    Raises ``ConfigError`` when a frame lacks the label the task needs (e.g. speech frames in
    a pitch task, or a pitch outside the range).
    """
    if task.name == "music_speech":
        return LabelledFrames(data.frames, data.source.astype(np.int64), data.f0_hz, 2, ("music", "speech"))
    if task.name == "timbre":
        if np.any(data.family < 0):
            raise ConfigError("task.name", task.name, "needs an instrument family for every frame")
        names = task.data.FAMILY_NAMES
        return LabelledFrames(data.frames, data.family.astype(np.int64), data.f0_hz, len(names), names)
    if task.name == "label":
        if np.any(data.label < 0):
            raise ConfigError("task.name", task.name, "needs a class for every frame")
        names = data.label_names
        return LabelledFrames(data.frames, data.label.astype(np.int64), data.f0_hz, len(names), names)
    midi_low, midi_high = pitch_range(task.data)
    if np.any(~np.isfinite(data.f0_hz)):
        raise ConfigError("task.name", task.name, "needs a pitch for every frame (no speech or noise)")
    centres = pitch_class_centres(task)
    n_classes = len(centres)
    if task.pitch_bins == "midi":
        labels = np.asarray(data.midi, dtype=np.int64) - midi_low
        names = tuple(f"midi {m}" for m in range(midi_low, midi_high + 1))
    else:
        start = hz_to_cents(midi_to_hz(midi_low - 0.5))
        labels = np.floor((hz_to_cents(data.f0_hz) - start) / task.cents_per_bin).astype(np.int64)
        names = tuple(f"{c:.0f} cents re 10 Hz" for c in hz_to_cents(centres))
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ConfigError(
            "task", task.name, f"a pitch lies outside midi_low..midi_high ({midi_low}..{midi_high})"
        )
    decoding = "argmax" if task.pitch_bins == "midi" else "local_average"
    return LabelledFrames(data.frames, labels, data.f0_hz, n_classes, names, centres, decoding)


def make_task_data(task: TaskConfig, *, seed: int) -> tuple[LabelledFrames, LabelledFrames]:
    """The labelled train and test splits of ``task`` for data seed ``seed``."""
    train = label_frames(make_frames(task.data, split="train", seed=seed), task=task)
    test = label_frames(make_frames(task.data, split="test", seed=seed), task=task)
    return train, test


def split_validation(
    data: LabelledFrames, *, fraction: float, seed: int
) -> tuple[LabelledFrames, LabelledFrames]:
    """``data`` split into (training, validation) frames: a share ``fraction`` in [0, 0.5] of
    the frames, drawn by ``seed``, is held out for learning curves and early stopping; the
    held-out test split is never touched. Both keep their original order. ``fraction = 0``
    gives back ``data`` and an empty validation split.
    """
    number = float(fraction)
    if isinstance(fraction, bool) or not 0.0 <= number <= 0.5:
        raise ConfigError("validation_fraction", fraction, "must be a number in [0, 0.5]")
    n_validation = int(round(number * len(data.labels)))
    if number > 0 and not 1 <= n_validation < len(data.labels):
        raise ConfigError(
            "validation_fraction", fraction, f"leaves no validation frame of {len(data.labels)}"
        )
    held_out = np.zeros(len(data.labels), dtype=bool)
    held_out[np.random.default_rng(seed).permutation(len(data.labels))[:n_validation]] = True
    return _subset(data, ~held_out), _subset(data, held_out)


def _subset(data: LabelledFrames, keep: np.ndarray) -> LabelledFrames:
    return replace(data, frames=data.frames[keep], labels=data.labels[keep], f0_hz=data.f0_hz[keep])
