"""fftlearn: PyTorch/NumPy building blocks for learned Fourier-like front-ends.

Usable on its own (it never imports Optuna). The layout follows the concepts:

- ``fftlearn.frontends``: front-end kinds (``FrontEnd`` contract, ``register_frontend``);
- ``fftlearn.data``: data sets (``DataSet`` contract, ``register_dataset``) and tasks;
- ``fftlearn.model``: front-end + head, ``build(config) -> nn.Module``;
- ``fftlearn.training``: seeded training and evaluation;
- ``fftlearn.analysis``: what a front-end learned (spectra, harmonicity, frame bounds, routing);
- ``fftlearn.factorize``: sparse factorizations of linear transforms and their fitters;
- ``fftlearn.butterfly``: the butterfly maths both share.

A trial's config JSON comes back with ``config_from_json`` and builds the same architecture::

    config = fftlearn.config_from_json(trial.user_attrs["config"])
    model = fftlearn.build(config.model, seed=trial.user_attrs["seed"])
"""

from ._checkpoint import load_checkpoint, save_checkpoint
from ._compute import count_macs
from ._config import config_from_json, config_to_json, from_mapping, to_dict
from ._device import resolve_device
from ._errors import ConfigError
from .data import DataSet, TaskConfig, make_task_data, register_dataset
from .frontends import FrontEnd, register_frontend
from .model import CandidateConfig, FrontEndClassifier, HeadConfig, ModelConfig, OptimizerConfig, build
from .training import NonFiniteLossError, TrainConfig, evaluate_classifier, train_classifier

__all__ = [
    "CandidateConfig",
    "ConfigError",
    "DataSet",
    "FrontEnd",
    "FrontEndClassifier",
    "HeadConfig",
    "ModelConfig",
    "NonFiniteLossError",
    "OptimizerConfig",
    "TaskConfig",
    "TrainConfig",
    "build",
    "config_from_json",
    "config_to_json",
    "count_macs",
    "evaluate_classifier",
    "from_mapping",
    "load_checkpoint",
    "make_task_data",
    "register_dataset",
    "register_frontend",
    "resolve_device",
    "save_checkpoint",
    "to_dict",
    "train_classifier",
]
