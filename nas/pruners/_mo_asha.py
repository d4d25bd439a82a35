"""``[pruner] name = "mo_asha"``: multi-objective asynchronous successive halving.

At each rung epoch (``min_epochs``, ``min_epochs * η``, ``min_epochs * η²``, ... below the
last epoch) a trial is ranked among every trial that has reached that rung so far (itself
included), read from the storage: by non-dominated sorting of the objectives measured on the
validation split, then by crowding distance or hypervolume contribution within a front. It
goes on only if it is among the best ``ceil(n / η)`` of those ``n``: the "stopping" form of
asynchronous successive halving, in which the first trial at a rung always goes on and no
trial waits for others (Li et al., arXiv 1810.05934; Schmucker et al., arXiv 2106.12639).
"""

from __future__ import annotations

import math

import numpy as np
import optuna

from fftlearn import ConfigError

from ._base import EpochPruner, register_pruner
from ._pareto import promotion_order


def rung_epochs(*, min_epochs: int, reduction_factor: int, epochs: int) -> tuple[int, ...]:
    """The epochs at which trials of ``epochs`` epochs are ranked, below the last one."""
    rungs, rung = [], min_epochs
    while rung < epochs:
        rungs.append(rung)
        rung *= reduction_factor
    return tuple(rungs)


def goes_on(
    points: dict[int, list[float]], trial_number: int, *, reduction_factor: int, tie_break: str
) -> bool:
    """Whether ``trial_number`` is among the best ``ceil(n / reduction_factor)`` of the ``n``
    minimised objective vectors in ``points`` (trial number -> vector; it must be one of them)."""
    numbers = sorted(points)
    order = promotion_order(np.array([points[n] for n in numbers]), tie_break=tie_break)
    keep = math.ceil(len(numbers) / reduction_factor)
    return numbers.index(trial_number) in order[:keep]


@register_pruner
class MOASHA(EpochPruner):
    name = "mo_asha"

    def check(self, *, validation_fraction: float) -> None:
        if validation_fraction <= 0:
            raise ConfigError(
                "budget.validation_fraction", validation_fraction, "must be > 0 for pruner 'mo_asha'"
            )
        if self.spec.min_epochs >= self.epochs:
            raise ConfigError(
                "pruner.min_epochs",
                self.spec.min_epochs,
                f"must be below budget.epochs ({self.epochs}), or no trial can be stopped",
            )

    @property
    def rungs(self) -> tuple[int, ...]:
        spec = self.spec
        return rung_epochs(
            min_epochs=spec.min_epochs, reduction_factor=spec.reduction_factor, epochs=self.epochs
        )

    def should_stop(self, study: optuna.Study, trial_number: int, *, epoch: int) -> bool:
        if epoch not in self.rungs:
            return False
        points = self.rung_points(study, epoch)
        if trial_number not in points:  # its curve is not stored (yet): no evidence against it
            return False
        return not goes_on(
            points, trial_number, reduction_factor=self.spec.reduction_factor, tie_break=self.spec.tie_break
        )
