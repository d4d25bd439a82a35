"""Differentiable STFT front-end: window length, hop and position learned by gradient.

After Leiber et al. (arXiv 2208.10886, 2506.21440): the FFT size ``n_fft`` is fixed, and the
window is a continuous function rescaled inside that support, so the frequency bins never move
while the window length changes. Shapes: ``(batch, frame_length) -> (batch, n_windows * bins)``.

The transform itself, and how position and length enter differentiably: ``_dstft_transform.py``.
With ``pcen`` the magnitudes get learnable PCEN (``_pcen.py``; channels are the bins, time steps
the windows) instead of the log.

Bounds. The learnable values are stored in relative units (length as a fraction of ``n_fft``,
hop and position as fractions of ``frame_length``) so that one learning rate suits every size:
Adam at 1e-3 moves a window in a 512-sample support by about half a sample per step. At the
start of every forward they are projected onto their bounds in place (projected gradient
descent; no gradient is lost to a saturating map): length in ``[MIN_WIN_LENGTH, n_fft]``, hop
in ``[1, frame_length - 1]``, position in ``[0, frame_length - 1]``. Window centres
``position + w * hop`` beyond the last sample are clamped onto it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import torch
from torch import nn

from .._errors import ConfigError
from .._space import (
    FloatRange,
    IntRange,
    TrialLike,
    check_choices,
    check_unique,
    check_within,
)
from .._validate import check_bool, check_choice, check_float, check_int

if TYPE_CHECKING:
    from ..model import OptimizerConfig

from ._base import FrameShape, FrontEnd, check_n_fft, register_frontend
from ._dstft_transform import MIN_WIN_LENGTH, WINDOWS, dstft_windows, windowed_spectra
from ._pcen import PCEN, PCENOption, channels_last_pcen, check_pcen, pcen_macs, suggest_pcen
from ._stft import rfft_macs

_BOOL_FIELDS = (
    "learn_win_length",
    "learn_hop",
    "learn_position",
    "time_varying",
    "normalize_window",
    "log_compress",
)


@dataclass(frozen=True)
class DSTFTConfig(PCENOption):
    """STFT magnitudes of one frame with learnable window length, hop and position."""

    kind: ClassVar[str] = "dstft"
    frame_length: int = 640  # samples per input frame
    n_fft: int = 512  # fixed FFT size in samples (even): the support every window lives in
    n_windows: int = 4  # analysis windows per frame; fixed, so the feature count is too
    win_length: float = 256.0  # initial window length in samples, in [MIN_WIN_LENGTH, n_fft]
    hop: float = 128.0  # initial distance between window centres in samples
    position: float = 128.0  # initial centre of the first window, samples from the frame start
    learn_win_length: bool = True  # train the window length(s) by gradient
    learn_hop: bool = True  # train the hop by gradient
    learn_position: bool = True  # train the first window's centre by gradient
    window: Literal["hann", "hamming", "blackman", "gaussian"] = "hann"  # the window family
    time_varying: bool = False  # one length per analysis window instead of one shared
    normalize_window: bool = False  # divide each window by its sum (level independent of length)
    log_compress: bool = True  # log(1 + |.|) on the magnitudes
    pcen: bool = False  # learnable PCEN on the magnitudes instead (needs log_compress = false)

    def __post_init__(self) -> None:
        check_int("frame_length", self.frame_length, low=8, high=1 << 16)
        check_int("n_fft", self.n_fft, low=4, high=1 << 16)
        if self.n_fft % 2:
            raise ConfigError("n_fft", self.n_fft, "must be an even integer")
        check_int("n_windows", self.n_windows, low=1, high=4096)
        last = self.frame_length - 1
        check_float("win_length", self.win_length, low=MIN_WIN_LENGTH, high=self.n_fft)
        check_float("hop", self.hop, low=1.0, high=last)
        check_float("position", self.position, low=0.0, high=last)
        if self.position + (self.n_windows - 1) * self.hop > last:
            raise ConfigError(
                "hop",
                self.hop,
                f"must keep the last window centre, position + (n_windows - 1) * hop, <= {last}",
            )
        for name in _BOOL_FIELDS:
            check_bool(name, getattr(self, name))
        check_choice("window", self.window, WINDOWS)
        check_pcen(self.pcen, log_compress=self.log_compress)
        for field in fields(self):  # an int given for a float field is stored as that float
            if field.type == "float":
                object.__setattr__(self, field.name, float(getattr(self, field.name)))

    @property
    def n_features(self) -> int:
        """Magnitudes of the ``n_fft // 2 + 1`` real-FFT bins of every window."""
        return self.n_windows * (self.n_fft // 2 + 1)


@dataclass(frozen=True)
class DSTFTSpace:
    """The differentiable STFT: window length, hop and position learn by gradient.

    The ``n_windows`` windows start evenly spread over the frame (centres at
    ``(i + 1/2) * frame_length / n_windows``); their initial length is a fraction of ``n_fft``.
    """

    n_fft: tuple[int, ...] = (256, 512)  # fixed FFT sizes (even), the windows' support
    n_windows: IntRange = IntRange(1, 6)  # analysis windows per frame
    win_length_fraction: FloatRange = FloatRange(0.125, 1.0, log=True)  # initial length / n_fft
    learn_geometry: tuple[bool, ...] = (True,)  # train length, hop and position (else fixed)
    window: tuple[str, ...] = ("hann",)  # choices among hann, hamming, blackman, gaussian
    time_varying: tuple[bool, ...] = (False, True)  # one length per window
    pcen: tuple[bool, ...] = (False,)  # PCEN instead of the log; asked only when both are listed

    def __post_init__(self) -> None:
        check_unique("n_fft", self.n_fft)
        for index, n_fft in enumerate(self.n_fft):
            if n_fft < 8 or n_fft % 2:
                raise ConfigError(f"n_fft[{index}]", n_fft, "must be an even integer >= 8")
        check_within("n_windows", self.n_windows, 1, 64)
        check_within("win_length_fraction", self.win_length_fraction, 1e-3, 1.0)
        check_choices("learn_geometry", self.learn_geometry, (True, False))
        check_choices("window", self.window, ("hann", "hamming", "blackman", "gaussian"))
        check_choices("time_varying", self.time_varying, (True, False))
        check_choices("pcen", self.pcen, (True, False))

    def check_frame_length(self, frame_length: int) -> None:
        check_n_fft(self.n_fft, frame_length)

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> DSTFTConfig:
        n_fft = trial.suggest_categorical(f"{prefix}n_fft", list(self.n_fft))
        n_windows = self.n_windows.suggest(trial, f"{prefix}n_windows")
        fraction = self.win_length_fraction.suggest(trial, f"{prefix}win_length_fraction")
        learn = trial.suggest_categorical(f"{prefix}learn_geometry", list(self.learn_geometry))
        spacing = shape.frame_length / n_windows
        window = trial.suggest_categorical(f"{prefix}window", list(self.window))
        time_varying = trial.suggest_categorical(f"{prefix}time_varying", list(self.time_varying))
        pcen = suggest_pcen(trial, prefix=prefix, choices=self.pcen)
        return DSTFTConfig(
            frame_length=shape.frame_length,
            n_fft=n_fft,
            n_windows=n_windows,
            win_length=max(4.0, fraction * n_fft),
            hop=min(spacing, shape.frame_length - 1.0),
            position=spacing / 2,
            learn_win_length=learn,
            learn_hop=learn,
            learn_position=learn,
            window=window,
            time_varying=time_varying,
            log_compress=not pcen,
            pcen=pcen,
        )


class DSTFTFrontEnd(FrontEnd):
    """``(B, N) -> (B, n_windows * bins)``: log(1 + |DSTFT|) with learnable window geometry."""

    config_class = DSTFTConfig
    space_class = DSTFTSpace

    def __init__(self, config: DSTFTConfig):
        super().__init__(config)
        n_lengths = config.n_windows if config.time_varying else 1
        self._bounds: dict[str, tuple[float, float]] = {
            "raw_win_length": (MIN_WIN_LENGTH / config.n_fft, 1.0),
            "raw_hop": (1.0 / config.frame_length, (config.frame_length - 1) / config.frame_length),
            "raw_position": (0.0, (config.frame_length - 1) / config.frame_length),
        }
        length = torch.full((n_lengths,), config.win_length / config.n_fft)  # (n_lengths,)
        self._add("raw_win_length", length, config.learn_win_length)
        self._add("raw_hop", torch.tensor(config.hop / config.frame_length), config.learn_hop)
        self._add("raw_position", torch.tensor(config.position / config.frame_length), config.learn_position)
        self.register_buffer("slots", torch.arange(config.n_windows, dtype=torch.float32))  # (W,)
        self.pcen = PCEN(config.n_fft // 2 + 1) if config.pcen else None

    def parameter_groups(self, optimizer: OptimizerConfig) -> list[dict[str, Any]]:
        """The window geometry, in units of the FFT or frame size, gets ``lr * geometry_lr_scale``
        so that it moves by samples, not fractions of one; PCEN's parameters get ``lr``."""
        geometry = [getattr(self, name) for name in self._bounds]
        geometry = [p for p in geometry if isinstance(p, nn.Parameter)]
        groups = [{"params": geometry, "lr": optimizer.lr * optimizer.geometry_lr_scale}] if geometry else []
        if self.pcen is not None:
            groups.append({"params": list(self.pcen.parameters()), "lr": optimizer.lr})
        return groups

    def _add(self, name: str, value: torch.Tensor, learn: bool) -> None:
        if learn:
            self.register_parameter(name, nn.Parameter(value))
        else:
            self.register_buffer(name, value)

    def project_(self) -> None:
        """Put the stored values back within their bounds (called by every forward; not while
        torch.export traces the module for ONNX, whose fake tensors cannot take in-place updates
        of ``.data``: ``fftlearn.export`` runs the module once before, so the bounds hold)."""
        if torch.compiler.is_exporting():
            return
        for name, (low, high) in self._bounds.items():
            getattr(self, name).data.clamp_(low, high)

    def lengths_tensor(self) -> torch.Tensor:
        """Window lengths in samples, ``(W,)`` or ``(1,)`` when shared; differentiable."""
        return self.raw_win_length * self.config.n_fft

    def centres_tensor(self) -> torch.Tensor:
        """Window centres in samples from the frame start, ``(W,)``; differentiable."""
        scale = self.config.frame_length
        return (self.raw_position + self.slots * self.raw_hop) * scale  # (W,)

    def spectrogram(self, frames: torch.Tensor) -> torch.Tensor:
        """Complex spectra ``(B, W, bins)`` of ``frames`` ``(B, frame_length)``."""
        self.project_()
        frozen = getattr(self, "_export_constants", None)  # export_mode: torch's windows, held
        starts, windows = (
            (frozen["starts"], frozen["windows"]) if frozen else self._segments(frames.shape[-1])
        )
        return windowed_spectra(frames, starts, windows)

    def _segments(self, length: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Segment starts ``(W,)`` and windows ``(W, n_fft)`` for frames of ``length`` samples
        (centres clamped to the frame): what ``dstft`` computes before its spectra."""
        config = self.config
        centres = self.centres_tensor().clamp(0, length - 1)  # (W,)
        return dstft_windows(
            self.lengths_tensor(),
            centres,
            n_fft=config.n_fft,
            window=config.window,
            normalize=config.normalize_window,
        )

    def export_constants(self) -> dict[str, torch.Tensor]:
        starts, windows = self._segments(self.config.frame_length)
        return {"starts": starts, "windows": windows}

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        magnitude = self.spectrogram(frames).abs()  # (B, W, bins)
        if self.pcen is not None:
            features = channels_last_pcen(self.pcen, magnitude)
        else:
            features = torch.log1p(magnitude) if self.config.log_compress else magnitude
        return features.flatten(1)  # (B, W * bins)

    @property
    def win_lengths(self) -> torch.Tensor:
        """Current window length of every analysis window in samples, ``(W,)``, detached CPU."""
        lengths = self.lengths_tensor().detach().cpu()
        return lengths.expand(self.config.n_windows).clone()

    @property
    def hop(self) -> float:
        """Current distance between window centres in samples."""
        return float(self.raw_hop.detach()) * self.config.frame_length

    @property
    def position(self) -> float:
        """Current centre of the first window in samples from the frame start."""
        return float(self.raw_position.detach()) * self.config.frame_length

    @property
    def centres(self) -> torch.Tensor:
        """Current centre of every window in samples (before clamping to the frame), ``(W,)``."""
        return self.centres_tensor().detach().cpu()

    def windows(self) -> torch.Tensor:
        """Current window values on each segment's ``n_fft`` samples, ``(W, n_fft)``, detached CPU."""
        config = self.config
        with torch.no_grad():
            centres = self.centres_tensor().clamp(0, config.frame_length - 1)
            _, windows = dstft_windows(
                self.lengths_tensor(),
                centres,
                n_fft=config.n_fft,
                window=config.window,
                normalize=config.normalize_window,
            )
        return windows.cpu()

    def kernels(self) -> torch.Tensor:
        """Windowed cosines and sines of every window, ``(W * 2 * bins, n_fft)``, detached CPU.

        Rows ``w * 2 * bins + 2 k`` and ``+ 2 k + 1`` are bin ``k``'s cosine and sine times
        window ``w``, on that window's segment.
        """
        config = self.config
        windows = self.windows().double()  # (W, n_fft)
        n = torch.arange(config.n_fft, dtype=torch.float64)
        k = torch.arange(config.n_fft // 2 + 1, dtype=torch.float64)
        phase = 2 * math.pi * k[:, None] * n[None, :] / config.n_fft  # (bins, n_fft)
        waves = torch.stack([torch.cos(phase), torch.sin(phase)], dim=1).reshape(-1, config.n_fft)
        rows = windows[:, None, :] * waves[None]  # (W, 2 * bins, n_fft)
        return rows.reshape(-1, config.n_fft).float()

    def macs_per_example(self) -> int:
        """Per window: n_fft window multiplies, the real FFT, 2 MACs per bin for |.|^2.

        The window values themselves are computed once per batch, not per example. With PCEN,
        its cost per bin and window (``_pcen.py``).
        """
        config = self.config
        bins = config.n_fft // 2 + 1
        per_window = config.n_fft + rfft_macs(config.n_fft) + 2 * bins
        return config.n_windows * per_window + (pcen_macs(bins, config.n_windows) if config.pcen else 0)


register_frontend(DSTFTFrontEnd)
