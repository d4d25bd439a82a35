"""The front-end experiment family: learned audio front-ends trained and scored on a task."""

from ._evaluate import Evaluation, evaluate_candidate
from ._experiment import FRONTEND_METRICS, FrontEndExperiment
from ._family import FRONTEND_FAMILY, FrontEndFamily
from ._objective import FrontEndObjective

__all__ = [
    "FRONTEND_FAMILY",
    "FRONTEND_METRICS",
    "Evaluation",
    "FrontEndExperiment",
    "FrontEndFamily",
    "FrontEndObjective",
    "evaluate_candidate",
]
