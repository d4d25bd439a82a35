"""Pitch trackers side by side with fftnas's model on the test frames of a pitch experiment.

CREPE tiny and full (torchcrepe), PESTO (pesto-pitch) and librosa's pYIN run on exactly the
test frames of the experiment's data set under several conditions (the experiment's own test
split; standard notes; detuned; white/pink/babble noise at each SNR; the other soundfont), each
with the longer context it needs cut from the same rendered notes (``context_frames``: the
frame fftnas sees sits at the centre). For each: MACs per frame (FlopCounterMode FLOPs / 2),
seconds per 1,000 frames at one CPU thread and as a multiple of fftnas's model timed in the same
run on the same frames, and raw pitch / raw chroma accuracy (mir_eval's) per condition.

fftnas's model is a stored trial's (``--storage --study --trial``: its saved weights), or
without those the experiment's fixed STFT baseline trained here at a small budget. The trackers
are a benchmark-only extra (``pip install -e '.[anchors]'``); fftlearn never imports them.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pitch_anchors.py \\
        --experiment experiments/pitch_hard.toml [--n-frames 500] [--no-record]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _anchors import (
    ANCHOR_NAMES,
    Outcome,
    anchors_json,
    baseline_model,
    centre_cut,
    fftnas_anchor,
    make_anchor,
    missing_packages,
    run,
    trial_model,
)
from _results import append_results, markdown_table

from fftlearn import ConfigError, to_dict
from fftlearn._validate import check_int
from fftlearn.data import (
    FrameSet,
    LabelledFrames,
    label_frames,
    midi_to_hz,
    pitch_range,
    raw_chroma_accuracy,
    raw_pitch_accuracy,
)
from fftlearn.data._augment import NOISE_TYPES

STANDARD_NOISE_STD = 0.02  # experiments/frontends_pitch.toml's white noise (re peak 1)
SNR_DB = (20.0, 10.0, 0.0)
SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2")
EXIT_USAGE = 2


@dataclass(frozen=True)
class Condition:
    """A test condition: the experiment's data set with some settings changed."""

    name: str
    data: Any  # a SoundfontNotesConfig


def other_soundfont(data: Any) -> str:
    """The test soundfont of the "other soundfont" condition: the experiment's test soundfont,
    else the other of Debian's two GM soundfonts."""
    if data.test_soundfont and data.test_soundfont != data.soundfont:
        return data.test_soundfont
    if data.soundfont in SOUNDFONTS:
        return SOUNDFONTS[1 - SOUNDFONTS.index(data.soundfont)]
    raise ConfigError("test_soundfont", data.test_soundfont, "give the experiment one to compare")


def conditions(data: Any, *, snr_db: tuple[float, ...] = SNR_DB) -> list[Condition]:
    """The experiment's own test split, then the standard notes (the train soundfont, no detuning,
    only white noise of the experiment's ``noise_std`` or 0.02) and that with one change each:
    the experiment's detuning and vibrato; its noise types (else all three) at each SNR, with no
    other noise; the other soundfont."""
    standard = dataclasses.replace(
        data,
        test_soundfont="",
        detune_cents=0.0,
        vibrato_cents=0.0,
        noise_types=(),
        test_noise_types=None,
        test_snr_db=None,
        noise_std=data.noise_std or STANDARD_NOISE_STD,
    )
    types = (data.noise_types if data.test_noise_types is None else data.test_noise_types) or NOISE_TYPES
    detuning = ("detune_cents", "vibrato_cents", "vibrato_hz")
    changes = {
        "standard": {},
        "detuned": {field: getattr(data, field) for field in detuning},
        **{
            f"snr_{x:g}db": {"noise_std": 0.0, "test_noise_types": types, "test_snr_db": (x, x)}
            for x in snr_db
        },
        "other_soundfont": {"test_soundfont": other_soundfont(data)},
    }
    return [Condition("experiment", data)] + [
        Condition(name, dataclasses.replace(standard, **change)) for name, change in changes.items()
    ]


def settings_row(condition: Condition) -> list[str]:
    """The test split's exact settings, as cells of the conditions table."""
    data = condition.data
    noise = data.noise("test")
    return [
        condition.name,
        Path(data.test_soundfont or data.soundfont).name,
        f"{data.detune_cents:g}",
        f"{data.vibrato_cents:g} at {data.vibrato_hz:g} Hz" if data.vibrato_cents else "0",
        ", ".join(noise.types) or "-",
        f"{noise.snr_db[0]:g} to {noise.snr_db[1]:g}" if noise.types else "-",
        f"{data.noise_std:g}",
    ]


@dataclass(frozen=True)
class ConditionFrames:
    """A condition's first ``n`` test frames: ``test`` as fftnas's model sees them (labelled by
    the experiment's task), ``context (n, C) float32`` the same frames centred in ``C`` samples."""

    name: str
    test: LabelledFrames
    context: np.ndarray


def first(frames: FrameSet, n: int) -> FrameSet:
    """The first ``n`` frames of ``frames``."""
    return frames.subset(np.arange(min(n, len(frames))))


