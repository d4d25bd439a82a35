"""Sparse factors fitted by gradient on a given support: ``fit_fixed_support``.

A gradient fit (``_sparse_problem``: Adam then L-BFGS) on a given chain of supports (boolean
masks, e.g. ``_kronecker.chain_masks``) with given permutations: the baseline when the support is
known (the learned-support fitters are ``_l1_prune`` and ``_iht``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .._errors import ConfigError
from ._product import SparseFactorization
from ._sparse_configs import FixedSupportConfig
from ._sparse_problem import FactorProblem, masked_fit


def fit_fixed_support(
    matrix: np.ndarray,
    *,
    supports: Sequence[np.ndarray],
    input_permutation: np.ndarray | None = None,
    output_permutation: np.ndarray | None = None,
    config: FixedSupportConfig | None = None,
    seed: int = 0,
) -> SparseFactorization:
    """Fit factors on the given supports (``supports[0]`` applied first; boolean ``(N, N)``).

    ``input_permutation`` / ``output_permutation`` default to the identity. Nonzeros of the
    result are at most the supports' total.
    """
    config = config or FixedSupportConfig()
    problem = FactorProblem(matrix, input_permutation, output_permutation, config.dtype)
    masks = _check_masks(supports, problem.n)
    params = problem.init(masks, torch.Generator().manual_seed(seed))
    weights = masked_fit(
        problem, params, masks, steps=config.steps, lr=config.lr, lbfgs_steps=config.lbfgs_steps
    )
    return problem.to_factorization(weights, f"{len(masks)} factors, fixed support, gradient")


def _check_masks(supports: Sequence[np.ndarray], n: int) -> list[np.ndarray]:
    if len(supports) == 0:
        raise ConfigError("supports", 0, "must hold at least one (N, N) mask")
    masks = []
    for index, support in enumerate(supports):
        mask = np.asarray(support)
        if mask.shape != (n, n):
            raise ConfigError(f"supports[{index}]", mask.shape, f"must be ({n}, {n})")
        if mask.dtype != bool:
            raise ConfigError(f"supports[{index}]", str(mask.dtype), "must be a boolean mask")
        masks.append(mask)
    return masks
