"""One entry point for every fitter: ``fit_factorization(matrix, config) -> FitResult``.

The config's type picks the method; each is a frozen, JSON-round-trippable dataclass, so a
factorization trial's config is stored and re-run exactly like a front-end trial's.

| config | method |
| --- | --- |
| ``HierarchicalFitConfig`` | exact hierarchical SVD splits on the butterfly supports (given) |
| ``GradientFitConfig`` | butterfly twiddles by Adam + L-BFGS; permutation identity, bit reversal or learned |
| ``L1FitConfig`` | dense factors with an L1 penalty, pruned to the budget, re-fitted (Nye & Saxe) |
| ``IHTFitConfig`` | iterative hard thresholding: top-k entries per row of every factor |
| ``PatternFitConfig`` | a searched chain of Kronecker-sparse supports, fitted by gradient |
| ``SearchFitConfig`` | unknown row and column permutations found by structure, then the exact fit |
| ``BaselineFitConfig`` | the budget's largest entries, or the rank-log2 N truncated SVD |
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from .._config import register_kind
from .._errors import ConfigError
from .._validate import check_float, check_int
from ..butterfly._butterfly import bit_reversal_permutation
from ._baselines import low_rank_baseline, top_entries_baseline
from ._factorization import FitResult, SparseFactorization, make_fit_result
from ._gradient import GradientFitConfig, fit_gradient
from ._hierarchical import hierarchical_butterfly
from ._kronecker import KroneckerPattern, chain_masks
from ._search import recover_butterfly
from ._sparse import FixedSupportConfig, IHTConfig, L1Config, fit_fixed_support, fit_iht, fit_l1


@register_kind
@dataclass(frozen=True)
class HierarchicalFitConfig:
    """Exact hierarchical factorization on the butterfly supports."""

    kind: ClassVar[str] = "hierarchical_fit"
    permutation: Literal["bitrev", "identity"] = "bitrev"  # the input permutation it is given

    def __post_init__(self) -> None:
        if self.permutation not in ("bitrev", "identity"):
            raise ConfigError("permutation", self.permutation, "must be 'bitrev' or 'identity'")


@register_kind
@dataclass(frozen=True)
class L1FitConfig:
    """Dense factors + L1, pruned to ``budget`` nonzeros in all and re-fitted."""

    kind: ClassVar[str] = "l1_fit"
    n_factors: int = 0  # dense factors; 0: log2 N
    budget: int = 0  # nonzeros kept in all; 0: 2 N log2 N (the butterfly budget)
    settings: L1Config = field(default_factory=L1Config)  # penalty, steps, learning rate
    seed: int = 0  # initialisation

    def __post_init__(self) -> None:
        check_int("n_factors", self.n_factors, low=0, high=64)
        check_int("budget", self.budget, low=0)
        check_int("seed", self.seed, low=0)


@register_kind
@dataclass(frozen=True)
class IHTFitConfig:
    """Iterative hard thresholding to ``k_per_row`` entries per row of each factor."""

    kind: ClassVar[str] = "iht_fit"
    n_factors: int = 0  # factors; 0: log2 N
    k_per_row: int = 2  # nonzeros kept per row of each factor (2: the butterfly budget)
    settings: IHTConfig = field(default_factory=IHTConfig)  # steps, learning rate, schedule
    seed: int = 0  # initialisation

    def __post_init__(self) -> None:
        check_int("n_factors", self.n_factors, low=0, high=64)
        check_int("k_per_row", self.k_per_row, low=1)
        check_int("seed", self.seed, low=0)


@register_kind
@dataclass(frozen=True)
class SearchFitConfig:
    """Find unknown row and column permutations from the butterfly structure, then fit exactly."""

    kind: ClassVar[str] = "butterfly_search"
    tolerance: float = 1e-6  # relative tolerance of the structure tests
    max_branches: int = 64  # level choices tried before giving up
    seed: int = 0  # tie-breaking

    def __post_init__(self) -> None:
        check_float("tolerance", self.tolerance, low=0.0, low_open=True, high=1.0)
        check_int("max_branches", self.max_branches, low=1, high=1_000_000)
        check_int("seed", self.seed, low=0)


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
        if self.permutation not in ("bitrev", "identity"):
            raise ConfigError("permutation", self.permutation, "must be 'bitrev' or 'identity'")
        check_int("seed", self.seed, low=0)


@register_kind
@dataclass(frozen=True)
class BaselineFitConfig:
    """The literature's baselines at the butterfly budget."""

    kind: ClassVar[str] = "baseline_fit"
    which: Literal["top_entries", "low_rank"] = "top_entries"  # 2 N log2 N largest entries, or rank log2 N

    def __post_init__(self) -> None:
        if self.which not in ("top_entries", "low_rank"):
            raise ConfigError("which", self.which, "must be 'top_entries' or 'low_rank'")


