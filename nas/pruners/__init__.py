"""nas.pruners: early stopping for multi-objective studies, by name (``[pruner] name``)."""

from ._base import PRUNERS, EpochPruner, PrunerSpec, make_pruner, register_pruner
from ._mo_asha import MOASHA, goes_on, rung_epochs
from ._none import NoPruner
from ._pareto import crowding_distance, hypervolume_contribution, non_dominated_fronts, promotion_order

__all__ = [
    "MOASHA",
    "PRUNERS",
    "EpochPruner",
    "NoPruner",
    "PrunerSpec",
    "crowding_distance",
    "goes_on",
    "hypervolume_contribution",
    "make_pruner",
    "non_dominated_fronts",
    "promotion_order",
    "register_pruner",
    "rung_epochs",
]
