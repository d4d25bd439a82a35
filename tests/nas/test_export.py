"""``fftnas export``: a stored trial's model or front-end as TorchScript or ONNX, end to end on a
tiny study (multiplicative and butterfly front-ends, one trial pruned by MO-ASHA) and a tiny
factorization study in the same journal; refusals and bad input exit 2 with one line, write no
file, and leave the stored studies as they were."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import onnxruntime
import optuna
import pytest
import torch

from fftlearn.export import INPUT_NAME, TOLERANCE
from nas.cli import main
from tests.helpers import snapshot, write_tiny_experiment

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
PRUNER = '\n[pruner]\nname = "mo_asha"\nmin_epochs = 1\nreduction_factor = 2\n'
FACTORIZATION = """family = "factorization"
[study]
name = "fact"
trials = 1
seed = 0
[sampler]
name = "random"
seed = 0
[[objectives]]
metric = "relative_error"
direction = "minimize"
[[objectives]]
metric = "nnz"
direction = "minimize"
[target]
name = "dft"
n = 16
[space]
methods = ["hierarchical"]
"""
N_CLASSES = 8  # the tiny task: MIDI notes 60..67
FRAME_LENGTH = 256  # samples


class Studies(NamedTuple):
    storage: Path
    artifacts: Path
    trials: dict[str, int]  # "multiplicative", "butterfly", "pruned" -> a trial number
    before: dict[str, str]  # snapshot of the storage and artifacts after the runs


@pytest.fixture(scope="module")
def studies(tmp_path_factory: pytest.TempPathFactory) -> Studies:
    root = tmp_path_factory.mktemp("export")
    experiment = write_tiny_experiment(root / "tiny.toml", trials=4)
    text = experiment.read_text().replace('"multiplicative", "stft"]', '"multiplicative", "butterfly"]')
    experiment.write_text(text + PRUNER)
    (root / "fact.toml").write_text(FACTORIZATION)
    storage = root / "studies.journal"
    for path in (experiment, root / "fact.toml"):
        assert main(["run", str(path), "--storage", str(storage), "--no-progress", "--devices", "cpu"]) == 0
    study = optuna.load_study(
        study_name="tiny",
        storage=optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(storage))),
    )
    trials = {}
    for trial in study.trials:
        key = "pruned" if trial.state == optuna.trial.TrialState.PRUNED else trial.params["frontend"]
        trials.setdefault(key, trial.number)
    assert set(trials) == {"multiplicative", "butterfly", "pruned"}, [t.state for t in study.trials]
    artifacts = root / "studies-artifacts"
    return Studies(storage, artifacts, trials, snapshot(storage, artifacts))


def export(studies: Studies, *args: str) -> int:
    return main(["export", "--storage", str(studies.storage), *args])


def refused(capsys: pytest.CaptureFixture[str], code: int) -> str:
    """The one line a refusal printed (exit 2, no traceback, nothing on stdout)."""
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err and err.count("\n") == 1, err
    return err.strip()


@pytest.mark.parametrize("frontend_only", [False, True])
@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_export_writes_a_file_that_agrees_with_pytorch(
    studies: Studies, fmt: str, frontend_only: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / ("model.pt" if fmt == "torchscript" else "model.onnx")
    flags = ["--frontend-only"] if frontend_only else []
    capsys.readouterr()
    trial = str(studies.trials["multiplicative"])
    assert export(studies, "--study", "tiny", "--trial", trial, "--format", fmt, "-o", str(path), *flags) == 0
    out = capsys.readouterr().out
    difference = float(re.search(r"^max abs difference: (\S+) \((logits|front-end features)", out, re.M)[1])
    assert 0 <= difference <= TOLERANCE
    assert re.search(rf"\({fmt}, {path.stat().st_size} bytes = ", out)
    frames = 0.3 * torch.randn(5, FRAME_LENGTH, generator=torch.Generator().manual_seed(0))  # batch 5
    if fmt == "torchscript":
        outputs = torch.jit.load(str(path))(frames)
    else:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        outputs = torch.from_numpy(np.asarray(session.run(None, {INPUT_NAME: frames.numpy()})[0]))
    assert outputs.shape[0] == 5 and torch.isfinite(outputs).all()
    width = int(re.search(r"float32 frames -> \(B, (\d+)\) ", out)[1])  # what the command says it wrote
    assert outputs.shape[1] == width and (frontend_only or width == N_CLASSES)
    assert snapshot(studies.storage, studies.artifacts) == studies.before


def test_the_butterfly_exports_to_both_formats_and_a_file_over_the_tolerance_is_refused(
    studies: Studies, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The butterfly's complex stages go to ONNX as real arithmetic (its export mode) and agree;
    a tolerance no float32 file meets refuses the export in one line, with nothing written."""
    trial = str(studies.trials["butterfly"])
    base = ["--study", "tiny", "--trial", trial]
    for fmt, name in (("onnx", "b.onnx"), ("torchscript", "b.pt")):
        capsys.readouterr()
        assert export(studies, *base, "--format", fmt, "-o", str(tmp_path / name)) == 0
        difference = float(re.search(r"^max abs difference: (\S+) ", capsys.readouterr().out, re.M)[1])
        assert difference <= TOLERANCE
    for flags in ([], ["--frontend-only"]):
        code = export(
            studies, *base, "--format", "onnx", "-o", str(tmp_path / "tight.onnx"), "--tolerance", "1e-30"
        )
        line = refused(capsys, code)
        assert line.startswith(
            "fftnas: error: --format: got 'onnx'; the exported file differs from PyTorch by up to "
        )
        assert line.endswith("over the tolerance 1e-30; nothing written")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.onnx", "b.pt"]
    assert snapshot(studies.storage, studies.artifacts) == studies.before


