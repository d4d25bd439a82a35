"""Fitter ``gradient``: butterfly twiddles (and a relaxed permutation) by Adam then L-BFGS
(Dao et al., arXiv 1903.05895); the algorithm and its config are in ``.._gradient``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._space import FloatRange, IntRange, TrialLike, check_choices, check_within
from ...butterfly._butterfly import butterfly_nonzeros
from ...butterfly._mixed import radix_nonzeros
from ...butterfly._radix import check_radices, default_radices
from .._fitter import Fitter, register_fitter
from .._gradient import GradientFitConfig, gradient_butterfly
from .._product import SparseFactorization
from .._targets import TargetConfig, make_target


@dataclass(frozen=True)
class GradientSpace:
    """``[space.gradient]``: butterfly twiddles by Adam + L-BFGS."""

    permutation: tuple[str, ...] = ("learn",)  # choices among identity, bitrev, learn
    dtype: tuple[str, ...] = ("float64",)  # choices among float32, float64
    init: tuple[str, ...] = ("random", "unitary")  # choices among random, unitary, identity
    lr: FloatRange = FloatRange(0.005, 0.05, log=True)  # Adam learning rate of the twiddles
    adam_steps: IntRange = IntRange(200, 1000, log=True)  # Adam steps
    lbfgs_steps: IntRange = IntRange(200, 1500, log=True)  # L-BFGS polish iterations
    restarts: IntRange = IntRange(1, 4)  # attempts per fit

    def __post_init__(self) -> None:
        check_choices("permutation", self.permutation, ("identity", "bitrev", "learn"))
        check_choices("dtype", self.dtype, ("float32", "float64"))
        check_choices("init", self.init, ("random", "unitary", "identity"))
        check_within("lr", self.lr, 1e-8, 10.0)
        check_within("adam_steps", self.adam_steps, 0, 1_000_000)
        check_within("lbfgs_steps", self.lbfgs_steps, 0, 1_000_000)
        check_within("restarts", self.restarts, 1, 100)

    def suggest(self, trial: TrialLike, *, n: int, seed: int) -> GradientFitConfig:
        return GradientFitConfig(
            permutation=trial.suggest_categorical("gradient.permutation", list(self.permutation)),
            dtype=trial.suggest_categorical("gradient.dtype", list(self.dtype)),
            init=trial.suggest_categorical("gradient.init", list(self.init)),
            lr=self.lr.suggest(trial, "gradient.lr"),
            adam_steps=self.adam_steps.suggest(trial, "gradient.adam_steps"),
            lbfgs_steps=self.lbfgs_steps.suggest(trial, "gradient.lbfgs_steps"),
            restarts=self.restarts.suggest(trial, "gradient.restarts"),
            seed=seed,
        )


@register_fitter
class GradientFitter(Fitter):
    """``log2 N`` butterfly factors, or one mixed-radix stage per radix (``radices``, or any
    ``N`` that is not a power of two), plus, for real targets, the Hermitian-pair stage."""

    method = "gradient"
    config_type = GradientFitConfig
    space_type = GradientSpace
    summary = "butterfly twiddles by Adam + L-BFGS; input permutation identity, bit reversal or learned"

    def fit(self, matrix: np.ndarray) -> tuple[SparseFactorization, dict[str, object]]:
        return gradient_butterfly(matrix, config=self.config)

    def nnz_budget(self, n: int) -> int:
        # the Hermitian-pair stage: two nonzeros per row but for rows 0 (and N/2 when N is even)
        stage = 0 if self.config.output_stage == "none" else 2 * n - 2 + n % 2
        radices = self._radices(n)
        return (butterfly_nonzeros(n) if radices is None else radix_nonzeros(radices)) + stage

    def oracle(self, n: int) -> np.ndarray | None:
        if self.config.dtype == "float32" or not self.config.lbfgs_steps:
            return None  # float32 stops near 1e-4, Adam alone short of 1e-8: no exactness claim
        radices = self._radices(n)
        if radices is not None:  # the digit reversal of the chain's radices makes the DFT exact
            exact = self.config.permutation == "bitrev"
            return np.fft.fft(np.eye(n), norm="ortho", axis=0) if exact else None
        # bit reversal (given or learned) makes the DFT exact; no permutation, Sylvester's Hadamard
        name = "hadamard" if self.config.permutation == "identity" else "dft"
        return make_target(TargetConfig(name=name, n=n)).matrix

    def _radices(self, n: int) -> tuple[int, ...] | None:
        """The chain fitted at size ``n``: None for the radix-2 butterfly (``gradient_butterfly``)."""
        if self.config.radices is not None:
            return check_radices(self.config.radices, n, field="radices")
        return None if n >= 2 and n & (n - 1) == 0 else default_radices(n)
