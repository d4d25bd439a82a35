"""fftlearn.training: training and held-out evaluation of a frame classifier, seeded."""

from ._train import (
    EvalResult,
    NonFiniteLossError,
    TrainConfig,
    TrainResult,
    evaluate_classifier,
    make_optimizer,
    train_classifier,
)

__all__ = [
    "EvalResult",
    "NonFiniteLossError",
    "TrainConfig",
    "TrainResult",
    "evaluate_classifier",
    "make_optimizer",
    "train_classifier",
]
