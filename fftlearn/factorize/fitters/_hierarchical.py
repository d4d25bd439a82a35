"""Fitter ``hierarchical``: exact hierarchical SVD splits on the butterfly supports, or on the
Kronecker-sparse supports of any radix order of a composite N, with the input permutation given
(Zheng, Riccietti, Gribonval, arXiv 2110.01230)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from ..._config import register_kind
from ..._errors import ConfigError
from ..._space import TrialLike, check_choices
from ..._validate import check_choice
from ...butterfly._radix import check_radices, default_radices
from .._fitter import Fitter, register_fitter
from .._hierarchical import hierarchical_butterfly
from .._product import SparseFactorization
from .._targets import TargetConfig, make_target

PERMUTATIONS = ("bitrev", "identity")


@register_kind
@dataclass(frozen=True)
class HierarchicalFitConfig:
    """Exact hierarchical factorization on the Kronecker-sparse supports of a radix order."""

    kind: ClassVar[str] = "hierarchical_fit"
    # the input permutation it is given: "bitrev" is the digit reversal of the radix order (the
    # bit reversal when every radix is 2), "identity" none
    permutation: Literal["bitrev", "identity"] = "bitrev"
    # the radix order (ints >= 2, r_0 applied first, product N); None: default_radices(N), the
    # prime factors ascending (all 2s for a power of two: the radix-2 butterfly)
    radices: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        check_choice("permutation", self.permutation, PERMUTATIONS)
        if self.radices is not None:
            if check_radices(self.radices) != self.radices:
                raise ConfigError("radices", self.radices, "must be a tuple of ints >= 2")

    def radix_order(self, n: int) -> tuple[int, ...]:
        """The radix order for an ``(n, n)`` target; ``ConfigError`` when the product is not ``n``."""
        return default_radices(n) if self.radices is None else check_radices(self.radices, n)


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
    """The exact solver: one factor per radix, ``N·sum(radices)`` nonzeros (``2 N log2 N`` for
    radix 2)."""

    method = "hierarchical"
    config_type = HierarchicalFitConfig
    space_type = HierarchicalSpace
    summary = (
        "exact hierarchical SVD splits on the butterfly supports (any composite N: the supports of "
        "a radix order), input permutation given"
    )

    def fit(self, matrix: np.ndarray) -> SparseFactorization:
        radices = self.config.radices  # None: the default order; a wrong product: ConfigError
        if self.config.permutation == "bitrev":  # the digit reversal of the order is its default
            return hierarchical_butterfly(matrix, radices=radices)
        identity = np.arange(len(np.atleast_1d(matrix)))
        return hierarchical_butterfly(matrix, radices=radices, input_permutation=identity)

    def nnz_budget(self, n: int) -> int:
        return n * sum(self.config.radix_order(n))

    def oracle(self, n: int) -> np.ndarray | None:
        if self.config.radices is not None and int(np.prod(self.config.radices)) != n:
            return None  # another size: the fit refuses it
        if self.config.permutation == "bitrev":  # the DFT is exact after the digit reversal
            return make_target(TargetConfig(name="dft", n=n)).matrix
        if n & (n - 1):
            return None  # no target of ours is a product of these supports without a permutation
        # Sylvester's Hadamard matrix: a Kronecker product of 2x2 blocks, any grouping of them
        return make_target(TargetConfig(name="hadamard", n=n)).matrix
