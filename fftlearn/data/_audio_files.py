"""The files of an audio folder: which they are, their labels and splits, their content hash, and
their samples (mono, resampled).

Files are found in one of two layouts: ``root/<class>/**/<file>`` (the sub-folder names the
class), or the rows of a CSV or JSON manifest (itself at a path relative to ``root`` or absolute;
a path column, relative to ``root`` or absolute,
a label column, and optionally a split column whose values are "train" or "test"). Audio is read
with ``soundfile`` (wav, flac, ogg); every mistake is a ``ConfigError`` naming the config field
and the file.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from .._errors import ConfigError
from ._frameset import resample

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
SPLITS = ("train", "test")


@dataclass(frozen=True)
class AudioFile:
    """One file of the folder: its path, its label (a class name or an f0 as written), where it
    was named (``origin``: "root/<class>" or "manifest row K", for messages), and the split the
    manifest gives it ("" when the seed decides)."""

    path: Path
    label: str
    origin: str
    split: str = ""


def list_audio_files(
    *, root: str, manifest: str, path_column: str, label_column: str, split_column: str
) -> list[AudioFile]:
    """The folder's files in a fixed order (sorted by path): from the manifest when one is given,
    else from ``root``'s class sub-folders. Raises ``ConfigError`` for a missing folder or
    manifest, a missing column, an empty label, a row pointing nowhere, or no audio at all."""
    folder = Path(root)
    if not root or not folder.is_dir():
        raise ConfigError("root", root, "must be an existing directory of audio files")
    if manifest:
        files = _manifest_files(
            folder,
            str(folder / manifest),
            path_column=path_column,
            label_column=label_column,
            split_column=split_column,
        )
    else:
        if split_column:
            raise ConfigError("split_column", split_column, "needs a manifest (the column is read from it)")
        files = _folder_files(folder)
    if not files:
        where = f"manifest {manifest}" if manifest else f"{root}'s class sub-folders"
        raise ConfigError("root", root, f"holds no {', '.join(AUDIO_SUFFIXES)} file in {where}")
    return sorted(files, key=lambda file: str(file.path))


def _folder_files(folder: Path) -> list[AudioFile]:
    files = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in AUDIO_SUFFIXES or not path.is_file():
            continue
        relative = path.relative_to(folder)
        if len(relative.parts) < 2:
            raise ConfigError(
                "root", str(folder), f"has {relative} outside a class sub-folder; put it in root/<class>/"
            )
        files.append(AudioFile(path=path, label=relative.parts[0], origin=f"root/{relative.parts[0]}"))
    return files


def read_manifest(manifest: str) -> list[dict[str, str]]:
    """The rows of a CSV (with a header row) or JSON (a list of objects) manifest, values as text."""
    path = Path(manifest)
    if not path.is_file():
        raise ConfigError("manifest", manifest, "must be an existing .csv or .json file")
    try:
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix.lower() == ".json":
            rows = json.loads(text)
        elif path.suffix.lower() == ".csv":
            rows = list(csv.DictReader(text.splitlines()))
        else:
            raise ConfigError("manifest", manifest, "must be a .csv or .json file")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as error:
        raise ConfigError("manifest", manifest, f"is not readable ({error})") from None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ConfigError("manifest", manifest, "must hold a list of rows (objects with named columns)")
    return [{str(k): "" if v is None else str(v).strip() for k, v in row.items()} for row in rows]


def _manifest_files(
    folder: Path, manifest: str, *, path_column: str, label_column: str, split_column: str
) -> list[AudioFile]:
    rows = read_manifest(manifest)
    columns = (("path_column", path_column), ("label_column", label_column), ("split_column", split_column))
    for field, column in columns:
        if column and rows and column not in rows[0]:
            raise ConfigError(field, column, f"is not a column of {manifest} (it has {', '.join(rows[0])})")
    files = []
    for number, row in enumerate(rows, start=1):
        origin = f"manifest row {number}"
        path = folder / row.get(path_column, "")  # an absolute path stays itself
        if not row.get(path_column) or not path.is_file():
            named = f"row {number}: {path_column} {row.get(path_column, '')!r}"
            raise ConfigError("manifest", manifest, f"{named} is no file under root")
        if not row.get(label_column):
            raise ConfigError("label_column", label_column, f"is empty in row {number} ({path})")
        split = row.get(split_column, "") if split_column else ""
        if split_column and split not in SPLITS:
            raise ConfigError(
                "split_column", split_column, f"row {number} ({path}) says {split!r}; use train or test"
            )
        files.append(AudioFile(path=path, label=row[label_column], origin=origin, split=split))
    return files


def content_hash(files: list[AudioFile]) -> str:
    """SHA-256 (hex) over every file's path, label, split and bytes: the frames cached for a
    folder are read again when a file, a label or a split changes."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"{file.path}\0{file.label}\0{file.split}\0".encode())
        with open(file.path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def check_audio_header(file: AudioFile, *, sample_rate: int, frame_length: int) -> None:
    """Raise ``ConfigError`` unless ``file`` is readable audio holding at least one frame of
    ``frame_length`` samples once resampled to ``sample_rate`` Hz (reads the header only)."""
    try:
        info = soundfile.info(str(file.path))
    except (RuntimeError, OSError, soundfile.LibsndfileError) as error:
        raise ConfigError("root", str(file.path), f"is not a readable audio file ({error})") from None
    if info.frames <= 0:
        raise ConfigError("root", str(file.path), "is empty (no samples)")
    length = int(info.frames * sample_rate // info.samplerate)
    if length < frame_length:
        raise ConfigError(
            "frame_length", frame_length, f"is longer than {file.path} ({length} samples at {sample_rate} Hz)"
        )


def read_audio(file: AudioFile, *, sample_rate: int) -> np.ndarray:
    """``file``'s samples, channels averaged to mono, resampled to ``sample_rate`` Hz with an
    anti-aliasing polyphase filter: ``(t,) float64``, full scale 1."""
    try:
        samples, rate = soundfile.read(str(file.path), dtype="float64", always_2d=True)
    except (RuntimeError, OSError, soundfile.LibsndfileError) as error:
        raise ConfigError("root", str(file.path), f"is not a readable audio file ({error})") from None
    if samples.size == 0:
        raise ConfigError("root", str(file.path), "is empty (no samples)")
    return resample(samples.mean(axis=1), int(rate), sample_rate)
