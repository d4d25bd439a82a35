"""nas.families: the experiment families (one object each: objective, evaluate, reproduce,
study note), registered by the name an experiment file's ``family`` gives."""

from ._base import (
    FAMILIES,
    ExperimentFamily,
    OneOff,
    Reproduction,
    StoredModel,
    family_named,
    family_of,
    reference_point_of,
    register_family,
)
from .factorization import FACTORIZATION_FAMILY, FactorizationExperiment
from .frontend import FRONTEND_FAMILY, FrontEndExperiment

__all__ = [
    "FACTORIZATION_FAMILY",
    "FAMILIES",
    "FRONTEND_FAMILY",
    "ExperimentFamily",
    "FactorizationExperiment",
    "FrontEndExperiment",
    "OneOff",
    "Reproduction",
    "StoredModel",
    "family_named",
    "family_of",
    "reference_point_of",
    "register_family",
]
