"""The data-set contract, its registry, and ``make_frames(config, split=, seed=)``.

A data-set kind is one module: a frozen config dataclass that subclasses ``DataSet`` (ClassVar
``kind``, fields ``frame_length`` and ``sample_rate``, ``make_frames``, and ``example`` for a
small instance), registered with ``register_dataset(ConfigClass)``. The experiment file's
``[task.data]`` table picks it by ``kind``. Third-party kinds register the same way or through
the entry-point group ``fftnas.datasets`` naming the config class.
"""

from __future__ import annotations

import abc
from pathlib import Path
from typing import ClassVar

from .._config import register_kind
from .._errors import ConfigError
from .._registry import Registry
from ._frameset import FrameSet, SplitName


class DataSet(abc.ABC):
    """Base of a data set's config: how to render its frames, and what they can be labelled by.

    Subclasses are frozen dataclasses with ``frame_length`` (samples) and ``sample_rate`` (Hz)
    fields or properties, and implement ``make_frames``; the other hooks default to "none".
    """

    kind: ClassVar[str]
    FAMILY_NAMES: ClassVar[tuple[str, ...]] = ()  # what its instrument family ids mean (none)

    @abc.abstractmethod
    def make_frames(self, *, split: SplitName, seed: int) -> FrameSet:
        """The ``split`` ("train" or "test") for ``seed``: the same arguments, the same arrays."""

    def pitch_range(self) -> tuple[int, int] | None:
        """The MIDI range ``(low, high)`` its notes cover; None for unpitched data."""
        return None

    def label_names(self) -> tuple[str, ...] | None:
        """The classes of its own labels (``FrameSet.label``; task ``name = "label"``), e.g. an
        audio folder's sub-folders; None when it has none (default). May read files."""
        return None

    def has_classes(self) -> bool:
        """Whether ``label_names`` gives classes, known from the config alone (no file read)."""
        return False

    def is_pitched(self) -> bool:
        """Whether ``pitch_range`` gives a range, known from the config alone (no file read)."""
        return self.pitch_range() is not None

    def check_sources(self) -> None:
        """Raise ``ConfigError`` if a file or program it renders from is missing (no-op here)."""

    @classmethod
    def example(cls, *, root: Path) -> DataSet:
        """A small instance of this kind (tens of frames, made in seconds) for contract tests and
        demos. ``root`` is the folder that holds the files it reads, for kinds that read a
        downloaded copy (NSynth); the others ignore it. Default: ``cls()``."""
        return cls()


DATASETS: Registry[type[DataSet]] = Registry(
    what="data set", group="fftnas.datasets", register_loaded=lambda obj: register_dataset(obj)
)


def register_dataset(config_class: type[DataSet]) -> type[DataSet]:
    """Register a data-set kind by its config class (usable as a class decorator)."""
    if not (isinstance(config_class, type) and issubclass(config_class, DataSet)):
        raise ConfigError("dataset", config_class, "must be a fftlearn.data.DataSet subclass")
    kind = getattr(config_class, "kind", None)
    register_kind(config_class)  # both are no-ops when the same class registers again
    DATASETS.add(kind, config_class)  # type: ignore[arg-type]
    return config_class


def make_frames(config: DataSet, *, split: SplitName, seed: int) -> FrameSet:
    """The ``split`` of data set ``config`` for ``seed``."""
    if not isinstance(config, DataSet) or config.kind not in DATASETS:
        raise ConfigError("data", type(config).__name__, f"must be one of {', '.join(DATASETS.names())}")
    return config.make_frames(split=split, seed=seed)


def pitch_range(config: DataSet) -> tuple[int, int]:
    """The MIDI range of a pitched data set; ``ConfigError`` under ``task.data`` if it has none."""
    check_pitched(config)
    found = config.pitch_range()
    if found is None:
        raise ConfigError("task.data", config.kind, "has no pitch range (midi_low, midi_high)")
    return found


def check_pitched(config: DataSet) -> None:
    """``ConfigError`` under ``task.data`` unless the data set has pitch labels (config only)."""
    if not config.is_pitched():
        raise ConfigError("task.data", config.kind, "has no pitch range (midi_low, midi_high)")


def check_sources(config: DataSet) -> None:
    """Raise ``ConfigError`` (field under ``task.data``) if a soundfont, espeak-ng or NSynth
    copy the data set needs is missing."""
    try:
        config.check_sources()
    except ConfigError as error:
        raise error.under("task.data") from None
