"""SincNet-style front-end (arXiv 1808.00158) as an fftnas plugin: band-pass filters, learned edges."""

from dataclasses import dataclass
from typing import ClassVar

import torch

from fftlearn import ConfigError, FrontEnd


@dataclass(frozen=True)
class SincConfig:
    """M band-pass filters of L taps at every position: ``(B, N) -> (B, M)``, log(1 + max |out|)."""

    kind: ClassVar[str] = "sinc"
    frame_length: int = 640  # N, samples per input frame
    n_features: int = 32  # M band-pass filters, one feature each
    filter_length: int = 251  # L taps, in [2, N]

    def __post_init__(self) -> None:
        for name, low, high in (("n_features", 1, 4096), ("filter_length", 2, self.frame_length)):
            if not low <= getattr(self, name) <= high:
                raise ConfigError(name, getattr(self, name), f"must be in [{low}, {high}]")


@dataclass(frozen=True)
class SincSpace:
    """``[space.sinc]``: choices of each config field (each checked as a trial draws it)."""

    n_features: tuple[int, ...] = (16, 32, 64)
    filter_length: tuple[int, ...] = (63, 127, 251)

    def suggest(self, trial, *, prefix: str, shape) -> SincConfig:
        picked = {name: trial.suggest_categorical(prefix + name, list(v)) for name, v in vars(self).items()}
        return SincConfig(frame_length=shape.frame_length, **picked)


class SincFrontEnd(FrontEnd):
    """Filters 2 f2 sinc(2 f2 n) - 2 f1 sinc(2 f1 n), Hamming-windowed; band edges f1, f2 learned."""

    config_class, space_class = SincConfig, SincSpace

    def __init__(self, config: SincConfig) -> None:
        super().__init__(config)  # band edges f1, f2 (M, 2) in cycles per sample, evenly spread at first
        self.edges = torch.nn.Parameter(torch.linspace(0.01, 0.49, 2 * config.n_features).view(-1, 2))
        self.register_buffer("n", torch.arange(config.filter_length) - (config.filter_length - 1) / 2)  # (L,)
        self.register_buffer("window", torch.hamming_window(config.filter_length, periodic=False))  # (L,)

    def kernels(self, *, detach: bool = True) -> torch.Tensor:  # (M, L); swapped f1, f2 flip the sign
        f1, f2 = self.edges.abs().clamp(max=0.5)[..., None].unbind(1)  # (M, 1) each
        taps = (2 * f2 * torch.sinc(2 * f2 * self.n) - 2 * f1 * torch.sinc(2 * f1 * self.n)) * self.window
        return taps.detach().cpu() if detach else taps

    def forward(self, frames: torch.Tensor) -> torch.Tensor:  # (B, N) -> (B, M, N - L + 1) -> (B, M)
        return torch.log1p(torch.conv1d(frames[:, None], self.kernels(detach=False)[:, None]).abs().amax(-1))

    def macs_per_example(self) -> int:  # M·L taps at N - L + 1 positions, all dense (a convolution)
        return len(self.edges) * len(self.n) * (self.config.frame_length - len(self.n) + 1)

    dense_macs_per_example = macs_per_example
