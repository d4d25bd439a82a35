"""Fitter ``l1``: dense factors with an L1 penalty, pruned to the budget and re-fitted (Nye &
Saxe, arXiv 1807.06399: deep learning does not find the FFT this way); ``.._l1_prune``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..._config import register_kind
from ..._space import FloatRange, IntRange, TrialLike, check_within
from ..._validate import check_int
from ...butterfly._radix import default_radices
from .._fitter import Fitter, register_fitter
from .._l1_prune import fit_l1_stages
from .._product import SparseFactorization
from .._sparse_configs import L1Config


@register_kind
@dataclass(frozen=True)
class L1FitConfig:
    """Dense factors + L1, pruned to ``budget`` nonzeros in all and re-fitted."""

    kind: ClassVar[str] = "l1_fit"
    n_factors: int = 0  # dense factors; 0: log2 N (other N: the count of its prime factors)
    budget: int = 0  # nonzeros kept in all; 0: 2 N log2 N, the butterfly budget (other N: N·sum of them)
    settings: L1Config = field(default_factory=L1Config)  # penalty, steps, learning rate
    seed: int = 0  # initialisation

    def __post_init__(self) -> None:
        check_int("n_factors", self.n_factors, low=0, high=64)
        check_int("budget", self.budget, low=0)
        check_int("seed", self.seed, low=0)


@dataclass(frozen=True)
class L1Space:
    """``[space.l1]``: dense factors + L1, pruned to the butterfly budget, re-fitted."""

    l1: FloatRange = FloatRange(1e-4, 1e-1, log=True)  # penalty weight
    lr: FloatRange = FloatRange(1e-3, 1e-2, log=True)  # Adam learning rate
    steps: IntRange = IntRange(500, 3000, log=True)  # Adam steps of the penalised phase

    def __post_init__(self) -> None:
        check_within("l1", self.l1, 0.0, 100.0)
        check_within("lr", self.lr, 1e-8, 10.0)
        check_within("steps", self.steps, 1, 1_000_000)

    def suggest(self, trial: TrialLike, *, n: int, seed: int) -> L1FitConfig:
        settings = L1Config(
            l1=self.l1.suggest(trial, "l1.l1"),
            lr=self.lr.suggest(trial, "l1.lr"),
            steps=self.steps.suggest(trial, "l1.steps"),
        )
        return L1FitConfig(settings=settings, seed=seed)


@register_fitter
class L1Fitter(Fitter):
    """A sparsity-by-penalty control. No exactness claim."""

    method = "l1"
    config_type = L1FitConfig
    space_type = L1Space
    summary = "dense factors + L1 penalty, pruned to the nonzero budget, re-fitted (Nye & Saxe)"

    def fit(self, matrix: np.ndarray) -> SparseFactorization:
        n = matrix.shape[0] if matrix.ndim == 2 else 0
        radices = default_radices(n) if n >= 2 else (1,)  # n < 2: refused by fit_l1_stages
        stages = fit_l1_stages(
            matrix,
            n_factors=self.config.n_factors or len(radices),
            budget=self.config.budget or n * sum(radices),
            config=self.config.settings,
            seed=self.config.seed,
        )
        return stages.refitted

    def nnz_budget(self, n: int) -> int:
        return self.config.budget or n * sum(default_radices(n))

    @classmethod
    def quick_config(cls, *, n: int, seed: int) -> L1FitConfig:
        settings = L1Config(steps=200, refit_steps=100, lbfgs_steps=20)
        return L1FitConfig(n_factors=len(default_radices(n)), settings=settings, seed=seed)
