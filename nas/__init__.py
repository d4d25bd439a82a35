"""nas: the engine. Experiment files -> Optuna studies; evaluators; CLI; reproduction."""

from ._evaluate import Evaluation, evaluate_candidate
from ._experiment import METRICS, Experiment, load_experiment
from ._objective import TrialObjective, trial_seed
from ._reproduce import Reproduction, reproduce_trial
from ._runner import run_study
from ._storage import DEFAULT_STORAGE, StorageLocation, open_storage, resolve_storage
from ._study import create_or_resume_study, load_study, make_sampler

__all__ = [
    "DEFAULT_STORAGE",
    "METRICS",
    "Evaluation",
    "Experiment",
    "Reproduction",
    "StorageLocation",
    "TrialObjective",
    "create_or_resume_study",
    "evaluate_candidate",
    "load_experiment",
    "load_study",
    "make_sampler",
    "open_storage",
    "reproduce_trial",
    "resolve_storage",
    "run_study",
    "trial_seed",
]
