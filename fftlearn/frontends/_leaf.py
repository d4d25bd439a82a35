"""LEAF front-end: complex Gabor filters, squared modulus, Gaussian low-pass pooling, PCEN.

After Zeghidour et al., "LEAF: A Learnable Frontend for Audio Classification" (arXiv
2101.08596) and its release (google-research/leaf-audio). Four learned stages:

1. **Gabor filters** ``h_m[t] = exp(i eta_m t) exp(-t^2 / (2 sigma_m^2)) / (sqrt(2 pi) sigma_m)``,
   ``t = -(L-1)/2 .. (L-1)/2``: centre frequency ``eta_m`` (radians per sample, kept in
   ``[0, pi]``) and width ``sigma_m`` (samples, kept in ``[4, L] * sqrt(2 ln 2) / pi``: a
   frequency full width at half maximum between pi/2 and one bin of an L-point DFT), as the
   release constrains them. Applied as 2M real filters (real, imaginary parts), stride 1 over
   the frame (no padding; the release pads the whole clip).
2. **Squared modulus** ``re^2 + im^2`` per filter and position.
3. **Gaussian low-pass pooling**, one learned width per channel: a ``pool_length``-tap window
   ``exp(-u^2 / (2 s_m^2))``, ``u`` from -1 to 1 across it, ``s_m`` kept in ``[2 / pool_length,
   0.5]``, initial 0.4 (the release's), applied every ``pool_stride`` positions; then
   ``max(., 1e-5)`` as in the release.
4. **PCEN** (``_pcen.py``) with LEAF's initial values and floor 1e-12, every parameter per channel.

Initialisation ("mel-like"): centres and widths matched to a mel filterbank from ``f_min`` to
``f_max`` (the release: 60 to 7800 Hz), as the release's ``Gabor`` class does: the centre at
the mel triangle's peak, the full width at half maximum of the square root of the triangle,
0.75 of its base. The release reads both off a 512-bin matrix of triangles drawn in mel units;
here they are the closed form for triangles in Hz (``mel_filterbank``'s), with no bin rounding.
Bounds are enforced by projection at the start of every forward (as the release's Keras
constraints do after every step). Shapes: ``(batch, frame_length) -> (batch, M * n_windows)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from .._errors import ConfigError
from .._space import IntRange, TrialLike, check_within
from .._validate import check_float, check_int
from ._base import FrameShape, FrontEnd, register_frontend
from ._logmel import hz_to_mel, mel_to_hz
from ._pcen import PCEN, pcen_macs
from ._sincnet import check_odd_lengths

FWHM_SIGMA = math.sqrt(2 * math.log(2)) / math.pi  # sigma (samples) * FWHM (cycles/sample)
POOL_SIGMA_INIT = 0.4  # the release's Gaussian pooling width, in half-windows
MIN_POOLED = 1e-5  # the release's floor on the pooled energies


@dataclass(frozen=True)
class LEAFConfig:
    """Complex Gabor filters, squared modulus, Gaussian pooling and PCEN, all learned."""

    kind: ClassVar[str] = "leaf"
    frame_length: int = 640  # samples per input frame
    sample_rate: int = 16000  # Hz, for the mel-like initialisation
    n_filters: int = 40  # M complex Gabor filters (40 in the paper)
    filter_length: int = 401  # L taps, odd (401 = 25 ms at 16 kHz, the paper's)
    pool_length: int = 160  # taps of each Gaussian low-pass (the paper: 401)
    pool_stride: int = 80  # filter positions between pooled outputs (the paper: 160 = 10 ms)
    f_min: float = 60.0  # Hz, low edge of the mel-like initialisation (the release's)
    f_max: float = 7800.0  # Hz, high edge, <= sample_rate / 2 (the release's at 16 kHz)

    def __post_init__(self) -> None:
        check_int("frame_length", self.frame_length, low=8, high=1 << 16)
        check_int("sample_rate", self.sample_rate, low=1000, high=384_000)
        check_int("n_filters", self.n_filters, low=1, high=1024)
        check_int("filter_length", self.filter_length, low=3, high=self.frame_length - 1)
        if self.filter_length % 2 == 0:
            raise ConfigError("filter_length", self.filter_length, "must be odd (symmetric filters)")
        check_int("pool_length", self.pool_length, low=2, high=self.n_positions)
        check_int("pool_stride", self.pool_stride, low=1, high=self.n_positions)
        check_float("f_max", self.f_max, low=1.0, high=self.sample_rate / 2)
        check_float("f_min", self.f_min, low=0.0, high=self.f_max)
        if self.f_min >= self.f_max:
            raise ConfigError("f_min", self.f_min, f"must be < f_max ({self.f_max:g})")

    @property
    def n_positions(self) -> int:
        """Gabor filter positions in one frame (stride 1, no padding)."""
        return self.frame_length - self.filter_length + 1

    @property
    def n_windows(self) -> int:
        """Pooled outputs per channel."""
        return 1 + (self.n_positions - self.pool_length) // self.pool_stride

    @property
    def n_features(self) -> int:
        return self.n_filters * self.n_windows


def pool_geometry(positions: int, windows: int) -> tuple[int, int]:
    """``(pool_length, pool_stride)`` of ``windows`` Gaussian windows at half overlap that span
    ``positions`` filter positions (one window: all of them); ``windows <= positions // 2``."""
    stride = max(1, positions // (windows + 1))
    return positions - (windows - 1) * stride, stride


@dataclass(frozen=True)
class LEAFSpace:
    """LEAF: M complex Gabor filters of L taps, Gaussian pooling to a few time steps, PCEN."""

    n_filters: IntRange = IntRange(16, 80, log=True)  # M (40 in the paper)
    filter_length: tuple[int, ...] = (101, 201, 401)  # L in samples, odd (< frame length)
    pool_windows: IntRange = IntRange(1, 4)  # pooled time steps (capped at positions // 2)

    def __post_init__(self) -> None:
        check_within("n_filters", self.n_filters, 1, 1024)
        check_odd_lengths("filter_length", self.filter_length)
        check_within("pool_windows", self.pool_windows, 1, 1024)

    def check_frame_length(self, frame_length: int) -> None:
        for index, length in enumerate(self.filter_length):
            if length >= frame_length:
                raise ConfigError(
                    f"filter_length[{index}]", length, f"must be < the frame length {frame_length}"
                )

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> LEAFConfig:
        n_filters = self.n_filters.suggest(trial, f"{prefix}n_filters")
        length = trial.suggest_categorical(f"{prefix}filter_length", list(self.filter_length))
        positions = shape.frame_length - length + 1
        windows = min(max(1, positions // 2), self.pool_windows.suggest(trial, f"{prefix}pool_windows"))
        pool_length, pool_stride = pool_geometry(positions, windows)
        return LEAFConfig(
            frame_length=shape.frame_length,
            sample_rate=shape.sample_rate,
            n_filters=n_filters,
            filter_length=length,
            pool_length=pool_length,
            pool_stride=pool_stride,
            f_max=0.4875 * shape.sample_rate,  # 7800 Hz at 16 kHz, as the release
        )


def mel_gabor_parameters(
    n_filters: int, *, sample_rate: int, f_min: float, f_max: float
) -> tuple[np.ndarray, np.ndarray]:
    """Centre frequencies (radians per sample) and widths sigma (samples) of Gabor filters
    matched to ``n_filters`` triangular mel bands from ``f_min`` to ``f_max`` Hz, ``(M,)`` each."""
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_filters + 2))  # (M + 2,) Hz
    centres = 2 * np.pi * edges[1:-1] / sample_rate
    fwhm = 0.75 * (edges[2:] - edges[:-2]) / sample_rate  # cycles/sample: sqrt(triangle) >= 1/2
    return centres, FWHM_SIGMA / fwhm


class LEAFFrontEnd(FrontEnd):
    """``(B, N) -> (B, M * n_windows)``: PCEN(Gaussian pooling of |x * h_m|^2)."""

    config_class = LEAFConfig
    space_class = LEAFSpace

    def __init__(self, config: LEAFConfig):
        super().__init__(config)
        centres, sigmas = mel_gabor_parameters(
            config.n_filters, sample_rate=config.sample_rate, f_min=config.f_min, f_max=config.f_max
        )
        self.centre = nn.Parameter(torch.tensor(centres, dtype=torch.float32))  # (M,) rad/sample
        self.sigma = nn.Parameter(torch.tensor(sigmas, dtype=torch.float32))  # (M,) samples
        self.pool_sigma = nn.Parameter(torch.full((config.n_filters,), POOL_SIGMA_INIT))  # (M,)
        taps = np.arange(config.filter_length) - (config.filter_length - 1) / 2
        self.register_buffer("taps", torch.tensor(taps, dtype=torch.float32))  # (L,) t
        half = (config.pool_length - 1) / 2
        pool_taps = (np.arange(config.pool_length) - half) / half
        self.register_buffer("pool_taps", torch.tensor(pool_taps, dtype=torch.float32))  # (K,) in [-1, 1]
        self.pcen = PCEN(config.n_filters, floor=1e-12)
        self._bounds = {
            "centre": (0.0, math.pi),
            "sigma": (4 * FWHM_SIGMA, config.filter_length * FWHM_SIGMA),
            "pool_sigma": (2 / config.pool_length, 0.5),
        }
        self.project_()

    def project_(self) -> None:
        """Put the filter and pooling parameters back within their bounds (every forward; not
        while torch.export traces for ONNX: see ``fftlearn.frontends.DSTFTFrontEnd.project_``)."""
        if torch.compiler.is_exporting():
            return
        with torch.no_grad():
            for name, (low, high) in self._bounds.items():
                getattr(self, name).data.clamp_(low, high)

    def gabor_filters(self) -> torch.Tensor:
        """The complex Gabor impulse responses, ``(M, L)`` complex64, differentiable."""
        sigma = self.sigma[:, None]  # (M, 1)
        envelope = torch.exp(-0.5 * (self.taps / sigma) ** 2) / (math.sqrt(2 * math.pi) * sigma)  # (M, L)
        phase = self.centre[:, None] * self.taps  # (M, L)
        return torch.polar(envelope, phase)

    def _real_filters(self) -> torch.Tensor:
        """Real and imaginary parts interleaved, ``(2M, L)``: rows 2m and 2m + 1 of filter m."""
        filters = self.gabor_filters()
        return torch.stack([filters.real, filters.imag], dim=1).reshape(-1, self.config.filter_length)

    def lowpass(self) -> torch.Tensor:
        """The Gaussian pooling windows, ``(M, pool_length)``, differentiable in their widths."""
        return torch.exp(-0.5 * (self.pool_taps / self.pool_sigma[:, None]) ** 2)

    def export_constants(self) -> dict[str, torch.Tensor]:
        return {"filters": self._real_filters(), "lowpass": self.lowpass()}

    def kernel_stride(self) -> int:
        return 1

    def kernels(self) -> torch.Tensor:
        """Real and imaginary parts of the Gabor filters, ``(2M, L)``, detached on the CPU."""
        return self._real_filters().detach().cpu()

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        self.project_()
        config = self.config
        filters = self.constant("filters", self._real_filters)  # (2M, L)
        lowpass = self.constant("lowpass", self.lowpass)  # (M, pool_length)
        responses = nn.functional.conv1d(frames[:, None, :], filters[:, None, :])  # (B, 2M, P)
        energy = responses.view(responses.shape[0], config.n_filters, 2, -1).square().sum(2)  # (B, M, P)
        pooled = nn.functional.conv1d(
            energy, lowpass[:, None, :], stride=config.pool_stride, groups=config.n_filters
        )  # (B, M, n_windows)
        return self.pcen(pooled.clamp(min=MIN_POOLED)).flatten(1)  # (B, M * n_windows)

    def macs_per_example(self) -> int:
        """The complex Gabor convolution (2 real filters of L taps per position), 2 per
        position and filter for the squared modulus, the depthwise pooling (pool_length taps per
        output) and PCEN (``_pcen.py``). Filters and windows are computed once per batch."""
        config = self.config
        positions = config.n_filters * config.n_positions
        return (
            2 * positions * (config.filter_length + 1)
            + self._pool_macs()
            + pcen_macs(config.n_filters, config.n_windows)
        )

    def _pool_macs(self) -> int:
        return self.config.n_filters * self.config.n_windows * self.config.pool_length

    def dense_macs_per_example(self) -> int:
        """The two convolutions: 2M·L per position, then pool_length per pooled output."""
        config = self.config
        return 2 * config.n_filters * config.n_positions * config.filter_length + self._pool_macs()


register_frontend(LEAFFrontEnd)
