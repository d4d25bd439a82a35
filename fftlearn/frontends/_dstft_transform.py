"""The differentiable STFT itself (Leiber et al., arXiv 2208.10886): windows of real-valued
length and centre inside a fixed FFT size. The front-end kind that learns them is ``_dstft.py``.

How position and length enter differentiably. Window ``w`` has a real-valued centre ``c_w`` and
length ``L_w`` (samples). Its segment is the ``n_fft`` samples of the frame starting at
``floor(c_w) - n_fft / 2`` (the frame is zero-padded at both edges), and its window is evaluated
on the absolute sample grid: ``g(n) = f((n - c_w) / L_w)`` with ``f`` a window family on
``[-1/2, 1/2]`` and zero outside. The integer start carries no gradient; the fractional part of
the centre and the length reach the output through the window values. At ``L_w = n_fft`` and an
integer centre ``g`` is the periodic (``fftbins=True``) window of scipy, so the front-end is then
a plain STFT. Moving a centre across an integer shifts the segment by one sample, which changes
only the phase of the spectrum while the window fits in ``n_fft - 2`` samples, so magnitudes are
continuous in the centre. Hann and Blackman fall to 0 at their edges, so the loss is smooth
in length and centre; Hamming (0.08) and the Gaussian (0.011) step at the edges, and the
gradient does not see a sample crossing an edge.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

WINDOWS = ("hann", "hamming", "blackman", "gaussian")
MIN_WIN_LENGTH = 4.0  # samples: the shortest window a length may shrink to
GAUSSIAN_STDS = 3.0  # the Gaussian window spans +-3 standard deviations of its length
_COSINE_TERMS = {  # a0 + a1 cos(2 pi u) + a2 cos(4 pi u), u in [-1/2, 1/2]
    "hann": (0.5, 0.5, 0.0),
    "hamming": (0.54, 0.46, 0.0),
    "blackman": (0.42, 0.5, 0.08),
}


def window_function(u: torch.Tensor, family: str) -> torch.Tensor:
    """Window ``family`` at relative offsets ``u = (n - centre) / length``; 0 where |u| > 1/2.

    Cosine families are the periodic scipy windows; ``gaussian`` has standard deviation
    ``length / 6``. Same shape as ``u``.
    """
    if family == "gaussian":
        values = torch.exp(-0.5 * (2 * GAUSSIAN_STDS * u).square())
    else:
        a0, a1, a2 = _COSINE_TERMS[family]
        values = a0 + a1 * torch.cos(2 * math.pi * u) + a2 * torch.cos(4 * math.pi * u)
    return torch.where(u.abs() <= 0.5, values, torch.zeros_like(values))


def dstft_windows(
    win_lengths: torch.Tensor,
    centres: torch.Tensor,
    *,
    n_fft: int,
    window: str = "hann",
    normalize: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Integer segment starts ``(W,)`` and window values ``(W, n_fft)`` for real centres/lengths.

    ``win_lengths`` is ``(W,)`` or ``(1,)`` in samples; ``centres`` is ``(W,)`` in samples from
    the frame start. Segment ``w`` covers frame samples ``starts[w] + 0 .. n_fft - 1``.
    """
    starts = torch.floor(centres.detach()).long() - n_fft // 2  # (W,)
    grid = starts[:, None] + torch.arange(n_fft, device=centres.device)  # (W, n_fft)
    u = (grid.to(centres.dtype) - centres[:, None]) / win_lengths[:, None]  # (W, n_fft)
    windows = window_function(u, window)  # (W, n_fft)
    if normalize:
        windows = windows / windows.sum(-1, keepdim=True)
    return starts, windows


def dstft(
    frames: torch.Tensor,
    win_lengths: torch.Tensor,
    centres: torch.Tensor,
    *,
    n_fft: int,
    window: str = "hann",
    normalize: bool = False,
) -> torch.Tensor:
    """Complex spectra ``(B, W, n_fft // 2 + 1)`` of ``frames`` ``(B, N)``, differentiable.

    ``centres`` ``(W,)`` are clamped to ``[0, N - 1]`` samples; ``win_lengths`` ``(W,)`` or
    ``(1,)`` should lie in ``(0, n_fft]`` (longer windows are cut to the support).
    """
    centres = centres.clamp(0, frames.shape[-1] - 1)  # (W,)
    starts, windows = dstft_windows(win_lengths, centres, n_fft=n_fft, window=window, normalize=normalize)
    return windowed_spectra(frames, starts, windows)


def windowed_spectra(frames: torch.Tensor, starts: torch.Tensor, windows: torch.Tensor) -> torch.Tensor:
    """Complex spectra ``(B, W, n_fft // 2 + 1)`` of the segments of ``frames`` ``(B, N)`` that
    begin at ``starts`` ``(W,)`` (zero outside the frame), times ``windows`` ``(W, n_fft)``."""
    n_fft = windows.shape[-1]
    left = n_fft // 2
    padded = F.pad(frames, (left, left))  # (B, N + n_fft)
    index = starts[:, None] + left + torch.arange(n_fft, device=frames.device)  # (W, n_fft)
    segments = padded[:, index]  # (B, W, n_fft)
    return torch.fft.rfft(segments * windows, dim=-1)  # (B, W, bins)
