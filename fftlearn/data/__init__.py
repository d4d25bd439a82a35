"""fftlearn.data: data sets of audio frames (each kind one module, registered in ``DATASETS``),
and the tasks that label them (pitch, timbre, music vs speech, a folder's own classes).

Every module of this folder is imported here, so a module added to it registers its data set
with no other edit.
"""

from .._registry import import_modules
from ._audio_folder import AudioFolderConfig, make_audio_folder
from ._augment import augment
from ._base import DATASETS, DataSet, check_sources, make_frames, pitch_range, register_dataset
from ._cache import cached_frames
from ._frameset import FrameSet, concatenate
from ._music_speech import MusicSpeechConfig, make_music_speech
from ._nsynth import NSynthConfig, make_nsynth
from ._pitch import hz_to_cents, local_average_f0, midi_to_hz, raw_chroma_accuracy, raw_pitch_accuracy
from ._soundfont import SoundfontNotesConfig, make_soundfont_notes
from ._speech import EspeakSpeechConfig, make_espeak_speech
from ._tasks import LabelledFrames, TaskConfig, label_frames, make_task_data, split_validation
from ._tones import HarmonicTonesConfig, make_harmonic_tones
from ._write_folder import write_audio_folder

__all__ = [
    "AudioFolderConfig",
    "DATASETS",
    "DataSet",
    "EspeakSpeechConfig",
    "FrameSet",
    "HarmonicTonesConfig",
    "LabelledFrames",
    "MusicSpeechConfig",
    "NSynthConfig",
    "SoundfontNotesConfig",
    "TaskConfig",
    "augment",
    "cached_frames",
    "check_sources",
    "concatenate",
    "hz_to_cents",
    "label_frames",
    "local_average_f0",
    "make_audio_folder",
    "make_espeak_speech",
    "make_frames",
    "make_harmonic_tones",
    "make_music_speech",
    "make_nsynth",
    "make_soundfont_notes",
    "make_task_data",
    "midi_to_hz",
    "pitch_range",
    "raw_chroma_accuracy",
    "raw_pitch_accuracy",
    "register_dataset",
    "split_validation",
    "write_audio_folder",
]

import_modules(__name__, __path__)
