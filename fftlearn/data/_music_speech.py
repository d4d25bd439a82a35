"""Music and speech in one frame set: soundfont notes (source 0) and espeak-ng speech (source 1).

The balance is set by the two parts' own sizes: ``music.n_train`` note frames and
``speech.n_train`` speech frames make the training split (``n_test`` likewise), so equal
counts give a balanced music/speech task. The frames are shuffled together by the seed; each
part is rendered, cached and augmented by its own config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from .._errors import ConfigError
from ._base import DataSet, register_dataset
from ._frameset import FrameSet, SplitName, check_split, concatenate
from ._soundfont import GM_FAMILY_NAMES, SoundfontNotesConfig, make_soundfont_notes
from ._speech import EspeakSpeechConfig, make_espeak_speech


@dataclass(frozen=True)
class MusicSpeechConfig(DataSet):
    """Frames of instrument notes and of speech, labelled by source (0 music, 1 speech)."""

    kind: ClassVar[str] = "music_speech"
    FAMILY_NAMES: ClassVar[tuple[str, ...]] = GM_FAMILY_NAMES  # the music part's families
    music: SoundfontNotesConfig = field(default_factory=SoundfontNotesConfig)  # the notes
    speech: EspeakSpeechConfig = field(default_factory=EspeakSpeechConfig)  # the speech

    def __post_init__(self) -> None:
        if not isinstance(self.music, SoundfontNotesConfig):
            raise ConfigError("music", self.music, "must be a soundfont_notes config")
        if not isinstance(self.speech, EspeakSpeechConfig):
            raise ConfigError("speech", self.speech, "must be an espeak_speech config")
        for name in ("frame_length", "sample_rate"):
            if getattr(self.speech, name) != getattr(self.music, name):
                wanted = getattr(self.music, name)
                raise ConfigError(
                    f"speech.{name}", getattr(self.speech, name), f"must equal music.{name} ({wanted})"
                )

    def check_sources(self) -> None:
        """Raise ``ConfigError`` (field under ``music.`` or ``speech.``) if a source is missing."""
        for prefix, part in (("music", self.music), ("speech", self.speech)):
            try:
                part.check_sources()
            except ConfigError as error:
                raise error.under(prefix) from None

    def make_frames(self, *, split: SplitName, seed: int) -> FrameSet:
        return make_music_speech(self, split=split, seed=seed)

    @property
    def frame_length(self) -> int:
        return self.music.frame_length

    @property
    def sample_rate(self) -> int:
        return self.music.sample_rate

    def pitch_range(self) -> tuple[int, int]:
        return self.music.midi_low, self.music.midi_high

    @classmethod
    def example(cls, *, root: Path) -> MusicSpeechConfig:
        """The small soundfont and speech examples together: 40 training and 20 test frames."""
        music = SoundfontNotesConfig.example(root=root)
        return cls(music=music, speech=EspeakSpeechConfig.example(root=root))


def make_music_speech(config: MusicSpeechConfig, *, split: SplitName, seed: int) -> FrameSet:
    """The ``split`` for ``seed``: music and speech frames shuffled together (same arguments,
    same arrays). Errors from either part name their field under ``music.`` or ``speech.``."""
    stream = check_split(split, seed)
    try:
        music = make_soundfont_notes(config.music, split=split, seed=seed)
    except ConfigError as error:
        raise error.under("music") from None
    try:
        speech = make_espeak_speech(config.speech, split=split, seed=seed)
    except ConfigError as error:
        raise error.under("speech") from None
    both = concatenate(music, speech)
    return both.subset(np.random.default_rng([seed, stream, 4]).permutation(len(both)))


register_dataset(MusicSpeechConfig)
