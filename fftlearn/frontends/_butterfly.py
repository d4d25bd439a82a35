"""Butterfly front-end: a learned transform at FFT cost (one learned factor per radix).

The kernel matrix is a product of sparse factors with learned complex blocks: for a power-of-two
``size`` (the default radices all 2) log2(size) butterfly factors of 2x2 blocks (``_butterfly``);
for any other composite ``size`` (e.g. the 640-sample frame itself, ``radices`` default
``(2, 2, 2, 2, 2, 2, 2, 5)``) one mixed-radix stage of ``r x r`` blocks per radix ``r``
(``_mixed``). O(size · sum(radices)) MACs instead of the dense front-end's size x kernels.
Initialised at the unitary DFT it computes ``|rfft(window * frame)| / sqrt(size)``; from there
(or from a random unitary product) every twiddle is trained by gradient. With ``pcen`` the
magnitudes get learnable PCEN (``_pcen.py``: channels are the outputs, one time step, so its
smoother is the magnitude itself) instead of the log.
Shapes: ``(batch, frame_length) -> (batch, n_bins)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

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
from ..butterfly._mixed import apply_radix_stages, dft_radix_stages, radix_macs, random_unitary_stages
from ..butterfly._radix import (
    MAX_RADIX_N,
    check_radices,
    default_radices,
    digit_reversal_permutation,
    prime_factors,
)
from ..butterfly._real import apply_radix_stages_real
from ._base import FrameShape, FrontEnd, register_frontend
from ._pcen import PCEN, PCENOption, check_pcen, pcen_macs, suggest_pcen

MAX_SIZE = 1 << 14
WINDOWS = ("hann", "boxcar")
INITS = ("dft", "random")


def check_size(field: str, value: object) -> int:
    """``value`` as a transform size: a power of two in [2, MAX_SIZE] or a composite number in
    [4, MAX_RADIX_N] (a prime has no fast factorization); ``ConfigError`` naming ``field`` if not."""
    size = check_int(field, value, low=2, high=MAX_SIZE)
    if size & (size - 1) and (size > MAX_RADIX_N or len(prime_factors(size)) == 1):
        allowed = f"must be a power of two in [2, {MAX_SIZE}] or a composite number in [4, {MAX_RADIX_N}]"
        raise ConfigError(field, size, allowed)
    return size


@dataclass(frozen=True)
class ButterflyConfig(PCENOption):
    """A learned product of sparse factors (one per radix) applied to the (windowed) frame."""

    kind: ClassVar[str] = "butterfly"
    frame_length: int = 640  # samples per input frame (640 = 40 ms at 16 kHz)
    size: int = 512  # transform length N, power of two or composite (640); frame cropped/zero-padded to it
    radices: tuple[int, ...] | None = None  # radix order, product = size; None: default_radices(size)
    init: Literal["dft", "random"] = "dft"  # unitary DFT factors, or Haar-random unitary blocks
    window: Literal["hann", "boxcar"] = "hann"  # periodic window over the kept samples
    n_bins: int = 0  # outputs kept, the first n_bins of the transform; 0 = size // 2 + 1 (DFT bins 0..N/2)
    log_compress: bool = True  # log(1 + |.|) on the magnitudes
    pcen: bool = False  # learnable PCEN on the magnitudes instead (needs log_compress = false)

    def __post_init__(self) -> None:
        check_int("frame_length", self.frame_length, low=8, high=1 << 16)
        check_size("size", self.size)
        if self.radices is not None:
            check_radices(self.radices, self.size)
        check_choice("init", self.init, INITS)
        check_choice("window", self.window, WINDOWS)
        check_int("n_bins", self.n_bins, low=0, high=self.size)
        check_bool("log_compress", self.log_compress)
        check_pcen(self.pcen, log_compress=self.log_compress)

    def to_plain(self) -> dict[str, Any]:
        """``PCENOption``'s plain form, without ``radices`` while it is None (stored configs
        from before the field stay byte-identical)."""
        plain = super().to_plain()
        if self.radices is None:
            del plain["radices"]
        return plain

    @property
    def resolved_radices(self) -> tuple[int, ...]:
        """The radix order used: ``radices``, or the prime factors of ``size`` ascending."""
        if self.radices is not None:
            return tuple(self.radices)
        return default_radices(self.size) if self.size <= MAX_RADIX_N else (2,) * (self.size.bit_length() - 1)

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
    """A learned transform that is a product of butterfly factors, one per radix (FFT cost)."""

    size: tuple[int, ...] = (256, 512)  # transform sizes (powers of two or composite, e.g. 640)
    init: tuple[str, ...] = ("dft", "random")  # choices: the exact FFT factors, or random unitary
    window: tuple[str, ...] = ("hann",)  # choices among "hann", "boxcar"
    pcen: tuple[bool, ...] = (False,)  # PCEN instead of the log; asked only when both are listed

    def __post_init__(self) -> None:
        check_unique("size", self.size)
        for index, size in enumerate(self.size):
            check_size(f"size[{index}]", size)
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
    centre of a ``size``-sample buffer (zeros around them when ``frame_length < size``; neither
    crop nor padding when ``size == frame_length``). ``M`` is the learned product (with the
    fixed bit- or digit-reversal input permutation). Radices all 2: twiddles stored as real
    parameters ``twiddles`` ``(log2 size, size/2, 2, 2, 2)``, the last axis (real, imag);
    otherwise ``stages``, one real ``(a, d, r, r, 2)`` per radix (``_mixed``'s compact layout).
    """

    config_class = ButterflyConfig
    space_class = ButterflySpace

    def __init__(self, config: ButterflyConfig, *, generator: torch.Generator | None = None):
        super().__init__(config)
        size, kept = config.size, config.n_kept_samples
        radices = config.resolved_radices
        self.radix2 = set(radices) == {2}  # the power-of-two butterfly path (its exact numbers)
        if self.radix2:
            if config.init == "dft":
                twiddles = fft_butterfly_twiddles(size, normalized=True, dtype=torch.complex64)
            else:
                twiddles = random_unitary_twiddles(size, generator=generator, dtype=torch.complex64)
            self.twiddles = nn.Parameter(torch.view_as_real(twiddles).contiguous())  # (L, N/2, 2, 2, 2)
            order = bit_reversal_permutation(size)
        else:
            if config.init == "dft":
                stages = dft_radix_stages(radices, normalized=True, dtype=torch.complex64)
            else:
                stages = random_unitary_stages(radices, generator=generator, dtype=torch.complex64)
            self.stages = nn.ParameterList(
                [nn.Parameter(torch.view_as_real(stage).contiguous()) for stage in stages]  # (a, d, r, r, 2)
            )
            order = digit_reversal_permutation(radices)
        window = scipy.signal.get_window(config.window, kept, fftbins=True)
        self.register_buffer("window", torch.tensor(window, dtype=torch.float32))  # (kept,)
        self.crop_start = (config.frame_length - kept) // 2  # first frame sample kept
        self.pad_left = (size - kept) // 2  # buffer zeros before the kept samples
        self.register_buffer("bitrev", torch.from_numpy(order))  # (N,) input order: bit or digit reversal
        self.pcen = PCEN(config.n_outputs) if config.pcen else None
        self._real_arithmetic = False  # export_mode: the same maths on real tensors (ONNX has no complex)

    def complex_twiddles(self) -> torch.Tensor:
        """The learned twiddles as complex ``(log2 size, size/2, 2, 2)`` (a view, differentiable);
        radices all 2 only (see ``complex_stages``)."""
        return torch.view_as_complex(self.twiddles)

    def complex_stages(self) -> list[torch.Tensor]:
        """The learned stages as complex ``(a, d, r, r)`` tensors (views, differentiable); for
        radices all 2, the twiddles reshaped to that layout."""
        if self.radix2:
            twiddles = self.complex_twiddles()  # (L, N/2, 2, 2)
            half = twiddles.shape[1]
            return [twiddles[k].reshape(half >> k, 1 << k, 2, 2) for k in range(twiddles.shape[0])]
        return [torch.view_as_complex(stage) for stage in self.stages]

    def _transform(self, buffer: torch.Tensor, *, permute: bool) -> torch.Tensor:
        """``M`` (or ``M`` without its input permutation) applied to rows: ``(B, N) -> (B, N)``."""
        if self.radix2:
            return apply_butterfly(buffer, self.complex_twiddles(), bit_reverse_input=permute)
        return apply_radix_stages(buffer, self.complex_stages(), digit_reverse_input=permute)

    def _buffer(self, frames: torch.Tensor) -> torch.Tensor:
        """Windowed, centre-cropped or zero-padded frames, ``(B, frame_length) -> (B, size)``."""
        config = self.config
        kept = frames[:, self.crop_start : self.crop_start + config.n_kept_samples]  # (B, kept)
        right = config.size - config.n_kept_samples - self.pad_left
        return nn.functional.pad(kept * self.window, (self.pad_left, right))  # (B, N)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        buffer = self._buffer(frames)[:, self.bitrev]  # (B, N), bit- or digit-reversed order
        kept = self.config.n_outputs
        if self._real_arithmetic:
            real, imag = apply_radix_stages_real(
                buffer, torch.zeros_like(buffer), self._real_stages(), radices=self.config.resolved_radices
            )  # 2 x (B, N)
            magnitude = torch.sqrt(real[:, :kept] ** 2 + imag[:, :kept] ** 2)  # (B, n_bins)
        else:
            magnitude = self._transform(buffer, permute=False)[:, :kept].abs()  # (B, n_bins)
        if self.pcen is not None:
            return self.pcen(magnitude[:, :, None])[:, :, 0]  # one time step
        return torch.log1p(magnitude) if self.config.log_compress else magnitude

    def _real_stages(self) -> list[torch.Tensor]:
        """The learned stages as their real views ``(a, d, r, r, 2)`` (``complex_stages``' layout)."""
        if self.radix2:
            levels, half = self.twiddles.shape[:2]
            return [self.twiddles[k].reshape(half >> k, 1 << k, 2, 2, 2) for k in range(levels)]
        return list(self.stages)

    @contextlib.contextmanager
    def export_mode(self) -> Iterator[None]:
        """``forward`` on real tensors (``apply_radix_stages_real``): ONNX has no complex type."""
        self._real_arithmetic = True
        try:
            yield
        finally:
            self._real_arithmetic = False

    def transform_matrix(self) -> torch.Tensor:
        """The kept rows of the learned transform ``M``, complex ``(n_bins, size)``, detached on CPU.

        Computed by applying the transform to the identity (row ``i`` of the result is ``M e_i``).
        """
        with torch.no_grad():
            eye = torch.eye(self.config.size, device=self.bitrev.device)  # (N, N)
            columns = self._transform(eye, permute=True).cpu()  # (N, N): row i = M e_i
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
        output skipped: about ``8 N log2 N`` (1 MAC = 2 FLOPs); mixed radices: ``radix_macs``
        by the same rule, about ``4 N sum(radices)``. With PCEN, its cost per output.
        """
        config = self.config
        if self.radix2:
            transform = butterfly_macs(config.size, real_input=True, n_outputs=config.n_outputs)
        else:
            transform = radix_macs(config.resolved_radices, real_input=True, n_outputs=config.n_outputs)
        extra = pcen_macs(config.n_outputs, 1) if config.pcen else 0
        return config.n_kept_samples + transform + 2 * config.n_outputs + extra

    def dense_macs_per_example(self) -> int:
        """0: every butterfly factor runs as elementwise products."""
        return 0

    def extra_repr(self) -> str:
        config = self.config
        radices = ",".join(str(r) for r in config.resolved_radices)
        return (
            f"size={config.size}, factors={len(config.resolved_radices)}, radices=({radices}), "
            f"n_bins={config.n_outputs}, init={config.init!r}"
        )


register_frontend(ButterflyFrontEnd)
