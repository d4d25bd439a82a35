"""``fftnas export --trial N --format torchscript|onnx [--frontend-only] -o PATH``: a stored
trial's trained model (or its front-end alone) as one TorchScript or ONNX file.

The model is rebuilt from the trial's checkpoint in the artifact store by its family
(``ExperimentFamily.stored_model``; factorization trials have none) and written by
``fftlearn.export.export_model``, which checks the file against PyTorch on random frames at
several batch sizes and leaves nothing behind when it refuses (a front-end kind the format
cannot express, an exporter failure, a difference over ``--tolerance``). Nothing is written to
the study: the storage and the artifact store are only read.
"""

from __future__ import annotations

import argparse

import optuna

from fftlearn import ConfigError
from fftlearn._validate import check_float
from fftlearn.export import FORMATS, INPUT_NAME, TOLERANCE, ExportReport, check_export_path, export_model
from fftlearn.export._export import FRAME_STD

from ._report import format_table
from ._study import load_study, study_experiment
from .engine import open_artifact_store, open_storage, resolve_storage
from .families import family_of

FLAGS = {"format": "--format", "path": "-o"}  # fftlearn.export's argument -> this command's flag
LOADERS = {
    "torchscript": "torch.jit.load({path!r})(frames)",
    "onnx": "onnxruntime.InferenceSession({path!r}).run(None, {{{name!r}: frames}})[0]",
}


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", help="study name (optional when the storage holds one)")
    parser.add_argument("--trial", type=int, required=True, help="trial number (a complete trial)")
    parser.add_argument("--format", required=True, help=f"file format: {' or '.join(FORMATS)}")
    parser.add_argument(
        "--frontend-only", action="store_true", help="the front-end alone, (B, N) -> (B, n_features)"
    )
    parser.add_argument("-o", "--output", required=True, help="file to write (replaced if it exists)")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=TOLERANCE,
        help=f"largest accepted max |file - PyTorch| over the outputs (default: {TOLERANCE:g})",
    )


def cmd_export(args: argparse.Namespace) -> int:
    if args.format not in FORMATS:
        raise ConfigError("--format", args.format, f"must be one of {', '.join(FORMATS)}")
    try:
        path = check_export_path(args.output)
    except ConfigError as error:
        raise ConfigError("-o", error.value, error.allowed) from None
    check_float("--tolerance", args.tolerance, low=0.0, low_open=True, high=1.0)
    location = resolve_storage(args.storage, artifact_dir=args.artifact_dir)
    study = load_study(open_storage(location, create=False), args.study)
    trial = _trial(study, args.trial)
    experiment = study_experiment(study)
    family = family_of(experiment)
    store = open_artifact_store(location, create=False)
    stored = family.stored_model(trial, experiment, artifact_store=store)
    module = stored.frontend if args.frontend_only else stored.model
    try:
        report = export_model(
            module, format=args.format, path=path, frame_length=stored.frame_length, tolerance=args.tolerance
        )
    except ConfigError as error:  # name this command's flags, not fftlearn's arguments
        raise ConfigError(FLAGS.get(error.field, error.field), error.value, error.allowed) from None
    what = "front-end features" if args.frontend_only else "logits"
    print(format_export(report, trial=trial.number, what=what, frame_length=stored.frame_length))
    return 0


def _trial(study: optuna.Study, number: int) -> optuna.trial.FrozenTrial:
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    if number not in trials:
        known = f"0..{len(trials) - 1}" if trials else "it has none"
        raise ConfigError("--trial", number, f"no such trial in study {study.study_name!r} ({known})")
    return trials[number]


def format_export(report: ExportReport, *, trial: int, what: str, frame_length: int) -> str:
    """What was written, its size, the check against PyTorch per batch size, and how to load it."""
    rows = [[str(size), f"{difference:.3g}"] for size, difference in report.differences.items()]
    loader = LOADERS[report.format].format(path=str(report.path), name=INPUT_NAME)
    return "\n".join(
        [
            f"trial {trial}: wrote {report.path} ({report.format}, {report.n_bytes} bytes = "
            f"{report.n_bytes / 1024:.1f} KiB): (B, {frame_length}) float32 frames -> "
            f"(B, {report.n_outputs}) {what}, any batch size B",
            f"check: the file and PyTorch on the same random frames (Gaussian, std {FRAME_STD} "
            f"full scale), max |file - PyTorch| over the {what}:",
            format_table(["batch size", f"max abs difference ({what})"], rows),
            f"max abs difference: {report.max_difference:.3g} ({what}, float32)",
            *(f"note: {note}" for note in report.notes),
            f"load: {loader}",
        ]
    )
