"""fftlearn.data: data sets of audio frames (each kind one module, registered in ``DATASETS``),
and the tasks that label them (pitch, timbre, music vs speech).

Every module of this folder is imported here, so a module added to it registers its data set
with no other edit.
"""

from .._registry import import_modules
from ._base import DATASETS, DataSet, check_sources, make_frames, pitch_range, register_dataset
from ._frameset import FrameSet, augment, cached_frames, concatenate
from ._music_speech import MusicSpeechConfig, make_music_speech
from ._nsynth import NSynthConfig, make_nsynth
from ._pitch import hz_to_cents, midi_to_hz, raw_pitch_accuracy
from ._soundfont import SoundfontNotesConfig, make_soundfont_notes
from ._speech import EspeakSpeechConfig, make_espeak_speech
from ._tasks import LabelledFrames, TaskConfig, label_frames, make_task_data
from ._tones import HarmonicTonesConfig, make_harmonic_tones

__all__ = [
    "DATASETS",
    "DataSet",
    "check_sources",
    "make_frames",
    "pitch_range",
    "register_dataset",
    "FrameSet",
    "augment",
    "cached_frames",
    "concatenate",
    "HarmonicTonesConfig",
    "make_harmonic_tones",
    "SoundfontNotesConfig",
    "make_soundfont_notes",
    "EspeakSpeechConfig",
    "make_espeak_speech",
    "NSynthConfig",
    "make_nsynth",
    "MusicSpeechConfig",
    "make_music_speech",
    "hz_to_cents",
    "midi_to_hz",
    "raw_pitch_accuracy",
    "LabelledFrames",
    "TaskConfig",
    "label_frames",
    "make_task_data",
]

import_modules(__name__, __path__)
