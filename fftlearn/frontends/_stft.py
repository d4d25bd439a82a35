"""Fixed STFT-magnitude front-end: the hand-crafted baseline learned front-ends must beat.

The frame is cut into windows of ``n_fft`` samples every ``hop`` samples (no padding), each is
windowed and transformed with a real FFT, and the log-magnitudes of all windows are
concatenated. Nothing here learns, unless ``pcen`` replaces the log with learnable PCEN
(``_pcen.py``; its channels are the bins, its time steps the windows): the kind stays a fixed
baseline (``STFTFrontEnd.learnable`` is False), an instance with PCEN says ``learnable`` True.
Shapes: ``(batch, frame_length) -> (batch, features)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import scipy.signal
import torch

from .._errors import ConfigError
from .._space import (
    TrialLike,
    check_choices,
    check_fractions,
    check_unique,
)
from .._validate import check_int
from ._base import FrameShape, FrontEnd, check_n_fft, register_frontend
from ._pcen import PCEN, PCENOption, channels_last_pcen, check_pcen, pcen_macs, suggest_pcen

WINDOWS = ("hann", "hamming", "blackman", "boxcar")


@dataclass(frozen=True)
class STFTConfig(PCENOption):
    """Short-time Fourier transform magnitudes of one frame."""

    kind: ClassVar[str] = "stft"
    frame_length: int = 640  # samples per input frame
    n_fft: int = 256  # window and FFT length in samples, <= frame_length
    hop: int = 128  # samples between window starts
    window: Literal["hann", "hamming", "blackman", "boxcar"] = "hann"  # scipy.signal window
    log_compress: bool = True  # log(1 + |.|) on the magnitudes
    pcen: bool = False  # learnable PCEN on the magnitudes instead (needs log_compress = false)

    def __post_init__(self) -> None:
        check_int("frame_length", self.frame_length, low=8, high=1 << 16)
        check_int("n_fft", self.n_fft, low=2, high=self.frame_length)
        check_int("hop", self.hop, low=1, high=self.frame_length)
        if self.window not in WINDOWS:
            raise ConfigError("window", self.window, f"must be one of {', '.join(WINDOWS)}")
        check_pcen(self.pcen, log_compress=self.log_compress)

    @property
    def n_windows(self) -> int:
        return 1 + (self.frame_length - self.n_fft) // self.hop

    @property
    def n_bins(self) -> int:
        return self.n_fft // 2 + 1

    @property
    def n_features(self) -> int:
        return self.n_windows * self.n_bins


def suggest_fft_and_hop(
    trial: TrialLike, *, prefix: str, n_fft: tuple[int, ...], hop_fraction: tuple[float, ...]
) -> tuple[int, int]:
    """``(n_fft, hop)`` from the choice lists; ``hop = max(1, round(fraction * n_fft))`` samples."""
    size = trial.suggest_categorical(f"{prefix}n_fft", list(n_fft))
    fraction = trial.suggest_categorical(f"{prefix}hop_fraction", list(hop_fraction))
    return size, max(1, round(fraction * size))


def rfft_macs(n: int) -> int:
    """MACs of a real-input FFT of length ``n``: half the radix-2 complex count.

    A radix-2 complex FFT takes 5·n·log2(n) real FLOPs; a real input needs about half, and one
    MAC is 2 FLOPs, so 1.25·n·log2(n) MACs (rounded up). Used for every ``n`` as the standard
    estimate, also where ``n`` is not a power of two.
    """
    return math.ceil(1.25 * n * math.log2(n)) if n > 1 else 0


@dataclass(frozen=True)
class STFTSpace:
    """The fixed STFT-magnitude baseline."""

    n_fft: tuple[int, ...] = (128, 256, 512)  # window / FFT lengths in samples
    hop_fraction: tuple[float, ...] = (0.5,)  # hop = max(1, round(hop_fraction * n_fft))
    window: tuple[str, ...] = ("hann",)  # scipy.signal window names
    pcen: tuple[bool, ...] = (False,)  # PCEN instead of the log; asked only when both are listed

    def __post_init__(self) -> None:
        check_unique("n_fft", self.n_fft)
        for index, n_fft in enumerate(self.n_fft):
            if n_fft < 2:
                raise ConfigError(f"n_fft[{index}]", n_fft, "must be >= 2")
        check_fractions("hop_fraction", self.hop_fraction)
        check_choices("window", self.window, WINDOWS)
        check_choices("pcen", self.pcen, (True, False))

    def check_frame_length(self, frame_length: int) -> None:
        check_n_fft(self.n_fft, frame_length)

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> STFTConfig:
        n_fft, hop = suggest_fft_and_hop(
            trial, prefix=prefix, n_fft=self.n_fft, hop_fraction=self.hop_fraction
        )
        window = trial.suggest_categorical(f"{prefix}window", list(self.window))
        pcen = suggest_pcen(trial, prefix=prefix, choices=self.pcen)
        return STFTConfig(
            frame_length=shape.frame_length,
            n_fft=n_fft,
            hop=hop,
            window=window,
            log_compress=not pcen,
            pcen=pcen,
        )


class STFTFrontEnd(FrontEnd):
    """``(B, N) -> (B, windows * bins)``: log(1 + |rfft(window * segment)|), fixed (or PCEN of
    the magnitudes, learnable)."""

    config_class = STFTConfig
    space_class = STFTSpace
    learnable = False

    def __init__(self, config: STFTConfig):
        super().__init__(config)
        window = scipy.signal.get_window(config.window, config.n_fft, fftbins=True)
        self.register_buffer("window", torch.tensor(window, dtype=torch.float32))  # (n_fft,)
        self.pcen = PCEN(config.n_bins) if config.pcen else None
        self.learnable = config.pcen  # this instance trains its PCEN; the kind stays a fixed baseline

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        config = self.config
        segments = frames.unfold(-1, config.n_fft, config.hop)  # (B, W, n_fft)
        spectrum = torch.fft.rfft(segments * self.window, dim=-1)  # (B, W, bins)
        magnitude = spectrum.abs()
        if self.pcen is not None:
            features = channels_last_pcen(self.pcen, magnitude)
        else:
            features = torch.log1p(magnitude) if config.log_compress else magnitude
        return features.flatten(1)  # (B, W * bins)

    def kernels(self) -> torch.Tensor:
        """The fixed kernels the STFT applies: windowed cosines and sines, ``(2 * bins, n_fft)``."""
        config = self.config
        n = np.arange(config.n_fft)
        k = np.arange(config.n_bins)[:, None]
        phase = 2 * np.pi * k * n[None, :] / config.n_fft
        window = self.window.cpu().numpy()
        rows = np.stack([np.cos(phase) * window, np.sin(phase) * window], axis=1)
        return torch.tensor(rows.reshape(-1, config.n_fft), dtype=torch.float32)

    def macs_per_example(self) -> int:
        """Per window: n_fft window multiplies, the real FFT, 2 MACs per bin for |.|^2; with
        PCEN, its cost per bin and window (``_pcen.py``)."""
        config = self.config
        per_window = config.n_fft + rfft_macs(config.n_fft) + 2 * config.n_bins
        extra = pcen_macs(config.n_bins, config.n_windows) if config.pcen else 0
        return config.n_windows * per_window + extra

    def dense_macs_per_example(self) -> int:
        """0: the FFT and the elementwise work are all it runs."""
        return 0


register_frontend(STFTFrontEnd)
