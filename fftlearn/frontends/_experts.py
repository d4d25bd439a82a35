"""Content-adaptive experts: K kernel sets and a router that picks ONE set per input.

A 3-layer MLP router reads the same raw frame and outputs a softmax over the K experts; the
top-1 expert's features are used (arXiv 2308.10388's content-adaptive transform). The hard
choice is trained with a straight-through estimator (forward: one-hot; backward: the softmax's
gradient) or a hard Gumbel-softmax, plus the Switch-Transformer load-balancing term
``n_experts * sum_k f_k * P_k`` (f_k: share of inputs routed to k, P_k: mean router probability).
Training evaluates every expert and masks (a dense emulation); ``macs_per_example`` is what
top-1 inference costs: the router plus one expert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

import torch
from torch import nn

from .._errors import ConfigError
from .._space import (
    FloatRange,
    IntRange,
    TrialLike,
    check_choices,
    check_within,
)
from .._validate import check_float, check_int
from ._base import FrameShape, FrontEnd, register_frontend
from ._conv import ConvConfig, ConvFrontEnd, ConvSpace
from ._multiplicative import MultiplicativeConfig, MultiplicativeFrontEnd, MultiplicativeSpace

ESTIMATORS = ("straight_through", "gumbel")
MAX_EXPERTS = 8


@dataclass(frozen=True)
class ExpertsConfig:
    """K kernel sets of one kind, routed top-1 per input."""

    kind: ClassVar[str] = "experts"
    expert: MultiplicativeConfig | ConvConfig = field(default_factory=MultiplicativeConfig)  # each set
    n_experts: int = 4  # K kernel sets, 1 to 8
    router_width: int = 64  # units in each of the router's two hidden layers
    estimator: Literal["straight_through", "gumbel"] = "straight_through"  # gradient of the hard choice
    gumbel_temperature: float = 1.0  # softmax temperature of the Gumbel estimator
    balance_weight: float = 0.01  # weight of the load-balancing term in the training loss

    def __post_init__(self) -> None:
        if not isinstance(self.expert, (MultiplicativeConfig, ConvConfig)):
            raise ConfigError("expert", self.expert, "must be a multiplicative or conv config")
        check_int("n_experts", self.n_experts, low=1, high=MAX_EXPERTS)
        check_int("router_width", self.router_width, low=1, high=4096)
        if self.estimator not in ESTIMATORS:
            raise ConfigError("estimator", self.estimator, f"must be one of {', '.join(ESTIMATORS)}")
        check_float("gumbel_temperature", self.gumbel_temperature, low=0.0, low_open=True, high=100.0)
        check_float("balance_weight", self.balance_weight, low=0.0, high=100.0)

    @property
    def frame_length(self) -> int:
        return self.expert.frame_length

    @property
    def n_features(self) -> int:
        return self.expert.n_features


@dataclass(frozen=True)
class ExpertsSpace:
    """K kernel sets (multiplicative or conv, from their own subspaces) and a top-1 router."""

    n_experts: IntRange = IntRange(1, 8)  # K kernel sets
    expert_kinds: tuple[str, ...] = ("multiplicative",)  # choices among "multiplicative", "conv"
    multiplicative: MultiplicativeSpace = field(
        default_factory=lambda: MultiplicativeSpace(IntRange(8, 512, log=True))
    )
    conv: ConvSpace = field(default_factory=ConvSpace)
    router_width: IntRange = IntRange(16, 128, log=True)  # router hidden units
    estimator: tuple[str, ...] = ("straight_through", "gumbel")  # choices
    balance_weight: FloatRange = FloatRange(1e-3, 1e-1, log=True)  # load-balancing weight

    def __post_init__(self) -> None:
        check_within("n_experts", self.n_experts, 1, 8)
        check_choices("expert_kinds", self.expert_kinds, ("multiplicative", "conv"))
        check_within("router_width", self.router_width, 1, 4096)
        check_choices("estimator", self.estimator, ("straight_through", "gumbel"))
        check_within("balance_weight", self.balance_weight, 0.0, 100.0)

    def check_frame_length(self, frame_length: int) -> None:
        if "conv" in self.expert_kinds:
            try:
                self.conv.check_frame_length(frame_length)
            except ConfigError as error:
                raise error.under("conv") from None

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> ExpertsConfig:
        kind = trial.suggest_categorical(f"{prefix}expert_kind", list(self.expert_kinds))
        subspace = self.multiplicative if kind == "multiplicative" else self.conv
        return ExpertsConfig(
            expert=subspace.suggest(trial, prefix=f"{prefix}{kind}.", shape=shape),
            n_experts=self.n_experts.suggest(trial, f"{prefix}n_experts"),
            router_width=self.router_width.suggest(trial, f"{prefix}router_width"),
            estimator=trial.suggest_categorical(f"{prefix}estimator", list(self.estimator)),
            balance_weight=self.balance_weight.suggest(trial, f"{prefix}balance_weight"),
        )


class ExpertsFrontEnd(FrontEnd):
    """``(B, N) -> (B, F)``: the features of the expert the router picks for each frame."""

    config_class = ExpertsConfig
    space_class = ExpertsSpace

    def __init__(self, config: ExpertsConfig):
        super().__init__(config)
        expert_class = (
            MultiplicativeFrontEnd if isinstance(config.expert, MultiplicativeConfig) else ConvFrontEnd
        )
        self.experts = nn.ModuleList([expert_class(config.expert) for _ in range(config.n_experts)])
        width, length = config.router_width, config.frame_length
        self.router = nn.Sequential(
            nn.LayerNorm(length, elementwise_affine=False),
            nn.Linear(length, width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Linear(width, config.n_experts),
        )
        self._auxiliary = torch.zeros(())

    def routing(self, frames: torch.Tensor) -> torch.Tensor:
        """The expert chosen for each frame, ``(B,)`` int64."""
        with torch.no_grad():
            return self.router(frames).argmax(-1)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        config = self.config
        logits = self.router(frames)  # (B, K)
        probs = logits.softmax(-1)
        hard = nn.functional.one_hot(probs.argmax(-1), config.n_experts).to(probs.dtype)  # (B, K)
        if self.training and config.estimator == "gumbel":
            gate = nn.functional.gumbel_softmax(logits, tau=config.gumbel_temperature, hard=True)
            hard = gate.detach()
        else:
            gate = hard + probs - probs.detach()  # straight-through: value one-hot, gradient softmax
        if self.training:
            share = hard.mean(0)  # (K,) f_k
            self._auxiliary = config.balance_weight * config.n_experts * (share * probs.mean(0)).sum()
            outputs = torch.stack([expert(frames) for expert in self.experts], dim=1)  # (B, K, F)
            return (gate[..., None] * outputs).sum(1)  # (B, F)
        self._auxiliary = torch.zeros((), device=frames.device)
        chosen = hard.argmax(-1)
        features = frames.new_zeros(frames.shape[0], self.n_features)
        for index, expert in enumerate(self.experts):  # top-1 inference: each expert sees its frames
            mask = chosen == index
            if mask.any():
                features[mask] = expert(frames[mask]) * gate[mask, index, None]
        return features

    def auxiliary_loss(self) -> torch.Tensor:
        """The load-balancing term of the last training forward pass (0 in eval mode)."""
        return self._auxiliary

    def filterbanks(self) -> list[FrontEnd]:
        """Each expert's kernel set."""
        return list(self.experts)

    def kernels(self) -> torch.Tensor:
        """All experts' kernels stacked, ``(K * kernels_per_expert, n)``."""
        return torch.cat([expert.kernels() for expert in self.experts])

    def macs_per_example(self) -> int:
        """The router (normalisation + 3 layers) plus ONE expert."""
        config = self.config
        length, width = config.frame_length, config.router_width
        router = 2 * length + length * width + width * width + width * config.n_experts
        return router + self.experts[0].macs_per_example()

    def dense_macs_per_example(self) -> int | None:
        """The router's three layers plus the dense part of the ONE expert a frame goes to."""
        config = self.config
        width = config.router_width
        expert = self.experts[0].dense_macs_per_example()
        router = config.frame_length * width + width * width + width * config.n_experts
        return None if expert is None else router + expert


register_frontend(ExpertsFrontEnd)
