"""A folder of real recordings to try ``audio_folder`` on: instrument notes rendered by FluidSynth
from a General MIDI SoundFont and sentences spoken by espeak-ng, written as wav and flac files at
their own rates (44.1 kHz notes, 22.05 kHz speech), with manifests.

Layout under ``root``: ``<class>/<name>.wav|flac`` with classes ``piano``, ``flute``, ``violin``
(notes) and ``speech``; ``manifest.csv`` (columns ``path``, ``label``, ``split``: every file, the
split by file, one in five held out per class) and ``pitch.csv`` (``path``, ``f0_hz``: the notes
only, f0 of the written MIDI note). Everything is drawn from ``seed``.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from .._errors import ConfigError
from .._validate import check_int
from ._fluidsynth import render_note, synthesizer
from ._pitch import midi_to_hz
from ._speech import SENTENCES, speak

DEFAULT_SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
INSTRUMENTS = {"piano": 0, "violin": 40, "flute": 73}  # class -> General MIDI program
VOICES = ("en", "en+f2", "en-us", "en+m3")
NOTE_RATE = 44_100  # Hz of the written notes
MIDI_RANGE = (48, 76)  # notes drawn from C3..E5


def write_audio_folder(
    root: str | Path,
    *,
    n_files: int,
    seed: int = 0,
    note_seconds: float = 0.6,
    soundfont: str = DEFAULT_SOUNDFONT,
    espeak: str = "espeak-ng",
) -> Path:
    """Write ``n_files`` recordings (a quarter of them speech, the rest notes of three
    instruments, alternately wav and flac) and the two manifests into ``root`` (created; must not
    exist or be empty). Returns ``root``. Needs the SoundFont and espeak-ng."""
    check_int("n_files", n_files, low=8, high=1_000_000)
    folder = Path(root)
    if folder.exists() and any(folder.iterdir()):
        raise ConfigError("root", str(folder), "must be a new or empty directory")
    if shutil.which(espeak) is None:
        raise ConfigError("espeak", espeak, "is not an installed program; install espeak-ng")
    rng = np.random.default_rng(seed)
    n_speech = n_files // 4
    rows: list[dict[str, str]] = []
    with synthesizer(soundfont, rate=NOTE_RATE, field="soundfont") as (synth, font):
        for index in range(n_files - n_speech):
            name = list(INSTRUMENTS)[index % len(INSTRUMENTS)]
            midi = int(rng.integers(MIDI_RANGE[0], MIDI_RANGE[1] + 1))
            audio = render_note(
                synth, font, INSTRUMENTS[name], midi, int(rng.integers(70, 121)),
                n_samples=round(note_seconds * NOTE_RATE),
            )  # fmt: skip
            path = _write(folder, name, index, audio, NOTE_RATE)
            rows.append({"path": path, "label": name, "f0_hz": f"{float(midi_to_hz(midi)):.4f}"})
    with tempfile.TemporaryDirectory() as scratch:
        for index in range(n_speech):
            text = SENTENCES[int(rng.integers(len(SENTENCES)))]
            voice = VOICES[index % len(VOICES)]
            audio, rate = speak(
                espeak, text, voice=voice, pitch=int(rng.integers(20, 81)), speed=int(rng.integers(150, 211)),
                wav=Path(scratch) / "speech.wav",
            )  # fmt: skip
            path = _write(folder, "speech", index, audio, rate)
            rows.append({"path": path, "label": "speech", "f0_hz": ""})
    _write_manifests(folder, rows, rng=rng)
    return folder


def _write(folder: Path, label: str, index: int, audio: np.ndarray, rate: int) -> str:
    """Write one recording (wav for even ``index``, flac for odd); its path relative to ``folder``."""
    relative = Path(label) / f"{label}-{index:05d}.{'wav' if index % 2 == 0 else 'flac'}"
    (folder / label).mkdir(parents=True, exist_ok=True)
    peak = max(float(np.abs(audio).max()), 1e-9)
    soundfile.write(folder / relative, 0.9 * audio / peak, rate, subtype="PCM_16")
    return relative.as_posix()


def _write_manifests(folder: Path, rows: list[dict[str, str]], *, rng: np.random.Generator) -> None:
    for label in sorted({row["label"] for row in rows}):
        mine = [row for row in rows if row["label"] == label]
        held_out = set(rng.permutation(len(mine))[: max(1, len(mine) // 5)].tolist())
        for index, row in enumerate(mine):
            row["split"] = "test" if index in held_out else "train"
    with open(folder / "manifest.csv", "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=["path", "label", "split"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with open(folder / "pitch.csv", "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=["path", "f0_hz", "split"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(row for row in rows if row["f0_hz"])
