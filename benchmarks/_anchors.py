"""The methods ``pitch_anchors.py`` compares: CREPE (torchcrepe, tiny and full), PESTO
(pesto-pitch), librosa's pYIN and fftnas's model (a stored trial's, or a baseline trained here),
each fed arrays of context frames ``(n, context_length)`` whose centre is the frame fftnas sees,
and each giving the f0 (Hz) at that centre; ``run`` times them.

torchcrepe and pesto import torchaudio at import time only to read audio files; the torchaudio
wheel pip resolves may not load beside this torch (``OSError`` from its C++ library). Then a
placeholder module stands in for it during their import (every attribute raises ImportError
saying why): no file is ever read here, so nothing of theirs that runs needs it.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import importlib.util
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from fftlearn import CandidateConfig, ConfigError, HeadConfig, ModelConfig, OptimizerConfig, count_macs
from fftlearn._compute import flop_counter_flops
from fftlearn.data import LabelledFrames, local_average_f0
from fftlearn.frontends import STFTConfig

# the package each anchor needs (import name, pip name)
PACKAGES = {
    "crepe_tiny": ("torchcrepe", "torchcrepe"),
    "crepe_full": ("torchcrepe", "torchcrepe"),
    "pesto": ("pesto", "pesto-pitch"),
    "pyin": ("librosa", "librosa"),
}
ANCHOR_NAMES = tuple(PACKAGES)
CREPE_BIN0_CENTS = 1997.3794084376191  # CREPE's bin 0 in cents re 10 Hz (torchcrepe.convert, no dither)
PESTO_MODEL = "mir-1k_g7"  # pesto.predict's default checkpoint, shipped in the wheel
PYIN_FRAME = 2048  # librosa's default pYIN frame (128 ms at 16 kHz)
PYIN_HOP = 256  # samples between pYIN frames: 9 frames in a 4096-sample context for its HMM
PYIN_CONTEXT = 4096  # samples pYIN gets; its centre frame (index 4) is centred on fftnas's frame


@dataclass(frozen=True)
class Anchor:
    """One pitch tracker, ready to run: ``predict(contexts (b, context_length) float32) -> (b,)
    Hz`` for the frame at the centre of each context."""

    name: str
    context_length: int  # samples of audio it reads per frame, centred on fftnas's frame
    predict: Callable[[np.ndarray], np.ndarray]
    macs: float | None  # per frame: FlopCounterMode FLOPs / 2; None for a method that is no network
    counted: str  # what the MACs count, and what they leave out
    settings: str  # how it is run, for the notes under the table


def missing_packages(names: list[str]) -> list[str]:
    """The pip names of the packages the anchors ``names`` need and that are not installed."""
    missing = {PACKAGES[name][1] for name in names if importlib.util.find_spec(PACKAGES[name][0]) is None}
    return sorted(missing)


def import_without_torchaudio(name: str) -> types.ModuleType:
    """``import name`` (torchcrepe or pesto), with a placeholder for torchaudio if it cannot load."""
    if name in sys.modules:
        return sys.modules[name]
    try:
        import torchaudio  # noqa: F401
    except (ImportError, OSError, RuntimeError) as error:  # OSError: its C++ library
        reason = f"torchaudio could not be imported ({type(error).__name__}: {error})"
    else:
        return importlib.import_module(name)
    placeholder = types.ModuleType("torchaudio")

    def unavailable(attribute: str) -> object:
        raise ImportError(f"torchaudio.{attribute}: {reason}; pitch_anchors feeds arrays, not files")

    placeholder.__getattr__ = unavailable  # type: ignore[method-assign]
    previous = sys.modules.get("torchaudio")
    sys.modules["torchaudio"] = placeholder
    try:
        return importlib.import_module(name)
    finally:  # later imports of torchaudio fail as they would have
        if previous is None:
            sys.modules.pop("torchaudio", None)
        else:
            sys.modules["torchaudio"] = previous


def centre_cut(contexts: np.ndarray, *, frame_length: int, length: int) -> np.ndarray:
    """The ``length`` samples of ``contexts (n, C)`` around their centred frame of ``frame_length``
    (which starts at ``(C - frame_length) // 2``), so that it starts at ``(length - frame_length)
    // 2`` of the cut -> ``(n, length)``."""
    start = (contexts.shape[1] - frame_length) // 2 - (length - frame_length) // 2
    if start < 0 or start + length > contexts.shape[1]:
        raise ValueError(f"cannot cut {length} samples around the centre of {contexts.shape[1]}")
    return contexts[:, start : start + length]


def crepe(capacity: str, *, sample_rate: int) -> Anchor:
    """torchcrepe's ``capacity`` model on 1024-sample frames at 16 kHz, normalised by its own
    ``preprocess`` (mean 0, std 1 per frame); its 360 sigmoid outputs decoded as CREPE does (the
    weighted average of the arg-max bin and 4 either side, ``local_average_f0``), over all bins
    (32 Hz - 2 kHz), no Viterbi smoothing."""
    torchcrepe = import_without_torchaudio("torchcrepe")
    if sample_rate != torchcrepe.SAMPLE_RATE:
        raise ValueError(f"CREPE reads {torchcrepe.SAMPLE_RATE} Hz audio; the frames are {sample_rate} Hz")
    torchcrepe.load.model("cpu", capacity)
    model = torchcrepe.infer.model  # this capacity's network, kept though infer may load another
    window = torchcrepe.WINDOW_SIZE
    bins = np.arange(torchcrepe.PITCH_BINS)
    class_f0_hz = 10.0 * 2.0 ** ((torchcrepe.CENTS_PER_BIN * bins + CREPE_BIN0_CENTS) / 1200.0)

    def normalised(contexts: np.ndarray) -> torch.Tensor:  # (b, 1024) -> (b, 1024) as CREPE reads them
        audio = torch.from_numpy(np.ascontiguousarray(contexts, dtype=np.float32)).reshape(1, -1)
        return next(torchcrepe.preprocess(audio, sample_rate, window, len(contexts), "cpu", False))

    def predict(contexts: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            probabilities = model(normalised(contexts))  # (b, 360) sigmoids
        return local_average_f0(probabilities.double().numpy(), class_f0_hz)

    example = normalised(np.random.default_rng(0).normal(size=(1, window)))
    return Anchor(
        f"crepe_{capacity}",
        window,
        predict,
        flop_counter_flops(model, example) / 2,
        "FlopCounterMode: convolutions and the dense layer; batch norm, ReLU, pooling, "
        "normalisation and decoding uncounted",
        f"torchcrepe {_version('torchcrepe')} `{capacity}`: {window} samples (64 ms), its own "
        "per-frame normalisation, CREPE's local-average decoding over all 360 bins, no Viterbi",
    )


def pesto(*, sample_rate: int) -> Anchor:
    """PESTO (``mir-1k_g7``) with its CQT uncentred (``center=False``), so that a context exactly
    one CQT kernel long (4096 samples at 16 kHz) gives one CQT frame centred on the frame."""
    package = import_without_torchaudio("pesto")
    model = package.load_model(PESTO_MODEL, step_size=10.0, sampling_rate=sample_rate, center=False)
    width = int(model.preprocessor.hcqt_kernels.cqt_kernels[0].kernel_width)

    def predict(contexts: np.ndarray) -> np.ndarray:
        audio = torch.from_numpy(np.ascontiguousarray(contexts, dtype=np.float32))
        with torch.inference_mode():
            f0, _, _ = model(audio, sr=sample_rate, convert_to_freq=True, return_activations=False)
        if f0.shape != (len(contexts), 1):
            raise RuntimeError(f"PESTO gave {tuple(f0.shape)} estimates for {len(contexts)} contexts")
        return f0[:, 0].double().numpy()

    example = torch.from_numpy(np.random.default_rng(0).normal(size=(1, width)).astype(np.float32))
    return Anchor(
        "pesto",
        width,
        predict,
        flop_counter_flops(model, example) / 2,
        "FlopCounterMode: the CQT (a dense convolution of 4096-tap kernels, zero taps included) "
        "and the encoder; log-magnitude, layer norm and decoding uncounted",
        f"pesto-pitch {_version('pesto')} `{PESTO_MODEL}`: one CQT frame, kernels {width} samples "
        f"({1000 * width / sample_rate:.0f} ms) long, `center=False`; its own log-CQT and layer "
        "norm, argmax-local weighted decoding",
    )


def pyin(*, sample_rate: int, fmin_hz: float, fmax_hz: float) -> Anchor:
    """librosa's pYIN over a 4096-sample context: 9 frames of 2048 every 256 samples, its HMM
    decoded over them; the f0 of the centre frame, its best guess even where it says unvoiced."""
    librosa = importlib.import_module("librosa")
    centre = (PYIN_CONTEXT - PYIN_FRAME) // 2 // PYIN_HOP

    def predict(contexts: np.ndarray) -> np.ndarray:
        f0, _, _ = librosa.pyin(
            np.asarray(contexts, dtype=np.float64),
            fmin=fmin_hz,
            fmax=fmax_hz,
            sr=sample_rate,
            frame_length=PYIN_FRAME,
            hop_length=PYIN_HOP,
            center=False,
            fill_na=None,
        )
        return f0[:, centre]

    return Anchor(
        "pyin",
        PYIN_CONTEXT,
        predict,
        None,
        "not a network",
        f"librosa {librosa.__version__} `pyin`: frame_length {PYIN_FRAME}, hop {PYIN_HOP}, "
        f"center=False, fmin {fmin_hz:.1f} Hz, fmax {fmax_hz:.1f} Hz (the experiment's pitch range "
        f"and a semitone more), fill_na=None; frame {centre} of 9 is centred on fftnas's frame",
    )


def make_anchor(name: str, *, sample_rate: int, fmin_hz: float, fmax_hz: float) -> Anchor:
    """The anchor ``name`` (one of ``ANCHOR_NAMES``), its weights loaded from its package."""
    if name in ("crepe_tiny", "crepe_full"):
        return crepe(name.split("_")[1], sample_rate=sample_rate)
    if name == "pesto":
        return pesto(sample_rate=sample_rate)
    return pyin(sample_rate=sample_rate, fmin_hz=fmin_hz, fmax_hz=fmax_hz)


def fftnas_anchor(model: torch.nn.Module, *, decoder: LabelledFrames, name: str, source: str) -> Anchor:
    """fftnas's model as an anchor named ``name``: its own frames, decoded as the experiment's task
    decodes them."""
    frame_length = decoder.frames.shape[1]
    model.eval()

    def predict(frames: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            logits = model(torch.from_numpy(np.ascontiguousarray(frames)))  # (b, n_classes)
        return decoder.decode_f0(torch.softmax(logits.double(), -1).numpy())

    seen = flop_counter_flops(model, torch.zeros(1, frame_length)) / 2
    counted = f"fftnas's own count, FFTs included (FlopCounterMode sees {seen / 1e6:.3g} M: no FFT)"
    return Anchor(name, frame_length, predict, float(count_macs(model)), counted, source)


def trial_model(args: argparse.Namespace) -> tuple[Any, torch.nn.Module, int, str]:
    """(experiment, model with its saved weights, data seed, description) of a stored trial."""
    import optuna

    from nas._study import load_study, study_experiment
    from nas.engine import open_artifact_store, open_storage, resolve_storage
    from nas.families.frontend._family import _download_weights
    from nas.families.frontend._objective import WEIGHTS_ATTR

    location = resolve_storage(args.storage, artifact_dir=args.artifact_dir)
    study = load_study(open_storage(location, create=False), args.study)
    experiment = study_experiment(study)
    trial = {t.number: t for t in study.get_trials(deepcopy=False)}.get(args.trial)
    if (
        trial is None
        or trial.state != optuna.trial.TrialState.COMPLETE
        or WEIGHTS_ATTR not in trial.user_attrs
    ):
        raise ConfigError(
            "--trial", args.trial, f"must be a complete trial of {study.study_name!r} with saved weights"
        )
    model = _download_weights(open_artifact_store(location, create=False), trial.user_attrs[WEIGHTS_ATTR])
    described = f"trial {args.trial} of study {study.study_name!r}, its saved weights"
    return experiment, model, int(trial.user_attrs["data_seed"]), described


def baseline_model(experiment: Any, *, data_seed: int, seconds: float) -> tuple[torch.nn.Module, str]:
    """The experiment's fixed STFT baseline (its largest n_fft, hop n_fft/2 where offered, hann;
    one hidden layer of 256 where the head space allows; Adam at lr 1e-3 clipped to its range),
    trained here on the experiment's training split for at most ``seconds``."""
    from nas.families.frontend._evaluate import evaluate_candidate

    task, space = experiment.task, experiment.space
    stft = space.subspace("stft")
    n_fft = max([n for n in stft.n_fft if n <= task.frame_length] or [task.frame_length])
    fraction = 0.5 if 0.5 in stft.hop_fraction else min(stft.hop_fraction)
    window = "hann" if "hann" in stft.window else stft.window[0]
    frontend = STFTConfig(
        frame_length=task.frame_length, n_fft=n_fft, hop=max(1, round(fraction * n_fft)), window=window
    )
    depth = min(max(1, space.head.depth.low), space.head.depth.high)
    head = HeadConfig(width=min(max(256, space.head.width.low), space.head.width.high), depth=depth)
    lr = min(max(1e-3, space.optimizer.lr.low), space.optimizer.lr.high)
    candidate = CandidateConfig(ModelConfig(frontend, head, task.n_classes), OptimizerConfig("adam", lr))
    budget = dataclasses.replace(experiment.budget, max_seconds=seconds)
    evaluation = evaluate_candidate(
        candidate, task=task, budget=budget, seed=0, data_seed=data_seed, device=torch.device("cpu")
    )
    trained = evaluation.train
    described = (
        f"the fixed STFT baseline (n_fft {n_fft}, hop {frontend.hop}, {window}; head depth {depth}, width "
        f"{head.width}; Adam lr {lr:g}), trained here, not searched: the experiment's {budget.epochs} epochs "
        f"capped at {seconds:g} s, {trained.steps} steps in {trained.seconds:.0f} s"
        f"{' (stopped by the cap)' if trained.stopped_by_time else ''}; RPA "
        f"{evaluation.metrics['raw_pitch_accuracy']:.3f} on all {len(evaluation.test.predictions)} of "
        "the experiment's test frames"
    )
    return evaluation.model, described


@dataclass(frozen=True)
class Outcome:
    """One method's estimates (Hz) per condition, and the seconds one pass over them took."""

    anchor: Anchor
    f0_hz: dict[str, np.ndarray]
    seconds: float  # the median pass over every condition's frames
    frames: int  # frames in one pass
    passes: int = 1  # timed passes


def run(
    anchor: Anchor,
    contexts: dict[str, np.ndarray],
    *,
    frame_length: int,
    batch_size: int,
    limit: int | None = None,
    min_seconds: float = 2.0,
) -> Outcome:
    """``anchor`` on the first ``limit`` (all without one) of each condition's context frames
    ``contexts[name] (n, C)`` centred on frames of ``frame_length``, in batches of ``batch_size``,
    after one untimed warm-up call. Passes over all of them repeat until ``min_seconds`` are
    spent (at most 100; one for a slow method), so a fast model's time is not one tick of noise."""
    inputs = {
        name: centre_cut(x[:limit], frame_length=frame_length, length=anchor.context_length)
        for name, x in contexts.items()
    }
    anchor.predict(next(iter(inputs.values()))[:2])  # loads, compiles (numba) and allocates: not timed
    passes: list[float] = []
    while not passes or (sum(passes) < min_seconds and len(passes) < 100):
        start = time.perf_counter()
        f0 = {
            name: np.concatenate(
                [anchor.predict(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
            )
            for name, x in inputs.items()
        }
        passes.append(time.perf_counter() - start)
    frames = sum(len(x) for x in inputs.values())
    return Outcome(anchor, f0, float(np.median(passes)), frames, len(passes))


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version({"pesto": "pesto-pitch"}.get(package, package))
    except PackageNotFoundError:
        return "(version unknown)"


def anchors_json(outcomes: list[Outcome], truth: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """What ``fftnas budgets --anchors`` reads: per method its name, MACs per frame (None when
    not a network) and RPA / RCA on the experiment's own test frames, with every condition's."""
    from fftlearn.data import raw_chroma_accuracy, raw_pitch_accuracy

    records = []
    for outcome in outcomes:
        scores = {
            name: {
                "raw_pitch_accuracy": raw_pitch_accuracy(f0, truth[name][: len(f0)]),
                "raw_chroma_accuracy": raw_chroma_accuracy(f0, truth[name][: len(f0)]),
            }
            for name, f0 in outcome.f0_hz.items()
        }
        own = scores.get("experiment", {})
        records.append(
            {"name": outcome.anchor.name, "macs": outcome.anchor.macs, **own, "conditions": scores}
        )
    return records
