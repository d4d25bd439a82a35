"""The front-end search space: which front-end, its settings, the head and the optimizer.

``suggest_candidate(trial, space=..., frame_length=..., n_classes=...)`` is pure: the same
params give the same ``CandidateConfig``, so ``optuna.trial.FixedTrial(trial.params)`` rebuilds a
stored trial's config exactly. Parameter names are dotted (``multiplicative.n_kernels``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from fftlearn import (
    FRONTEND_KINDS,
    CandidateConfig,
    ConfigError,
    HeadConfig,
    ModelConfig,
    MultiplicativeConfig,
    OptimizerConfig,
    STFTConfig,
)
from fftlearn._head import MAX_DEPTH, MAX_WIDTH
from fftlearn._multiplicative import MAX_KERNELS
from fftlearn._stft import WINDOWS

from ._ranges import FloatRange, IntRange, check_choices, check_unique
from ._trial import TrialLike


@dataclass(frozen=True)
class MultiplicativeSpace:
    """Settings of the learned multiplicative front-end."""

    n_kernels: IntRange = IntRange(8, 4096, log=True)  # K learned kernels, log scale
    init: tuple[str, ...] = ("random",)  # choices among "random", "dft"
    log_compress: tuple[bool, ...] = (True,)  # choices of log(1 + |.|)

    def __post_init__(self) -> None:
        try:
            self.n_kernels.check_within(1, MAX_KERNELS)
        except ConfigError as error:
            raise error.under("n_kernels") from None
        check_choices("init", self.init, ("random", "dft"))
        check_choices("log_compress", self.log_compress, (True, False))


@dataclass(frozen=True)
class STFTSpace:
    """Settings of the fixed STFT-magnitude baseline."""

    n_fft: tuple[int, ...] = (128, 256, 512)  # window / FFT lengths in samples
    hop_fraction: tuple[float, ...] = (0.5,)  # hop = round(hop_fraction * n_fft)
    window: tuple[str, ...] = ("hann",)  # scipy.signal window names

    def __post_init__(self) -> None:
        check_unique("n_fft", self.n_fft)
        check_unique("hop_fraction", self.hop_fraction)
        for index, n_fft in enumerate(self.n_fft):
            if n_fft < 2:
                raise ConfigError(f"n_fft[{index}]", n_fft, "must be >= 2")
        for index, fraction in enumerate(self.hop_fraction):
            if not 0 < fraction <= 1:
                raise ConfigError(f"hop_fraction[{index}]", fraction, "must be in (0, 1]")
        check_choices("window", self.window, WINDOWS)


@dataclass(frozen=True)
class HeadSpace:
    """The classifier head."""

    width: IntRange = IntRange(16, 512, log=True)  # hidden units (asked only when depth > 0)
    depth: IntRange = IntRange(0, 2)  # hidden layers

    def __post_init__(self) -> None:
        for name, high in (("width", MAX_WIDTH), ("depth", MAX_DEPTH)):
            try:
                getattr(self, name).check_within(1 if name == "width" else 0, high)
            except ConfigError as error:
                raise error.under(name) from None


@dataclass(frozen=True)
class OptimizerSpace:
    """The optimizer and its learning rate."""

    name: tuple[str, ...] = ("adam",)  # choices among "adam", "sgd"
    lr: FloatRange = FloatRange(1e-4, 1e-2, log=True)  # learning rate

    def __post_init__(self) -> None:
        check_choices("name", self.name, ("adam", "sgd"))
        try:
            self.lr.check_within(1e-12, 1e9)
        except ConfigError as error:
            raise error.under("lr") from None


@dataclass(frozen=True)
class FrontEndSpace:
    """The whole front-end search space, as the ``[space]`` table of an experiment file."""

    kind: ClassVar[str] = "frontend_space"
    frontends: tuple[str, ...] = FRONTEND_KINDS  # which front-end kinds compete
    multiplicative: MultiplicativeSpace = field(default_factory=MultiplicativeSpace)
    stft: STFTSpace = field(default_factory=STFTSpace)
    head: HeadSpace = field(default_factory=HeadSpace)
    optimizer: OptimizerSpace = field(default_factory=OptimizerSpace)

    def __post_init__(self) -> None:
        check_choices("frontends", self.frontends, FRONTEND_KINDS)

    def check_frame_length(self, frame_length: int) -> None:
        """Raise unless every STFT length fits in a frame of ``frame_length`` samples."""
        if "stft" not in self.frontends:
            return
        for index, n_fft in enumerate(self.stft.n_fft):
            if n_fft > frame_length:
                raise ConfigError(
                    f"stft.n_fft[{index}]", n_fft, f"must be <= the frame length {frame_length}"
                )


def suggest_candidate(
    trial: TrialLike, *, space: FrontEndSpace, frame_length: int, n_classes: int
) -> CandidateConfig:
    """Sample one candidate from ``space`` for frames of ``frame_length`` and ``n_classes``."""
    kind = trial.suggest_categorical("frontend", list(space.frontends))
    frontend: MultiplicativeConfig | STFTConfig
    if kind == "multiplicative":
        m = space.multiplicative
        frontend = MultiplicativeConfig(
            frame_length=frame_length,
            n_kernels=m.n_kernels.suggest(trial, "multiplicative.n_kernels"),
            init=trial.suggest_categorical("multiplicative.init", list(m.init)),
            log_compress=trial.suggest_categorical("multiplicative.log_compress", list(m.log_compress)),
        )
    else:
        s = space.stft
        n_fft = trial.suggest_categorical("stft.n_fft", list(s.n_fft))
        fraction = trial.suggest_categorical("stft.hop_fraction", list(s.hop_fraction))
        frontend = STFTConfig(
            frame_length=frame_length,
            n_fft=n_fft,
            hop=max(1, round(fraction * n_fft)),
            window=trial.suggest_categorical("stft.window", list(s.window)),
        )
    depth = space.head.depth.suggest(trial, "head.depth")
    width = space.head.width.suggest(trial, "head.width") if depth > 0 else space.head.width.low
    optimizer = OptimizerConfig(
        name=trial.suggest_categorical("optimizer.name", list(space.optimizer.name)),
        lr=space.optimizer.lr.suggest(trial, "optimizer.lr"),
    )
    model = ModelConfig(frontend=frontend, head=HeadConfig(width=width, depth=depth), n_classes=n_classes)
    return CandidateConfig(model=model, optimizer=optimizer)
