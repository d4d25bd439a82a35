"""Fitter ``baseline``: the literature's baselines at the butterfly budget (``.._baselines``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from ..._config import register_kind
from ..._space import TrialLike, check_choices
from ..._validate import check_choice
from ...butterfly._radix import default_radices
from .._baselines import low_rank_baseline, top_entries_baseline
from .._fitter import Fitter, register_fitter
from .._product import SparseFactorization

WHICH = ("top_entries", "low_rank")


@register_kind
@dataclass(frozen=True)
class BaselineFitConfig:
    """The literature's baselines at the butterfly budget."""

    kind: ClassVar[str] = "baseline_fit"
    # the 2 N log2 N largest entries, or rank log2 N (other N: N·sum and count of its prime factors)
    which: Literal["top_entries", "low_rank"] = "top_entries"

    def __post_init__(self) -> None:
        check_choice("which", self.which, WHICH)


@dataclass(frozen=True)
class BaselineSpace:
    """``[space.baseline]``: which baselines compete."""

    which: tuple[str, ...] = WHICH  # choices among top_entries, low_rank

    def __post_init__(self) -> None:
        check_choices("which", self.which, WHICH)

    def suggest(self, trial: TrialLike, *, n: int, seed: int) -> BaselineFitConfig:
        return BaselineFitConfig(which=trial.suggest_categorical("baseline.which", list(self.which)))


@register_fitter
class BaselineFitter(Fitter):
    """No fast structure, the same budget: what a recovery has to beat. No exactness claim."""

    method = "baseline"
    config_type = BaselineFitConfig
    space_type = BaselineSpace
    summary = "the budget's 2 N log2 N largest entries, or the rank-log2 N truncated SVD"

    def fit(self, matrix: np.ndarray) -> SparseFactorization:
        if self.config.which == "top_entries":
            return top_entries_baseline(matrix)
        return low_rank_baseline(matrix)

    def nnz_budget(self, n: int) -> int:
        return n * sum(default_radices(n))  # 2 N log2 N for a power of two
