"""searchspace: an Optuna trial -> a typed fftlearn config (and nothing else).

Every function here is pure in the trial's params, so ``optuna.trial.FixedTrial(params)``
rebuilds the config of a stored trial exactly.
"""

from ._frontend import (
    FrontEndSpace,
    HeadSpace,
    MultiplicativeSpace,
    OptimizerSpace,
    STFTSpace,
    suggest_candidate,
)
from ._ranges import FloatRange, IntRange
from ._trial import TrialLike

__all__ = [
    "FloatRange",
    "FrontEndSpace",
    "HeadSpace",
    "IntRange",
    "MultiplicativeSpace",
    "OptimizerSpace",
    "STFTSpace",
    "TrialLike",
    "suggest_candidate",
]
