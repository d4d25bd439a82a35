"""Content-adaptive experts: K kernel sets and a router that picks ONE set per input.

A 3-layer MLP router reads the raw frame (arXiv 2308.10388's content-adaptive transform) or a
cheap level-invariant spectral summary of it (``router_input``, see ``_router``) and outputs a
softmax over the K experts; the top-1 expert's features are used. The hard choice is trained
with a straight-through estimator (forward: one-hot; backward: the softmax's gradient) or a hard
Gumbel-softmax, plus the Switch-Transformer load-balancing term ``n_experts * sum_k f_k * P_k``
(f_k: share of inputs routed to k, P_k: mean router probability) and, when ``entropy_weight`` >
0, an information-maximisation term (confident per frame, balanced over frames). The router
never sees the class: only the task loss, through the gate, tells it which split helps.

Experts may differ in size (``size_ratio``: expert k keeps ``ratio**k`` of the kernels); the
smaller ones' features are zero-padded to the largest's, so the head sees which set ran. Training
evaluates every expert and masks (a dense emulation); ``macs_per_example`` is the worst case of
top-1 inference (the router plus the largest expert), ``expected_macs_per_example(frames)`` the
mean under the routing of those frames.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import torch
from torch import nn

from .._errors import ConfigError
from .._space import (
    FloatRange,
    IntRange,
    TrialLike,
    check_choices,
    check_fractions,
    check_unique,
    check_within,
)
from .._validate import check_float, check_int, check_int_list
from ._base import FrameShape, FrontEnd, register_frontend
from ._conv import ConvConfig, ConvFrontEnd, ConvSpace
from ._multiplicative import MultiplicativeConfig, MultiplicativeFrontEnd, MultiplicativeSpace
from ._router import (
    ROUTER_INPUTS,
    SpectralSummary,
    information_term,
    mlp_macs,
    router_mlp,
    summary_macs,
    summary_size,
)

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
    router_input: Literal["raw", "spectrum"] = "raw"  # the raw frame, or a spectral summary of it
    router_fft: int = 64  # samples per segment (and FFT length) of the spectral summary
    size_ratio: float = 1.0  # expert k keeps round(size_ratio**k * its kernels); 1: equal sets
    entropy_weight: float = 0.0  # weight of the information-maximisation term (nats) in the loss

    def __post_init__(self) -> None:
        if not isinstance(self.expert, (MultiplicativeConfig, ConvConfig)):
            raise ConfigError("expert", self.expert, "must be a multiplicative or conv config")
        check_int("n_experts", self.n_experts, low=1, high=MAX_EXPERTS)
        check_int("router_width", self.router_width, low=1, high=4096)
        if self.estimator not in ESTIMATORS:
            raise ConfigError("estimator", self.estimator, f"must be one of {', '.join(ESTIMATORS)}")
        check_float("gumbel_temperature", self.gumbel_temperature, low=0.0, low_open=True, high=100.0)
        check_float("balance_weight", self.balance_weight, low=0.0, high=100.0)
        if self.router_input not in ROUTER_INPUTS:
            raise ConfigError("router_input", self.router_input, f"must be one of {', '.join(ROUTER_INPUTS)}")
        spectrum = self.router_input == "spectrum"  # frames shorter than 64 keep the unused default
        check_int("router_fft", self.router_fft, low=4, high=self.frame_length if spectrum else 1 << 16)
        check_float("size_ratio", self.size_ratio, low=0.0, low_open=True, high=1.0)
        check_float("entropy_weight", self.entropy_weight, low=0.0, high=100.0)

    @property
    def frame_length(self) -> int:
        return self.expert.frame_length

    @property
    def n_features(self) -> int:
        return self.expert.n_features

    def expert_config(self, index: int) -> MultiplicativeConfig | ConvConfig:
        """The config of expert ``index``: ``expert`` with ``round(size_ratio**index * count)``
        of its ``count`` kernels (filters), at least 1 (at least 2, and even, when paired)."""
        name = "n_kernels" if isinstance(self.expert, MultiplicativeConfig) else "n_filters"
        scaled = getattr(self.expert, name) * self.size_ratio**index
        size = 2 * max(1, round(scaled / 2)) if self.expert.pair_magnitude else max(1, round(scaled))
        return dataclasses.replace(self.expert, **{name: size})


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
    # Searched only when offering more than one choice (a single one is used as it is):
    router_input: tuple[str, ...] = ("raw",)  # choices among "raw", "spectrum"
    router_fft: tuple[int, ...] = (64,)  # choices of the spectral summary's segment length (samples)
    size_ratio: tuple[float, ...] = (1.0,)  # choices in (0, 1] of the size ratio of expert k+1 to k
    entropy_weight: tuple[float, ...] = (0.0,)  # choices of the information-maximisation weight

    def __post_init__(self) -> None:
        check_within("n_experts", self.n_experts, 1, 8)
        check_choices("expert_kinds", self.expert_kinds, ("multiplicative", "conv"))
        check_within("router_width", self.router_width, 1, 4096)
        check_choices("estimator", self.estimator, ("straight_through", "gumbel"))
        check_within("balance_weight", self.balance_weight, 0.0, 100.0)
        check_choices("router_input", self.router_input, ROUTER_INPUTS)
        check_int_list("router_fft", self.router_fft, low=4, high=1 << 16)
        check_fractions("size_ratio", self.size_ratio)
        check_unique("entropy_weight", self.entropy_weight)
        for index, weight in enumerate(self.entropy_weight):
            check_float(f"entropy_weight[{index}]", weight, low=0.0, high=100.0)

    def check_frame_length(self, frame_length: int) -> None:
        if "spectrum" in self.router_input:
            for index, n_fft in enumerate(self.router_fft):
                if n_fft > frame_length:
                    raise ConfigError(
                        f"router_fft[{index}]", n_fft, f"must be <= the frame length {frame_length}"
                    )
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
            **self._suggest_routing(trial, prefix=prefix),
        )

    def _suggest_routing(self, trial: TrialLike, *, prefix: str) -> dict[str, Any]:
        """The router input, summary FFT length, size ratio and information weight; a choice
        list of one value is used without asking the trial (stored trials have no such param)."""
        router_input = _pick(trial, f"{prefix}router_input", self.router_input)
        picked = {
            "router_input": router_input,
            "size_ratio": _pick(trial, f"{prefix}size_ratio", self.size_ratio),
            "entropy_weight": _pick(trial, f"{prefix}entropy_weight", self.entropy_weight),
        }
        if router_input == "spectrum":
            picked["router_fft"] = _pick(trial, f"{prefix}router_fft", self.router_fft)
        return picked


def _pick(trial: TrialLike, name: str, choices: Sequence[Any]) -> Any:
    """The only choice, or the trial's pick among several."""
    return choices[0] if len(choices) == 1 else trial.suggest_categorical(name, list(choices))


