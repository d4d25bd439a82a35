"""Fixed log-mel front-end: STFT power summed by triangular mel filters, then log.

Not learnable: with the STFT magnitude it is the hand-crafted baseline, unless ``pcen``
replaces the log with learnable PCEN of the mel energies (``_pcen.py``; channels are the mel
bands, time steps the windows; an instance with PCEN says ``learnable`` True, the kind False).
Mel scale after O'Shaughnessy (HTK): mel = 2595·log10(1 + f / 700). Shapes: ``(batch,
frame_length) -> (batch, n_windows * n_mels)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

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
from .._validate import check_float, check_int
from ._base import FrameShape, FrontEnd, check_n_fft, register_frontend
from ._pcen import PCEN, PCENOption, channels_last_pcen, check_pcen, pcen_macs, suggest_pcen
from ._stft import rfft_macs, suggest_fft_and_hop


@dataclass(frozen=True)
class LogMelConfig(PCENOption):
    """Log mel-band energies of one frame."""

    kind: ClassVar[str] = "logmel"
    frame_length: int = 640  # samples per input frame
    sample_rate: int = 16000  # Hz, for the mel band edges
    n_fft: int = 512  # window and FFT length in samples, <= frame_length
    hop: int = 128  # samples between window starts
    n_mels: int = 64  # triangular mel bands
    f_min: float = 30.0  # Hz, lower edge of the first band
    f_max: float = 8000.0  # Hz, upper edge of the last band, <= sample_rate / 2
    pcen: bool = False  # learnable PCEN of the mel energies instead of their log

    def __post_init__(self) -> None:
        check_int("frame_length", self.frame_length, low=8, high=1 << 16)
        check_int("sample_rate", self.sample_rate, low=1000, high=384_000)
        check_int("n_fft", self.n_fft, low=8, high=self.frame_length)
        check_int("hop", self.hop, low=1, high=self.frame_length)
        check_int("n_mels", self.n_mels, low=1, high=self.n_fft // 2 + 1)
        check_float("f_max", self.f_max, low=1.0, high=self.sample_rate / 2)
        check_float("f_min", self.f_min, low=0.0, high=self.f_max)
        if self.f_min >= self.f_max:
            raise ConfigError("f_min", self.f_min, f"must be < f_max ({self.f_max:g})")
        check_pcen(self.pcen)

    @property
    def n_windows(self) -> int:
        return 1 + (self.frame_length - self.n_fft) // self.hop

    @property
    def n_features(self) -> int:
        return self.n_windows * self.n_mels


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(mel) / 2595.0) - 1.0)


def mel_filterbank(*, n_mels: int, n_fft: int, sample_rate: int, f_min: float, f_max: float) -> np.ndarray:
    """Triangular filters on the rfft bins, ``(n_mels, n_fft // 2 + 1)``, peak 1 each."""
    bins_hz = np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))  # (n_mels + 2,)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins_hz[None, :] - lower) / (centre - lower)
    falling = (upper - bins_hz[None, :]) / (upper - centre)
    return np.clip(np.minimum(rising, falling), 0.0, None)


