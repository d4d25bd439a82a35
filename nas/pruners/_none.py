"""``[pruner] name = "none"``: every trial trains to its last epoch."""

from __future__ import annotations

import optuna

from ._base import EpochPruner, register_pruner


@register_pruner
class NoPruner(EpochPruner):
    name = "none"

    def should_stop(self, study: optuna.Study, trial_number: int, *, epoch: int) -> bool:
        return False