class ExpertsFrontEnd(FrontEnd):
    """``(B, N) -> (B, F)``: the features of the expert the router picks for each frame."""

    config_class = ExpertsConfig
    space_class = ExpertsSpace
    export_note = (
        "experts: the file runs every expert on every frame and keeps the one the router picks "
        "(the same features as top-1 routing, at up to n_experts times its expert MACs)"
    )

    def __init__(self, config: ExpertsConfig):
        super().__init__(config)
        expert_class = (
            MultiplicativeFrontEnd if isinstance(config.expert, MultiplicativeConfig) else ConvFrontEnd
        )
        self.experts = nn.ModuleList(
            [expert_class(config.expert_config(index)) for index in range(config.n_experts)]
        )
        spectrum = config.router_input == "spectrum"
        self.summary = SpectralSummary(config.router_fft) if spectrum else nn.Identity()
        self.router = router_mlp(self._router_inputs(), config.router_width, config.n_experts)
        self._auxiliary = torch.zeros(())
        self._dense_routing = False  # export_mode: every expert on every frame, the picked one kept

    def _router_inputs(self) -> int:
        """Values the router's MLP reads per frame: the frame, or its spectral summary."""
        config = self.config
        if config.router_input == "spectrum":
            return summary_size(config.frame_length, config.router_fft)
        return config.frame_length

    def router_logits(self, frames: torch.Tensor) -> torch.Tensor:
        """The router's logits, ``(B, N) -> (B, K)``."""
        return self.router(self.summary(frames))

    def routing(self, frames: torch.Tensor) -> torch.Tensor:
        """The expert chosen for each frame, ``(B,)`` int64."""
        with torch.no_grad():
            return self.router_logits(frames).argmax(-1)

    def _expert_features(self, index: int, frames: torch.Tensor) -> torch.Tensor:
        """Expert ``index``'s features, zero-padded to ``n_features`` (the largest expert's)."""
        features = self.experts[index](frames)  # (B, F_index)
        return nn.functional.pad(features, (0, self.n_features - features.shape[-1]))  # (B, F)

    def _every_expert(self, frames: torch.Tensor) -> torch.Tensor:
        """Every expert's features on every frame, ``(B, N) -> (B, K, F)``."""
        return torch.stack([self._expert_features(k, frames) for k in range(self.config.n_experts)], dim=1)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        config = self.config
        logits = self.router_logits(frames)  # (B, K)
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
            if config.entropy_weight:
                self._auxiliary = self._auxiliary + config.entropy_weight * information_term(probs)
            return (gate[..., None] * self._every_expert(frames)).sum(1)  # (B, F)
        self._auxiliary = torch.zeros((), device=frames.device)
        if self._dense_routing:  # the same features without data-dependent control flow
            return ((hard * gate)[..., None] * self._every_expert(frames)).sum(1)  # (B, F): the picked one
        chosen = hard.argmax(-1)
        features = frames.new_zeros(frames.shape[0], self.n_features)
        for index in range(config.n_experts):  # top-1 inference: each expert sees its frames
            mask = chosen == index
            if mask.any():
                features[mask] = self._expert_features(index, frames[mask]) * gate[mask, index, None]
        return features

    @contextlib.contextmanager
    def export_mode(self) -> Iterator[None]:
        """Every expert runs on every frame and the router's one-hot choice keeps one: the same
        features as top-1 routing (whose boolean masks a trace would freeze), at up to
        ``n_experts`` times its MACs in the exported file."""
        self._dense_routing = True
        try:
            yield
        finally:
            self._dense_routing = False

    def auxiliary_loss(self) -> torch.Tensor:
        """The load-balancing (and information) term of the last training forward pass (0 in eval)."""
        return self._auxiliary

    def filterbanks(self) -> list[FrontEnd]:
        """Each expert's kernel set."""
        return list(self.experts)

    def kernels(self) -> torch.Tensor:
        """All experts' kernels stacked, ``(sum_k kernels of expert k, n)``."""
        return torch.cat([expert.kernels() for expert in self.experts])

    def router_macs(self) -> int:
        """MACs of routing one frame: the spectral summary if any, normalisation, 3 layers."""
        config, n_inputs = self.config, self._router_inputs()
        summary = (
            summary_macs(config.frame_length, config.router_fft) if config.router_input == "spectrum" else 0
        )
        return summary + 2 * n_inputs + mlp_macs(n_inputs, config.router_width, config.n_experts)

    def expert_macs(self) -> list[int]:
        """MACs per frame of each expert, ``[M_0, ..., M_{K-1}]``."""
        return [expert.macs_per_example() for expert in self.experts]

    def macs_per_example(self) -> int:
        """The worst case of top-1 inference: the router plus the largest expert."""
        return self.router_macs() + max(self.expert_macs())

    def expected_macs_per_example(self, frames: torch.Tensor) -> float:
        """The router plus ``sum_k share_k * M_k``, with ``share_k`` the share of ``frames``
        ``(B, N)`` routed to expert k (exactly ``macs_per_example()`` when the experts are equal)."""
        if frames.shape[0] == 0:
            raise ConfigError("frames", tuple(frames.shape), "must hold at least one frame")
        counts = torch.bincount(self.routing(frames), minlength=self.config.n_experts).tolist()
        routed = sum(count * macs for count, macs in zip(counts, self.expert_macs(), strict=True))
        return (self.router_macs() * frames.shape[0] + routed) / frames.shape[0]

    def dense_macs_per_example(self) -> int | None:
        """The router's three layers plus the dense part of the ONE expert a frame goes to (None
        when the experts differ in size: the count then depends on the routing)."""
        config = self.config
        dense = {expert.dense_macs_per_example() for expert in self.experts}
        if len(dense) != 1 or None in dense:
            return None
        return mlp_macs(self._router_inputs(), config.router_width, config.n_experts) + dense.pop()


register_frontend(ExpertsFrontEnd)