FitterConfig = (
    HierarchicalFitConfig
    | GradientFitConfig
    | L1FitConfig
    | IHTFitConfig
    | SearchFitConfig
    | BaselineFitConfig
)


def _hierarchical(matrix: np.ndarray, config: HierarchicalFitConfig) -> SparseFactorization:
    n = matrix.shape[0]
    perm = bit_reversal_permutation(n) if config.permutation == "bitrev" else np.arange(n)
    return hierarchical_butterfly(matrix, input_permutation=perm)


def _l1(matrix: np.ndarray, config: L1FitConfig) -> SparseFactorization:
    n, levels = matrix.shape[0], int(math.log2(matrix.shape[0]))
    return fit_l1(
        matrix,
        n_factors=config.n_factors or levels,
        budget=config.budget or 2 * n * levels,
        config=config.settings,
        seed=config.seed,
    )


def _iht(matrix: np.ndarray, config: IHTFitConfig) -> SparseFactorization:
    levels = int(math.log2(matrix.shape[0]))
    return fit_iht(
        matrix,
        n_factors=config.n_factors or levels,
        k_per_row=config.k_per_row,
        config=config.settings,
        seed=config.seed,
    )


def _search(matrix: np.ndarray, config: SearchFitConfig) -> SparseFactorization:
    return recover_butterfly(
        matrix, seed=config.seed, tolerance=config.tolerance, max_branches=config.max_branches
    )


def _patterns(matrix: np.ndarray, config: PatternFitConfig) -> SparseFactorization:
    n = matrix.shape[0]
    if config.patterns[0].shape != (n, n):
        raise ConfigError("patterns", config.patterns[0].shape, f"must be ({n}, {n}) for this target")
    perm = bit_reversal_permutation(n) if config.permutation == "bitrev" else np.arange(n)
    return fit_fixed_support(
        matrix,
        supports=chain_masks(config.patterns),
        input_permutation=perm,
        config=config.settings,
        seed=config.seed,
    )


def _baseline(matrix: np.ndarray, config: BaselineFitConfig) -> SparseFactorization:
    return top_entries_baseline(matrix) if config.which == "top_entries" else low_rank_baseline(matrix)


# config class -> fit(matrix, config) -> SparseFactorization (gradient returns a FitResult itself)
FITTERS: dict[type, Callable[[np.ndarray, object], SparseFactorization]] = {
    HierarchicalFitConfig: _hierarchical,  # type: ignore[dict-item]
    L1FitConfig: _l1,  # type: ignore[dict-item]
    IHTFitConfig: _iht,  # type: ignore[dict-item]
    PatternFitConfig: _patterns,  # type: ignore[dict-item]
    SearchFitConfig: _search,  # type: ignore[dict-item]
    BaselineFitConfig: _baseline,  # type: ignore[dict-item]
}
FITTER_KINDS = (
    "hierarchical_fit",
    "gradient_fit",
    "l1_fit",
    "iht_fit",
    "pattern_fit",
    "butterfly_search",
    "baseline_fit",
)


def fit_factorization(matrix: np.ndarray, config: object) -> FitResult:
    """Fit ``matrix`` ``(N, N)`` with the method ``config``'s type names; time it; report."""
    if isinstance(config, GradientFitConfig):
        return fit_gradient(matrix, config=config)
    fitter = FITTERS.get(type(config))
    if fitter is None:
        raise ConfigError("fitter", type(config).__name__, f"must be one of {', '.join(FITTER_KINDS)}")
    start = time.perf_counter()
    factorization = fitter(matrix, config)
    seconds = time.perf_counter() - start
    return make_fit_result(factorization, matrix, seconds=seconds, details={"method": config.kind})  # type: ignore[attr-defined]
