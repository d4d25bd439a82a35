"""Spectrogram concentration measures: differentiable losses for a window's geometry.

A well-chosen window concentrates a signal's energy in few time-frequency bins: its normalised
spectrogram has low entropy and its magnitudes a heavy-tailed (high-kurtosis) distribution.
Both are losses to minimise (entropy) or maximise (kurtosis) with respect to the window length,
hop or position of a differentiable STFT (Leiber et al., arXiv 2208.10886).
"""

from __future__ import annotations

import torch

TF_DIMS = (-2, -1)  # the time and frequency axes of a (B, W, bins) spectrogram


def spectrogram_entropy(
    power: torch.Tensor, *, dims: tuple[int, ...] = TF_DIMS, eps: float = 1e-12
) -> torch.Tensor:
    """Shannon entropy in nats of ``power`` normalised to sum 1 over ``dims``.

    ``power`` is a non-negative spectrogram such as ``|S|^2`` of shape ``(B, W, bins)``; the
    result has the remaining shape, ``(B,)``. It lies in ``[0, log(number of bins in dims)]``:
    0 when all energy is in one bin, the maximum when it is spread evenly. ``eps`` keeps the
    logarithm and its gradient finite at empty bins.
    """
    total = power.sum(dims, keepdim=True).clamp_min(eps)
    p = power / total  # same shape as power, sums to 1 over dims
    return -(p * torch.log(p + eps)).sum(dims)


def spectrogram_kurtosis(values: torch.Tensor, *, dims: tuple[int, ...] = TF_DIMS) -> torch.Tensor:
    """Kurtosis ``E[(x - mean)^4] / Var(x)^2`` of the entries of ``values`` over ``dims``.

    ``values`` is typically a magnitude spectrogram ``|S|`` ``(B, W, bins)``; the result is
    ``(B,)``. 3 for Gaussian-distributed entries; larger for a sparse, concentrated spectrogram,
    so ``-kurtosis`` is a loss.
    """
    centred = values - values.mean(dims, keepdim=True)
    variance = centred.square().mean(dims)
    return centred.pow(4).mean(dims) / variance.square().clamp_min(torch.finfo(values.dtype).tiny)
