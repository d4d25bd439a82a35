"""The experts' router: what it reads, its MLP, its MACs, and the terms that shape its choices.

It reads either the raw frame (arXiv 2308.10388) or a cheap, level-invariant spectral summary
(``spectral_summary``): music and speech differ in spectral shape and temporal envelope, not in
level, and a 640-dimensional raw frame leaves the router to discover that on its own. Either
input passes a per-frame normalisation and a 3-layer MLP that outputs one logit per expert.
"""

from __future__ import annotations

import torch
from torch import nn

from ._stft import rfft_macs

ROUTER_INPUTS = ("raw", "spectrum")
EPS = 1e-8  # floor of the powers before the log (the frames are peak-scaled audio)


def summary_size(frame_length: int, n_fft: int) -> int:
    """Values in the spectral summary of one frame: ``n_fft // 2 + 1`` log-spectrum bins,
    ``frame_length // n_fft`` sorted segment levels and 1 spectral flux."""
    return n_fft // 2 + 1 + frame_length // n_fft + 1


def spectral_summary(frames: torch.Tensor, *, n_fft: int, window: torch.Tensor) -> torch.Tensor:
    """``(B, N) -> (B, n_fft // 2 + 1 + S + 1)``: a level-invariant summary of each frame.

    The frame is cut into ``S = N // n_fft`` adjacent segments (the rest dropped), each windowed
    and transformed by an ``n_fft``-point real FFT; ``P`` are the powers ``|X|^2``, floored at
    1e-8. The summary is (1) the log of the mean power spectrum over the segments, minus its mean
    over bins (the spectral shape, in nats); (2) the segments' log energies minus their mean,
    sorted (the temporal envelope, independent of where in the frame it happens); (3) the
    spectral flux, the mean absolute change of log power between adjacent segments (0 if S = 1).
    Scaling a frame by any gain leaves (1)-(3) unchanged down to the 1e-8 floor.
    """
    n_segments = frames.shape[-1] // n_fft
    segments = frames[:, : n_segments * n_fft].reshape(frames.shape[0], n_segments, n_fft)  # (B, S, n)
    power = torch.fft.rfft(segments * window).abs().square() + EPS  # (B, S, bins)
    shape = power.mean(1).log()  # (B, bins)
    shape = shape - shape.mean(-1, keepdim=True)
    levels = power.sum(-1).log()  # (B, S)
    levels = (levels - levels.mean(-1, keepdim=True)).sort(-1).values
    log_power = power.log()
    if n_segments > 1:
        flux = (log_power[:, 1:] - log_power[:, :-1]).abs().mean((1, 2))[:, None]  # (B, 1)
    else:
        flux = log_power.new_zeros(frames.shape[0], 1)
    return torch.cat([shape, levels, flux], dim=-1)


def summary_macs(frame_length: int, n_fft: int) -> int:
    """MACs of ``spectral_summary`` for one frame (reductions and differences counted as the
    linear maps they are, 1 MAC per term; 2 per value for each mean removal; log, abs, sort 0)."""
    n_segments, bins = frame_length // n_fft, n_fft // 2 + 1
    transform = n_segments * (n_fft + rfft_macs(n_fft) + 2 * bins)  # window, rfft, |.|^2
    shape = n_segments * bins + 2 * bins  # mean over segments, mean removal
    levels = n_segments * bins + 2 * n_segments  # energy per segment, mean removal
    flux = 2 * (n_segments - 1) * bins  # differences, then their mean
    return transform + shape + levels + flux


class SpectralSummary(nn.Module):
    """``spectral_summary`` as a module (its Hann window a non-persistent buffer)."""

    def __init__(self, n_fft: int) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.register_buffer("window", torch.hann_window(n_fft, periodic=True), persistent=False)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return spectral_summary(frames, n_fft=self.n_fft, window=self.window)


def router_mlp(n_inputs: int, width: int, n_experts: int) -> nn.Sequential:
    """Per-input normalisation (LayerNorm without affine) and a 3-layer MLP, ``(B, n_inputs) ->
    (B, n_experts)`` logits."""
    return nn.Sequential(
        nn.LayerNorm(n_inputs, elementwise_affine=False),
        nn.Linear(n_inputs, width),
        nn.ReLU(),
        nn.Linear(width, width),
        nn.ReLU(),
        nn.Linear(width, n_experts),
    )


def mlp_macs(n_inputs: int, width: int, n_experts: int) -> int:
    """The three layers' products (what the flop counter sees); the normalisation adds 2 per input."""
    return n_inputs * width + width * width + width * n_experts


def information_term(probs: torch.Tensor) -> torch.Tensor:
    """``mean_i H(p_i) - H(mean_i p_i)`` in nats for routing probabilities ``(B, K)``.

    Minimising it makes each frame's routing confident (low per-frame entropy) while the experts
    stay used evenly (high entropy of the mean routing): information maximisation, whose
    negative is the mutual information between frames and experts under the router's softmax.
    Between ``-log K`` and ``log K``.
    """
    per_frame = -(probs * (probs + EPS).log()).sum(-1).mean()
    mean = probs.mean(0)
    return per_frame + (mean * (mean + EPS).log()).sum()
