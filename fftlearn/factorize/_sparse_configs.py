"""Configs of the sparse-support fitters: fixed support (``_fixed_support``), L1 + pruning
(``_l1_prune``), IHT (``_iht``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

from .._config import register_kind
from .._errors import ConfigError

Precision = Literal["float64", "float32"]


def _check_int(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(name, value, f"must be an integer >= {low}")


def _check_int_up_to(name: str, value: object, high: int) -> None:
    """``value`` is an int (not a bool) in ``[1, high]``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise ConfigError(name, value, f"must be an integer in [1, {high}]")


def _check_float(name: str, value: object, *, low: float, positive: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < low or (positive and value <= low):
        raise ConfigError(name, value, f"must be a finite number {'>' if positive else '>='} {low}")


def _check_optimizer(config: FixedSupportConfig | L1Config | IHTConfig) -> None:
    """The fields every gradient config shares: steps, lr, lbfgs_steps, dtype."""
    _check_int("steps", config.steps, 0)
    _check_float("lr", config.lr, low=0.0, positive=True)
    _check_int("lbfgs_steps", config.lbfgs_steps, 0)
    if config.dtype not in ("float64", "float32"):
        raise ConfigError("dtype", config.dtype, "must be 'float64' or 'float32'")


@register_kind
@dataclass(frozen=True)
class FixedSupportConfig:
    """Gradient fit on a given support chain."""

    kind: ClassVar[str] = "fixed_support_fit"
    steps: int = 2000  # Adam steps
    lr: float = 0.01  # Adam learning rate
    lbfgs_steps: int = 300  # L-BFGS iterations after Adam (0: none)
    dtype: Precision = "float64"  # arithmetic: float64/complex128 or float32/complex64

    def __post_init__(self) -> None:
        _check_optimizer(self)


@register_kind
@dataclass(frozen=True)
class L1Config:
    """Dense factors with an L1 penalty, pruned to a budget, re-fitted (Nye & Saxe)."""

    kind: ClassVar[str] = "l1_prune"
    l1: float = 0.01  # penalty weight on the mean normalised L1 norm of the factors (0: none)
    steps: int = 3000  # Adam steps of the dense, penalised phase
    lr: float = 0.003  # Adam learning rate (both phases; 0.01 diverges for 6 dense factors at N=64)
    scope: Literal["total", "per_factor"] = "total"  # budget over all factors, or budget/L each
    refit_steps: int = 1000  # Adam steps on the pruned support, no penalty (0: none)
    lbfgs_steps: int = 300  # L-BFGS iterations after each phase, penalised and re-fit (0: none)
    dtype: Precision = "float64"  # arithmetic: float64/complex128 or float32/complex64

    def __post_init__(self) -> None:
        _check_float("l1", self.l1, low=0.0, positive=False)
        _check_optimizer(self)
        if self.scope not in ("total", "per_factor"):
            raise ConfigError("scope", self.scope, "must be 'total' or 'per_factor'")
        _check_int("refit_steps", self.refit_steps, 0)


@register_kind
@dataclass(frozen=True)
class IHTConfig:
    """Iterative hard thresholding: top-k entries per row of every factor after each step."""

    kind: ClassVar[str] = "iht_topk"
    steps: int = 3000  # Adam steps in all (warm-up included)
    lr: float = 0.01  # Adam learning rate
    warmup_steps: int = 200  # dense steps before the first projection
    project_every: int = 1  # project after every this many steps (after the warm-up)
    refit_steps: int = 1000  # Adam steps on the final support (0: none)
    lbfgs_steps: int = 300  # L-BFGS iterations after the re-fit (0: none)
    dtype: Precision = "float64"  # arithmetic: float64/complex128 or float32/complex64

    def __post_init__(self) -> None:
        _check_optimizer(self)
        _check_int("warmup_steps", self.warmup_steps, 0)
        _check_int("project_every", self.project_every, 1)
        _check_int("refit_steps", self.refit_steps, 0)
