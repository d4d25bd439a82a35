"""A fitter from outside fftlearn, for the registry tests: one dense factor equal to the matrix,
then ``n_identity`` identity factors (a control that spends N² + n_identity·N nonzeros).

Importing this module registers nothing: the tests call ``register_fitter(IdentityFitter)``,
an entry point naming the class has the loader do it, and ``identity_fitter_plugin`` is the
module-form entry point (its import registers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse

from fftlearn import ConfigError
from fftlearn._space import IntRange, TrialLike, check_within
from fftlearn._validate import check_int
from fftlearn.factorize import Fitter, SparseFactorization


@dataclass(frozen=True)
class IdentityFactorsConfig:
    """The matrix as one dense factor, then identity factors."""

    kind: ClassVar[str] = "identity_factors_fit"
    n_identity: int = 0  # identity factors after the dense one

    def __post_init__(self) -> None:
        check_int("n_identity", self.n_identity, low=0, high=8)


@dataclass(frozen=True)
class IdentityFactorsSpace:
    """``[space.identity]``: how many identity factors."""

    n_identity: IntRange = IntRange(0, 2)  # identity factors after the dense one

    def __post_init__(self) -> None:
        check_within("n_identity", self.n_identity, 0, 8)

    def suggest(self, trial: TrialLike, *, n: int, seed: int) -> IdentityFactorsConfig:
        return IdentityFactorsConfig(n_identity=self.n_identity.suggest(trial, "identity.n_identity"))


class IdentityFitter(Fitter):
    """Exact on every square matrix, at the price of N² nonzeros."""

    method = "identity"
    config_type = IdentityFactorsConfig
    space_type = IdentityFactorsSpace
    summary = "the matrix as one dense factor, then identity factors (a dense control)"

    def fit(self, matrix: np.ndarray) -> tuple[SparseFactorization, dict[str, object]]:
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ConfigError("matrix", matrix.shape, "must be a square (N, N) array")
        n = matrix.shape[0]
        identity = scipy.sparse.identity(n, dtype=matrix.dtype, format="csr")
        factors = (scipy.sparse.csr_matrix(matrix),) + (identity,) * self.config.n_identity
        order = np.arange(n, dtype=np.int64)
        factorization = SparseFactorization(factors, order, order.copy(), label="dense control")
        return factorization, {"outcome": f"dense, then {self.config.n_identity} identity factors"}

    def nnz_budget(self, n: int) -> int:
        return n * n + self.config.n_identity * n

    def oracle(self, n: int) -> np.ndarray:
        return np.random.default_rng(n).standard_normal((n, n))
