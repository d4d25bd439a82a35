"""``fftlearn.export``: every registered front-end kind, in every format, as a whole model and
alone, is either written and agrees with PyTorch (re-loaded from the file by its own runtime, at a
batch size other than the traced one) or refused in one line with nothing written.

A kind is tested by being registered (``FRONTENDS`` at collection time); the refusals expected are
exactly those the kind declares in ``FrontEnd.export_refusals``. A kind that declares nothing (a
plugin's default) is exported and checked: one registered here with data-dependent control flow
shows the check refusing what a trace would get wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import onnxruntime
import optuna
import pytest
import torch

import fftlearn
from fftlearn import ConfigError, FrontEnd
from fftlearn.export import FORMATS, INPUT_NAME, TOLERANCE, export_model, export_refusal, random_frames
from fftlearn.frontends import FRONTENDS, FrameShape
from tests.fftlearn.frontends.test_frontend_contract import FRAME_LENGTH, candidates
from tests.fftlearn.frontends.test_plugin import SegmentEnergyFrontEnd

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
PARTS = ("model", "frontend")  # the whole classifier (logits), or its front-end alone (features)
CHECK_BATCH = 3  # frames per re-load check; the exporters trace 2


def part_of(kind: str, part: str) -> torch.nn.Module:
    """The first small candidate of ``kind`` (the contract tests' draw), built with seed 0."""
    model = fftlearn.build(candidates(kind)[0].model, seed=0)
    return model if part == "model" else model.frontend


def run_file(path: Path, fmt: str, frames: torch.Tensor) -> torch.Tensor:
    """Run the written file with its own runtime, independently of ``fftlearn.export``."""
    if fmt == "torchscript":
        return torch.jit.load(str(path))(frames)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (outputs,) = session.run(None, {INPUT_NAME: frames.numpy()})
    return torch.from_numpy(np.asarray(outputs))


def check_exported_or_refused(module: torch.nn.Module, *, fmt: str, folder: Path) -> str | None:
    """Export ``module``; on success re-load and compare it, on refusal check the one line and
    that nothing was written. Returns the refusal message, or None when exported."""
    path = folder / f"out{FORMATS[fmt].suffix}"
    try:
        report = export_model(module, format=fmt, path=path, frame_length=FRAME_LENGTH)
    except ConfigError as error:
        assert "\n" not in str(error) and str(error).startswith(f"format: got {fmt!r}; ")
        assert list(folder.iterdir()) == [], "a refused export left a file"
        return str(error)
    assert report.path == path and report.n_bytes == path.stat().st_size > 0
    assert [p.name for p in folder.iterdir()] == [path.name]  # no temporary file left
    assert report.max_difference <= TOLERANCE and min(report.differences) != 2  # other batch sizes too
    frames = random_frames(batch_size=CHECK_BATCH, frame_length=FRAME_LENGTH, seed=123)
    with torch.no_grad():
        expected = module.eval()(frames)
    got = run_file(path, fmt, frames)
    assert got.shape == expected.shape and got.dtype == torch.float32
    assert (got - expected).abs().max().item() <= TOLERANCE
    return None


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("kind", FRONTENDS.names())
def test_each_kind_is_exported_and_agrees_or_refused_as_declared(
    kind: str, fmt: str, part: str, tmp_path: Path
) -> None:
    module = part_of(kind, part)
    declared = FRONTENDS.find(kind).export_refusals.get(fmt)
    refusal = check_exported_or_refused(module, fmt=fmt, folder=tmp_path)
    if declared is None:
        assert refusal is None, f"{kind} declares no refusal of {fmt}, yet: {refusal}"
    else:
        assert refusal is not None and refusal.endswith(declared) and f"the {kind} front-end" in refusal


def test_declared_refusals_say_why_in_one_line() -> None:
    for kind in FRONTENDS.names():
        for fmt, reason in FRONTENDS.find(kind).export_refusals.items():
            assert fmt in FORMATS and reason and "\n" not in reason, (kind, fmt)


def test_the_module_keeps_its_mode_and_bad_arguments_are_refused(tmp_path: Path) -> None:
    model = part_of("stft", "model").train()
    export_model(model, format="torchscript", path=tmp_path / "m.pt", frame_length=FRAME_LENGTH)
    assert model.training
    bad = {
        "format": dict(format="tflite", path=tmp_path / "m.x", frame_length=FRAME_LENGTH),
        "path": dict(format="onnx", path=tmp_path / "missing" / "m.onnx", frame_length=FRAME_LENGTH),
        "frame_length": dict(format="onnx", path=tmp_path / "m.onnx", frame_length=0),
    }
    for field, arguments in bad.items():
        with pytest.raises(ConfigError, match=f"^{field}: got "):
            export_model(model, **arguments)
    with pytest.raises(ConfigError, match="^path: got .*must name a file"):
        export_model(model, format="onnx", path=tmp_path, frame_length=FRAME_LENGTH)
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


# ---- kinds that declare nothing (a plugin's default) -------------------------------------------


@dataclass(frozen=True)
class SignFlipConfig:
    """A kind whose output depends on a Python branch on the data: what a trace gets wrong."""

    kind: ClassVar[str] = "sign_flip"
    frame_length: int = 640  # samples per input frame
    n_features: int = 4  # the first F samples, negated when the batch's sum is negative


@dataclass(frozen=True)
class SignFlipSpace:
    def suggest(self, trial: optuna.trial.BaseTrial, *, prefix: str, shape: FrameShape) -> SignFlipConfig:
        return SignFlipConfig(frame_length=shape.frame_length)


class SignFlipFrontEnd(FrontEnd):
    """``(B, N) -> (B, F)``: the first F samples, times the sign of the batch's sum (a Python
    ``if`` on the data: a trace keeps the branch the traced batch took)."""

    config_class = SignFlipConfig
    space_class = SignFlipSpace

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        head = frames[:, : self.config.n_features]  # (B, F)
        if frames.sum() < 0:
            return -head
        return head

    def macs_per_example(self) -> int:
        return 0


@pytest.fixture
def undeclared() -> Iterator[None]:
    """Two plugin kinds that declare no export refusals, registered for one test only."""
    with FRONTENDS.scratch():
        fftlearn.register_frontend(SegmentEnergyFrontEnd)
        fftlearn.register_frontend(SignFlipFrontEnd)
        yield


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_kind_declaring_nothing_is_exported_and_checked(undeclared: None, fmt: str, tmp_path: Path) -> None:
    """The default: export and check. A traceable plugin is written; one whose trace would be
    wrong is refused by the check (or by the exporter), never written."""
    plain, branchy = tmp_path / "plain", tmp_path / "branchy"
    plain.mkdir()
    branchy.mkdir()
    segments = SegmentEnergyFrontEnd(SegmentEnergyFrontEnd.config_class())
    assert export_refusal(segments, format=fmt) is None
    assert check_exported_or_refused(segments, fmt=fmt, folder=plain) is None
    refusal = check_exported_or_refused(SignFlipFrontEnd(SignFlipConfig()), fmt=fmt, folder=branchy)
    assert refusal is not None and ("differs from PyTorch" in refusal or "exporter failed" in refusal)


@pytest.mark.parametrize("kind", FRONTENDS.names())
def test_export_mode_computes_the_same_features(kind: str) -> None:
    """What the exporters trace (``FrontEnd.export_mode``: the butterfly on real tensors, every
    expert run and the picked one kept) equals the usual eval path, for every candidate of a kind,
    and the mode is left when the context closes."""
    frames = random_frames(batch_size=9, frame_length=FRAME_LENGTH, seed=4)
    for candidate in candidates(kind):
        frontend = fftlearn.build(candidate.model, seed=1).frontend.eval()
        with torch.no_grad():
            usual = frontend(frames)
            with frontend.export_mode():
                traced = frontend(frames)
            again = frontend(frames)
        torch.testing.assert_close(traced, usual, rtol=1e-5, atol=1e-5)
        assert torch.equal(again, usual)
