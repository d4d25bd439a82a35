"""Fitter ``iht``: iterative hard thresholding to the top k entries per row of every factor
(``.._iht``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..._config import register_kind
from ..._space import FloatRange, IntRange, TrialLike, check_within
from ..._validate import check_int
from ...butterfly._radix import default_radices
from .._fitter import Fitter, register_fitter
from .._iht import fit_iht
from .._product import SparseFactorization
from .._sparse_configs import IHTConfig


@register_kind
@dataclass(frozen=True)
class IHTFitConfig:
    """Iterative hard thresholding to ``k_per_row`` entries per row of each factor."""

    kind: ClassVar[str] = "iht_fit"
    n_factors: int = 0  # factors; 0: log2 N (other N: the count of its prime factors)
    k_per_row: int = 2  # nonzeros kept per row of each factor (2: the butterfly budget)
    settings: IHTConfig = field(default_factory=IHTConfig)  # steps, learning rate, schedule
    seed: int = 0  # initialisation

    def __post_init__(self) -> None:
        check_int("n_factors", self.n_factors, low=0, high=64)
        check_int("k_per_row", self.k_per_row, low=1)
        check_int("seed", self.seed, low=0)


@dataclass(frozen=True)
class IHTSpace:
    """``[space.iht]``: iterative hard thresholding to k entries per row of log2 N factors."""

    k_per_row: IntRange = IntRange(2, 2)  # 2: the butterfly budget
    lr: FloatRange = FloatRange(1e-3, 3e-2, log=True)  # Adam learning rate
    steps: IntRange = IntRange(500, 3000, log=True)  # Adam steps

    def __post_init__(self) -> None:
        check_within("k_per_row", self.k_per_row, 1, 1 << 16)
        check_within("lr", self.lr, 1e-8, 10.0)
        check_within("steps", self.steps, 201, 1_000_000)

    def suggest(self, trial: TrialLike, *, n: int, seed: int) -> IHTFitConfig:
        settings = IHTConfig(
            lr=self.lr.suggest(trial, "iht.lr"), steps=self.steps.suggest(trial, "iht.steps")
        )
        return IHTFitConfig(
            k_per_row=self.k_per_row.suggest(trial, "iht.k_per_row"), settings=settings, seed=seed
        )


@register_fitter
class IHTFitter(Fitter):
    """A sparsity-by-projection control. No exactness claim."""

    method = "iht"
    config_type = IHTFitConfig
    space_type = IHTSpace
    summary = "iterative hard thresholding: the top k entries per row of every factor, re-fitted"

    def fit(self, matrix: np.ndarray) -> SparseFactorization:
        n = matrix.shape[0] if matrix.ndim == 2 else 0
        return fit_iht(
            matrix,
            n_factors=self.config.n_factors or _levels(n),
            k_per_row=self.config.k_per_row,
            config=self.config.settings,
            seed=self.config.seed,
        )

    def nnz_budget(self, n: int) -> int:
        return (self.config.n_factors or _levels(n)) * n * min(self.config.k_per_row, n)

    @classmethod
    def quick_config(cls, *, n: int, seed: int) -> IHTFitConfig:
        settings = IHTConfig(steps=300, warmup_steps=50, refit_steps=100, lbfgs_steps=20)
        return IHTFitConfig(settings=settings, seed=seed)


def _levels(n: int) -> int:
    """The default factor count: ``log2 n``, or for other ``n`` the count of its prime factors
    (its default radix order's stages); 1 for a matrix too small to have any."""
    return len(default_radices(n)) if n >= 2 else 1
