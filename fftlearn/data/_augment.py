"""Augmentation of rendered frames, drawn from the seed: level, white noise, and additive noise
of several types (white, pink, babble) at a signal-to-noise ratio.

A data set renders its clean frames once (cached); every call then augments them the same way
for the same seed. ``augment_frames`` also serves *context* frames (the same frames with longer
audio around them, for pitch trackers that need more than one frame): their centre is exactly
the augmented frame, and the audio around it gets the same gain and noise of the same type and
level, drawn independently (babble continues across the edges: it is cut from longer speech).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from .._errors import ConfigError
from .._validate import check_float
from ._cache import cached_frames
from ._frameset import FrameSet, SplitName, check_split

NOISE_TYPES = ("white", "pink", "babble")
BABBLE_TALKERS = 4  # speech frames summed into one babble frame
MAX_SNR_DB = 100.0

T = TypeVar("T")


@dataclass(frozen=True)
class NoiseSpec:
    """Additive noise at a signal-to-noise ratio: each frame gets one of ``types`` (uniformly),
    at an SNR uniform in ``snr_db`` (dB, signal power over noise power within the frame)."""

    types: tuple[str, ...]  # among NOISE_TYPES; empty = no such noise
    snr_db: tuple[float, float]  # (low, high)


def check_noise(types_field: str, types: object, snr_field: str, snr_db: object) -> None:
    """Raise ``ConfigError`` naming the field unless ``types`` are distinct ``NOISE_TYPES`` and
    ``snr_db`` is a ``(low, high)`` pair with low <= high within +-100 dB."""
    if (
        not isinstance(types, tuple)
        or any(t not in NOISE_TYPES for t in types)
        or len(set(types)) < len(types)
    ):
        raise ConfigError(types_field, types, f"must be distinct names among {', '.join(NOISE_TYPES)}")
    if not isinstance(snr_db, tuple) or len(snr_db) != 2:
        raise ConfigError(snr_field, snr_db, "must be [low, high] in dB")
    check_float(f"{snr_field}[0]", snr_db[0], low=-MAX_SNR_DB, high=MAX_SNR_DB)
    check_float(f"{snr_field}[1]", snr_db[1], low=snr_db[0], high=MAX_SNR_DB)


def augment(frames: np.ndarray, *, noise_std: float, gain_db: float, rng: np.random.Generator) -> np.ndarray:
    """A new array: each frame peak-normalised to 1, scaled by a gain uniform in
    ``[-gain_db, 0]`` dB, plus white Gaussian noise of std ``noise_std`` (re peak 1).

    ``frames (n, T)`` -> ``(n, T) float32``; an all-zero frame stays zero before the noise.
    """
    clean = scaled(frames, lead=0, frame_length=np.shape(frames)[1], gain_db=gain_db, rng=rng)
    return (clean + rng.normal(0.0, noise_std, size=clean.shape)).astype(np.float32)


def scaled(
    frames: np.ndarray, *, lead: int, frame_length: int, gain_db: float, rng: np.random.Generator
) -> np.ndarray:
    """``frames (n, C)`` divided by the peak of their centre ``[lead, lead + frame_length)`` and
    scaled by a gain uniform in ``[-gain_db, 0]`` dB -> ``(n, C) float64``."""
    x = np.asarray(frames, dtype=np.float64)
    peak = np.abs(x[:, lead : lead + frame_length]).max(axis=1, keepdims=True)  # (n, 1)
    x = x / np.maximum(peak, 1e-12)
    return x * 10.0 ** (-rng.uniform(0.0, gain_db, size=(len(x), 1)) / 20.0)


def unit_noise(kind: str, shape: tuple[int, int], *, rng: np.random.Generator) -> np.ndarray:
    """``(n, L)`` noise of unit RMS per row: "white" Gaussian, or "pink" (power falling as 1/f:
    white noise shaped in the frequency domain, no DC)."""
    white = rng.normal(size=shape)
    if kind == "pink":
        spectrum = np.fft.rfft(white, axis=1)
        bins = np.arange(spectrum.shape[1], dtype=np.float64)
        spectrum *= np.where(bins > 0, 1.0 / np.sqrt(np.maximum(bins, 1.0)), 0.0)
        white = np.fft.irfft(spectrum, n=shape[1], axis=1)
    return white / np.maximum(np.sqrt(np.mean(white**2, axis=1, keepdims=True)), 1e-12)


def add_noise(
    clean: np.ndarray,
    *,
    lead: int,
    frame_length: int,
    noise: NoiseSpec,
    rng: np.random.Generator,
    outer_rng: np.random.Generator,
    babble: np.ndarray | None,
) -> np.ndarray:
    """``clean (n, C)`` plus noise of ``noise.types`` at SNRs from ``noise.snr_db``, measured on
    each centre ``[lead, lead + frame_length)``. The centre's noise comes from ``rng`` alone (the
    same whatever C is); the rest of a longer frame from ``outer_rng``, at the same level.
    ``babble (P, L)``: speech frames whose centre lines up with the frames' centre (needed
    when "babble" is a type)."""
    n, length = clean.shape
    centre = slice(lead, lead + frame_length)
    kind = rng.integers(len(noise.types), size=n)
    snr_db = rng.uniform(*noise.snr_db, size=n)
    talkers = rng.integers(len(babble) if babble is not None else 1, size=(n, BABBLE_TALKERS))
    power = np.mean(clean[:, centre] ** 2, axis=1)
    level = np.sqrt(power / 10.0 ** (snr_db / 10.0))[:, None]  # (n, 1) noise RMS
    out = clean.copy()
    for index, name in enumerate(noise.types):
        rows = np.nonzero(kind == index)[0]
        if name == "babble":
            if babble is None:
                raise ConfigError("noise_types", name, "needs the babble speech (espeak-ng)")
            start = (babble.shape[1] - frame_length) // 2 - lead
            speech = babble[talkers[rows], start : start + length].sum(axis=1)  # (r, C)
            rms = np.sqrt(np.mean(speech[:, centre] ** 2, axis=1, keepdims=True))
            out[rows] += level[rows] * speech / np.maximum(rms, 1e-12)
            continue
        centre_noise = unit_noise(name, (len(rows), frame_length), rng=rng)
        if length > frame_length:
            out[rows] += level[rows] * unit_noise(name, (len(rows), length), rng=outer_rng)
            out[rows, centre] = clean[rows, centre]
        out[rows, centre] += level[rows] * centre_noise
    return out


def augment_frames(
    clean: FrameSet,
    *,
    frame_length: int,
    noise_std: float,
    gain_db: float,
    noise: NoiseSpec | None,
    babble: np.ndarray | None,
    split: SplitName,
    seed: int,
) -> FrameSet:
    """``clean`` augmented for ``(split, seed)``: gain and white ``noise_std`` as ``augment``,
    then ``noise``. Frames longer than ``frame_length`` are context frames: only their centre
    sets the levels, and that centre equals what the plain frames get."""
    stream = check_split(split, seed)
    lead = (clean.frame_length - frame_length) // 2
    rng = np.random.default_rng([seed, stream, 2])
    outer_rng = np.random.default_rng([seed, stream, 4])
    x = scaled(clean.frames, lead=lead, frame_length=frame_length, gain_db=gain_db, rng=rng)
    if noise is not None and noise.types:
        snr_rng = np.random.default_rng([seed, stream, 3])
        x = add_noise(
            x,
            lead=lead,
            frame_length=frame_length,
            noise=noise,
            rng=snr_rng,
            outer_rng=outer_rng,
            babble=babble,
        )
    centre_noise = rng.normal(0.0, noise_std, size=(len(x), frame_length))
    if x.shape[1] > frame_length:
        centre = x[:, lead : lead + frame_length].copy()
        x = x + outer_rng.normal(0.0, noise_std, size=x.shape)
        x[:, lead : lead + frame_length] = centre
    x[:, lead : lead + frame_length] += centre_noise
    return dataclasses.replace(clean, frames=x.astype(np.float32))


def cached_and_augmented(
    config: T,
    *,
    split: SplitName,
    seed: int,
    render: Callable[..., FrameSet],
    noise: NoiseSpec | None = None,
    babble: Callable[[], np.ndarray] | None = None,
    context_length: int | None = None,
    content: str = "",
) -> FrameSet:
    """The ``split`` of a rendered data set for ``seed``: the clean frames from the cache (made by
    ``render(config, split=, seed=)`` the first time, or with ``context_length=`` for context
    frames; the key leaves out ``noise_std``, ``gain_db``, ``cache_dir`` and the fields the config
    class names in its ``NOISE_FIELDS``, and adds ``content``, a hash of the files read), then augmented
    (``augment_frames``) with the config's ``noise_std``, ``gain_db`` and ``noise``."""
    check_split(split, seed)
    augmentation = {"noise_std": 0.0, "gain_db": 0.0, "cache_dir": ""}
    noise_fields = getattr(type(config), "NOISE_FIELDS", ())  # the config's own noise settings
    for field in dataclasses.fields(config):  # type: ignore[arg-type]
        if field.name in noise_fields:
            augmentation[field.name] = field.default
    clean_config = dataclasses.replace(config, **augmentation)  # type: ignore[type-var]
    extra = {} if context_length is None else {"context_length": context_length}
    clean = cached_frames(
        clean_config,
        split=split if context_length is None else f"{split}-context-{context_length}",
        seed=seed,
        cache_dir=config.cache_dir,  # type: ignore[attr-defined]
        make=lambda: render(config, split=split, seed=seed, **extra),
        content=content,
    )
    return augment_frames(
        clean,
        frame_length=config.frame_length,  # type: ignore[attr-defined]
        noise_std=config.noise_std,  # type: ignore[attr-defined]
        gain_db=config.gain_db,  # type: ignore[attr-defined]
        noise=noise,
        babble=babble() if babble is not None and noise is not None and "babble" in noise.types else None,
        split=split,
        seed=seed,
    )
