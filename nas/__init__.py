"""nas: experiment files -> Optuna studies, run by the distributed engine (``nas.engine``) for
any experiment family (``nas.families``); the ``fftnas`` CLI; reproduction."""

from ._experiment import load_experiment, metric_units
from ._reproduce import reproduce_trial
from ._study import create_or_resume_study, load_study, make_sampler
from .engine import DEFAULT_STORAGE, StorageLocation, open_storage, resolve_storage, run_study
from .families import FactorizationExperiment, FrontEndExperiment, Reproduction, family_of

__all__ = [
    "DEFAULT_STORAGE",
    "FactorizationExperiment",
    "FrontEndExperiment",
    "Reproduction",
    "StorageLocation",
    "create_or_resume_study",
    "family_of",
    "load_experiment",
    "load_study",
    "make_sampler",
    "metric_units",
    "open_storage",
    "reproduce_trial",
    "resolve_storage",
    "run_study",
]
