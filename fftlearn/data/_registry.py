"""Every data set kind: its config class and the function that renders its frames."""

from __future__ import annotations

from collections.abc import Callable

from .._errors import ConfigError
from ._frameset import FrameSet
from ._music_speech import MusicSpeechConfig, make_music_speech
from ._nsynth import NSynthConfig, make_nsynth
from ._soundfont import SoundfontNotesConfig, make_soundfont_notes
from ._speech import EspeakSpeechConfig, make_espeak_speech
from ._tones import HarmonicTonesConfig, make_harmonic_tones

DataConfig = (
    HarmonicTonesConfig | SoundfontNotesConfig | EspeakSpeechConfig | NSynthConfig | MusicSpeechConfig
)

# config class -> make(config, *, split, seed) -> FrameSet
DATASETS: dict[type, Callable[..., FrameSet]] = {
    HarmonicTonesConfig: make_harmonic_tones,
    SoundfontNotesConfig: make_soundfont_notes,
    EspeakSpeechConfig: make_espeak_speech,
    NSynthConfig: make_nsynth,
    MusicSpeechConfig: make_music_speech,
}


def make_frames(config: object, *, split: str, seed: int) -> FrameSet:
    """The ``split`` ("train" or "test") of data set ``config`` for ``seed``."""
    make = DATASETS.get(type(config))
    if make is None:
        kinds = ", ".join(cls.kind for cls in DATASETS)  # type: ignore[attr-defined]
        raise ConfigError("data", type(config).__name__, f"must be one of {kinds}")
    return make(config, split=split, seed=seed)


def pitch_range(config: object) -> tuple[int, int]:
    """The MIDI range ``(low, high)`` a pitched data set covers (its own, or its music part's)."""
    source = getattr(config, "music", config)
    low, high = getattr(source, "midi_low", None), getattr(source, "midi_high", None)
    if low is None or high is None:
        raise ConfigError(
            "task.data", getattr(config, "kind", "?"), "has no pitch range (midi_low, midi_high)"
        )
    return int(low), int(high)


def frame_shape(config: object) -> tuple[int, int]:
    """``(frame_length, sample_rate)`` of a data set's frames."""
    source = getattr(config, "music", config)
    return int(source.frame_length), int(source.sample_rate)


def family_names(config: object) -> tuple[str, ...]:
    """Names of the instrument families a data set labels (empty if it has none)."""
    return tuple(getattr(type(config), "FAMILY_NAMES", ()))


def check_sources(config: object) -> None:
    """Raise ``ConfigError`` (field under ``task.data``) if a soundfont, espeak-ng or NSynth
    copy the data set needs is missing; harmonic tones need nothing."""
    check = getattr(config, "check_sources", None)
    if check is None:
        return
    try:
        check()
    except ConfigError as error:
        raise error.under("task.data") from None
