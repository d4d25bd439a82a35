"""One search subspace per front-end kind; ``suggest(trial, prefix=..., shape=...)`` -> its config.

Parameter names are dotted: ``<prefix><field>``, with prefix ``"multiplicative."`` for the
multiplicative front-end and ``"experts.multiplicative."`` for the kernel sets of the experts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from fftlearn import (
    ButterflyConfig,
    ConfigError,
    ConvConfig,
    DSTFTConfig,
    ExpertsConfig,
    LogMelConfig,
    MultiplicativeConfig,
    STFTConfig,
)
from fftlearn.frontends._conv import INITS as CONV_INITS
from fftlearn.frontends._multiplicative import MAX_KERNELS
from fftlearn.frontends._stft import WINDOWS

from fftlearn._space import FloatRange, IntRange, check_choices, check_unique
from fftlearn._space import TrialLike


@dataclass(frozen=True)
class FrameShape:
    """What every front-end must fit: the input frame and its sample rate."""

    frame_length: int  # samples
    sample_rate: int  # Hz


def _within(range_: IntRange | FloatRange, name: str, low: float, high: float) -> None:
    try:
        range_.check_within(low, high)  # type: ignore[arg-type]
    except ConfigError as error:
        raise error.under(name) from None


def _fractions(name: str, values: tuple[float, ...]) -> None:
    check_unique(name, values)
    for index, value in enumerate(values):
        if not 0 < value <= 1:
            raise ConfigError(f"{name}[{index}]", value, "must be in (0, 1]")


def _check_n_fft(lengths: tuple[int, ...], frame_length: int) -> None:
    for index, n_fft in enumerate(lengths):
        if n_fft > frame_length:
            raise ConfigError(f"n_fft[{index}]", n_fft, f"must be <= the frame length {frame_length}")


@dataclass(frozen=True)
class MultiplicativeSpace:
    """K learned kernels over the whole frame."""

    n_kernels: IntRange = IntRange(8, 4096, log=True)  # K, log scale (even K when paired)
    init: tuple[str, ...] = ("random",)  # choices among "random", "dft"
    log_compress: tuple[bool, ...] = (True,)  # choices of log(1 + |.|)
    pair_magnitude: tuple[bool, ...] = (False,)  # choices of magnitudes from kernel pairs

    def __post_init__(self) -> None:
        _within(self.n_kernels, "n_kernels", 1, MAX_KERNELS)
        check_choices("init", self.init, ("random", "dft"))
        check_choices("log_compress", self.log_compress, (True, False))
        check_choices("pair_magnitude", self.pair_magnitude, (True, False))
        if True in self.pair_magnitude and self.n_kernels.high < 2:
            raise ConfigError(
                "n_kernels.high", self.n_kernels.high, "must be >= 2 when pair_magnitude may be true"
            )

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> MultiplicativeConfig:
        paired = trial.suggest_categorical(f"{prefix}pair_magnitude", list(self.pair_magnitude))
        if paired:  # sample the number of pairs so that K is even by construction
            pairs = IntRange(
                max(1, math.ceil(self.n_kernels.low / 2)), self.n_kernels.high // 2, self.n_kernels.log
            )
            n_kernels = 2 * pairs.suggest(trial, f"{prefix}n_pairs")
        else:
            n_kernels = self.n_kernels.suggest(trial, f"{prefix}n_kernels")
        return MultiplicativeConfig(
            frame_length=shape.frame_length,
            n_kernels=n_kernels,
            init=trial.suggest_categorical(f"{prefix}init", list(self.init)),
            pair_magnitude=paired,
            log_compress=trial.suggest_categorical(f"{prefix}log_compress", list(self.log_compress)),
        )


@dataclass(frozen=True)
class ConvSpace:
    """M learned FIR filters of length L, strided and pooled."""

    n_filters: IntRange = IntRange(8, 512, log=True)  # M
    filter_length: IntRange = IntRange(16, 400, log=True)  # L in samples (<= frame length)
    stride_fraction: tuple[float, ...] = (0.5,)  # stride = max(1, round(fraction * L))
    pooling: tuple[str, ...] = ("max", "mean", "l2")  # choices
    pool_windows: IntRange = IntRange(1, 4)  # time segments kept (capped at the positions)
    init: tuple[str, ...] = ("random",)  # choices among "random", "dft", "dft_pairs"
    pair_magnitude: tuple[bool, ...] = (False,)  # choices; asked only when not the default (False,)

    def __post_init__(self) -> None:
        _within(self.n_filters, "n_filters", 1, 8192)
        _within(self.filter_length, "filter_length", 1, 1 << 16)
        _fractions("stride_fraction", self.stride_fraction)
        check_choices("pooling", self.pooling, ("max", "mean", "l2"))
        _within(self.pool_windows, "pool_windows", 1, 1024)
        check_choices("init", self.init, CONV_INITS)
        check_choices("pair_magnitude", self.pair_magnitude, (True, False))
        if True in self.pair_magnitude and self.n_filters.high < 2:
            raise ConfigError(
                "n_filters.high", self.n_filters.high, "must be >= 2 when pair_magnitude may be true"
            )

    def check_frame_length(self, frame_length: int) -> None:
        if self.filter_length.high > frame_length:
            raise ConfigError(
                "filter_length.high", self.filter_length.high, f"must be <= the frame length {frame_length}"
            )

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> ConvConfig:
        length = self.filter_length.suggest(trial, f"{prefix}filter_length")
        fraction = trial.suggest_categorical(f"{prefix}stride_fraction", list(self.stride_fraction))
        stride = max(1, round(fraction * length))
        positions = 1 + (shape.frame_length - length) // stride
        # the default (False,) asks nothing, so studies from before this choice keep their params
        paired = self.pair_magnitude != (False,) and trial.suggest_categorical(
            f"{prefix}pair_magnitude", list(self.pair_magnitude)
        )
        if paired:  # sample the number of pairs so that M is even by construction
            low, high = self.n_filters.low, self.n_filters.high
            n_filters = 2 * IntRange(max(1, math.ceil(low / 2)), high // 2, self.n_filters.log).suggest(
                trial, f"{prefix}n_pairs"
            )
        else:
            n_filters = self.n_filters.suggest(trial, f"{prefix}n_filters")
        return ConvConfig(
            frame_length=shape.frame_length,
            n_filters=n_filters,
            filter_length=length,
            stride=stride,
            pooling=trial.suggest_categorical(f"{prefix}pooling", list(self.pooling)),
            pool_windows=min(positions, self.pool_windows.suggest(trial, f"{prefix}pool_windows")),
            init=trial.suggest_categorical(f"{prefix}init", list(self.init)),
            pair_magnitude=paired,
        )


@dataclass(frozen=True)
class STFTSpace:
    """The fixed STFT-magnitude baseline."""

    n_fft: tuple[int, ...] = (128, 256, 512)  # window / FFT lengths in samples
    hop_fraction: tuple[float, ...] = (0.5,)  # hop = max(1, round(hop_fraction * n_fft))
    window: tuple[str, ...] = ("hann",)  # scipy.signal window names

    def __post_init__(self) -> None:
        check_unique("n_fft", self.n_fft)
        for index, n_fft in enumerate(self.n_fft):
            if n_fft < 2:
                raise ConfigError(f"n_fft[{index}]", n_fft, "must be >= 2")
        _fractions("hop_fraction", self.hop_fraction)
        check_choices("window", self.window, WINDOWS)

    def check_frame_length(self, frame_length: int) -> None:
        _check_n_fft(self.n_fft, frame_length)

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> STFTConfig:
        n_fft = trial.suggest_categorical(f"{prefix}n_fft", list(self.n_fft))
        fraction = trial.suggest_categorical(f"{prefix}hop_fraction", list(self.hop_fraction))
        return STFTConfig(
            frame_length=shape.frame_length,
            n_fft=n_fft,
            hop=max(1, round(fraction * n_fft)),
            window=trial.suggest_categorical(f"{prefix}window", list(self.window)),
        )


@dataclass(frozen=True)
class LogMelSpace:
    """The fixed log-mel baseline."""

    n_fft: tuple[int, ...] = (256, 512)  # window / FFT lengths in samples
    hop_fraction: tuple[float, ...] = (0.25,)  # hop = max(1, round(hop_fraction * n_fft))
    n_mels: tuple[int, ...] = (40, 64, 128)  # mel bands

    def __post_init__(self) -> None:
        check_unique("n_fft", self.n_fft)
        _fractions("hop_fraction", self.hop_fraction)
        check_unique("n_mels", self.n_mels)
        for index, n_mels in enumerate(self.n_mels):
            if n_mels > min(self.n_fft) // 2 + 1:
                raise ConfigError(
                    f"n_mels[{index}]",
                    n_mels,
                    f"must be <= {min(self.n_fft) // 2 + 1} (bins of the smallest n_fft)",
                )

    def check_frame_length(self, frame_length: int) -> None:
        _check_n_fft(self.n_fft, frame_length)

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> LogMelConfig:
        n_fft = trial.suggest_categorical(f"{prefix}n_fft", list(self.n_fft))
        fraction = trial.suggest_categorical(f"{prefix}hop_fraction", list(self.hop_fraction))
        return LogMelConfig(
            frame_length=shape.frame_length,
            sample_rate=shape.sample_rate,
            n_fft=n_fft,
            hop=max(1, round(fraction * n_fft)),
            n_mels=trial.suggest_categorical(f"{prefix}n_mels", list(self.n_mels)),
            f_max=shape.sample_rate / 2,
        )


@dataclass(frozen=True)
class DSTFTSpace:
    """The differentiable STFT: window length, hop and position learn by gradient.

    The ``n_windows`` windows start evenly spread over the frame (centres at
    ``(i + 1/2) * frame_length / n_windows``); their initial length is a fraction of ``n_fft``.
    """

    n_fft: tuple[int, ...] = (256, 512)  # fixed FFT sizes (even), the windows' support
    n_windows: IntRange = IntRange(1, 6)  # analysis windows per frame
    win_length_fraction: FloatRange = FloatRange(0.125, 1.0, log=True)  # initial length / n_fft
    learn_geometry: tuple[bool, ...] = (True,)  # train length, hop and position (else fixed)
    window: tuple[str, ...] = ("hann",)  # choices among hann, hamming, blackman, gaussian
    time_varying: tuple[bool, ...] = (False, True)  # one length per window

    def __post_init__(self) -> None:
        check_unique("n_fft", self.n_fft)
        for index, n_fft in enumerate(self.n_fft):
            if n_fft < 8 or n_fft % 2:
                raise ConfigError(f"n_fft[{index}]", n_fft, "must be an even integer >= 8")
        _within(self.n_windows, "n_windows", 1, 64)
        _within(self.win_length_fraction, "win_length_fraction", 1e-3, 1.0)
        check_choices("learn_geometry", self.learn_geometry, (True, False))
        check_choices("window", self.window, ("hann", "hamming", "blackman", "gaussian"))
        check_choices("time_varying", self.time_varying, (True, False))

    def check_frame_length(self, frame_length: int) -> None:
        _check_n_fft(self.n_fft, frame_length)

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> DSTFTConfig:
        n_fft = trial.suggest_categorical(f"{prefix}n_fft", list(self.n_fft))
        n_windows = self.n_windows.suggest(trial, f"{prefix}n_windows")
        fraction = self.win_length_fraction.suggest(trial, f"{prefix}win_length_fraction")
        learn = trial.suggest_categorical(f"{prefix}learn_geometry", list(self.learn_geometry))
        spacing = shape.frame_length / n_windows
        return DSTFTConfig(
            frame_length=shape.frame_length,
            n_fft=n_fft,
            n_windows=n_windows,
            win_length=max(4.0, fraction * n_fft),
            hop=min(spacing, shape.frame_length - 1.0),
            position=spacing / 2,
            learn_win_length=learn,
            learn_hop=learn,
            learn_position=learn,
            window=trial.suggest_categorical(f"{prefix}window", list(self.window)),
            time_varying=trial.suggest_categorical(f"{prefix}time_varying", list(self.time_varying)),
        )


@dataclass(frozen=True)
class ButterflySpace:
    """A learned transform that is a product of log2(size) butterfly factors (FFT cost)."""

    size: tuple[int, ...] = (256, 512)  # transform sizes (powers of two); frames are cropped/padded
    init: tuple[str, ...] = ("dft", "random")  # choices: the exact FFT factors, or random unitary
    window: tuple[str, ...] = ("hann",)  # choices among "hann", "boxcar"

    def __post_init__(self) -> None:
        check_unique("size", self.size)
        for index, size in enumerate(self.size):
            if size < 2 or size & (size - 1) or size > 16384:
                raise ConfigError(f"size[{index}]", size, "must be a power of two in [2, 16384]")
        check_choices("init", self.init, ("dft", "random"))
        check_choices("window", self.window, ("hann", "boxcar"))

    def suggest(self, trial: TrialLike, *, prefix: str, shape: FrameShape) -> ButterflyConfig:
        return ButterflyConfig(
            frame_length=shape.frame_length,
            size=trial.suggest_categorical(f"{prefix}size", list(self.size)),
            init=trial.suggest_categorical(f"{prefix}init", list(self.init)),
            window=trial.suggest_categorical(f"{prefix}window", list(self.window)),
        )


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
        _within(self.n_experts, "n_experts", 1, 8)
        check_choices("expert_kinds", self.expert_kinds, ("multiplicative", "conv"))
        _within(self.router_width, "router_width", 1, 4096)
        check_choices("estimator", self.estimator, ("straight_through", "gumbel"))
        _within(self.balance_weight, "balance_weight", 0.0, 100.0)

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
