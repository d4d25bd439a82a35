"""Fitter ``hierarchical``: exact hierarchical SVD splits on the butterfly supports, with the
input permutation given (Zheng, Riccietti, Gribonval, arXiv 2110.01230)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from ..._config import register_kind
from ..._space import TrialLike, check_choices
from ..._validate import check_choice
from ...butterfly._butterfly import butterfly_nonzeros
from .._fitter import Fitter, register_fitter
from .._hierarchical import hierarchical_butterfly
from .._product import SparseFactorization
from .._targets import TargetConfig, make_target

PERMUTATIONS = ("bitrev", "identity")


@register_kind
@dataclass(frozen=True)
class HierarchicalFitConfig:
    """Exact hierarchical factorization on the butterfly supports."""

    kind: ClassVar[str] = "hierarchical_fit"
    permutation: Literal["bitrev", "identity"] = "bitrev"  # the input permutation it is given

    def __post_init__(self) -> None:
        check_choice("permutation", self.permutation, PERMUTATIONS)


@dataclass(frozen=True)
class HierarchicalSpace:
    """``[space.hierarchical]``: which input permutations the exact fitter may be given."""

    permutation: tuple[str, ...] = ("bitrev",)  # choices among bitrev, identity

    def __post_init__(self) -> None:
        check_choices("permutation", self.permutation, PERMUTATIONS)

    def suggest(self, trial: TrialLike, *, n: int, seed: int) -> HierarchicalFitConfig:
        permutation = trial.suggest_categorical("hierarchical.permutation", list(self.permutation))
        return HierarchicalFitConfig(permutation=permutation)


@register_fitter
class HierarchicalFitter(Fitter):
    """The exact solver: ``log2 N`` butterfly factors, ``2 N log2 N`` nonzeros."""

    method = "hierarchical"
    config_type = HierarchicalFitConfig
    space_type = HierarchicalSpace
    summary = "exact hierarchical SVD splits on the butterfly supports, input permutation given"

    def fit(self, matrix: np.ndarray) -> SparseFactorization:
        if self.config.permutation == "bitrev":
            return hierarchical_butterfly(matrix)  # the bit reversal is its default
        return hierarchical_butterfly(matrix, input_permutation=np.arange(len(np.atleast_1d(matrix))))

    def nnz_budget(self, n: int) -> int:
        return butterfly_nonzeros(n)

    def oracle(self, n: int) -> np.ndarray:
        # the DFT is exact after the bit reversal, the Sylvester-order Hadamard matrix without one
        name = "dft" if self.config.permutation == "bitrev" else "hadamard"
        return make_target(TargetConfig(name=name, n=n)).matrix
