"""fftlearn.training: training and held-out evaluation of a frame classifier, seeded."""

from ._train import (
    EpochEnd,
    EvalResult,
    NonFiniteLossError,
    TrainConfig,
    TrainResult,
    evaluate_classifier,
    make_optimizer,
    train_classifier,
)

__all__ = [
    "EpochEnd",
    "EvalResult",
    "NonFiniteLossError",
    "TrainConfig",
    "TrainResult",
    "evaluate_classifier",
    "make_optimizer",
    "train_classifier",
]
