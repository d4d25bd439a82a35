"""searchspace: an Optuna trial -> a typed fftlearn config (and nothing else).

Every function here is pure in the trial's params, so ``optuna.trial.FixedTrial(params)``
rebuilds the config of a stored trial exactly. The per-kind subspaces are declared next to their
kinds (``fftlearn.frontends``, and for fitters ``fftlearn.factorize.get_fitter(method).space_type``);
this package composes them from the registries.
"""

from fftlearn._space import FloatRange, IntRange, TrialLike
from fftlearn.frontends import FrameShape

from ._candidate import FrontEndSpace, HeadSpace, OptimizerSpace, suggest_candidate
from ._corners import corners
from ._fitters import FactorizationSpace, fitter_methods, suggest_fitter

__all__ = [
    "corners",
    "FactorizationSpace",
    "fitter_methods",
    "suggest_fitter",
    "FloatRange",
    "FrameShape",
    "FrontEndSpace",
    "HeadSpace",
    "IntRange",
    "OptimizerSpace",
    "TrialLike",
    "suggest_candidate",
]
