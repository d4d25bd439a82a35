"""The factorization search space: which fitter, its permutation strategy, initialisation,
regulariser, learning rate and steps. ``suggest_fitter`` is pure in the trial's params, so
``FixedTrial(trial.params)`` rebuilds a stored trial's fitter config exactly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from fftlearn._space import check_within as _check_within
from fftlearn.factorize import (
    BaselineFitConfig,
    FixedSupportConfig,
    GradientFitConfig,
    HierarchicalFitConfig,
    IHTConfig,
    IHTFitConfig,
    KroneckerPattern,
    L1Config,
    L1FitConfig,
    PatternFitConfig,
    SearchFitConfig,
)


def _within(range_, name, low, high):
    _check_within(name, range_, low, high)


from fftlearn._space import FloatRange, IntRange, TrialLike, check_choices

METHODS = ("hierarchical", "gradient", "l1", "iht", "patterns", "search", "baseline")


@dataclass(frozen=True)
class GradientSpace:
    """Butterfly twiddles by Adam + L-BFGS."""

    permutation: tuple[str, ...] = ("learn",)  # choices among identity, bitrev, learn
    dtype: tuple[str, ...] = ("float64",)  # choices among float32, float64
    init: tuple[str, ...] = ("random", "unitary")  # choices among random, unitary, identity
    lr: FloatRange = FloatRange(0.005, 0.05, log=True)  # Adam learning rate of the twiddles
    adam_steps: IntRange = IntRange(200, 1000, log=True)  # Adam steps
    lbfgs_steps: IntRange = IntRange(200, 1500, log=True)  # L-BFGS polish iterations
    restarts: IntRange = IntRange(1, 4)  # attempts per fit

    def __post_init__(self) -> None:
        check_choices("permutation", self.permutation, ("identity", "bitrev", "learn"))
        check_choices("dtype", self.dtype, ("float32", "float64"))
        check_choices("init", self.init, ("random", "unitary", "identity"))
        _within(self.lr, "lr", 1e-8, 10.0)
        _within(self.adam_steps, "adam_steps", 0, 1_000_000)
        _within(self.lbfgs_steps, "lbfgs_steps", 0, 1_000_000)
        _within(self.restarts, "restarts", 1, 100)

    def suggest(self, trial: TrialLike, *, seed: int) -> GradientFitConfig:
        return GradientFitConfig(
            permutation=trial.suggest_categorical("gradient.permutation", list(self.permutation)),
            dtype=trial.suggest_categorical("gradient.dtype", list(self.dtype)),
            init=trial.suggest_categorical("gradient.init", list(self.init)),
            lr=self.lr.suggest(trial, "gradient.lr"),
            adam_steps=self.adam_steps.suggest(trial, "gradient.adam_steps"),
            lbfgs_steps=self.lbfgs_steps.suggest(trial, "gradient.lbfgs_steps"),
            restarts=self.restarts.suggest(trial, "gradient.restarts"),
            seed=seed,
        )


@dataclass(frozen=True)
class L1Space:
    """Dense factors + L1, pruned to the butterfly budget, re-fitted."""

    l1: FloatRange = FloatRange(1e-4, 1e-1, log=True)  # penalty weight
    lr: FloatRange = FloatRange(1e-3, 1e-2, log=True)  # Adam learning rate
    steps: IntRange = IntRange(500, 3000, log=True)  # Adam steps of the penalised phase

    def __post_init__(self) -> None:
        _within(self.l1, "l1", 0.0, 100.0)
        _within(self.lr, "lr", 1e-8, 10.0)
        _within(self.steps, "steps", 1, 1_000_000)

    def suggest(self, trial: TrialLike, *, seed: int) -> L1FitConfig:
        settings = L1Config(
            l1=self.l1.suggest(trial, "l1.l1"),
            lr=self.lr.suggest(trial, "l1.lr"),
            steps=self.steps.suggest(trial, "l1.steps"),
        )
        return L1FitConfig(settings=settings, seed=seed)


@dataclass(frozen=True)
class IHTSpace:
    """Iterative hard thresholding to k entries per row of each of log2 N factors."""

    k_per_row: IntRange = IntRange(2, 2)  # 2: the butterfly budget
    lr: FloatRange = FloatRange(1e-3, 3e-2, log=True)  # Adam learning rate
    steps: IntRange = IntRange(500, 3000, log=True)  # Adam steps

    def __post_init__(self) -> None:
        _within(self.k_per_row, "k_per_row", 1, 1 << 16)
        _within(self.lr, "lr", 1e-8, 10.0)
        _within(self.steps, "steps", 201, 1_000_000)

    def suggest(self, trial: TrialLike, *, seed: int) -> IHTFitConfig:
        settings = IHTConfig(
            lr=self.lr.suggest(trial, "iht.lr"), steps=self.steps.suggest(trial, "iht.steps")
        )
        return IHTFitConfig(
            k_per_row=self.k_per_row.suggest(trial, "iht.k_per_row"), settings=settings, seed=seed
        )


@dataclass(frozen=True)
class PatternSpace:
    """A chain of square Kronecker-sparse supports ``I_a ⊗ 1_{b×b} ⊗ I_d`` (a·b·d = N), one per
    factor: the number of factors and each factor's (b, d) are searched (b = 2, d = 2^k is the
    butterfly factor of level k; b = sqrt(N) gives Monarch-like block factors)."""

    n_factors: IntRange = IntRange(2, 10)  # factors in the chain (capped at log2 N)
    permutation: tuple[str, ...] = ("bitrev", "identity")  # input permutation choices
    steps: IntRange = IntRange(300, 2000, log=True)  # Adam steps
    lr: FloatRange = FloatRange(3e-3, 3e-2, log=True)  # Adam learning rate

    def __post_init__(self) -> None:
        _within(self.n_factors, "n_factors", 1, 64)
        check_choices("permutation", self.permutation, ("bitrev", "identity"))
        _within(self.steps, "steps", 1, 1_000_000)
        _within(self.lr, "lr", 1e-8, 10.0)

    def suggest(self, trial: TrialLike, *, n: int, seed: int) -> PatternFitConfig:
        levels = n.bit_length() - 1
        count = trial.suggest_int(
            "patterns.n_factors",
            self.n_factors.low,
            min(self.n_factors.high, max(levels, self.n_factors.low)),
        )
        patterns = []
        for index in range(count):
            log_b = trial.suggest_int(f"patterns.{index}.log2_b", 1, levels)
            log_d = trial.suggest_int(f"patterns.{index}.log2_d", 0, levels - log_b)
            b, d = 2**log_b, 2**log_d
            patterns.append(KroneckerPattern(a=n // (b * d), b=b, c=b, d=d))
        settings = FixedSupportConfig(
            steps=self.steps.suggest(trial, "patterns.steps"), lr=self.lr.suggest(trial, "patterns.lr")
        )
        return PatternFitConfig(
            patterns=tuple(patterns),
            permutation=trial.suggest_categorical("patterns.permutation", list(self.permutation)),
            settings=settings,
            seed=seed,
        )


@dataclass(frozen=True)
class FactorizationSpace:
    """The ``[space]`` table of a factorization experiment."""

    kind: ClassVar[str] = "factorization_space"
    methods: tuple[str, ...] = METHODS  # which fitters compete
    hierarchical_permutation: tuple[str, ...] = ("bitrev",)  # what the exact fitter is given
    gradient: GradientSpace = field(default_factory=GradientSpace)
    l1: L1Space = field(default_factory=L1Space)
    iht: IHTSpace = field(default_factory=IHTSpace)
    patterns: PatternSpace = field(default_factory=PatternSpace)
    baselines: tuple[str, ...] = ("top_entries", "low_rank")  # choices of baseline

    def __post_init__(self) -> None:
        check_choices("methods", self.methods, METHODS)
        check_choices("hierarchical_permutation", self.hierarchical_permutation, ("bitrev", "identity"))
        check_choices("baselines", self.baselines, ("top_entries", "low_rank"))


def suggest_fitter(trial: TrialLike, *, space: FactorizationSpace, n: int, seed: int) -> object:
    """The fitter config ``trial`` picks for an ``n x n`` target; ``seed`` seeds every random
    step of the fit."""
    method = trial.suggest_categorical("method", list(space.methods))
    if method == "hierarchical":
        permutation = trial.suggest_categorical(
            "hierarchical.permutation", list(space.hierarchical_permutation)
        )
        return HierarchicalFitConfig(permutation=permutation)
    if method == "gradient":
        return space.gradient.suggest(trial, seed=seed)
    if method == "l1":
        return space.l1.suggest(trial, seed=seed)
    if method == "iht":
        return space.iht.suggest(trial, seed=seed)
    if method == "patterns":
        return space.patterns.suggest(trial, n=n, seed=seed)
    if method == "search":
        return SearchFitConfig(seed=seed)
    return BaselineFitConfig(which=trial.suggest_categorical("baseline.which", list(space.baselines)))
