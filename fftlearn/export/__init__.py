"""fftlearn.export: a model or front-end as TorchScript or ONNX, checked against PyTorch.

    from fftlearn.export import export_model
    report = export_model(model, format="onnx", path="model.onnx", frame_length=640)
    report.max_difference   # max |ONNX Runtime - PyTorch| over the logits, on random frames

A front-end kind that a format cannot express says so in ``FrontEnd.export_refusals``
(format -> one-line reason); ``export_model`` then refuses it with a ``ConfigError`` and writes
nothing. A kind that names no format is exported and checked like any other: the check against
PyTorch (several batch sizes, tolerance ``TOLERANCE``) is what keeps a wrong file from being
written.
"""

from ._export import (
    CHECK_BATCHES,
    TOLERANCE,
    ExportReport,
    check_export_path,
    export_model,
    export_refusal,
    exported_difference,
    random_frames,
)
from ._formats import FORMATS, INPUT_NAME, OUTPUT_NAME, ExportFormat

__all__ = [
    "CHECK_BATCHES",
    "FORMATS",
    "INPUT_NAME",
    "OUTPUT_NAME",
    "TOLERANCE",
    "ExportFormat",
    "ExportReport",
    "check_export_path",
    "export_model",
    "export_refusal",
    "exported_difference",
    "random_frames",
]
