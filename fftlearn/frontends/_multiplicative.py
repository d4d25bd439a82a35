"""Learned multiplicative front-end: K learned kernels over a raw waveform frame.

Each output is the inner product of the whole frame with one learned kernel (arXiv 2308.10388:
640-sample / 40 ms frames at 16 kHz, up to 2048 kernels); the DFT is the special case where the
kernels are sampled sines and cosines. With ``pcen`` the features get learnable PCEN
(``_pcen.py``: channels are the features, one time step, so its smoother is the feature itself)
instead of the log. Shapes: ``(batch, frame_length) -> (batch, features)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
from torch import nn

from .._errors import ConfigError
from .._space import (
    IntRange,
    TrialLike,
    check_choices,
    check_within,
)
from .._validate import check_int
from ._base import FrameShape, FrontEnd, gaussian_kernels, register_frontend
from ._pcen import PCEN, PCENOption, check_pcen, pcen_macs, suggest_pcen

MAX_KERNELS = 8192


@dataclass(frozen=True)
class MultiplicativeConfig(PCENOption):
    """A bank of learned kernels as long as the frame."""

    kind: ClassVar[str] = "multiplicative"
    frame_length: int = 640  # samples per input frame (640 = 40 ms at 16 kHz)
    n_kernels: int = 256  # K learned kernels, each frame_length samples long
    init: Literal["random", "dft"] = "random"  # Gaussian, or the DFT's cosines and sines
    pair_magnitude: bool = False  # combine kernels 2j, 2j+1 into one magnitude (K/2 features)
    log_compress: bool = True  # log(1 + |.|) on the features
    pcen: bool = False  # learnable PCEN on the features instead (needs log_compress = false)

    def __post_init__(self) -> None:
        check_int("frame_length", self.frame_length, low=8, high=1 << 16)
        check_int("n_kernels", self.n_kernels, low=1, high=MAX_KERNELS)
        if self.pair_magnitude and self.n_kernels % 2:
            raise ConfigError("n_kernels", self.n_kernels, "must be even when pair_magnitude is true")
        check_pcen(self.pcen, log_compress=self.log_compress)

    @property
    def n_features(self) -> int:
        return self.n_kernels // 2 if self.pair_magnitude else self.n_kernels


def dft_kernels(n_kernels: int, frame_length: int) -> torch.Tensor:
    """Interleaved cosine/sine kernels at evenly spaced frequencies in [0, Nyquist).

    Kernel ``2j`` is ``cos(2 pi f_j n / N)`` and ``2j+1`` is ``sin(...)``, with
    ``f_j = j * (N / 2) / ceil(K / 2)`` cycles per frame; scaled by ``sqrt(2 / N)``.
    Shape ``(n_kernels, frame_length)``.
    """
    n = torch.arange(frame_length, dtype=torch.float64)
    pairs = math.ceil(n_kernels / 2)
    freqs = torch.arange(pairs, dtype=torch.float64) * (frame_length / 2) / pairs  # (P,)
    phase = 2 * math.pi * freqs[:, None] * n[None, :] / frame_length  # (P, N)
    kernels = torch.stack([torch.cos(phase), torch.sin(phase)], dim=1).reshape(2 * pairs, -1)
    return (kernels[:n_kernels] * math.sqrt(2 / frame_length)).float()


@dataclass(frozen=True)
class MultiplicativeSpace:
    """K learned kernels over the whole frame."""

    n_kernels: IntRange = IntRange(8, 4096, log=True)  # K, log scale (even K when paired)
    init: tuple[str, ...] = ("random",)  # choices among "random", "dft"
    log_compress: tuple[bool, ...] = (True,)  # choices of log(1 + |.|), asked only without PCEN
    pair_magnitude: tuple[bool, ...] = (False,)  # choices of magnitudes from kernel pairs
    pcen: tuple[bool, ...] = (False,)  # PCEN instead of the log; asked only when both are listed

    def __post_init__(self) -> None:
        check_within("n_kernels", self.n_kernels, 1, MAX_KERNELS)
        check_choices("init", self.init, ("random", "dft"))
        check_choices("log_compress", self.log_compress, (True, False))
        check_choices("pair_magnitude", self.pair_magnitude, (True, False))
        check_choices("pcen", self.pcen, (True, False))
        if True in self.pair_magnitude and self.n_kernels.high < 2:
            raise ConfigError(
                "n_kernels.high", self.n_kernels.high, "must be >= 2 when pair_magnitude may be true"
            )

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> MultiplicativeConfig:
        paired = trial.suggest_categorical(f"{prefix}pair_magnitude", list(self.pair_magnitude))
        if paired:  # sample the number of pairs so that K is even by construction
            pairs = IntRange(
                max(1, math.ceil(self.n_kernels.low / 2)), self.n_kernels.high // 2, self.n_kernels.log
            )
            n_kernels = 2 * pairs.suggest(trial, f"{prefix}n_pairs")
        else:
            n_kernels = self.n_kernels.suggest(trial, f"{prefix}n_kernels")
        init = trial.suggest_categorical(f"{prefix}init", list(self.init))
        pcen = suggest_pcen(trial, prefix=prefix, choices=self.pcen)
        log_compress = not pcen and trial.suggest_categorical(
            f"{prefix}log_compress", list(self.log_compress)
        )
        return MultiplicativeConfig(
            frame_length=shape.frame_length,
            n_kernels=n_kernels,
            init=init,
            pair_magnitude=paired,
            log_compress=log_compress,
            pcen=pcen,
        )


class MultiplicativeFrontEnd(FrontEnd):
    """``(B, N) -> (B, F)``: |W x| (or pairwise magnitudes), optionally log-compressed."""

    config_class = MultiplicativeConfig
    space_class = MultiplicativeSpace

    def __init__(self, config: MultiplicativeConfig, *, generator: torch.Generator | None = None):
        super().__init__(config)
        if config.init == "dft":
            weight = dft_kernels(config.n_kernels, config.frame_length)
        else:
            weight = gaussian_kernels(config.n_kernels, config.frame_length, generator=generator)
        self.weight = nn.Parameter(weight)  # (K, N)
        self.pcen = PCEN(config.n_features) if config.pcen else None

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        responses = frames @ self.weight.T  # (B, K)
        if self.config.pair_magnitude:
            pairs = responses.view(responses.shape[0], -1, 2)  # (B, K/2, 2)
            features = torch.sqrt(pairs.square().sum(-1) + 1e-12)  # (B, K/2)
        else:
            features = responses.abs()  # (B, K)
        if self.pcen is not None:
            return self.pcen(features[:, :, None])[:, :, 0]  # one time step
        return torch.log1p(features) if self.config.log_compress else features

    def kernels(self) -> torch.Tensor:
        """The learned kernels, ``(K, N)``, detached on the CPU."""
        return self.weight.detach().cpu()

    def macs_per_example(self) -> int:
        """K·N for the kernel products, plus 2 per pair for the squared magnitude; with PCEN, its
        cost per feature (``_pcen.py``)."""
        config = self.config
        pair_macs = config.n_kernels if config.pair_magnitude else 0
        extra = pcen_macs(config.n_features, 1) if config.pcen else 0
        return config.n_kernels * config.frame_length + pair_macs + extra

    def dense_macs_per_example(self) -> int:
        """The kernel products, K·N."""
        return self.config.n_kernels * self.config.frame_length


register_frontend(MultiplicativeFrontEnd)
