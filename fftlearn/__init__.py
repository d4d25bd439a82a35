"""fftlearn: PyTorch/NumPy building blocks for learned Fourier-like front-ends.

Usable on its own (it never imports Optuna): configs, ``build(config) -> nn.Module``, data,
training, compute counting and analysis. A trial's config JSON comes back with
``config_from_json`` and builds the same architecture::

    config = fftlearn.config_from_json(trial.user_attrs["config"])
    model = fftlearn.build(config.model, seed=trial.user_attrs["seed"])
"""

from .butterfly._butterfly import (
    apply_butterfly,
    bit_reversal_permutation,
    butterfly_dense_matrix,
    butterfly_macs,
    butterfly_nonzeros,
    fft_butterfly_macs,
    fft_butterfly_twiddles,
    hadamard_butterfly_twiddles,
    random_unitary_twiddles,
)
from .frontends._butterfly import ButterflyConfig, ButterflyFrontEnd
from ._checkpoint import load_checkpoint, save_checkpoint
from ._compute import count_macs, dense_flops
from .frontends._concentration import spectrogram_entropy, spectrogram_kurtosis
from ._config import config_from_json, config_to_json, from_mapping, to_dict
from .frontends._conv import ConvConfig, ConvFrontEnd
from .data._registry import DATASETS, DataConfig, check_sources, make_frames
from ._device import resolve_device
from .frontends._dstft import DSTFTConfig, DSTFTFrontEnd, dstft, window_function
from ._errors import ConfigError
from .frontends._experts import ExpertsConfig, ExpertsFrontEnd
from .data._frameset import FrameSet, augment, cached_frames, concatenate
from .frontends._registry import FRONTEND_KINDS, FRONTENDS, FrontEndConfig, build_frontend
from .model._head import HeadConfig, MLPHead
from .frontends._logmel import LogMelConfig, LogMelFrontEnd, mel_filterbank
from .data._music_speech import MusicSpeechConfig, make_music_speech
from .model._model import CandidateConfig, FrontEndClassifier, ModelConfig, OptimizerConfig, build
from .frontends._multiplicative import MultiplicativeConfig, MultiplicativeFrontEnd, dft_kernels
from .data._nsynth import NSynthConfig, make_nsynth
from .data._pitch import hz_to_cents, midi_to_hz, raw_pitch_accuracy
from .data._soundfont import SoundfontNotesConfig, make_soundfont_notes
from .data._speech import EspeakSpeechConfig, make_espeak_speech
from .frontends._stft import STFTConfig, STFTFrontEnd, rfft_macs
from .data._tasks import LabelledFrames, TaskConfig, label_frames, make_task_data
from .data._tones import HarmonicTonesConfig, make_harmonic_tones
from .training._train import (
    EvalResult,
    NonFiniteLossError,
    TrainConfig,
    TrainResult,
    evaluate_classifier,
    train_classifier,
)

__all__ = [
    "ButterflyConfig",
    "ButterflyFrontEnd",
    "apply_butterfly",
    "bit_reversal_permutation",
    "butterfly_dense_matrix",
    "butterfly_macs",
    "butterfly_nonzeros",
    "fft_butterfly_macs",
    "fft_butterfly_twiddles",
    "hadamard_butterfly_twiddles",
    "random_unitary_twiddles",
    "DSTFTConfig",
    "DSTFTFrontEnd",
    "dstft",
    "spectrogram_entropy",
    "spectrogram_kurtosis",
    "window_function",
    "EspeakSpeechConfig",
    "MusicSpeechConfig",
    "NSynthConfig",
    "SoundfontNotesConfig",
    "augment",
    "cached_frames",
    "check_sources",
    "concatenate",
    "make_espeak_speech",
    "make_music_speech",
    "make_nsynth",
    "make_soundfont_notes",
    "DATASETS",
    "DataConfig",
    "FrameSet",
    "TaskConfig",
    "hz_to_cents",
    "label_frames",
    "make_frames",
    "make_task_data",
    "raw_pitch_accuracy",
    "FRONTENDS",
    "FRONTEND_KINDS",
    "ConvConfig",
    "ConvFrontEnd",
    "ExpertsConfig",
    "ExpertsFrontEnd",
    "LogMelConfig",
    "LogMelFrontEnd",
    "build_frontend",
    "mel_filterbank",
    "CandidateConfig",
    "ConfigError",
    "EvalResult",
    "FrontEndClassifier",
    "FrontEndConfig",
    "HarmonicTonesConfig",
    "HeadConfig",
    "LabelledFrames",
    "MLPHead",
    "ModelConfig",
    "MultiplicativeConfig",
    "MultiplicativeFrontEnd",
    "NonFiniteLossError",
    "OptimizerConfig",
    "STFTConfig",
    "STFTFrontEnd",
    "TrainConfig",
    "TrainResult",
    "build",
    "config_from_json",
    "config_to_json",
    "count_macs",
    "dense_flops",
    "dft_kernels",
    "evaluate_classifier",
    "from_mapping",
    "load_checkpoint",
    "make_harmonic_tones",
    "midi_to_hz",
    "resolve_device",
    "rfft_macs",
    "save_checkpoint",
    "to_dict",
    "train_classifier",
]
