"""The disk cache of rendered frame sets.

A data set is rendered once (soundfont notes, espeak-ng speech, NSynth notes, an audio folder),
cut into fixed-length frames and stored as an ``.npz`` under a cache directory, keyed by the
SHA-256 of its config, split, seed, ``FORMAT_VERSION`` and, for data read from files, a hash of
their content. Everything is deterministic from these, so the cache is only a speed-up: deleting
it changes nothing but the time of the next call.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._config import config_to_json
from ._frameset import FrameSet

# Bump when the rendering or the file layout changes: old cache files are then never read.
FORMAT_VERSION = 1


def default_cache_dir() -> Path:
    """``$FFTNAS_CACHE`` if set, else ``~/.cache/fftnas``."""
    return Path(os.environ.get("FFTNAS_CACHE") or Path.home() / ".cache" / "fftnas")


def cache_key(config: object, *, split: str, seed: int, content: str = "") -> str:
    """SHA-256 (hex) of the config's JSON, the split, the seed, ``FORMAT_VERSION`` and ``content``
    (a hash of the files the frames are read from; "" for rendered data)."""
    parts = [config_to_json(config), split, str(seed), f"format={FORMAT_VERSION}"]
    text = "\n".join(parts + ([f"content={content}"] if content else []))
    return hashlib.sha256(text.encode()).hexdigest()


def cached_frames(
    config: object,
    *,
    split: str,
    seed: int,
    cache_dir: str,
    make: Callable[[], FrameSet],
    content: str = "",
) -> FrameSet:
    """The frame set stored for (``config``, ``split``, ``seed``, ``content``), made by ``make()``
    and stored the first time.

    ``cache_dir`` "" means ``default_cache_dir()``. The file is written to a temporary name in the
    same directory and renamed, so a concurrent reader sees either no file or a whole one; an
    unreadable file is made again and replaced.
    """
    folder = Path(cache_dir) if cache_dir else default_cache_dir()
    kind = getattr(type(config), "kind", type(config).__name__)
    path = folder / f"{kind}-{split}-{cache_key(config, split=split, seed=seed, content=content)}.npz"
    if path.is_file():
        try:
            return _load(path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass
    frame_set = make()
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(
                stream,
                frames=frame_set.frames,
                f0_hz=frame_set.f0_hz,
                midi=frame_set.midi,
                family=frame_set.family,
                source=frame_set.source,
                sample_rate=np.int64(frame_set.sample_rate),
                family_names=np.array(frame_set.family_names, dtype=str),
                label=frame_set.label,
                label_names=np.array(frame_set.label_names, dtype=str),
            )
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return frame_set


def _load(path: Path) -> FrameSet:
    with np.load(path, allow_pickle=False) as data:
        return FrameSet(
            frames=data["frames"],
            f0_hz=data["f0_hz"],
            midi=data["midi"],
            family=data["family"],
            source=data["source"],
            sample_rate=int(data["sample_rate"]),
            family_names=tuple(str(name) for name in data["family_names"]),
            label=data["label"] if "label" in data else None,  # files cached before labels: none
            label_names=tuple(str(name) for name in data["label_names"]) if "label_names" in data else (),
        )
