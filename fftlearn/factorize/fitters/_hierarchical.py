"""Fitter ``hierarchical``: exact hierarchical SVD splits on the butterfly supports, or on the
Kronecker-sparse supports of any radix order of a composite N, with the input permutation given
(Zheng, Riccietti, Gribonval, arXiv 2110.01230)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from ..._config import register_kind
from ..._errors import ConfigError
from ..._plain import UnsetFieldsOmitted
from ..._space import TrialLike, check_choices
from ..._validate import check_choice
from ...butterfly._radix import check_radices, default_radices
from .._fitter import Fitter, register_fitter
from .._hierarchical import hierarchical_butterfly
from .._product import SparseFactorization
from .._targets import TargetConfig, make_target
from ._radix_space import check_allowed_radices, check_patterns, suggest_radix_order

PERMUTATIONS = ("bitrev", "identity")


@register_kind
@dataclass(frozen=True)
class HierarchicalFitConfig(UnsetFieldsOmitted):
    """Exact hierarchical factorization on the Kronecker-sparse supports of a radix order."""

    kind: ClassVar[str] = "hierarchical_fit"
    omitted_when_none: ClassVar[tuple[str, ...]] = ("radices", "stages")  # stored configs predate them
    permutation: Literal["bitrev", "identity"] = "bitrev"  # the input permutation it is given
    # the radix order (ints >= 2, r_0 applied first, product N); None: default_radices(N), the
    # prime factors ascending (all 2s for a power of two: the radix-2 butterfly)
    radices: tuple[int, ...] | None = None
    # factors per stage of the radix order (sum = number of radices), e.g. (2, 2, 2, 2, 2): radix 4
    # as pairs of radix-2 layers; only the operation count's rescaling reads it; None: one each
    stages: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        check_choice("permutation", self.permutation, PERMUTATIONS)
        if self.radices is not None:
            if check_radices(self.radices) != self.radices:
                raise ConfigError("radices", self.radices, "must be a tuple of ints >= 2")
        if self.stages is not None:
            count = None if self.radices is None else len(self.radices)
            valid = isinstance(self.stages, tuple) and all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in self.stages
            )
            if not valid or (count is not None and sum(self.stages) != count):
                raise ConfigError("stages", self.stages, "must be ints >= 1 summing to the number of radices")

    def radix_order(self, n: int) -> tuple[int, ...]:
        """The radix order for an ``(n, n)`` target; ``ConfigError`` when the product is not ``n``."""
        return default_radices(n) if self.radices is None else check_radices(self.radices, n)


@dataclass(frozen=True)
class HierarchicalSpace:
    """``[space.hierarchical]``: which input permutations the exact fitter may be given and,
    with ``radices``, the radix order and per-stage pattern (``_radix_space``)."""

    permutation: tuple[str, ...] = ("bitrev",)  # choices among bitrev, identity
    radices: tuple[int, ...] = ()  # radices a stage may have, e.g. [2, 4, 8]; empty: default order
    patterns: tuple[str, ...] = ("dense", "layers")  # a 2^m stage (m >= 2): dense blocks or layers

    def __post_init__(self) -> None:
        check_choices("permutation", self.permutation, PERMUTATIONS)
        check_allowed_radices(self.radices)
        check_patterns(self.patterns)

    def suggest(self, trial: TrialLike, *, n: int, seed: int) -> HierarchicalFitConfig:
        permutation = trial.suggest_categorical("hierarchical.permutation", list(self.permutation))
        if not self.radices:
            return HierarchicalFitConfig(permutation=permutation)
        radices, stages = suggest_radix_order(trial, n=n, allowed=self.radices, patterns=self.patterns)
        layered = any(size > 1 for size in stages)  # else one factor per stage: no stages to give
        return HierarchicalFitConfig(
            permutation=permutation, radices=radices, stages=stages if layered else None
        )


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

    def fit(self, matrix: np.ndarray) -> SparseFactorization | tuple[SparseFactorization, dict[str, object]]:
        radices = self.config.radices  # None: the default order; a wrong product: ConfigError
        if self.config.permutation == "bitrev":  # the digit reversal of the order is its default
            fitted = hierarchical_butterfly(matrix, radices=radices)
        else:
            identity = np.arange(len(np.atleast_1d(matrix)))
            fitted = hierarchical_butterfly(matrix, radices=radices, input_permutation=identity)
        if self.config.stages is None:
            return fitted
        if sum(self.config.stages) != len(fitted.factors):
            raise ConfigError("stages", self.config.stages, f"must sum to the {len(fitted.factors)} factors")
        return fitted, {"stages": list(self.config.stages)}

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
