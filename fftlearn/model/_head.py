"""Classifier head: normalisation, ``depth`` hidden ReLU layers of ``width`` units, logits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from .._config import register_kind
from .._validate import check_int

MAX_WIDTH = 8192
MAX_DEPTH = 8


@register_kind
@dataclass(frozen=True)
class HeadConfig:
    """An MLP on the front-end's features."""

    kind: ClassVar[str] = "mlp_head"
    width: int = 128  # units per hidden layer (unused when depth is 0)
    depth: int = 1  # hidden layers; 0 is a linear classifier

    def __post_init__(self) -> None:
        check_int("width", self.width, low=1, high=MAX_WIDTH)
        check_int("depth", self.depth, low=0, high=MAX_DEPTH)


class MLPHead(nn.Module):
    """``(B, F) -> (B, n_classes)``: LayerNorm (no affine), [Linear, ReLU] x depth, Linear."""

    def __init__(self, config: HeadConfig, *, n_features: int, n_classes: int):
        super().__init__()
        self.config = config
        self.n_features = n_features
        self.norm = nn.LayerNorm(n_features, elementwise_affine=False)
        layers: list[nn.Module] = []
        width_in = n_features
        for _ in range(config.depth):
            layers += [nn.Linear(width_in, config.width), nn.ReLU()]
            width_in = config.width
        layers.append(nn.Linear(width_in, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers(self.norm(features))  # (B, n_classes)

    def macs_per_example(self) -> int:
        """Weights of every Linear layer, plus 2 per feature for the normalisation."""
        linear = sum(m.in_features * m.out_features for m in self.layers if isinstance(m, nn.Linear))
        return linear + 2 * self.n_features
