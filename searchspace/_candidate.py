"""The whole front-end search space, and ``suggest_candidate``: trial -> ``CandidateConfig``.

``suggest_candidate`` is pure in the trial's params, so ``optuna.trial.FixedTrial(trial.params)``
rebuilds a stored trial's config exactly. The first parameter is ``frontend`` (the kind); each
kind's settings are conditional on it and named ``<kind>.<field>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from fftlearn import CandidateConfig, ConfigError, HeadConfig, ModelConfig, OptimizerConfig
from fftlearn.frontends._registry import FRONTEND_KINDS
from fftlearn.model._head import MAX_DEPTH, MAX_WIDTH

from ._kinds import (
    ButterflySpace,
    ConvSpace,
    DSTFTSpace,
    ExpertsSpace,
    FrameShape,
    LogMelSpace,
    MultiplicativeSpace,
    STFTSpace,
    _within,
)
from fftlearn._space import FloatRange, IntRange, check_choices
from fftlearn._space import TrialLike


@dataclass(frozen=True)
class HeadSpace:
    """The classifier head."""

    width: IntRange = IntRange(16, 512, log=True)  # hidden units (asked only when depth > 0)
    depth: IntRange = IntRange(0, 2)  # hidden layers

    def __post_init__(self) -> None:
        _within(self.width, "width", 1, MAX_WIDTH)
        _within(self.depth, "depth", 0, MAX_DEPTH)


@dataclass(frozen=True)
class OptimizerSpace:
    """The optimizer and its learning rate."""

    name: tuple[str, ...] = ("adam",)  # choices among "adam", "sgd"
    lr: FloatRange = FloatRange(1e-4, 1e-2, log=True)  # learning rate

    def __post_init__(self) -> None:
        check_choices("name", self.name, ("adam", "sgd"))
        _within(self.lr, "lr", 1e-12, 1e9)


@dataclass(frozen=True)
class FrontEndSpace:
    """The ``[space]`` table of an experiment file."""

    kind: ClassVar[str] = "frontend_space"
    frontends: tuple[str, ...] = ("multiplicative", "stft")  # which front-end kinds compete
    multiplicative: MultiplicativeSpace = field(default_factory=MultiplicativeSpace)
    conv: ConvSpace = field(default_factory=ConvSpace)
    stft: STFTSpace = field(default_factory=STFTSpace)
    logmel: LogMelSpace = field(default_factory=LogMelSpace)
    dstft: DSTFTSpace = field(default_factory=DSTFTSpace)
    butterfly: ButterflySpace = field(default_factory=ButterflySpace)
    experts: ExpertsSpace = field(default_factory=ExpertsSpace)
    head: HeadSpace = field(default_factory=HeadSpace)
    optimizer: OptimizerSpace = field(default_factory=OptimizerSpace)

    def __post_init__(self) -> None:
        check_choices("frontends", self.frontends, FRONTEND_KINDS)

    def check_frame_length(self, frame_length: int) -> None:
        """Raise unless every searched kind fits frames of ``frame_length`` samples."""
        for kind in self.frontends:
            check = getattr(getattr(self, kind), "check_frame_length", None)
            if check is not None:
                try:
                    check(frame_length)
                except ConfigError as error:
                    raise error.under(kind) from None


def suggest_candidate(
    trial: TrialLike, *, space: FrontEndSpace, frame_length: int, n_classes: int, sample_rate: int = 16000
) -> CandidateConfig:
    """Sample one candidate from ``space`` for frames of ``frame_length`` and ``n_classes``."""
    kind = trial.suggest_categorical("frontend", list(space.frontends))
    shape = FrameShape(frame_length=frame_length, sample_rate=sample_rate)
    frontend = getattr(space, kind).suggest(trial, prefix=f"{kind}.", shape=shape)
    depth = space.head.depth.suggest(trial, "head.depth")
    width = space.head.width.suggest(trial, "head.width") if depth > 0 else space.head.width.low
    optimizer = OptimizerConfig(
        name=trial.suggest_categorical("optimizer.name", list(space.optimizer.name)),
        lr=space.optimizer.lr.suggest(trial, "optimizer.lr"),
    )
    model = ModelConfig(frontend=frontend, head=HeadConfig(width=width, depth=depth), n_classes=n_classes)
    return CandidateConfig(model=model, optimizer=optimizer)