def condition_frames(
    condition: Condition, *, task: Any, seed: int, n: int, context_length: int
) -> ConditionFrames:
    """Render (or read from the cache) ``condition``'s test split for data seed ``seed`` and its
    context frames; raise unless every frame is exactly the centre of its context."""
    data = condition.data
    data.check_sources()
    plain = data.make_frames(split="test", seed=seed)
    around = data.context_frames(split="test", seed=seed, context_length=context_length)
    if n > len(plain.frames):
        raise ConfigError("--n-frames", n, f"must be at most the experiment's n_test ({len(plain.frames)})")
    if not np.array_equal(
        centre_cut(around.frames, frame_length=data.frame_length, length=data.frame_length), plain.frames
    ):
        raise RuntimeError(f"{condition.name}: context frames do not hold the test frames at their centre")
    return ConditionFrames(condition.name, label_frames(first(plain, n), task=task), around.frames[:n])


def accuracy_cell(f0_hz: np.ndarray, true_f0_hz: np.ndarray) -> str:
    """ "RPA / RCA" of estimates ``f0_hz (n,)`` against ``true_f0_hz (n,)``."""
    return f"{raw_pitch_accuracy(f0_hz, true_f0_hz):.3f} / {raw_chroma_accuracy(f0_hz, true_f0_hz):.3f}"


