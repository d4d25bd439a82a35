"""Convolutional front-end: M learned FIR filters of length L, strided, pooled, log-compressed.

With long filters (L = 400 samples = 25 ms) and pooling over the whole frame this is the
learned STFT slice of Sainath et al. (2015); with short filters (L = 16-40) and a stride of
L/2 it is a TasNet-style encoder. Shapes: ``(batch, frame_length) -> (batch, M * pool_windows)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import scipy.signal
import torch
from torch import nn

from .._errors import ConfigError
from .._space import (
    IntRange,
    TrialLike,
    check_choices,
    check_fractions,
    check_within,
)
from .._validate import check_int
from ._base import FrameShape, FrontEnd, register_frontend

POOLINGS = ("max", "mean", "l2")


@dataclass(frozen=True)
class ConvConfig:
    """A bank of learned FIR filters applied by strided convolution."""

    kind: ClassVar[str] = "conv"
    frame_length: int = 640  # samples per input frame
    n_filters: int = 64  # M learned filters
    filter_length: int = 400  # L taps per filter (400 = 25 ms at 16 kHz)
    stride: int = 160  # samples between filter positions
    pooling: Literal["max", "mean", "l2"] = "max"  # how |responses| are pooled over time
    pool_windows: int = 1  # equal time segments kept after pooling (1: pool the whole frame)
    init: Literal["random", "dft"] = "random"  # Gaussian, or Hann-windowed cosines
    log_compress: bool = True  # log(1 + .) on the pooled features

    def __post_init__(self) -> None:
        check_int("frame_length", self.frame_length, low=8, high=1 << 16)
        check_int("n_filters", self.n_filters, low=1, high=8192)
        check_int("filter_length", self.filter_length, low=1, high=self.frame_length)
        check_int("stride", self.stride, low=1, high=self.frame_length)
        if self.pooling not in POOLINGS:
            raise ConfigError("pooling", self.pooling, f"must be one of {', '.join(POOLINGS)}")
        check_int("pool_windows", self.pool_windows, low=1, high=self.n_positions)

    @property
    def n_positions(self) -> int:
        """Filter positions in one frame (no padding)."""
        return 1 + (self.frame_length - self.filter_length) // self.stride

    @property
    def n_features(self) -> int:
        return self.n_filters * self.pool_windows


def cosine_filters(n_filters: int, filter_length: int) -> torch.Tensor:
    """Hann-windowed cosines at evenly spaced frequencies in [0, Nyquist), ``(M, L)``."""
    n = np.arange(filter_length)
    freqs = np.arange(n_filters) * 0.5 / n_filters  # cycles per sample
    window = (
        scipy.signal.get_window("hann", filter_length, fftbins=False) if filter_length > 1 else np.ones(1)
    )
    rows = np.cos(2 * np.pi * freqs[:, None] * n[None, :]) * window
    return torch.tensor(rows * math.sqrt(2 / filter_length), dtype=torch.float32)


@dataclass(frozen=True)
class ConvSpace:
    """M learned FIR filters of length L, strided and pooled."""

    n_filters: IntRange = IntRange(8, 512, log=True)  # M
    filter_length: IntRange = IntRange(16, 400, log=True)  # L in samples (<= frame length)
    stride_fraction: tuple[float, ...] = (0.5,)  # stride = max(1, round(fraction * L))
    pooling: tuple[str, ...] = ("max", "mean", "l2")  # choices
    pool_windows: IntRange = IntRange(1, 4)  # time segments kept (capped at the positions)
    init: tuple[str, ...] = ("random",)  # choices among "random", "dft"

    def __post_init__(self) -> None:
        check_within("n_filters", self.n_filters, 1, 8192)
        check_within("filter_length", self.filter_length, 1, 1 << 16)
        check_fractions("stride_fraction", self.stride_fraction)
        check_choices("pooling", self.pooling, ("max", "mean", "l2"))
        check_within("pool_windows", self.pool_windows, 1, 1024)
        check_choices("init", self.init, ("random", "dft"))

    def check_frame_length(self, frame_length: int) -> None:
        if self.filter_length.high > frame_length:
            raise ConfigError(
                "filter_length.high", self.filter_length.high, f"must be <= the frame length {frame_length}"
            )

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> ConvConfig:
        length = self.filter_length.suggest(trial, f"{prefix}filter_length")
        fraction = trial.suggest_categorical(f"{prefix}stride_fraction", list(self.stride_fraction))
        stride = max(1, round(fraction * length))
        positions = 1 + (shape.frame_length - length) // stride
        return ConvConfig(
            frame_length=shape.frame_length,
            n_filters=self.n_filters.suggest(trial, f"{prefix}n_filters"),
            filter_length=length,
            stride=stride,
            pooling=trial.suggest_categorical(f"{prefix}pooling", list(self.pooling)),
            pool_windows=min(positions, self.pool_windows.suggest(trial, f"{prefix}pool_windows")),
            init=trial.suggest_categorical(f"{prefix}init", list(self.init)),
        )


class ConvFrontEnd(FrontEnd):
    """``(B, N) -> (B, M * pool_windows)``: pool(|conv(x, h_m)|), optionally log-compressed."""

    config_class = ConvConfig
    space_class = ConvSpace

    def __init__(self, config: ConvConfig, *, generator: torch.Generator | None = None):
        super().__init__(config)
        if config.init == "dft":
            weight = cosine_filters(config.n_filters, config.filter_length)
        else:
            weight = torch.randn(config.n_filters, config.filter_length, generator=generator)
            weight /= math.sqrt(config.filter_length)
        self.weight = nn.Parameter(weight)  # (M, L)

    def responses(self, frames: torch.Tensor) -> torch.Tensor:
        """Filter outputs at every position, ``(B, M, positions)``."""
        return nn.functional.conv1d(frames[:, None, :], self.weight[:, None, :], stride=self.config.stride)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        config = self.config
        responses = self.responses(frames)  # (B, M, P)
        usable = (responses.shape[-1] // config.pool_windows) * config.pool_windows
        segments = responses[..., :usable].reshape(
            *responses.shape[:2], config.pool_windows, -1
        )  # (B, M, W, P/W)
        if config.pooling == "max":
            pooled = segments.abs().amax(-1)
        elif config.pooling == "mean":
            pooled = segments.abs().mean(-1)
        else:
            pooled = torch.sqrt(segments.square().mean(-1) + 1e-12)
        features = pooled.flatten(1)  # (B, M * W)
        return torch.log1p(features) if config.log_compress else features

    def kernels(self) -> torch.Tensor:
        """The learned filters, ``(M, L)``, detached on the CPU."""
        return self.weight.detach().cpu()

    def macs_per_example(self) -> int:
        """M·L taps at every position, plus one square per response for L2 pooling."""
        config = self.config
        outputs = config.n_filters * config.n_positions
        return outputs * config.filter_length + (outputs if config.pooling == "l2" else 0)

    def dense_macs_per_example(self) -> int:
        """The convolution, M·L per position."""
        return self.config.n_filters * self.config.n_positions * self.config.filter_length


register_frontend(ConvFrontEnd)