@dataclass(frozen=True)
class LogMelSpace:
    """The fixed log-mel baseline."""

    n_fft: tuple[int, ...] = (256, 512)  # window / FFT lengths in samples
    hop_fraction: tuple[float, ...] = (0.25,)  # hop = max(1, round(hop_fraction * n_fft))
    n_mels: tuple[int, ...] = (40, 64, 128)  # mel bands
    pcen: tuple[bool, ...] = (False,)  # PCEN instead of the log; asked only when both are listed

    def __post_init__(self) -> None:
        check_unique("n_fft", self.n_fft)
        check_fractions("hop_fraction", self.hop_fraction)
        check_unique("n_mels", self.n_mels)
        check_choices("pcen", self.pcen, (True, False))
        for index, n_mels in enumerate(self.n_mels):
            if n_mels > min(self.n_fft) // 2 + 1:
                raise ConfigError(
                    f"n_mels[{index}]",
                    n_mels,
                    f"must be <= {min(self.n_fft) // 2 + 1} (bins of the smallest n_fft)",
                )

    def check_frame_length(self, frame_length: int) -> None:
        check_n_fft(self.n_fft, frame_length)

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> LogMelConfig:
        n_fft, hop = suggest_fft_and_hop(
            trial, prefix=prefix, n_fft=self.n_fft, hop_fraction=self.hop_fraction
        )
        return LogMelConfig(
            frame_length=shape.frame_length,
            sample_rate=shape.sample_rate,
            n_fft=n_fft,
            hop=hop,
            n_mels=trial.suggest_categorical(f"{prefix}n_mels", list(self.n_mels)),
            f_max=shape.sample_rate / 2,
            pcen=suggest_pcen(trial, prefix=prefix, choices=self.pcen),
        )


class LogMelFrontEnd(FrontEnd):
    """``(B, N) -> (B, windows * n_mels)``: log(1e-6 + mel @ |rfft(window * segment)|^2), fixed
    (or PCEN of the mel energies, learnable)."""

    config_class = LogMelConfig
    space_class = LogMelSpace
    learnable = False

    def __init__(self, config: LogMelConfig):
        super().__init__(config)
        window = scipy.signal.get_window("hann", config.n_fft, fftbins=True)
        mel = mel_filterbank(
            n_mels=config.n_mels,
            n_fft=config.n_fft,
            sample_rate=config.sample_rate,
            f_min=config.f_min,
            f_max=config.f_max,
        )
        self.register_buffer("window", torch.tensor(window, dtype=torch.float32))  # (n_fft,)
        self.register_buffer("mel", torch.tensor(mel, dtype=torch.float32))  # (n_mels, bins)
        self.pcen = PCEN(config.n_mels) if config.pcen else None
        self.learnable = config.pcen  # this instance trains its PCEN; the kind stays a fixed baseline

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        config = self.config
        segments = frames.unfold(-1, config.n_fft, config.hop)  # (B, W, n_fft)
        power = torch.fft.rfft(segments * self.window, dim=-1).abs().square()  # (B, W, bins)
        bands = power @ self.mel.T  # (B, W, n_mels)
        if self.pcen is not None:
            return channels_last_pcen(self.pcen, bands).flatten(1)  # (B, W * n_mels)
        return torch.log(bands + 1e-6).flatten(1)  # (B, W * n_mels)

    def kernels(self) -> torch.Tensor:
        """Each mel band as a real kernel: the band's weights on windowed cosines, ``(n_mels, n_fft)``."""
        config = self.config
        n = np.arange(config.n_fft)
        k = np.arange(config.n_fft // 2 + 1)
        cosines = np.cos(2 * np.pi * k[:, None] * n[None, :] / config.n_fft)  # (bins, n_fft)
        rows = self.mel.cpu().numpy() @ cosines * self.window.cpu().numpy()
        return torch.tensor(rows, dtype=torch.float32)

    def macs_per_example(self) -> int:
        """Per window: window multiplies, the real FFT, |.|^2, then the dense mel product.

        The forward multiplies the full ``(n_mels, bins)`` matrix (zeros included), so that is
        what is counted: ``n_mels * bins`` MACs per window, not the matrix's nonzeros. With PCEN,
        its cost per band and window (``_pcen.py``).
        """
        config = self.config
        bins = config.n_fft // 2 + 1
        extra = pcen_macs(config.n_mels, config.n_windows) if config.pcen else 0
        per_window = config.n_fft + rfft_macs(config.n_fft) + 2 * bins + config.n_mels * bins
        return config.n_windows * per_window + extra

    def dense_macs_per_example(self) -> int:
        """The mel matrix as it runs, dense: n_mels·bins per window (more than its nonzeros)."""
        return self.config.n_windows * self.config.n_mels * (self.config.n_fft // 2 + 1)


register_frontend(LogMelFrontEnd)
