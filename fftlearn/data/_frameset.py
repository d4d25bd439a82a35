"""Labelled audio frames (the common output of every audio data set), and what the data sets
share to make them: splits, resampling, frame picking. Their disk cache is ``_cache``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import gcd
from typing import Literal, TypeVar

import numpy as np
from scipy.signal import resample_poly

from .._errors import ConfigError
from .._validate import check_float, check_fraction, check_int

MUSIC, SPEECH = 0, 1  # values of ``FrameSet.source``

SILENCE_RMS = 1e-4  # frames quieter than -80 dB re full scale (1.0) are never kept

T = TypeVar("T")
SplitName = Literal["train", "test"]


@dataclass(frozen=True)
class FrameSet:
    """``n`` labelled frames of audio at ``sample_rate`` Hz.

    ``frames (n, frame_length) float32``; ``f0_hz (n,) float64`` the true fundamental in Hz,
    NaN where there is none (speech, noise); ``midi (n,) int64`` the MIDI note, -1 where none;
    ``family (n,) int64`` the instrument family, an index into ``family_names``, -1 where none;
    ``source (n,) int64``: 0 = music, 1 = speech; ``label (n,) int64`` the data set's own class
    (an index into ``label_names``, e.g. an audio folder's sub-folder), -1 where none (default).
    """

    frames: np.ndarray
    f0_hz: np.ndarray
    midi: np.ndarray
    family: np.ndarray
    source: np.ndarray
    sample_rate: int
    family_names: tuple[str, ...]
    label: np.ndarray | None = None  # None: -1 everywhere
    label_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.label is None:
            object.__setattr__(self, "label", np.full(len(self.frames), -1, np.int64))
        if self.frames.ndim != 2 or self.frames.dtype != np.float32:
            raise ValueError(f"frames must be (n, frame_length) float32, got {self.frames.shape}")
        n = len(self.frames)
        arrays = (("f0_hz", np.float64), ("midi", np.int64), ("family", np.int64), ("label", np.int64))
        for name, dtype in arrays:
            array = getattr(self, name)
            if array.shape != (n,) or array.dtype != dtype:
                raise ValueError(f"{name} must be ({n},) {np.dtype(dtype)}, got {array.shape} {array.dtype}")
        if self.source.shape != (n,) or self.source.dtype != np.int64:
            raise ValueError(f"source must be ({n},) int64, got {self.source.shape} {self.source.dtype}")
        if n and int(self.family.max()) >= len(self.family_names):
            raise ValueError(
                f"family ids reach {int(self.family.max())}; family_names has {len(self.family_names)}"
            )
        if n and int(self.label.max()) >= len(self.label_names):  # type: ignore[union-attr]
            top = int(self.label.max())  # type: ignore[union-attr]
            top = int(self.label.max())  # type: ignore[union-attr]
            raise ValueError(f"label ids reach {top}; label_names has {len(self.label_names)}")

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def frame_length(self) -> int:
        return self.frames.shape[1]

    def subset(self, index: np.ndarray) -> FrameSet:
        """The frames at ``index`` (an int array or a boolean mask), in that order."""
        return FrameSet(
            frames=self.frames[index],
            f0_hz=self.f0_hz[index],
            midi=self.midi[index],
            family=self.family[index],
            source=self.source[index],
            sample_rate=self.sample_rate,
            family_names=self.family_names,
            label=self.label[index],  # type: ignore[index]
            label_names=self.label_names,
        )


def concatenate(a: FrameSet, b: FrameSet) -> FrameSet:
    """``a`` followed by ``b``: same sample rate and frame length; family (and label) names equal
    or one empty."""
    if a.sample_rate != b.sample_rate or a.frame_length != b.frame_length:
        raise ValueError(
            f"cannot join {a.sample_rate} Hz x {a.frame_length} frames with "
            f"{b.sample_rate} Hz x {b.frame_length} frames"
        )
    if a.family_names and b.family_names and a.family_names != b.family_names:
        raise ValueError("cannot join frame sets whose family ids mean different families")
    if a.label_names and b.label_names and a.label_names != b.label_names:
        raise ValueError("cannot join frame sets whose label ids mean different classes")
    return FrameSet(
        frames=np.concatenate([a.frames, b.frames]),
        f0_hz=np.concatenate([a.f0_hz, b.f0_hz]),
        midi=np.concatenate([a.midi, b.midi]),
        family=np.concatenate([a.family, b.family]),
        source=np.concatenate([a.source, b.source]),
        sample_rate=a.sample_rate,
        family_names=a.family_names or b.family_names,
        label=np.concatenate([a.label, b.label]),  # type: ignore[list-item]
        label_names=a.label_names or b.label_names,
    )


def labelled(
    frames: np.ndarray,
    *,
    sample_rate: int,
    family_names: tuple[str, ...],
    f0_hz: np.ndarray | None = None,
    midi: np.ndarray | None = None,
    family: np.ndarray | None = None,
    source: int,
    label: np.ndarray | None = None,
    label_names: tuple[str, ...] = (),
) -> FrameSet:
    """A ``FrameSet`` with the "none" labels (NaN, -1) filled in for the arrays not given."""
    n = len(frames)
    return FrameSet(
        frames=np.asarray(frames, dtype=np.float32).reshape(n, -1),
        f0_hz=np.full(n, np.nan) if f0_hz is None else np.asarray(f0_hz, dtype=np.float64),
        midi=np.full(n, -1, np.int64) if midi is None else np.asarray(midi, dtype=np.int64),
        family=np.full(n, -1, np.int64) if family is None else np.asarray(family, dtype=np.int64),
        source=np.full(n, source, np.int64),
        sample_rate=sample_rate,
        family_names=family_names,
        label=None if label is None else np.asarray(label, dtype=np.int64),
        label_names=label_names,
    )


# ---- shared by the data sets: splits, resampling, frame picking ---------------------------------


def check_split(split: object, seed: object) -> int:
    """``split`` is "train" or "test" and ``seed`` an int >= 0; the split's stream id (0 or 1)."""
    if split not in ("train", "test"):
        raise ConfigError("split", split, "must be 'train' or 'test'")
    check_int("seed", seed, low=0)
    return 0 if split == "train" else 1


def split_pool(items: Sequence[T], *, test_fraction: float, seed: int) -> tuple[list[T], list[T]]:
    """``items`` shuffled by ``seed`` and cut into (train, test); the test part holds
    ``round(test_fraction * len(items))`` items, at least one when the fraction is > 0."""
    order = np.random.default_rng([seed, 7]).permutation(len(items))
    n_test = round(test_fraction * len(items))
    n_test = max(n_test, 1) if test_fraction > 0 and len(items) > 1 else n_test
    shuffled = [items[i] for i in order]
    return shuffled[n_test:], shuffled[:n_test]


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """``audio (t,)`` at ``from_rate`` Hz -> at ``to_rate`` Hz (polyphase, anti-aliased), float64."""
    audio = np.asarray(audio, dtype=np.float64)
    if from_rate == to_rate:
        return audio
    common = gcd(from_rate, to_rate)
    return resample_poly(audio, to_rate // common, from_rate // common)


def pick_offsets(
    audio: np.ndarray,
    *,
    frame_length: int,
    count: int,
    start: int,
    min_level_db: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Up to ``count`` distinct random frame starts in ``audio[start:]`` whose frame is loud:
    RMS within ``min_level_db`` dB of the loudest frame there and above ``SILENCE_RMS``.

    ``audio (t,)`` -> ``(k,) int64`` with ``k <= count``; ``k = 0`` for a silent clip.
    """
    n_offsets = len(audio) - frame_length - start + 1
    if n_offsets <= 0:
        return np.zeros(0, np.int64)
    energy = np.concatenate([[0.0], np.cumsum(np.asarray(audio[start:], np.float64) ** 2)])
    rms = np.sqrt(np.maximum(energy[frame_length:] - energy[:-frame_length], 0.0) / frame_length)
    loud = np.nonzero((rms >= rms.max() * 10.0 ** (-min_level_db / 20.0)) & (rms > SILENCE_RMS))[0]
    chosen = rng.choice(loud, size=min(count, len(loud)), replace=False) if len(loud) else loud
    return np.sort(chosen).astype(np.int64) + start


def gather(
    pool: Sequence[T],
    render: Callable[[T], np.ndarray],
    *,
    n: int,
    per_item: int,
    frame_length: int,
    start: int,
    min_level_db: float,
    rng: np.random.Generator,
    field: str,
    context_length: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` frames: ``render`` the items of ``pool`` in order, ``per_item`` loud frames each
    (``pick_offsets``), until ``n`` are collected.

    Returns ``frames (n, frame_length) float64``, ``item (n,) int64`` (the pool index each frame
    came from) and ``offset (n,) int64`` (its first sample in the rendered clip). With
    ``context_length`` C >= ``frame_length`` the frames are C samples long instead, centred on
    the same frames (``(C - frame_length) // 2`` samples before each), zero outside the clip;
    which frames are picked does not depend on C. Running out of items is a ``ConfigError`` on
    ``field`` (the count asked for).
    """
    length = frame_length if context_length is None else context_length
    lead = (length - frame_length) // 2
    frames: list[np.ndarray] = []
    items: list[int] = []
    starts: list[np.ndarray] = []
    for index, item in enumerate(pool):
        if len(items) >= n:
            break
        audio = np.asarray(render(item), dtype=np.float64)
        offsets = pick_offsets(
            audio, frame_length=frame_length, count=per_item, start=start, min_level_db=min_level_db, rng=rng
        )[: n - len(items)]
        padded = np.pad(audio, (lead, length))  # room for the context either side
        frames.extend(padded[offsets[:, None] + np.arange(length)[None, :]])
        items.extend([index] * len(offsets))
        starts.append(offsets)
    if len(items) < n:
        raise ConfigError(
            field,
            n,
            f"is more than the {len(items)} loud frames that this split's {len(pool)} clips give; "
            "lower it, or take more frames per clip or widen the ranges",
        )
    return (
        np.array(frames, dtype=np.float64).reshape(n, length),
        np.array(items, dtype=np.int64),
        np.concatenate(starts).astype(np.int64),
    )


def check_note_frames(config: object, *, end_field: str) -> None:
    """The frame settings every note data set shares (soundfont, NSynth): counts, the window
    of each note frames are cut from (``attack_seconds`` .. ``end_field``), levels, augmentation."""
    c = config
    check_int("n_train", c.n_train, low=1, high=10_000_000)  # type: ignore[attr-defined]
    check_int("n_test", c.n_test, low=1, high=10_000_000)  # type: ignore[attr-defined]
    check_int("frames_per_note", c.frames_per_note, low=1, high=10_000)  # type: ignore[attr-defined]
    check_fraction("test_fraction", c.test_fraction)  # type: ignore[attr-defined]
    check_int("frame_length", c.frame_length, low=8, high=1 << 16)  # type: ignore[attr-defined]
    check_float("attack_seconds", c.attack_seconds, low=0.0, high=60.0)  # type: ignore[attr-defined]
    end = getattr(c, end_field)
    check_float(end_field, end, low=0.0, high=60.0, low_open=True)
    if (end - c.attack_seconds) * c.sample_rate < c.frame_length:  # type: ignore[attr-defined]
        raise ConfigError(end_field, end, "must leave one frame_length after attack_seconds")
    check_float("min_level_db", c.min_level_db, low=0.0, high=120.0, low_open=True)  # type: ignore[attr-defined]
    check_float("noise_std", c.noise_std, low=0.0, high=10.0)  # type: ignore[attr-defined]
    check_float("gain_db", c.gain_db, low=0.0, high=120.0)  # type: ignore[attr-defined]