def test_trials_without_a_model_are_refused(
    studies: Studies, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pruned = studies.trials["pruned"]
    out = str(tmp_path / "m.pt")
    line = refused(
        capsys,
        export(studies, "--study", "tiny", "--trial", str(pruned), "--format", "torchscript", "-o", out),
    )
    why = f"trial {pruned} is PRUNED and stored no weights (complete trials do)"
    assert line == f"fftnas: error: --trial: got {pruned}; {why}"
    line = refused(capsys, export(studies, "--study", "fact", "--trial", "0", "--format", "onnx", "-o", out))
    assert (
        line == "fftnas: error: --trial: got 0; trials of the factorization family train no model to export"
    )
    assert list(tmp_path.iterdir()) == []
    assert snapshot(studies.storage, studies.artifacts) == studies.before


def test_bad_input_names_the_flag_and_writes_nothing(
    studies: Studies, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = ["--study", "tiny", "--trial", str(studies.trials["multiplicative"]), "--format", "onnx"]
    out = ["-o", str(tmp_path / "m.onnx")]
    cases = {
        "--study: got 'nope'; no such study; known: ": ["--study", "nope", *good[2:], *out],
        "--trial: got 99; no such trial in study 'tiny' (0..3)": [
            *good[:2],
            "--trial",
            "99",
            *good[4:],
            *out,
        ],
        "--format: got 'tflite'; must be one of torchscript, onnx": [*good[:4], "--format", "tflite", *out],
        f"-o: got '{tmp_path / 'no' / 'm.onnx'}'; must name a file": [
            *good,
            "-o",
            str(tmp_path / "no" / "m.onnx"),
        ],
        f"-o: got '{tmp_path}'; must name a file": [*good, "-o", str(tmp_path)],
        "--tolerance: got 0.0": [*good, *out, "--tolerance", "0"],
    }
    capsys.readouterr()
    for expected, argv in cases.items():
        line = refused(capsys, export(studies, *argv))
        assert line.startswith(f"fftnas: error: {expected}"), line
    assert list(tmp_path.iterdir()) == []
    assert snapshot(studies.storage, studies.artifacts) == studies.before
