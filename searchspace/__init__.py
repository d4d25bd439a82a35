"""searchspace: an Optuna trial -> a typed fftlearn config (and nothing else).

Every function here is pure in the trial's params, so ``optuna.trial.FixedTrial(params)``
rebuilds the config of a stored trial exactly. A fitter's subspace is declared next to the
fitter: ``fftlearn.factorize.get_fitter(method).space_type``.
"""

from fftlearn._space import FloatRange, IntRange, TrialLike

from ._candidate import FrontEndSpace, HeadSpace, OptimizerSpace, suggest_candidate
from ._fitters import FactorizationSpace, fitter_methods, suggest_fitter
from ._kinds import (
    ButterflySpace,
    ConvSpace,
    DSTFTSpace,
    ExpertsSpace,
    FrameShape,
    LogMelSpace,
    MultiplicativeSpace,
    STFTSpace,
)

__all__ = [
    "FactorizationSpace",
    "fitter_methods",
    "suggest_fitter",
    "ButterflySpace",
    "ConvSpace",
    "DSTFTSpace",
    "ExpertsSpace",
    "FloatRange",
    "FrameShape",
    "FrontEndSpace",
    "HeadSpace",
    "IntRange",
    "LogMelSpace",
    "MultiplicativeSpace",
    "OptimizerSpace",
    "STFTSpace",
    "TrialLike",
    "suggest_candidate",
]
