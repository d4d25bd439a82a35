"""Convolutional front-end: M learned FIR filters of length L, strided, pooled, log-compressed.

With long filters (L = 400 samples = 25 ms) and pooling over the whole frame this is the
learned STFT slice of Sainath et al. (2015); with short filters (L = 16-40) and a stride of
L/2 it is a TasNet-style encoder. With ``init = "dft_pairs"`` and ``pair_magnitude`` the bank
starts as the STFT's windowed cosine/sine pairs and its features are STFT magnitudes. With
``pcen`` the pooled features get learnable PCEN (``_pcen.py``: channels are the filters, time
steps the pool windows) instead of the log. Shapes: ``(batch, frame_length) -> (batch, M *
pool_windows)``.
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
from ._base import FrameShape, FrontEnd, gaussian_kernels, register_frontend
from ._pcen import PCEN, PCENOption, check_pcen, pcen_macs, suggest_pcen

POOLINGS = ("max", "mean", "l2")
INITS = ("random", "dft", "dft_pairs")


@dataclass(frozen=True)
class ConvConfig(PCENOption):
    """A bank of learned FIR filters applied by strided convolution."""

    kind: ClassVar[str] = "conv"
    frame_length: int = 640  # samples per input frame
    n_filters: int = 64  # M learned filters
    filter_length: int = 400  # L taps per filter (400 = 25 ms at 16 kHz)
    stride: int = 160  # samples between filter positions
    pooling: Literal["max", "mean", "l2"] = "max"  # how |responses| are pooled over time
    pool_windows: int = 1  # equal time segments kept after pooling (1: pool the whole frame)
    init: Literal["random", "dft", "dft_pairs"] = "random"  # Gaussian, Hann cosines, or cos/sin pairs
    pair_magnitude: bool = False  # combine filters 2j, 2j+1 into one magnitude per position
    log_compress: bool = True  # log(1 + .) on the pooled features
    pcen: bool = False  # learnable PCEN on the pooled features instead (needs log_compress = false)

    def __post_init__(self) -> None:
        check_int("frame_length", self.frame_length, low=8, high=1 << 16)
        check_int("n_filters", self.n_filters, low=1, high=8192)
        check_int("filter_length", self.filter_length, low=1, high=self.frame_length)
        check_int("stride", self.stride, low=1, high=self.frame_length)
        if self.pooling not in POOLINGS:
            raise ConfigError("pooling", self.pooling, f"must be one of {', '.join(POOLINGS)}")
        check_int("pool_windows", self.pool_windows, low=1, high=self.n_positions)
        if self.init not in INITS:
            raise ConfigError("init", self.init, f"must be one of {', '.join(INITS)}")
        if self.pair_magnitude and self.n_filters % 2:
            raise ConfigError("n_filters", self.n_filters, "must be even when pair_magnitude is true")
        check_pcen(self.pcen, log_compress=self.log_compress)

    @property
    def n_positions(self) -> int:
        """Filter positions in one frame (no padding)."""
        return 1 + (self.frame_length - self.filter_length) // self.stride

    @property
    def n_channels(self) -> int:
        """Responses pooled per position: M, or M/2 magnitudes when pair_magnitude is true."""
        return self.n_filters // 2 if self.pair_magnitude else self.n_filters

    @property
    def n_features(self) -> int:
        return self.n_channels * self.pool_windows


def cosine_filters(n_filters: int, filter_length: int) -> torch.Tensor:
    """Hann-windowed cosines at evenly spaced frequencies in [0, Nyquist), ``(M, L)``."""
    n = np.arange(filter_length)
    freqs = np.arange(n_filters) * 0.5 / n_filters  # cycles per sample
    window = (
        scipy.signal.get_window("hann", filter_length, fftbins=False) if filter_length > 1 else np.ones(1)
    )
    rows = np.cos(2 * np.pi * freqs[:, None] * n[None, :]) * window
    return torch.tensor(rows * math.sqrt(2 / filter_length), dtype=torch.float32)


def stft_pair_filters(n_filters: int, filter_length: int) -> torch.Tensor:
    """The STFT's kernels as interleaved filter pairs, ``(M, L)``, unscaled.

    Filter ``2j`` is ``w[n]·cos(2π k_j n / L)`` and ``2j+1`` is ``w[n]·sin(2π k_j n / L)`` with
    ``w`` the periodic Hann window (as ``torch.hann_window``); the magnitude of a pair's
    responses at a position is ``|X[k_j]|`` of the L-point DFT of the Hann-windowed segment there.
    The bins ``k_j`` are ``ceil(M / 2)`` evenly spread over ``0 .. L // 2``: every bin, in order,
    when ``M = 2·(L // 2 + 1)``; rounded to bins when there are fewer pairs than bins, and
    fractional bins (a finer grid, as a zero-padded DFT has) when there are more.
    """
    pairs = math.ceil(n_filters / 2)
    bins = np.linspace(0.0, filter_length // 2, pairs)  # (pairs,) in bins of the L-point DFT
    if pairs <= filter_length // 2 + 1:
        bins = np.round(bins)
    n = np.arange(filter_length)
    window = scipy.signal.get_window("hann", filter_length, fftbins=True) if filter_length > 1 else np.ones(1)
    phase = 2 * np.pi * bins[:, None] * n[None, :] / filter_length  # (pairs, L)
    rows = np.stack([np.cos(phase), np.sin(phase)], axis=1).reshape(2 * pairs, -1) * window
    return torch.tensor(rows[:n_filters], dtype=torch.float32)


@dataclass(frozen=True)
class ConvSpace:
    """M learned FIR filters of length L, strided and pooled."""

    n_filters: IntRange = IntRange(8, 512, log=True)  # M
    filter_length: IntRange = IntRange(16, 400, log=True)  # L in samples (<= frame length)
    stride_fraction: tuple[float, ...] = (0.5,)  # stride = max(1, round(fraction * L))
    pooling: tuple[str, ...] = ("max", "mean", "l2")  # choices
    pool_windows: IntRange = IntRange(1, 4)  # time segments kept (capped at the positions)
    init: tuple[str, ...] = ("random",)  # choices among "random", "dft", "dft_pairs"
    pair_magnitude: tuple[bool, ...] = (False,)  # choices; asked only when not the default (False,)
    pcen: tuple[bool, ...] = (False,)  # PCEN instead of the log; asked only when both are listed

    def __post_init__(self) -> None:
        check_within("n_filters", self.n_filters, 1, 8192)
        check_within("filter_length", self.filter_length, 1, 1 << 16)
        check_fractions("stride_fraction", self.stride_fraction)
        check_choices("pooling", self.pooling, ("max", "mean", "l2"))
        check_within("pool_windows", self.pool_windows, 1, 1024)
        check_choices("init", self.init, INITS)
        check_choices("pair_magnitude", self.pair_magnitude, (True, False))
        check_choices("pcen", self.pcen, (True, False))
        if True in self.pair_magnitude and self.n_filters.high < 2:
            raise ConfigError(
                "n_filters.high", self.n_filters.high, "must be >= 2 when pair_magnitude may be true"
            )

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
        # the default (False,) asks nothing, so studies from before this choice keep their params
        paired = self.pair_magnitude != (False,) and trial.suggest_categorical(
            f"{prefix}pair_magnitude", list(self.pair_magnitude)
        )
        if paired:  # sample the number of pairs so that M is even by construction
            low, high = self.n_filters.low, self.n_filters.high
            n_filters = 2 * IntRange(max(1, math.ceil(low / 2)), high // 2, self.n_filters.log).suggest(
                trial, f"{prefix}n_pairs"
            )
        else:
            n_filters = self.n_filters.suggest(trial, f"{prefix}n_filters")
        pooling = trial.suggest_categorical(f"{prefix}pooling", list(self.pooling))
        pool_windows = min(positions, self.pool_windows.suggest(trial, f"{prefix}pool_windows"))
        init = trial.suggest_categorical(f"{prefix}init", list(self.init))
        pcen = suggest_pcen(trial, prefix=prefix, choices=self.pcen)
        return ConvConfig(
            frame_length=shape.frame_length,
            n_filters=n_filters,
            filter_length=length,
            stride=stride,
            pooling=pooling,
            pool_windows=pool_windows,
            init=init,
            pair_magnitude=paired,
            log_compress=not pcen,
            pcen=pcen,
        )


class ConvFrontEnd(FrontEnd):
    """``(B, N) -> (B, C * pool_windows)``: pool(|conv(x, h_m)|) (or of pair magnitudes, C = M/2)."""

    config_class = ConvConfig
    space_class = ConvSpace

    def __init__(self, config: ConvConfig, *, generator: torch.Generator | None = None):
        super().__init__(config)
        if config.init == "dft":
            weight = cosine_filters(config.n_filters, config.filter_length)
        elif config.init == "dft_pairs":
            weight = stft_pair_filters(config.n_filters, config.filter_length)
        else:
            weight = gaussian_kernels(config.n_filters, config.filter_length, generator=generator)
        self.weight = nn.Parameter(weight)  # (M, L)
        self.pcen = PCEN(config.n_channels) if config.pcen else None

    def kernel_stride(self) -> int:
        return self.config.stride

    def responses(self, frames: torch.Tensor) -> torch.Tensor:
        """Filter outputs at every position, ``(B, M, positions)``."""
        return nn.functional.conv1d(frames[:, None, :], self.weight[:, None, :], stride=self.config.stride)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        config = self.config
        responses = self.responses(frames)  # (B, M, P)
        if config.pair_magnitude:
            pairs = responses.view(responses.shape[0], -1, 2, responses.shape[-1])  # (B, M/2, 2, P)
            responses = torch.sqrt(pairs.square().sum(2) + 1e-12)  # (B, M/2, P) magnitudes
        usable = (responses.shape[-1] // config.pool_windows) * config.pool_windows
        segments = responses[..., :usable].reshape(
            *responses.shape[:2], config.pool_windows, -1
        )  # (B, C, W, P/W) with C = M or M/2
        if config.pooling == "max":
            pooled = segments.abs().amax(-1)
        elif config.pooling == "mean":
            pooled = segments.abs().mean(-1)
        else:
            pooled = torch.sqrt(segments.square().mean(-1) + 1e-12)  # (B, C, W)
        if self.pcen is not None:
            return self.pcen(pooled).flatten(1)  # (B, C * W)
        features = pooled.flatten(1)  # (B, C * W)
        return torch.log1p(features) if config.log_compress else features

    def kernels(self) -> torch.Tensor:
        """The learned filters, ``(M, L)``, detached on the CPU."""
        return self.weight.detach().cpu()

    def macs_per_example(self) -> int:
        """M·L taps at every position, 2 per pair for pair magnitudes, 1 per response squared for L2;
        with PCEN, its cost per pooled feature (``_pcen.py``)."""
        config = self.config
        outputs = config.n_filters * config.n_positions
        pair_macs = outputs if config.pair_magnitude else 0  # a² + b²: 2 per pair per position
        pooled = config.n_channels * config.n_positions
        extra = pcen_macs(config.n_channels, config.pool_windows) if config.pcen else 0
        return outputs * config.filter_length + pair_macs + (pooled if config.pooling == "l2" else 0) + extra

    def dense_macs_per_example(self) -> int:
        """The convolution, M·L per position."""
        return self.config.n_filters * self.config.n_positions * self.config.filter_length


register_frontend(ConvFrontEnd)
