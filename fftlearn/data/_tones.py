"""Synthetic harmonic tones with known pitch, deterministic from a seed.

Each example is one frame: a random F0 near a MIDI note (uniform detune), a random number of
harmonics below Nyquist with random amplitudes (a random spectral tilt) and phases, a random gain
and white Gaussian noise. Labelled with the true F0 and the MIDI note; music, no family.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np

from .._errors import ConfigError
from .._validate import check_float, check_int
from ._base import DataSet, register_dataset
from ._frameset import MUSIC, FrameSet, SplitName, labelled
from ._pitch import midi_to_hz


@dataclass(frozen=True)
class HarmonicTonesConfig(DataSet):
    """Pitch-classification data made of harmonic tones in noise."""

    kind: ClassVar[str] = "harmonic_tones"
    n_train: int = 2000  # training frames
    n_test: int = 500  # held-out frames (a different random stream)
    frame_length: int = 640  # samples per frame (640 = 40 ms at 16 kHz)
    sample_rate: int = 16000  # Hz
    midi_low: int = 48  # lowest MIDI note (class 0); 48 = C3, 130.8 Hz
    midi_high: int = 71  # highest MIDI note; 71 = B4, 493.9 Hz
    detune_cents: float = 20.0  # F0 is uniform within +-detune_cents of the note
    max_harmonics: int = 10  # harmonics per tone are uniform in [1, max_harmonics]
    noise_std: float = 0.05  # std of white noise added to a peak-1 tone
    gain_db: float = 12.0  # frames are scaled by a gain uniform in [-gain_db, 0] dB

    def __post_init__(self) -> None:
        check_int("n_train", self.n_train, low=1, high=10_000_000)
        check_int("n_test", self.n_test, low=1, high=10_000_000)
        check_int("frame_length", self.frame_length, low=8, high=1 << 16)
        check_int("sample_rate", self.sample_rate, low=1000, high=384_000)
        check_int("midi_low", self.midi_low, low=0, high=127)
        check_int("midi_high", self.midi_high, low=0, high=127)
        if self.midi_high <= self.midi_low:
            raise ConfigError("midi_high", self.midi_high, f"must be > midi_low ({self.midi_low})")
        if midi_to_hz(self.midi_high + 0.5) >= self.sample_rate / 2:
            raise ConfigError("midi_high", self.midi_high, "must lie below Nyquist")
        check_float("detune_cents", self.detune_cents, low=0.0, high=50.0)
        check_int("max_harmonics", self.max_harmonics, low=1, high=200)
        check_float("noise_std", self.noise_std, low=0.0, high=10.0)
        check_float("gain_db", self.gain_db, low=0.0, high=120.0)

    def make_frames(self, *, split: SplitName, seed: int) -> FrameSet:
        return make_harmonic_tones(self, split=split, seed=seed)

    def pitch_range(self) -> tuple[int, int]:
        return self.midi_low, self.midi_high

    @classmethod
    def example(cls, *, root: Path) -> HarmonicTonesConfig:
        """64 training and 32 test frames over one octave."""
        return cls(n_train=64, n_test=32, midi_low=60, midi_high=72)


def make_harmonic_tones(
    config: HarmonicTonesConfig, *, split: Literal["train", "test"], seed: int
) -> FrameSet:
    """The ``split`` of the data set for ``seed``: the same arguments give the same arrays."""
    if split not in ("train", "test"):
        raise ConfigError("split", split, "must be 'train' or 'test'")
    check_int("seed", seed, low=0)
    n = config.n_train if split == "train" else config.n_test
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    midi = rng.integers(config.midi_low, config.midi_high + 1, size=n)  # (n,)
    cents = rng.uniform(-config.detune_cents, config.detune_cents, size=n)
    f0 = midi_to_hz(midi + cents / 100.0)  # (n,)
    harmonic = np.arange(1, config.max_harmonics + 1)  # (H,)
    count = rng.integers(1, config.max_harmonics + 1, size=n)  # (n,)
    tilt = rng.uniform(0.0, 2.0, size=n)
    amplitude = rng.uniform(0.2, 1.0, size=(n, config.max_harmonics))
    amplitude *= harmonic[None, :] ** -tilt[:, None]
    below_nyquist = harmonic[None, :] * f0[:, None] < config.sample_rate / 2
    amplitude *= (harmonic[None, :] <= count[:, None]) & below_nyquist  # (n, H)
    phase = rng.uniform(0.0, 2 * np.pi, size=(n, config.max_harmonics))
    t = np.arange(config.frame_length) / config.sample_rate  # (T,)
    frames = np.zeros((n, config.frame_length))
    for h in range(config.max_harmonics):  # (n, T) per harmonic keeps memory at n*T
        omega = 2 * np.pi * (h + 1) * f0[:, None] * t[None, :]
        frames += amplitude[:, h : h + 1] * np.sin(omega + phase[:, h : h + 1])
    frames /= np.maximum(np.abs(frames).max(axis=1, keepdims=True), 1e-12)
    frames *= 10.0 ** (-rng.uniform(0.0, config.gain_db, size=(n, 1)) / 20.0)
    frames += rng.normal(0.0, config.noise_std, size=frames.shape)
    return labelled(
        frames, sample_rate=config.sample_rate, family_names=(), f0_hz=f0, midi=midi, source=MUSIC
    )


register_dataset(HarmonicTonesConfig)
