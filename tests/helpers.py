"""Shared helpers for the tests: a tiny experiment, snapshots of a stored study, a tiny NSynth copy."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import numpy as np
from scipy.io import wavfile

REPO = Path(__file__).resolve().parent.parent
QUICKSTART = REPO / "experiments" / "quickstart.toml"
# The last user attribute a trial records before it trains (nas/_objective.py): once it is
# there, the trial is mid-training and its seed and config are stored.
TRAINING_STARTED = "process_id"

# A fast variant of the quickstart (a few seconds for 4 trials on one CPU core).
TINY_EXPERIMENT = """
[study]
name = "{name}"
trials = {trials}
seed = 0

[sampler]
name = "{sampler}"
seed = 0

[[objectives]]
metric = "accuracy"
direction = "maximize"

[[objectives]]
metric = "macs"
direction = "minimize"

[task]
name = "pitch"

[task.data]
kind = "harmonic_tones"
n_train = 240
n_test = 120
frame_length = 256
midi_low = 60
midi_high = 67

[space]
frontends = ["multiplicative", "stft"]

[space.multiplicative]
n_kernels = {{ low = 4, high = 64, log = true }}

[space.stft]
n_fft = [64, 128]

[space.conv]
n_filters = {{ low = 4, high = 16, log = true }}
filter_length = {{ low = 16, high = 64, log = true }}

[space.experts]
n_experts = {{ low = 2, high = 3 }}
expert_kinds = ["multiplicative", "conv"]
multiplicative = {{ n_kernels = {{ low = 4, high = 32, log = true }} }}
conv = {{ n_filters = {{ low = 4, high = 16, log = true }}, filter_length = {{ low = 16, high = 64, log = true }} }}

[space.head]
width = {{ low = 8, high = 32, log = true }}
depth = {{ low = 0, high = 1 }}

[space.optimizer]
name = ["{optimizer}"]
lr = {{ low = {lr_low}, high = {lr_high}, log = true }}

[budget]
epochs = 2
batch_size = 32
"""


def load_benchmark(name: str) -> ModuleType:
    """The script ``benchmarks/<name>.py`` imported as a module (its ``main`` not run), registered
    in ``sys.modules`` as ``name`` (its dataclasses look their module up there)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def write_tiny_experiment(
    path: Path,
    *,
    name: str = "tiny",
    trials: int = 4,
    sampler: str = "tpe",
    optimizer: str = "adam",
    lr_low: float = 1e-3,
    lr_high: float = 1e-2,
) -> Path:
    """Write the tiny experiment to ``path`` and return it."""
    path.write_text(
        TINY_EXPERIMENT.format(
            name=name, trials=trials, sampler=sampler, optimizer=optimizer, lr_low=lr_low, lr_high=lr_high
        ),
        encoding="utf-8",
    )
    return path


def edit_experiment(source: Path, target: Path, pattern: str, replacement: str) -> Path:
    """Copy ``source`` to ``target`` with one regex substitution (which must match)."""
    text, count = re.subn(
        pattern, replacement, source.read_text(encoding="utf-8"), count=1, flags=re.MULTILINE
    )
    if count != 1:
        raise AssertionError(f"pattern {pattern!r} not found in {source}")
    target.write_text(text, encoding="utf-8")
    return target


class SmallStudy(NamedTuple):
    """A study made once per test session by ``fftnas run`` on the tiny experiment."""

    storage: Path  # the journal file
    artifact_dir: Path  # <stem>-artifacts beside it
    study_name: str
    experiment: Path  # the TOML file it was run from
    n_trials: int  # trials the run was asked for


def snapshot(*paths: Path) -> dict[str, str]:
    """SHA-256 of every file under ``paths``: equal snapshots mean nothing was written."""
    digests: dict[str, str] = {}
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for file in files:
            digests[str(file)] = hashlib.sha256(file.read_bytes()).hexdigest()
    return digests


NSYNTH_RATE = 16000  # Hz, NSynth's sample rate


def write_nsynth(root: Path, notes: dict[str, tuple[int, int]]) -> Path:
    """A tiny NSynth split: name -> (MIDI pitch, family); 4 s int16 wavs, key released at 3 s."""
    (root / "audio").mkdir(parents=True)
    examples = {}
    t = np.arange(4 * NSYNTH_RATE) / NSYNTH_RATE
    for i, (name, (pitch, family)) in enumerate(notes.items()):
        f0 = 440 * 2 ** ((pitch - 69) / 12)
        tone = sum(np.sin(2 * np.pi * h * f0 * t + i) / h for h in range(1, 5))
        envelope = np.minimum(t / 0.02, 1.0) * np.where(t < 3.0, 1.0, np.exp(-(t - 3.0) * 40))
        wavfile.write(
            root / "audio" / f"{name}.wav", NSYNTH_RATE, (0.3 * 32767 * envelope * tone / 2).astype(np.int16)
        )
        examples[name] = {
            "pitch": pitch, "velocity": 100, "instrument_family": family, "sample_rate": NSYNTH_RATE,
            "instrument_family_str": ["bass", "brass", "flute", "guitar"][family], "note_str": name,
        }  # fmt: skip
    (root / "examples.json").write_text(json.dumps(examples))
    return root


def write_nsynth_splits(root: Path) -> Path:
    """``root/nsynth-train`` (6 notes of 4 families) and ``root/nsynth-test`` (2 notes), as
    ``NSynthConfig.example(root=root)`` reads them."""
    write_nsynth(root / "nsynth-train", {f"n{i}": (48 + 3 * i, i % 4) for i in range(6)})
    write_nsynth(root / "nsynth-test", {"t0": (57, 1), "t1": (64, 3)})
    return root


def write_tone_folder(root: Path) -> Path:
    """``root/audio-folder`` as ``AudioFolderConfig.example(root=root)`` reads it: classes ``low``
    and ``high``, three 0.25 s harmonic tones each (22.05 kHz, wav and flac), the last with a
    silent half."""
    import soundfile

    rate = 22_050
    t = np.arange(rate // 4) / rate
    for label, f0 in (("low", 220.0), ("high", 660.0)):
        (root / "audio-folder" / label).mkdir(parents=True)
        for i in range(3):
            tone = sum(np.sin(2 * np.pi * h * f0 * (1 + 0.02 * i) * t + i) / h for h in range(1, 4))
            if i == 2:
                tone[: len(t) // 2] = 0.0
            name = f"{i}.{'flac' if i % 2 else 'wav'}"
            soundfile.write(root / "audio-folder" / label / name, 0.3 * tone, rate)
    return root

