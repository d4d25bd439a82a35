"""fftlearn.model: a front-end plus an MLP head, its configs, and ``build(config) -> nn.Module``."""

from ._head import HeadConfig, MLPHead
from ._model import CandidateConfig, FrontEndClassifier, ModelConfig, OptimizerConfig, build

__all__ = [
    "CandidateConfig",
    "FrontEndClassifier",
    "HeadConfig",
    "MLPHead",
    "ModelConfig",
    "OptimizerConfig",
    "build",
]
