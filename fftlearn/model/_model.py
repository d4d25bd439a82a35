"""A front-end plus a classifier head, its config, and ``build(config) -> nn.Module``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import torch
from torch import nn

from .._config import OneOf, register_kind
from .._errors import ConfigError
from .._validate import check_float, check_int
from ..frontends._base import FRONTENDS, FrontEnd, build_frontend, frontend_class_for
from ._head import HeadConfig, MLPHead


@register_kind
@dataclass(frozen=True)
class ModelConfig:
    """Everything ``build`` needs to make a classifier; JSON round-trips exactly."""

    kind: ClassVar[str] = "frontend_classifier"
    frontend: Annotated[Any, OneOf(FRONTENDS, "config_class")]  # the front-end, by its `kind`
    head: HeadConfig  # the MLP on the front-end's features
    n_classes: int  # outputs of the head

    def __post_init__(self) -> None:
        frontend_class_for(self.frontend)  # raises unless it is a registered kind's config
        check_int("n_classes", self.n_classes, low=2, high=100_000)


@register_kind
@dataclass(frozen=True)
class OptimizerConfig:
    """How the model's weights are trained."""

    kind: ClassVar[str] = "optimizer"
    name: Literal["adam", "sgd"] = "adam"  # torch.optim.Adam, or SGD with momentum 0.9
    lr: float = 1e-3  # learning rate
    geometry_lr_scale: float = 10.0  # lr multiplier for learned window geometry (FrontEnd.parameter_groups)

    def __post_init__(self) -> None:
        check_float("lr", self.lr, low=0.0, low_open=True, high=1e9)
        check_float("geometry_lr_scale", self.geometry_lr_scale, low=0.0, low_open=True, high=1e6)


@register_kind
@dataclass(frozen=True)
class CandidateConfig:
    """One searched candidate: the architecture and how to train it (a trial's config)."""

    kind: ClassVar[str] = "candidate"
    model: ModelConfig  # what to build
    optimizer: OptimizerConfig  # how to train it


class FrontEndClassifier(nn.Module):
    """``(B, frame_length) -> (B, n_classes)`` logits: front-end then head."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.frontend: FrontEnd = build_frontend(config.frontend)
        self.head = MLPHead(config.head, n_features=self.frontend.n_features, n_classes=config.n_classes)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.head(self.frontend(frames))  # (B, n_classes)

    def auxiliary_loss(self) -> torch.Tensor:
        """Extra training loss of the front-end (the experts' load balancing), else 0."""
        return self.frontend.auxiliary_loss()

    def macs_per_example(self) -> int:
        """Front-end plus head MACs for one frame (1 MAC = 2 FLOPs)."""
        return self.frontend.macs_per_example() + self.head.macs_per_example()

    def n_parameters(self) -> int:
        """Trainable parameters (a fixed STFT has none)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


def build(config: ModelConfig, *, seed: int | None = None) -> FrontEndClassifier:
    """The PyTorch module for ``config``, on the CPU.

    With ``seed`` the initial weights depend on it alone (torch's global RNG is left as it was);
    without, they come from the global RNG.
    """
    if not isinstance(config, ModelConfig):
        raise ConfigError("config", type(config).__name__, "must be a fftlearn.ModelConfig")
    if seed is None:
        return FrontEndClassifier(config)
    check_int("seed", seed, low=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return FrontEndClassifier(config)
