"""Fitter ``patterns``: a chain of Kronecker-sparse supports ``I_a ⊗ 1_{b×b} ⊗ I_d`` (one per
factor: butterfly, Monarch-like or block-diagonal), fitted by gradient (``.._fixed_support``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from ..._config import register_kind
from ..._errors import ConfigError
from ..._space import FloatRange, IntRange, TrialLike, check_choices, check_within
from ..._validate import check_choice, check_int
from ...butterfly._butterfly import bit_reversal_permutation
from .._fitter import Fitter, register_fitter
from .._fixed_support import fit_fixed_support
from .._kronecker import KroneckerPattern, butterfly_chain, chain_masks
from .._product import SparseFactorization
from .._sparse_configs import FixedSupportConfig
from .._targets import TargetConfig, make_target

PERMUTATIONS = ("bitrev", "identity")


@register_kind
@dataclass(frozen=True)
class PatternFitConfig:
    """A chain of Kronecker-sparse supports (one per factor) fitted by gradient."""

    kind: ClassVar[str] = "pattern_fit"
    patterns: tuple[KroneckerPattern, ...] = ()  # F[0]'s support first; square, N x N each
    permutation: Literal["bitrev", "identity"] = "bitrev"  # the input permutation
    settings: FixedSupportConfig = field(default_factory=FixedSupportConfig)  # steps, lr, dtype
    seed: int = 0  # initialisation

    def __post_init__(self) -> None:
        if not self.patterns:
            raise ConfigError("patterns", [], "must list at least one Kronecker pattern")
        for index, pattern in enumerate(self.patterns):
            if pattern.b != pattern.c:
                raise ConfigError(f"patterns[{index}]", pattern, "must be square (b == c)")
        if len({p.shape for p in self.patterns}) != 1:
            raise ConfigError("patterns", [p.shape for p in self.patterns], "must all have one size N x N")
        check_choice("permutation", self.permutation, PERMUTATIONS)
        check_int("seed", self.seed, low=0)


@dataclass(frozen=True)
class PatternSpace:
    """``[space.patterns]``: the number of factors and each factor's (b, d) are searched
    (b = 2, d = 2^k is the butterfly factor of level k; b = sqrt(N) gives Monarch-like factors)."""

    n_factors: IntRange = IntRange(2, 10)  # factors in the chain (capped at log2 N)
    permutation: tuple[str, ...] = PERMUTATIONS  # input permutation choices
    steps: IntRange = IntRange(300, 2000, log=True)  # Adam steps
    lr: FloatRange = FloatRange(3e-3, 3e-2, log=True)  # Adam learning rate

    def __post_init__(self) -> None:
        check_within("n_factors", self.n_factors, 1, 64)
        check_choices("permutation", self.permutation, PERMUTATIONS)
        check_within("steps", self.steps, 1, 1_000_000)
        check_within("lr", self.lr, 1e-8, 10.0)

    def suggest(self, trial: TrialLike, *, n: int, seed: int) -> PatternFitConfig:
        levels = n.bit_length() - 1
        high = min(self.n_factors.high, max(levels, self.n_factors.low))
        count = trial.suggest_int("patterns.n_factors", self.n_factors.low, high)
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


@register_fitter
class PatternFitter(Fitter):
    """Gradient descent on the given supports; exact when they are the butterfly chain."""

    method = "patterns"
    config_type = PatternFitConfig
    space_type = PatternSpace
    summary = "a chain of Kronecker-sparse supports (butterfly, Monarch, block-diagonal) fitted by gradient"

    def fit(self, matrix: np.ndarray) -> SparseFactorization:
        n = matrix.shape[0] if matrix.ndim == 2 else 0
        if self.config.patterns[0].shape != (n, n):
            raise ConfigError(
                "patterns", self.config.patterns[0].shape, f"must be ({n}, {n}) for this target"
            )
        bitrev = self.config.permutation == "bitrev"
        return fit_fixed_support(
            matrix,
            supports=chain_masks(self.config.patterns),
            input_permutation=bit_reversal_permutation(n) if bitrev else np.arange(n),
            config=self.config.settings,
            seed=self.config.seed,
        )

    def nnz_budget(self, n: int) -> int:
        return sum(pattern.nnz for pattern in self.config.patterns)

    @classmethod
    def default_config(cls, *, n: int, seed: int) -> PatternFitConfig:
        return PatternFitConfig(patterns=butterfly_chain(n), seed=seed)  # the FFT's supports

    def oracle(self, n: int) -> np.ndarray | None:
        if self.config.patterns != butterfly_chain(n) or self.config.settings.dtype == "float32":
            return None  # exact only on the FFT's own supports, in float64
        name = "dft" if self.config.permutation == "bitrev" else "hadamard"
        return make_target(TargetConfig(name=name, n=n)).matrix

    @classmethod
    def quick_config(cls, *, n: int, seed: int) -> PatternFitConfig:
        return PatternFitConfig(
            patterns=butterfly_chain(n), settings=FixedSupportConfig(steps=300), seed=seed
        )
