"""SincNet front-end: band-pass filters of which only the two cut-offs are learned.

After Ravanelli & Bengio (arXiv 1808.00158) and their release (``SincConv_fast``,
mravanelli/SincNet). Filter m is a windowed difference of two low-pass sincs, symmetric
(L odd, linear phase), with ``f1 < f2`` in cycles per sample::

    h_m[n] = w[n] * (2 f2 sinc(2 f2 n) - 2 f1 sinc(2 f1 n)),   n = -(L-1)/2 .. (L-1)/2

``w`` the symmetric Hamming window; ``f1 = min_low_hz + |low|`` and ``f2 = min(f1 + min_band_hz +
|band|, fs / 2)`` (in Hz; the release's minima are 50 Hz each). Initialisation as the release:
M + 1 edges equally spaced on the (HTK) mel scale from 30 Hz to ``fs/2 - (min_low_hz +
min_band_hz)``; filter m starts with low = edge m and band = edge m+1 - edge m.

Choices where the paper is silent or this kind differs from the release:

- **Gain**: each filter keeps the closed form's unit pass-band gain (it equals
  ``scipy.signal.firwin(L, [f1, f2], pass_zero=False, window="hamming", scale=False)``); the
  release divides it by its centre tap, a gain of ``fs / (2 (f2 - f1))`` that favours narrow bands.
- **Units**: low and band are stored in cycles per sample (Hz / fs, as the first release's
  ``sinc_conv``), so that Adam at learning rate lr moves an edge by about lr·fs Hz per step (stored
  in Hz, as ``SincConv_fast`` does, a step would move it by lr Hz).
- **After the filters** (applied as a convolution at ``stride`` over the frame, no padding): the
  squared responses are averaged over each of ``pool_windows`` time segments, then compressed by
  log(1e-6 + .) (as the log-mel kind) or by PCEN (``pcen``). Energies, not the paper's max-pooled
  |.|: they are what a mel filterbank gives (so PCEN applies to the energies it was designed
  for), and the mean passes gradient to the band edges from every position, max from one.

Shapes: ``(batch, frame_length) -> (batch, n_filters * pool_windows)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.signal
import torch
from torch import nn

from .._errors import ConfigError
from .._space import IntRange, TrialLike, check_choices, check_fractions, check_unique, check_within
from .._validate import check_bool, check_float, check_int
from ._base import FrameShape, FrontEnd, register_frontend
from ._logmel import hz_to_mel, mel_to_hz
from ._pcen import PCEN, TRANSCENDENTAL_MACS, PCENOption, check_pcen, pcen_macs, suggest_pcen

INIT_LOW_HZ = 30.0  # the release's lowest initial edge


@dataclass(frozen=True)
class SincNetConfig(PCENOption):
    """A bank of sinc band-pass filters with learned cut-offs, strided, energy-pooled."""

    kind: ClassVar[str] = "sincnet"
    frame_length: int = 640  # samples per input frame
    sample_rate: int = 16000  # Hz, the unit of the band edges
    n_filters: int = 80  # M band-pass filters (80 in the paper)
    filter_length: int = 251  # L taps, odd (251 = 15.7 ms at 16 kHz, the paper's)
    stride: int = 63  # samples between filter positions
    pool_windows: int = 1  # equal time segments whose mean energy is kept (1: the whole frame)
    min_low_hz: float = 50.0  # Hz, lowest low cut-off (the release's)
    min_band_hz: float = 50.0  # Hz, narrowest band (the release's)
    log_compress: bool = True  # log(1e-6 + .) on the pooled energies
    pcen: bool = False  # learnable PCEN on the pooled energies instead (needs log_compress = false)

    def __post_init__(self) -> None:
        check_int("frame_length", self.frame_length, low=8, high=1 << 16)
        check_int("sample_rate", self.sample_rate, low=1000, high=384_000)
        check_int("n_filters", self.n_filters, low=1, high=4096)
        check_int("filter_length", self.filter_length, low=3, high=self.frame_length)
        if self.filter_length % 2 == 0:
            raise ConfigError("filter_length", self.filter_length, "must be odd (symmetric filters)")
        check_int("stride", self.stride, low=1, high=self.frame_length)
        check_int("pool_windows", self.pool_windows, low=1, high=self.n_positions)
        check_float("min_low_hz", self.min_low_hz, low=0.0, high=self.sample_rate / 2)
        check_float("min_band_hz", self.min_band_hz, low=0.0, low_open=True, high=self.sample_rate / 2)
        if self.min_low_hz + self.min_band_hz >= self.sample_rate / 2 - INIT_LOW_HZ:
            raise ConfigError(
                "min_band_hz",
                self.min_band_hz,
                f"must keep min_low_hz + min_band_hz < {self.sample_rate / 2 - INIT_LOW_HZ:g} Hz",
            )
        check_bool("log_compress", self.log_compress)
        check_pcen(self.pcen, log_compress=self.log_compress)

    @property
    def n_positions(self) -> int:
        """Filter positions in one frame (no padding)."""
        return 1 + (self.frame_length - self.filter_length) // self.stride

    @property
    def n_features(self) -> int:
        return self.n_filters * self.pool_windows


def check_odd_lengths(field: str, lengths: tuple[int, ...]) -> None:
    """``lengths`` is a non-empty list of distinct odd integers >= 3 (symmetric filters' taps)."""
    check_unique(field, lengths)
    for index, length in enumerate(lengths):
        if isinstance(length, bool) or not isinstance(length, int) or length < 3 or length % 2 == 0:
            raise ConfigError(f"{field}[{index}]", length, "must be an odd integer >= 3")


@dataclass(frozen=True)
class SincNetSpace:
    """M sinc band-pass filters of length L with learned cut-offs, strided, energy-pooled."""

    n_filters: IntRange = IntRange(16, 128, log=True)  # M (80 in the paper)
    filter_length: tuple[int, ...] = (65, 129, 251)  # L in samples, odd (<= frame length)
    stride_fraction: tuple[float, ...] = (0.125, 0.25, 0.5)  # stride = max(1, round(fraction * L))
    pool_windows: IntRange = IntRange(1, 4)  # time segments kept (capped at the positions)
    pcen: tuple[bool, ...] = (False,)  # PCEN instead of the log; asked only when both are listed

    def __post_init__(self) -> None:
        check_within("n_filters", self.n_filters, 1, 4096)
        check_odd_lengths("filter_length", self.filter_length)
        check_fractions("stride_fraction", self.stride_fraction)
        check_within("pool_windows", self.pool_windows, 1, 1024)
        check_choices("pcen", self.pcen, (True, False))

    def check_frame_length(self, frame_length: int) -> None:
        for index, length in enumerate(self.filter_length):
            if length > frame_length:
                raise ConfigError(
                    f"filter_length[{index}]", length, f"must be <= the frame length {frame_length}"
                )

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> SincNetConfig:
        n_filters = self.n_filters.suggest(trial, f"{prefix}n_filters")
        length = trial.suggest_categorical(f"{prefix}filter_length", list(self.filter_length))
        fraction = trial.suggest_categorical(f"{prefix}stride_fraction", list(self.stride_fraction))
        stride = max(1, round(fraction * length))
        positions = 1 + (shape.frame_length - length) // stride
        pool_windows = min(positions, self.pool_windows.suggest(trial, f"{prefix}pool_windows"))
        pcen = suggest_pcen(trial, prefix=prefix, choices=self.pcen)
        return SincNetConfig(
            frame_length=shape.frame_length,
            sample_rate=shape.sample_rate,
            n_filters=n_filters,
            filter_length=length,
            stride=stride,
            pool_windows=pool_windows,
            log_compress=not pcen,
            pcen=pcen,
        )


def mel_band_edges(n_filters: int, *, sample_rate: int, min_low_hz: float, min_band_hz: float) -> np.ndarray:
    """The release's initial band edges in Hz, ``(n_filters + 1,)``: equally spaced in mel from
    30 Hz to ``sample_rate / 2 - (min_low_hz + min_band_hz)``."""
    high = sample_rate / 2 - (min_low_hz + min_band_hz)
    return mel_to_hz(np.linspace(hz_to_mel(INIT_LOW_HZ), hz_to_mel(high), n_filters + 1))


class SincNetFrontEnd(FrontEnd):
    """``(B, N) -> (B, M * pool_windows)``: log(1e-6 + mean over time of (x * h_m)^2) (or PCEN)."""

    config_class = SincNetConfig
    space_class = SincNetSpace

    def __init__(self, config: SincNetConfig):
        super().__init__(config)
        edges = mel_band_edges(
            config.n_filters,
            sample_rate=config.sample_rate,
            min_low_hz=config.min_low_hz,
            min_band_hz=config.min_band_hz,
        )
        rate = config.sample_rate
        self.low = nn.Parameter(torch.tensor(edges[:-1] / rate, dtype=torch.float32))  # (M,) cycles/sample
        self.band = nn.Parameter(torch.tensor(np.diff(edges) / rate, dtype=torch.float32))  # (M,)
        window = scipy.signal.get_window("hamming", config.filter_length, fftbins=False)
        self.register_buffer("window", torch.tensor(window, dtype=torch.float32))  # (L,) symmetric
        taps = np.arange(config.filter_length) - (config.filter_length - 1) / 2
        self.register_buffer("taps", torch.tensor(taps, dtype=torch.float32))  # (L,) n
        self.pcen = PCEN(config.n_filters) if config.pcen else None

    def band_edges(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Cut-offs ``(f1, f2)`` of every filter in cycles per sample, ``(M,)`` each, differentiable."""
        config = self.config
        low = config.min_low_hz / config.sample_rate + self.low.abs()
        high = torch.clamp(low + config.min_band_hz / config.sample_rate + self.band.abs(), max=0.5)
        return low, high

    def band_edges_hz(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Current cut-offs ``(f1, f2)`` in Hz, ``(M,)`` each, detached on the CPU."""
        low, high = self.band_edges()
        rate = self.config.sample_rate
        return (low.detach().cpu() * rate, high.detach().cpu() * rate)

    def filters(self) -> torch.Tensor:
        """The windowed band-pass filters, ``(M, L)``, differentiable in the cut-offs."""
        low, high = self.band_edges()  # (M,) each

        def lowpass(cutoff: torch.Tensor) -> torch.Tensor:  # ideal low-pass at cutoff, (M, L)
            return 2 * cutoff[:, None] * torch.sinc(2 * cutoff[:, None] * self.taps)

        return (lowpass(high) - lowpass(low)) * self.window

    def export_constants(self) -> dict[str, torch.Tensor]:
        return {"filters": self.filters()}

    def kernel_stride(self) -> int:
        return self.config.stride

    def kernels(self) -> torch.Tensor:
        """The band-pass filters, ``(M, L)``, detached on the CPU."""
        return self.filters().detach().cpu()

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        config = self.config
        filters = self.constant("filters", self.filters)  # (M, L)
        responses = nn.functional.conv1d(
            frames[:, None, :], filters[:, None, :], stride=config.stride
        )  # (B, M, P)
        usable = (responses.shape[-1] // config.pool_windows) * config.pool_windows
        energy = responses[..., :usable].square().reshape(*responses.shape[:2], config.pool_windows, -1)
        pooled = energy.mean(-1)  # (B, M, W)
        if self.pcen is not None:
            pooled = self.pcen(pooled)
        elif config.log_compress:
            pooled = torch.log(pooled + 1e-6)
        return pooled.flatten(1)  # (B, M * W)

    def macs_per_example(self) -> int:
        """M·L taps at every position; 1 per response kept (square and accumulate) and 1 per
        window (the mean's scale); the log, ``TRANSCENDENTAL_MACS`` per feature, or PCEN
        (``_pcen.py``). The filters are computed once per batch, not per example."""
        config = self.config
        usable = (config.n_positions // config.pool_windows) * config.pool_windows
        pooled = config.n_filters * config.pool_windows
        macs = config.n_filters * (config.n_positions * config.filter_length + usable) + pooled
        if config.pcen:
            return macs + pcen_macs(config.n_filters, config.pool_windows)
        return macs + (TRANSCENDENTAL_MACS * pooled if config.log_compress else 0)

    def dense_macs_per_example(self) -> int:
        """The convolution, M·L per position."""
        config = self.config
        return config.n_filters * config.n_positions * config.filter_length


register_frontend(SincNetFrontEnd)
