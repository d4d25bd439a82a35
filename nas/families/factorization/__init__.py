"""The factorization experiment family: sparse factorizations of a target matrix."""

from ._experiment import FACTORIZATION_METRICS, FactorizationExperiment
from ._family import FACTORIZATION_FAMILY, FactorizationFamily
from ._objective import FactorizationObjective

__all__ = [
    "FACTORIZATION_FAMILY",
    "FACTORIZATION_METRICS",
    "FactorizationExperiment",
    "FactorizationFamily",
    "FactorizationObjective",
]
