"""Write a model or a front-end to TorchScript or ONNX, and check the file against PyTorch.

``export_model`` traces every front-end in its ``export_mode`` (the same features with
operations both formats express: the butterfly's complex stages on real tensors, the experts'
top-1 routing as every expert run and the picked one kept), and checks the file against the
usual path. It refuses, in one ``ConfigError`` line, a module that holds a front-end kind whose
``export_refusals`` names the format (the kind knows it cannot be expressed there), and any
module the exporter fails on. It writes to a temporary file beside ``path``, runs that file
and the PyTorch module on the same random frames at several batch sizes (one of them other than
the traced batch), and moves the file to ``path`` only if they agree within the tolerance: a
refused or wrong export leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from .._errors import ConfigError
from .._validate import check_int
from ..frontends._base import FrontEnd
from ._formats import FORMATS

TOLERANCE = 1e-5  # largest accepted |exported - PyTorch| in the outputs' units (float32 logits/features)
TRACE_BATCH = 2  # frames in the example batch the exporters trace
CHECK_BATCHES = (1, 2, 7)  # batch sizes the file is checked at (1 and 7 differ from the traced one)
FRAME_STD = 0.3  # standard deviation of the random check frames (audio samples in [-1, 1])


@dataclass(frozen=True)
class ExportReport:
    """What ``export_model`` wrote and how close the file is to PyTorch."""

    path: Path  # the written file
    format: str  # "torchscript" or "onnx"
    n_bytes: int  # file size in bytes
    n_outputs: int  # outputs per frame: n_classes logits, or the front-end's F features
    differences: dict[int, float]  # batch size -> max |exported - PyTorch| over the outputs (their units)
    notes: tuple[str, ...] = ()  # the front-ends' ``export_note``s: how the file computes differently

    @property
    def max_difference(self) -> float:
        """The largest absolute difference over every checked batch, in the outputs' units."""
        return max(self.differences.values())


def random_frames(*, batch_size: int, frame_length: int, seed: int) -> torch.Tensor:
    """Gaussian frames ``(batch_size, frame_length)`` float32 of std ``FRAME_STD``, from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    return FRAME_STD * torch.randn(batch_size, frame_length, generator=generator)  # (B, N)


def export_refusal(module: torch.nn.Module, *, format: str) -> str | None:
    """Why ``module`` cannot be written as ``format``: the reason the first front-end inside it
    (itself included) declares in ``export_refusals``, or None when none refuses it."""
    for part in module.modules():
        if isinstance(part, FrontEnd) and format in part.export_refusals:
            kind = type(part).config_class.kind
            return f"the {kind} front-end cannot be exported as {format}: {part.export_refusals[format]}"
    return None


@contextlib.contextmanager
def export_modes(module: torch.nn.Module) -> Iterator[None]:
    """Every front-end inside ``module`` in its ``export_mode`` (the same features computed with
    operations both formats can express: real tensors, no data-dependent control flow)."""
    with contextlib.ExitStack() as stack:
        for part in module.modules():
            if isinstance(part, FrontEnd):
                stack.enter_context(part.export_mode())
        yield


def check_export_path(path: str | Path) -> Path:
    """``path`` as a ``Path``; ``ConfigError`` unless it names a file in an existing writable folder."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        allowed = "must name a file in an existing folder this process can write to"
        raise ConfigError("path", str(path), allowed)
    return path


def export_model(
    module: torch.nn.Module, *, format: str, path: str | Path, frame_length: int, tolerance: float = TOLERANCE
) -> ExportReport:
    """Write ``module`` (``(B, frame_length) -> (B, outputs)``; a ``FrontEndClassifier`` or a
    ``FrontEnd``) in eval mode as ``format`` to ``path`` with a dynamic batch axis, and check the
    file against PyTorch (``exported_difference``). ``ConfigError``, with nothing written, for a
    format the module's front-end cannot express, an exporter failure, or a difference above
    ``tolerance`` (in the outputs' units). The module's train/eval mode is left as it was."""
    if format not in FORMATS:
        raise ConfigError("format", format, f"must be one of {', '.join(FORMATS)}")
    check_int("frame_length", frame_length, low=1, high=1 << 24)
    path = check_export_path(path)
    refusal = export_refusal(module, format=format)
    if refusal is not None:
        raise ConfigError("format", format, refusal)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    was_training = module.training
    module.eval()
    try:
        example = random_frames(batch_size=TRACE_BATCH, frame_length=frame_length, seed=0)
        with torch.no_grad():  # once before writing: in-place projections (dstft's bounds) hold
            n_outputs = int(module(example).shape[-1])
        try:
            with export_modes(module):
                FORMATS[format].write(module, example=example, path=temporary)
        except Exception as error:  # the exporter's own failure, in one line
            raise ConfigError("format", format, f"the exporter failed: {_one_line(error)}") from None
        differences = exported_difference(module, format=format, path=temporary, frame_length=frame_length)
        worst = max(differences.values())
        if not worst <= tolerance:  # NaN fails too
            raise ConfigError(
                "format",
                format,
                f"the exported file differs from PyTorch by up to {worst:.3g} (outputs' units), "
                f"over the tolerance {tolerance:g}; nothing written",
            )
        n_bytes = temporary.stat().st_size
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
        module.train(was_training)
    notes = {type(p).export_note for p in module.modules() if isinstance(p, FrontEnd) and p.export_note}
    return ExportReport(
        path=path,
        format=format,
        n_bytes=n_bytes,
        n_outputs=n_outputs,
        differences=differences,
        notes=tuple(sorted(notes)),
    )


def exported_difference(
    module: torch.nn.Module,
    *,
    format: str,
    path: str | Path,
    frame_length: int,
    batch_sizes: tuple[int, ...] = CHECK_BATCHES,
    seed: int = 1,
) -> dict[int, float]:
    """Batch size -> max |file - module| over the outputs, both run on the same random frames
    (``random_frames``, seed ``seed + batch size``); inf where the output shapes differ. The
    module runs as it is (call ``module.eval()`` first to compare inference)."""
    if format not in FORMATS:
        raise ConfigError("format", format, f"must be one of {', '.join(FORMATS)}")
    try:
        run = FORMATS[format].runner(Path(path))
    except Exception as error:
        raise ConfigError("path", str(path), f"cannot be loaded as {format}: {_one_line(error)}") from None
    differences = {}
    for batch_size in batch_sizes:
        frames = random_frames(batch_size=batch_size, frame_length=frame_length, seed=seed + batch_size)
        with torch.no_grad():
            expected = module(frames)  # (B, outputs)
        try:
            got = run(frames)  # (B, outputs)
        except Exception as error:
            why = f"cannot run {batch_size} frames as {format}: {_one_line(error)}"
            raise ConfigError("path", str(path), why) from None
        same_shape = got.shape == expected.shape
        differences[batch_size] = (got - expected).abs().max().item() if same_shape else float("inf")
    return differences


def _one_line(error: BaseException) -> str:
    """The first line of an exception's message (at most 200 characters), with its type."""
    text = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {text[:200]}"
