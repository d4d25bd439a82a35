"""fftlearn.frontends: learned and fixed audio front-ends, ``(B, N) frames -> (B, F) features``.

Each kind is one module (config, module, search subspace) registered in ``FRONTENDS``; every
module of this folder is imported here, so a module added to it registers its kind with no
other edit. The order of registration (imports below, then the other modules by name) is the
order kinds are listed in.
"""

from .._registry import import_modules
from ._base import FRONTENDS, FrameShape, FrontEnd, build_frontend, frontend_class_for, register_frontend
from ._butterfly import ButterflyConfig, ButterflyFrontEnd, ButterflySpace
from ._concentration import spectrogram_entropy, spectrogram_kurtosis
from ._conv import ConvConfig, ConvFrontEnd, ConvSpace
from ._dstft import DSTFTConfig, DSTFTFrontEnd, DSTFTSpace
from ._dstft_transform import dstft, window_function
from ._experts import ExpertsConfig, ExpertsFrontEnd, ExpertsSpace
from ._leaf import LEAFConfig, LEAFFrontEnd, LEAFSpace
from ._logmel import LogMelConfig, LogMelFrontEnd, LogMelSpace, mel_filterbank
from ._multiplicative import MultiplicativeConfig, MultiplicativeFrontEnd, MultiplicativeSpace, dft_kernels
from ._pcen import PCEN
from ._sincnet import SincNetConfig, SincNetFrontEnd, SincNetSpace
from ._stft import STFTConfig, STFTFrontEnd, STFTSpace, rfft_macs

__all__ = [
    "FRONTENDS",
    "PCEN",
    "ButterflyConfig",
    "ButterflyFrontEnd",
    "ButterflySpace",
    "ConvConfig",
    "ConvFrontEnd",
    "ConvSpace",
    "DSTFTConfig",
    "DSTFTFrontEnd",
    "DSTFTSpace",
    "ExpertsConfig",
    "ExpertsFrontEnd",
    "ExpertsSpace",
    "FrameShape",
    "FrontEnd",
    "LEAFConfig",
    "LEAFFrontEnd",
    "LEAFSpace",
    "LogMelConfig",
    "LogMelFrontEnd",
    "LogMelSpace",
    "MultiplicativeConfig",
    "MultiplicativeFrontEnd",
    "MultiplicativeSpace",
    "STFTConfig",
    "STFTFrontEnd",
    "STFTSpace",
    "SincNetConfig",
    "SincNetFrontEnd",
    "SincNetSpace",
    "build_frontend",
    "dft_kernels",
    "dstft",
    "frontend_class_for",
    "mel_filterbank",
    "register_frontend",
    "rfft_macs",
    "spectrogram_entropy",
    "spectrogram_kurtosis",
    "window_function",
]

import_modules(__name__, __path__)