def tables(outcomes: list[Outcome], frames: list[ConditionFrames], chosen: list[Condition]) -> str:
    """The cost table, the accuracy table (RPA / RCA per condition) and the conditions table."""
    per_frame = {o.anchor.name: o.seconds / o.frames for o in outcomes}  # fftnas's model comes first
    cost = [
        [
            o.anchor.name,
            str(o.anchor.context_length),
            "-" if o.anchor.macs is None else f"{o.anchor.macs / 1e6:,.3f} M",
            o.anchor.counted,
            f"{1000 * per_frame[o.anchor.name]:.3f}",
            f"{per_frame[o.anchor.name] / per_frame[outcomes[0].anchor.name]:.1f}",
        ]
        for o in outcomes
    ]
    truth = {f.name: f.test.f0_hz for f in frames}
    accuracy = [
        [o.anchor.name, str(len(next(iter(o.f0_hz.values()))))]
        + [accuracy_cell(f0, truth[name][: len(f0)]) for name, f0 in o.f0_hz.items()]
        for o in outcomes
    ]
    header = ["method", "input (samples)", "MACs per frame", "MACs counted by"]
    header += ["seconds per 1,000 frames (1 thread)", "time ÷ fftnas's time"]
    settings = ["condition", "test soundfont", "detune (± cents)", "vibrato (± cents)", "added noise"]
    settings += ["SNR (dB)", "white noise_std (re peak 1)"]
    return "\n\n".join(
        [
            markdown_table(header, cost),
            markdown_table(
                ["method", "frames per condition"] + [f"{f.name}: RPA / RCA" for f in frames], accuracy
            ),
            markdown_table(settings, [settings_row(c) for c in chosen]),
        ]
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", help="pitch experiment file (TOML); optional with --trial")
    parser.add_argument("--n-frames", type=int, default=500, help="test frames per condition (the first n)")
    parser.add_argument("--conditions", nargs="+", help="condition names (default: all)")
    parser.add_argument(
        "--snr-db", type=float, nargs="+", default=list(SNR_DB), help="noise conditions' SNRs"
    )
    parser.add_argument("--anchors", nargs="+", default=list(ANCHOR_NAMES), choices=ANCHOR_NAMES)
    parser.add_argument("--crepe-full-frames", type=int, help="time-box CREPE full: its frames per condition")
    parser.add_argument("--batch-size", type=int, default=250, help="frames per call, every method alike")
    parser.add_argument("--train-seconds", type=float, default=120.0, help="the baseline's training cap (s)")
    parser.add_argument("--storage", help="Optuna storage URL or journal file of the study")
    parser.add_argument("--artifact-dir", help="its artifact directory (default: beside a file storage)")
    parser.add_argument("--study", help="study name (optional when the storage holds one)")
    parser.add_argument("--trial", type=int, help="trial whose saved model is fftnas's (else: a baseline)")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    parser.add_argument("--json", help="also write the scores for `fftnas budgets --anchors` to this file")
    return parser.parse_args(argv)


def check_experiment(experiment: Any, given: Any | None) -> None:
    """Raise ``ConfigError`` unless ``experiment`` is a pitch task on rendered soundfont notes
    (and, when both are given, the same task as the experiment file ``given``)."""
    task = experiment.task
    if task.name != "pitch" or not hasattr(task.data, "context_frames"):
        raise ConfigError("task", task.data.kind, "must be pitch on soundfont_notes (context frames)")
    if given is not None and to_dict(given.task) != to_dict(task):
        raise ConfigError("--experiment", "(file)", "its task differs from the study's; omit it with --trial")


def resolve(
    args: argparse.Namespace,
) -> tuple[Any, int, tuple[torch.nn.Module, str] | None, list[Condition]]:
    """Check the flags and the extra; the experiment, its data seed, the trial's model and its
    description (None without --trial) and the chosen conditions."""
    from nas._experiment import load_experiment

    for flag in ("n_frames", "batch_size", "crepe_full_frames"):
        if getattr(args, flag) is not None:
            check_int("--" + flag.replace("_", "-"), getattr(args, flag), low=1, high=100_000)
    if args.trial is None and (args.storage or args.study):
        raise ConfigError("--trial", None, "give the trial whose model to compare with --storage/--study")
    if args.experiment is None and args.trial is None:
        raise ConfigError("--experiment", None, "give a pitch experiment file (or --storage/--trial)")
    if missing := missing_packages(args.anchors):
        raise ConfigError(
            "--anchors", args.anchors, f"{', '.join(missing)} not installed: pip install -e '.[anchors]'"
        )
    given = None if args.experiment is None else load_experiment(args.experiment)
    trial = None
    if args.trial is None:
        experiment, seed = given, given.study.seed
    else:
        experiment, model, seed, source = trial_model(args)
        trial = (model, source)
    check_experiment(experiment, given)
    chosen = conditions(experiment.task.data, snr_db=tuple(args.snr_db))
    names = [c.name for c in chosen]
    if args.conditions and (unknown := sorted(set(args.conditions) - set(names))):
        raise ConfigError("--conditions", unknown, f"known: {', '.join(names)}")
    return experiment, seed, trial, [c for c in chosen if not args.conditions or c.name in args.conditions]


def notes(args: argparse.Namespace, experiment: Any, seed: int, outcomes: list[Outcome], load: float) -> str:
    """What the tables measured, how each method ran, and the machine's load."""
    task, where = experiment.task, f"`{args.experiment}`" if args.experiment else "of the study"
    lines = [
        (
            f"Experiment {where} ({experiment.study.name}), data seed "
            f"{seed}: the first {args.n_frames} test frames of each condition ({task.frame_length} samples "
            f"at {task.sample_rate} Hz). Every method reads the same frames with the context it needs "
            "around them, cut from the same rendered notes (`SoundfontNotesConfig.context_frames`: "
            "fftnas's frame sits at the centre, the audio around it has the same gain and noise of the "
            "same type and level; zeros, plus that noise, beyond the rendered note)."
        ),
        *(f"- {o.anchor.name}: {o.anchor.settings}; timed passes: {o.passes}." for o in outcomes),
        (
            "RPA / RCA: fftlearn's raw pitch and raw chroma accuracy (mir_eval's definitions) of the "
            "centre frame's estimate against its continuous f0. Seconds: the median of passes over "
            "all conditions' frames, repeated while under 2 s in all (at least one); prediction calls "
            "only (normalisation, CQT and decoding included, rendering not), batches of "
            f"{args.batch_size}, torch at 1 thread, OMP_NUM_THREADS="
            f"{os.environ.get('OMP_NUM_THREADS', 'unset')}, after one untimed warm-up call; load average "
            f"(1 min) {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end, on {os.cpu_count()} "
            "cores shared with other jobs."
        ),
    ]
    if args.crepe_full_frames:
        lines.append(
            f"CREPE full was time-boxed to the first {args.crepe_full_frames} frames of each condition."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison at one torch thread (the caller's count is restored); 2 on bad input."""
    args = parse_args(argv)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return compare(args)
    finally:
        torch.set_num_threads(threads)


def compare(args: argparse.Namespace) -> int:
    """Everything ``main`` does, once the flags are parsed."""
    try:
        experiment, seed, trial, chosen = resolve(args)
        data = experiment.task.data
        low, high = pitch_range(data)
        anchors = [
            make_anchor(
                name, sample_rate=data.sample_rate, fmin_hz=midi_to_hz(low - 1), fmax_hz=midi_to_hz(high + 1)
            )
            for name in args.anchors
        ]
        length = max([data.frame_length] + [a.context_length for a in anchors])
        frames = [
            condition_frames(c, task=experiment.task, seed=seed, n=args.n_frames, context_length=length)
            for c in chosen
        ]
    except ConfigError as error:
        print(f"pitch_anchors: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    model, source = trial or baseline_model(experiment, data_seed=seed, seconds=args.train_seconds)
    load = os.getloadavg()[0]
    name = "fftnas (STFT baseline)" if trial is None else f"fftnas (trial {args.trial})"
    ours = fftnas_anchor(model, decoder=frames[0].test, name=name, source=source)
    contexts = {f.name: f.context for f in frames}
    outcomes = []
    for anchor in [ours, *anchors]:
        limit = args.crepe_full_frames if anchor.name == "crepe_full" else None
        outcomes.append(
            run(anchor, contexts, frame_length=data.frame_length, batch_size=args.batch_size, limit=limit)
        )
        print(f"{anchor.name}: {outcomes[-1].frames} frames in {outcomes[-1].seconds:.1f} s", flush=True)
    table = tables(outcomes, frames, chosen)
    text = notes(args, experiment, seed, outcomes, load)
    print(table + "\n\n" + text)
    if not args.no_record:
        append_results("Pitch trackers side by side", table, notes=text)
    if args.json:
        truth = {f.name: f.test.f0_hz for f in frames}
        Path(args.json).write_text(json.dumps(anchors_json(outcomes, truth), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
