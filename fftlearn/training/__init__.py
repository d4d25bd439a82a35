"""fftlearn.training: training and held-out evaluation of a frame classifier, seeded; in float32
or, on a GPU, bfloat16 autocast; each data split copied to the device once per process."""

from ._device_data import DeviceCacheInfo, DeviceSplit, clear_device_cache, device_cache_info, on_device
from ._precision import PRECISIONS, precision_context, precision_on
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
    "PRECISIONS",
    "DeviceCacheInfo",
    "DeviceSplit",
    "EpochEnd",
    "EvalResult",
    "NonFiniteLossError",
    "TrainConfig",
    "TrainResult",
    "clear_device_cache",
    "device_cache_info",
    "evaluate_classifier",
    "make_optimizer",
    "on_device",
    "precision_context",
    "precision_on",
    "train_classifier",
]
