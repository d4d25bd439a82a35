"""The export formats: how a module is written in each, and how the written file is run back.

A format writes an eval-mode module, traced on example frames ``(B, N)`` float32, to one file
(``write``), and runs that file on other frames (``runner``): the second half is what
``exported_difference`` compares with PyTorch. Both formats keep the batch axis dynamic, so the
file takes any batch size; the frame length ``N`` is fixed at export.
"""

from __future__ import annotations

import abc
import contextlib
import io
import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

INPUT_NAME = "frames"  # the exported graph's input, (B, N) float32
OUTPUT_NAME = "outputs"  # its output, (B, n_classes) logits or (B, F) features


class ExportFormat(abc.ABC):
    """One file format: ``write`` a module to a path, and a ``runner`` of the written file."""

    name: ClassVar[str]  # the value of ``format`` that picks it
    suffix: ClassVar[str]  # the usual file name ending

    @abc.abstractmethod
    def write(self, module: torch.nn.Module, *, example: torch.Tensor, path: Path) -> None:
        """Write the eval-mode ``module``, traced on ``example`` ``(B, N)``, to ``path``."""

    @abc.abstractmethod
    def runner(self, path: Path) -> Callable[[torch.Tensor], torch.Tensor]:
        """The file at ``path`` as a function ``(B, N) float32 -> (B, outputs)`` float32."""


class TorchScriptFormat(ExportFormat):
    """``torch.jit.trace``: the front-ends have no data-dependent control flow (a kind that has
    some declares the format refused), and tracing records ops that scripting cannot compile
    (frozen config dataclasses, ``torch.stft`` keyword use). ``torch.jit.load`` reads it back."""

    name = "torchscript"
    suffix = ".pt"

    def write(self, module: torch.nn.Module, *, example: torch.Tensor, path: Path) -> None:
        with warnings.catch_warnings():  # TracerWarnings: the check against PyTorch decides;
            warnings.simplefilter("ignore")  # torch 2.13 marks TorchScript deprecated: it still works
            traced = torch.jit.trace(module, (example,), check_trace=False)
            torch.jit.save(traced, str(path))

    def runner(self, path: Path) -> Callable[[torch.Tensor], torch.Tensor]:
        with warnings.catch_warnings():  # torch 2.13 marks TorchScript deprecated; it still loads
            warnings.simplefilter("ignore", DeprecationWarning)
            loaded = torch.jit.load(str(path), map_location="cpu")
        loaded.eval()

        def run(frames: torch.Tensor) -> torch.Tensor:
            with torch.inference_mode():
                return loaded(frames)

        return run


class ONNXFormat(ExportFormat):
    """``torch.onnx.export(dynamo=True)`` (torch.export graph, the exporter torch recommends),
    weights inside the one file, batch axis dynamic; ``onnxruntime.InferenceSession`` on the CPU
    runs it back."""

    name = "onnx"
    suffix = ".onnx"

    def write(self, module: torch.nn.Module, *, example: torch.Tensor, path: Path) -> None:
        batch = torch.export.Dim("batch", min=1, max=1 << 20)
        logger = logging.getLogger("torch.onnx")  # its notes (e.g. torchvision ops it skips)
        level = logger.level
        logger.setLevel(logging.ERROR)
        quiet = io.StringIO()  # the exporter prints its progress and, on failure, whole graphs
        with warnings.catch_warnings(), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                module,
                (example,),
                dynamo=True,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_shapes=({0: batch},),
                external_data=False,
                verbose=False,
            )
        logger.setLevel(level)
        program.save(str(path), external_data=False)

    def runner(self, path: Path) -> Callable[[torch.Tensor], torch.Tensor]:
        import onnxruntime  # imported here: only an ONNX export needs it

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

        def run(frames: torch.Tensor) -> torch.Tensor:
            (outputs,) = session.run(None, {INPUT_NAME: frames.numpy().astype(np.float32)})
            return torch.from_numpy(outputs)

        return run


FORMATS: dict[str, ExportFormat] = {f.name: f for f in (TorchScriptFormat(), ONNXFormat())}
