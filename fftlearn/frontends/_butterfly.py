"""Butterfly front-end: a learned transform at FFT cost (log2(N) learned butterfly factors).

The kernel matrix is a product of log2(size) butterfly factors with learned complex 2x2 blocks
(see ``_butterfly``): O(size log size) MACs instead of the dense front-end's size x kernels.
Initialised at the unitary DFT it computes ``|rfft(window * frame)| / sqrt(size)``; from there
(or from a random unitary product) every twiddle is trained by gradient. With ``pcen`` the
magnitudes get learnable PCEN (``_pcen.py``: channels are the outputs, one time step, so its
smoother is the magnitude itself) instead of the log.
Shapes: ``(batch, frame_length) -> (batch, n_bins)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

import scipy.signal
import torch
from torch import nn

from .._errors import ConfigError
from .._space import (
    TrialLike,
    check_choices,
    check_unique,
)
from .._validate import check_bool, check_choice, check_int
from ..butterfly._butterfly import (
    apply_butterfly,
    bit_reversal_permutation,
    butterfly_macs,
    fft_butterfly_twiddles,
    random_unitary_twiddles,
)
from ._base import FrameShape, FrontEnd, register_frontend
from ._pcen import PCEN, PCENOption, check_pcen, pcen_macs, suggest_pcen

MAX_SIZE = 1 << 14
WINDOWS = ("hann", "boxcar")
INITS = ("dft", "random")


@dataclass(frozen=True)
class ButterflyConfig(PCENOption):
    """A learned product of log2(size) butterfly factors applied to the (windowed) frame."""

    kind: ClassVar[str] = "butterfly"
    frame_length: int = 640  # samples per input frame (640 = 40 ms at 16 kHz)
    size: int = 512  # transform length N, a power of two; the frame is centre-cropped or zero-padded to it
    init: Literal["dft", "random"] = "dft"  # unitary DFT factors, or Haar-random unitary 2x2 blocks
    window: Literal["hann", "boxcar"] = "hann"  # periodic window over the kept samples
    n_bins: int = 0  # outputs kept, the first n_bins of the transform; 0 = size // 2 + 1 (DFT bins 0..N/2)
    log_compress: bool = True  # log(1 + |.|) on the magnitudes
    pcen: bool = False  # learnable PCEN on the magnitudes instead (needs log_compress = false)

    def __post_init__(self) -> None:
        check_int("frame_length", self.frame_length, low=8, high=1 << 16)
        check_int("size", self.size, low=2, high=MAX_SIZE)
        if self.size & (self.size - 1):
            raise ConfigError("size", self.size, f"must be a power of two in [2, {MAX_SIZE}]")
        check_choice("init", self.init, INITS)
        check_choice("window", self.window, WINDOWS)
        check_int("n_bins", self.n_bins, low=0, high=self.size)
        check_bool("log_compress", self.log_compress)
        check_pcen(self.pcen, log_compress=self.log_compress)

    @property
    def n_outputs(self) -> int:
        """Transform outputs kept (``n_bins``, or ``size // 2 + 1`` when it is 0)."""
        return self.n_bins or self.size // 2 + 1

    @property
    def n_features(self) -> int:
        return self.n_outputs

    @property
    def n_kept_samples(self) -> int:
        """Frame samples that reach the transform: the central ``min(frame_length, size)``."""
        return min(self.frame_length, self.size)


@dataclass(frozen=True)
class ButterflySpace:
    """A learned transform that is a product of log2(size) butterfly factors (FFT cost)."""

    size: tuple[int, ...] = (256, 512)  # transform sizes (powers of two); frames are cropped/padded
    init: tuple[str, ...] = ("dft", "random")  # choices: the exact FFT factors, or random unitary
    window: tuple[str, ...] = ("hann",)  # choices among "hann", "boxcar"
    pcen: tuple[bool, ...] = (False,)  # PCEN instead of the log; asked only when both are listed

    def __post_init__(self) -> None:
        check_unique("size", self.size)
        for index, size in enumerate(self.size):
            if size < 2 or size & (size - 1) or size > 16384:
                raise ConfigError(f"size[{index}]", size, "must be a power of two in [2, 16384]")
        check_choices("init", self.init, ("dft", "random"))
        check_choices("window", self.window, ("hann", "boxcar"))
        check_choices("pcen", self.pcen, (True, False))

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> ButterflyConfig:
        size = trial.suggest_categorical(f"{prefix}size", list(self.size))
        init = trial.suggest_categorical(f"{prefix}init", list(self.init))
        window = trial.suggest_categorical(f"{prefix}window", list(self.window))
        pcen = suggest_pcen(trial, prefix=prefix, choices=self.pcen)
        return ButterflyConfig(
            frame_length=shape.frame_length,
            size=size,
            init=init,
            window=window,
            log_compress=not pcen,
            pcen=pcen,
        )


class ButterflyFrontEnd(FrontEnd):
    """``(B, frame_length) -> (B, n_bins)``: |first n_bins of M (window * crop_or_pad(frame))|.

    The central ``min(frame_length, size)`` samples of the frame are windowed and placed at the
    centre of a ``size``-sample buffer (zeros around them when ``frame_length < size``). ``M`` is
    the learned butterfly product (with the bit-reversal permutation, which is fixed). Twiddles
    are stored as real parameters ``(log2 size, size/2, 2, 2, 2)``, the last axis (real, imag).
    """

    config_class = ButterflyConfig
    space_class = ButterflySpace

    def __init__(self, config: ButterflyConfig, *, generator: torch.Generator | None = None):
        super().__init__(config)
        size, kept = config.size, config.n_kept_samples
        if config.init == "dft":
            twiddles = fft_butterfly_twiddles(size, normalized=True, dtype=torch.complex64)
        else:
            twiddles = random_unitary_twiddles(size, generator=generator, dtype=torch.complex64)
        self.twiddles = nn.Parameter(torch.view_as_real(twiddles).contiguous())  # (L, N/2, 2, 2, 2)
        window = scipy.signal.get_window(config.window, kept, fftbins=True)
        self.register_buffer("window", torch.tensor(window, dtype=torch.float32))  # (kept,)
        self.crop_start = (config.frame_length - kept) // 2  # first frame sample kept
        self.pad_left = (size - kept) // 2  # buffer zeros before the kept samples
        self.register_buffer("bitrev", torch.from_numpy(bit_reversal_permutation(size)))  # (N,) P
        self.pcen = PCEN(config.n_outputs) if config.pcen else None

    def complex_twiddles(self) -> torch.Tensor:
        """The learned twiddles as complex ``(log2 size, size/2, 2, 2)`` (a view, differentiable)."""
        return torch.view_as_complex(self.twiddles)

    def _buffer(self, frames: torch.Tensor) -> torch.Tensor:
        """Windowed, centre-cropped or zero-padded frames, ``(B, frame_length) -> (B, size)``."""
        config = self.config
        kept = frames[:, self.crop_start : self.crop_start + config.n_kept_samples]  # (B, kept)
        right = config.size - config.n_kept_samples - self.pad_left
        return nn.functional.pad(kept * self.window, (self.pad_left, right))  # (B, N)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        buffer = self._buffer(frames)[:, self.bitrev]  # (B, N), bit-reversed order
        spectrum = apply_butterfly(buffer, self.complex_twiddles(), bit_reverse_input=False)  # (B, N)
        magnitude = spectrum[:, : self.config.n_outputs].abs()  # (B, n_bins)
        if self.pcen is not None:
            return self.pcen(magnitude[:, :, None])[:, :, 0]  # one time step
        return torch.log1p(magnitude) if self.config.log_compress else magnitude

    def transform_matrix(self) -> torch.Tensor:
        """The kept rows of the learned transform ``M``, complex ``(n_bins, size)``, detached on CPU.

        Computed by applying the butterfly to the identity (row ``i`` of the result is ``M e_i``).
        """
        twiddles = self.complex_twiddles().detach().cpu()
        eye = torch.eye(self.config.size, dtype=twiddles.dtype)  # (N, N)
        columns = apply_butterfly(eye, twiddles, bit_reverse_input=True)  # (N, N): row i = M e_i
        return columns.T[: self.config.n_outputs].contiguous()  # (n_bins, N)

    def kernels(self) -> torch.Tensor:
        """Effective real kernels over the ``size`` buffer, ``(2 * n_bins, size)``, detached on CPU.

        Rows ``2j`` and ``2j + 1`` are the real and imaginary parts of output ``j``'s row of ``M``
        times the window as placed in the buffer (zero outside the kept samples); at the DFT init,
        ``cos`` and ``-sin`` times the window, scaled by 1/sqrt(size).
        """
        config = self.config
        placed = torch.zeros(config.size)  # (N,)
        placed[self.pad_left : self.pad_left + config.n_kept_samples] = self.window.detach().cpu()
        rows = self.transform_matrix() * placed  # (n_bins, N)
        return torch.stack([rows.real, rows.imag], dim=1).reshape(-1, config.size)  # (2 n_bins, N)

    def macs_per_example(self) -> int:
        """Window multiplies, the butterfly on a real input (kept outputs), 2 per bin for |.|^2.

        Butterfly count: ``butterfly_macs(size, real_input=True, n_outputs=n_bins)``, i.e. 2 real
        MACs per nonzero of the first factor, 4 per nonzero of the others, rows that feed no kept
        output skipped: about ``8 N log2 N`` (1 MAC = 2 FLOPs). With PCEN, its cost per output.
        """
        config = self.config
        transform = butterfly_macs(config.size, real_input=True, n_outputs=config.n_outputs)
        extra = pcen_macs(config.n_outputs, 1) if config.pcen else 0
        return config.n_kept_samples + transform + 2 * config.n_outputs + extra

    def dense_macs_per_example(self) -> int:
        """0: every butterfly factor runs as elementwise products."""
        return 0

    def extra_repr(self) -> str:
        config = self.config
        levels = int(math.log2(config.size))
        return f"size={config.size}, factors={levels}, n_bins={config.n_outputs}, init={config.init!r}"


register_frontend(ButterflyFrontEnd)
