"""Sparse factors by iterative hard thresholding: ``fit_iht``.

After a dense warm-up every factor is projected onto its ``k`` largest entries per row after each
optimizer step (``_sparse_problem``: Adam), then the final support is re-fitted (Adam then
L-BFGS).
"""

from __future__ import annotations

import numpy as np
import torch

from ._product import SparseFactorization
from ._sparse_configs import IHTConfig, _check_int_up_to
from ._sparse_problem import FactorProblem, adam, masked_fit


def top_k_per_row_mask(weight: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the ``k`` largest ``|w|`` in every row of ``weight`` (ties: lower column)."""
    order = np.argsort(-np.abs(weight), axis=1, kind="stable")[:, :k]  # (N, k)
    mask = np.zeros(weight.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


def _top_k_rows_torch(weight: torch.Tensor, k: int) -> torch.Tensor:
    """Fast twin of ``top_k_per_row_mask`` on a torch factor (float mask, same dtype as |w|)."""
    magnitude = weight.abs()  # (N, N)
    index = magnitude.topk(k, dim=1).indices  # (N, k)
    return torch.zeros_like(magnitude).scatter_(1, index, 1.0)


def fit_iht(
    matrix: np.ndarray,
    *,
    n_factors: int,
    k_per_row: int,
    config: IHTConfig | None = None,
    seed: int = 0,
    input_permutation: np.ndarray | None = None,
    output_permutation: np.ndarray | None = None,
) -> SparseFactorization:
    """Iterative hard thresholding: dense warm-up, then after every ``project_every`` Adam steps
    each factor keeps its ``k_per_row`` largest entries per row (others set to zero); the last
    support is re-fitted. At most ``n_factors · N · k_per_row`` nonzeros (2 per row and
    ``log2 N`` factors: the butterfly budget)."""
    config = config or IHTConfig()
    problem = FactorProblem(matrix, input_permutation, output_permutation, config.dtype)
    params = problem.dense_init(n_factors, seed)
    _check_int_up_to("k_per_row", k_per_row, problem.n)

    def project(step: int) -> None:
        if step + 1 < config.warmup_steps or (step + 1 - config.warmup_steps) % config.project_every:
            return
        with torch.no_grad():
            for param, weight in zip(params, problem.weights(params)):
                keep = _top_k_rows_torch(weight, k_per_row)  # (N, N)
                param.mul_(keep[..., None] if problem.complex else keep)

    def loss() -> torch.Tensor:
        return problem.error2(problem.weights(params))

    adam(params, loss, steps=config.steps, lr=config.lr, after_step=project)
    with torch.no_grad():
        masks = [top_k_per_row_mask(w.numpy(), k_per_row) for w in problem.weights(params)]
    weights = masked_fit(
        problem, params, masks, steps=config.refit_steps, lr=config.lr, lbfgs_steps=config.lbfgs_steps
    )
    return problem.to_factorization(weights, f"{n_factors} factors, IHT top-{k_per_row} per row, re-fitted")
