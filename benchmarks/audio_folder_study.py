"""A folder of audio files to a finished study in two commands, and how long each takes (issue 13).

Writes a folder of ``--files`` real recordings with ``fftlearn.data.write_audio_folder``
(FluidSynth piano, violin and flute notes and espeak-ng speech, wav and flac; timed apart: it
stands for the user's own data and is not one of the two commands), then times, as subprocesses
in a fresh working directory with a fresh frame cache, the two commands a user types:

    fftnas run experiments/audio_folder.toml --set task.data.root=DIR --storage STUDY.journal
    fftnas pareto --storage STUDY.journal

and prints (and appends to benchmarks/RESULTS.md) the files, their seconds of audio, the frames
of each split, the seconds of each command, the trials finished and the best accuracy.

    .venv/bin/python benchmarks/audio_folder_study.py [--files 1000] [--trials N] [--no-record]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import optuna
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _results import append_results, markdown_table  # noqa: E402

from fftlearn import ConfigError  # noqa: E402
from fftlearn.data import write_audio_folder  # noqa: E402
from fftlearn.data._audio_files import AUDIO_SUFFIXES  # noqa: E402
from nas._study import load_study, study_experiment  # noqa: E402
from nas.engine import open_storage, resolve_storage  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
EXPERIMENT = REPO / "experiments" / "audio_folder.toml"


@dataclass(frozen=True)
class Command:
    """One timed command: what was typed (``fftnas ...``) and its wall-clock seconds."""

    typed: str
    seconds: float


def audio_seconds(folder: Path) -> float:
    """Seconds of audio in the folder's wav/flac/ogg files (from their headers)."""
    paths = [p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES]
    return sum(soundfile.info(str(path)).duration for path in paths)


def fftnas(args: list[str], *, cwd: Path, env: dict[str, str]) -> Command:
    """Run ``python -m nas.cli ARGS`` (this checkout's code) in ``cwd``; its wall seconds. Exits
    with the command's output when it fails."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "nas.cli", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"`fftnas {' '.join(args)}` exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return Command("fftnas " + " ".join(args), seconds)


def study_figures(storage: str) -> dict[str, float]:
    """Trials complete and finished, best accuracy, Pareto size and frames per split of the
    study in ``storage`` (frames read back through the frame cache the run filled)."""
    study = load_study(open_storage(resolve_storage(storage, artifact_dir=None), create=False), None)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    data = study_experiment(study).task.data
    seed = int(complete[0].user_attrs["data_seed"]) if complete else 0
    accuracy = study.metric_names.index("accuracy")
    return {
        "complete": len(complete),
        "trials": len(study.trials),
        "best_accuracy": max((t.values[accuracy] for t in complete), default=float("nan")),
        "pareto": len(study.best_trials),
        "frame_length": data.frame_length,
        "train_frames": len(data.make_frames(split="train", seed=seed).frames),
        "test_frames": len(data.make_frames(split="test", seed=seed).frames),
    }


def run_benchmark(*, files: int, trials: int | None, seed: int, workdir: Path) -> tuple[list[list[str]], str]:
    """Write the folder, run the two commands in ``workdir``; the table rows and the commands."""
    folder = workdir / "audio"
    start = time.perf_counter()
    write_audio_folder(folder, n_files=files, seed=seed)
    write_seconds = time.perf_counter() - start
    env = {**os.environ, "FFTNAS_CACHE": str(workdir / "cache")}  # a first run: no frames cached
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    os.environ["FFTNAS_CACHE"] = env["FFTNAS_CACHE"]  # study_figures reads the frames back from it
    storage = str(workdir / "study.journal")
    more = [] if trials is None else ["--trials", str(trials)]
    run_args = ["run", str(EXPERIMENT), "--set", f"task.data.root={folder}", "--storage", storage]
    run = fftnas([*run_args, *more, "--no-progress"], cwd=workdir, env=env)
    pareto = fftnas(["pareto", "--storage", storage], cwd=workdir, env=env)
    found = study_figures(storage)
    audio = audio_seconds(folder)
    frames = f"frames of {found['frame_length']} samples"
    rows = [
        ["files (wav and flac)", f"{files:,}", "files"],
        ["audio", f"{audio:,.1f}", f"seconds ({audio / 60:.1f} minutes)"],
        ["writing the folder (not one of the two commands)", f"{write_seconds:.1f}", "seconds"],
        [
            "training frames (validation share included)",
            f"{found['train_frames']:,}",
            "frames of 640 samples",
        ],
        ["test frames (files never trained on)", f"{found['test_frames']:,}", frames],
        ["`fftnas run`", f"{run.seconds:.1f}", "seconds"],
        ["`fftnas pareto`", f"{pareto.seconds:.1f}", "seconds"],
        ["the two commands", f"{run.seconds + pareto.seconds:.1f}", "seconds"],
        ["trials complete", f"{found['complete']} of {found['trials']}", "trials"],
        ["seconds per trial (run / trials)", f"{run.seconds / max(found['trials'], 1):.1f}", "seconds"],
        ["best accuracy", f"{found['best_accuracy']:.4f}", "fraction of test frames"],
        ["Pareto front", f"{found['pareto']}", "trials"],
    ]
    shown = [c.typed.replace(f"{REPO}{os.sep}", "").replace(str(workdir), "TMP") for c in (run, pareto)]
    typed = "\n".join(f"    {line}" for line in shown)
    return rows, typed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="recordings to write (default: 1000)")
    parser.add_argument("--trials", type=int, help="the study's trials (default: the file's study.trials)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the written folder (default: 0)")
    parser.add_argument("--workdir", help="keep the folder, cache and study here (default: a temp dir)")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fftnas-audio-folder-") as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            rows, typed = run_benchmark(files=args.files, trials=args.trials, seed=args.seed, workdir=workdir)
        except ConfigError as error:  # a --files out of range, a non-empty --workdir, no espeak-ng
            sys.exit(f"audio_folder_study: error: {error}")
    table = markdown_table(["quantity", "value", "unit"], rows)
    print(table)
    notes = f"The two commands, as run (TMP: a fresh temporary directory, its frame cache empty):\n\n{typed}"
    print(notes)
    if not args.no_record:
        append_results(f"A folder of {args.files:,} audio files to a finished study", table, notes=notes)


if __name__ == "__main__":
    main()
