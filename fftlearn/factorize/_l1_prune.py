"""Sparse factors by L1 penalty then pruning (Nye & Saxe, arXiv 1807.06399): ``fit_l1_stages``.

Dense factors are trained with an L1 penalty (``_sparse_problem``: Adam then L-BFGS), pruned to
a nonzero budget (the largest entries in total or per factor), then re-fitted on the kept
support. The documented outcome at the butterfly budget ``2 N log2 N``: the error stays high.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ._product import SparseFactorization
from ._sparse_configs import L1Config, _check_int_up_to
from ._sparse_problem import FactorProblem, adam, lbfgs, masked_fit


@dataclass(frozen=True)
class L1Stages:
    """The three stages of ``fit_l1_stages``: after the penalised phase, after pruning, after re-fit."""

    dense: SparseFactorization  # the trained dense factors (every entry stored)
    pruned: SparseFactorization  # the budget's largest entries, others dropped, no re-fit
    refitted: SparseFactorization  # the pruned support re-fitted without penalty


def prune_to_budget(weights: Sequence[np.ndarray], *, budget: int, scope: str) -> list[np.ndarray]:
    """Boolean masks keeping the ``budget`` largest ``|w|`` of all factors (``scope='total'``) or
    the ``budget // L`` largest of each factor (``'per_factor'``). Ties broken by position."""
    magnitudes = [np.abs(w) for w in weights]
    if scope == "per_factor":
        each = budget // len(weights)
        return [_top_mask(m.reshape(-1), each).reshape(m.shape) for m in magnitudes]
    flat = np.concatenate([m.reshape(-1) for m in magnitudes])
    keep = _top_mask(flat, budget)
    sizes = np.cumsum([0] + [m.size for m in magnitudes])
    return [keep[sizes[i] : sizes[i + 1]].reshape(m.shape) for i, m in enumerate(magnitudes)]


def _top_mask(values: np.ndarray, count: int) -> np.ndarray:
    mask = np.zeros(values.shape, dtype=bool)
    if count > 0:
        mask[np.argsort(-values, kind="stable")[:count]] = True
    return mask


def fit_l1_stages(
    matrix: np.ndarray,
    *,
    n_factors: int,
    budget: int,
    config: L1Config | None = None,
    seed: int = 0,
    input_permutation: np.ndarray | None = None,
    output_permutation: np.ndarray | None = None,
) -> L1Stages:
    """Nye & Saxe's protocol: dense factors with an L1 penalty, pruning to ``budget``, re-fit.

    ``n_factors``: number of square dense factors; ``budget``: nonzeros kept in all (e.g. the
    butterfly budget ``2 N log2 N``; with ``scope='per_factor'`` each factor keeps
    ``budget // n_factors``). The penalty is ``l1 · mean_k ||W_k||_1 / (N^1.5 · s)`` with ``s``
    the initial per-factor scale, so a dense unitary-scale factor costs about ``l1``.
    """
    config = config or L1Config()
    problem = FactorProblem(matrix, input_permutation, output_permutation, config.dtype)
    n = problem.n
    params = problem.dense_init(n_factors, seed)
    _check_int_up_to("budget", budget, n_factors * n * n)
    scale = problem.factor_scale(n_factors)

    def penalised() -> torch.Tensor:
        weights = problem.weights(params)
        l1 = sum(w.abs().sum() for w in weights) / (n_factors * n**1.5 * scale)
        return problem.error2(weights) + config.l1 * l1

    adam(params, penalised, steps=config.steps, lr=config.lr)
    lbfgs(params, penalised, steps=config.lbfgs_steps)
    dense_weights = problem.detached_weights(params)
    masks = prune_to_budget([w.numpy() for w in dense_weights], budget=budget, scope=config.scope)
    pruned_weights = [w * torch.from_numpy(m) for w, m in zip(dense_weights, masks)]
    refit_params = [
        (torch.view_as_real(w) if problem.complex else w).clone().requires_grad_(True) for w in pruned_weights
    ]
    refitted = masked_fit(
        problem, refit_params, masks, steps=config.refit_steps, lr=config.lr, lbfgs_steps=config.lbfgs_steps
    )
    tag = f"{n_factors} factors, L1 {config.l1:g}, budget {budget} ({config.scope})"
    return L1Stages(
        dense=problem.to_factorization(dense_weights, f"{tag}, dense"),
        pruned=problem.to_factorization(pruned_weights, f"{tag}, pruned"),
        refitted=problem.to_factorization(refitted, f"{tag}, pruned and re-fitted"),
    )
