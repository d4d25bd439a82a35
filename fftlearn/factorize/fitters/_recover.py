"""Fitter ``recover``: structure recovery. Unknown row and column permutations and the radix
order are found from the rank structure of the matrix, then it is fitted exactly (``.._search``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..._config import register_kind
from ..._space import TrialLike
from ..._validate import check_float, check_int
from ...butterfly._butterfly import butterfly_nonzeros
from .._fitter import Fitter, register_fitter
from .._product import SparseFactorization
from .._search import factorize_labelled, find_butterfly_labels
from .._targets import TargetConfig, make_target


@register_kind
@dataclass(frozen=True)
class RecoverFitConfig:
    """Find unknown row and column permutations and the radix order from the Kronecker-sparse
    structure, then fit exactly.

    The kind keeps its first name, ``butterfly_search``, so stored trials still read."""

    kind: ClassVar[str] = "butterfly_search"
    tolerance: float = 0.05  # largest relative rank-one residual of the first level that is structure
    max_branches: int = 64  # level choices tried before giving up
    seed: int = 0  # tie-breaking

    def __post_init__(self) -> None:
        check_float("tolerance", self.tolerance, low=0.0, low_open=True, high=1.0)
        check_int("max_branches", self.max_branches, low=1, high=1_000_000)
        check_int("seed", self.seed, low=0)


@dataclass(frozen=True)
class RecoverSpace:
    """``[space.recover]``: nothing to search; a trial that picks ``recover`` runs the default
    config with its seed."""

    def suggest(self, trial: TrialLike, *, n: int, seed: int) -> RecoverFitConfig:
        return RecoverFitConfig(seed=seed)


@register_fitter
class RecoverFitter(Fitter):
    """Labels rows and columns by the butterfly structure, then the exact hierarchical solver."""

    method = "recover"
    config_type = RecoverFitConfig
    space_type = RecoverSpace
    summary = (
        "structure recovery (unknown row and column permutations found from the factor structure, "
        "then fitted exactly)"
    )

    def fit(self, matrix: np.ndarray) -> tuple[SparseFactorization, dict[str, object]]:
        config = self.config
        labels = find_butterfly_labels(
            matrix, seed=config.seed, tolerance=config.tolerance, max_branches=config.max_branches
        )
        details: dict[str, object] = {
            "exact_structure": labels.exact,
            "levels_found": labels.levels_found,
            "radices": list(labels.radices),
            "branches": labels.branches,
            "outcome": labels.outcome,
        }
        return factorize_labelled(matrix, labels), details

    def nnz_budget(self, n: int) -> int:
        return butterfly_nonzeros(n)

    def oracle(self, n: int) -> np.ndarray:
        # the DFT behind seeded row and column permutations, none of them known to the fitter
        return make_target(TargetConfig(name="dft", n=n, hidden_permutation=True, seed=1)).matrix
