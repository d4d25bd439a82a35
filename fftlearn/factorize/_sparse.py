"""Sparse factors by gradient: support learned (L1 then pruning; iterative hard thresholding) or given.

All three fit ``M ≈ Pout · W[L-1] ··· W[0] · Pin`` (the ``SparseFactorization`` convention) with
``L`` square ``(N, N)`` factors in PyTorch, minimising the relative squared Frobenius error
``||Ŵ - M||² / ||M||²``; complex targets get complex factors (stored as real pairs), real ones
real factors; ``dtype`` picks float64 (complex128) or float32 (complex64) arithmetic.

- ``fit_l1`` (Nye & Saxe, arXiv 1807.06399): dense factors trained with an L1 penalty, pruned to
  a nonzero budget (the largest entries in total or per factor), then re-fitted on the kept
  support. The documented outcome at the butterfly budget ``2 N log2 N``: the error stays high.
- ``fit_iht``: iterative hard thresholding; after a dense warm-up every factor is projected onto
  its ``k`` largest entries per row after each optimizer step, then the final support is
  re-fitted.
- ``fit_fixed_support``: a gradient fit on a given chain of supports (boolean masks, e.g.
  ``_kronecker.chain_masks``) with given permutations: the baseline when the support is known.

Every fit is Adam then L-BFGS (strong Wolfe) on the masked factors. Initial factors are Gaussian
with a per-entry variance of 1/(nonzeros per row), scaled so the product has the target's norm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse
import torch

from .._errors import ConfigError
from ._product import SparseFactorization
from ._sparse_configs import FixedSupportConfig, IHTConfig, L1Config, Precision, _check_int

_REAL: dict[Precision, torch.dtype] = {"float64": torch.float64, "float32": torch.float32}


@dataclass(frozen=True)
class L1Stages:
    """The three stages of ``fit_l1``: after the penalised phase, after pruning, after re-fit."""

    dense: SparseFactorization  # the trained dense factors (every entry stored)
    pruned: SparseFactorization  # the budget's largest entries, others dropped, no re-fit
    refitted: SparseFactorization  # the pruned support re-fitted without penalty


class _Problem:
    """The target moved inside the permutations, as a torch tensor, and the factor algebra."""

    def __init__(
        self,
        matrix: np.ndarray,
        input_permutation: np.ndarray | None,
        output_permutation: np.ndarray | None,
        precision: Precision,
    ) -> None:
        self.matrix = _check_matrix(matrix)
        self.n = n = self.matrix.shape[0]
        self.input_permutation = _check_permutation("input_permutation", input_permutation, n)
        self.output_permutation = _check_permutation("output_permutation", output_permutation, n)
        self.complex = bool(np.iscomplexobj(self.matrix))
        self.real_dtype = _REAL[precision]
        # Pout·P·Pin = M  <=>  P = M[argsort(out)][:, in]  (P is the plain product of the factors)
        inner = self.matrix[np.argsort(self.output_permutation)][:, self.input_permutation]
        dtype = torch.complex128 if self.real_dtype == torch.float64 else torch.complex64
        self.target = torch.from_numpy(inner).to(dtype if self.complex else self.real_dtype)  # (N, N)
        self.norm2 = float(np.linalg.norm(inner) ** 2)

    def weights(
        self, params: Sequence[torch.Tensor], masks: Sequence[torch.Tensor | None]
    ) -> list[torch.Tensor]:
        """Factor tensors ``(N, N)`` (complex views of the ``(N, N, 2)`` parameters when complex)."""
        out = []
        for param, mask in zip(params, masks):
            weight = torch.view_as_complex(param) if self.complex else param  # (N, N)
            out.append(weight if mask is None else weight * mask)
        return out

    def error2(self, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        """Relative squared error of ``W[L-1] ··· W[0]`` against the target."""
        product = weights[0]
        for weight in weights[1:]:
            product = weight @ product  # (N, N)
        return (product - self.target).abs().pow(2).sum() / self.norm2

    def init(self, masks: Sequence[np.ndarray], generator: torch.Generator) -> list[torch.Tensor]:
        """Gaussian factors on ``masks``: variance 1/(nonzeros per row), product norm ~ target's."""
        scale = (np.sqrt(self.norm2 / self.n)) ** (1.0 / len(masks))
        params = []
        for mask in masks:
            per_row = max(float(mask.sum()) / self.n, 1.0)
            shape = (self.n, self.n, 2) if self.complex else (self.n, self.n)
            std = scale / np.sqrt(per_row * (2.0 if self.complex else 1.0))
            values = torch.randn(shape, generator=generator, dtype=torch.float64) * std
            keep = torch.from_numpy(mask)
            values = values * (keep[..., None] if self.complex else keep)
            params.append(values.to(self.real_dtype).requires_grad_(True))
        return params

    def to_factorization(self, weights: Sequence[torch.Tensor], label: str) -> SparseFactorization:
        """CSR factors (complex128 or float64, exact zeros dropped) with the problem's permutations."""
        factors = []
        for weight in weights:
            dense = weight.detach().cpu().numpy().astype(np.complex128 if self.complex else np.float64)
            factor = scipy.sparse.csr_matrix(dense)
            factor.eliminate_zeros()
            factors.append(factor)
        return SparseFactorization(
            factors=tuple(factors),
            input_permutation=self.input_permutation.copy(),
            output_permutation=self.output_permutation.copy(),
            label=label,
        )


def _adam(
    params: list[torch.Tensor],
    loss: Callable[[], torch.Tensor],
    *,
    steps: int,
    lr: float,
    after_step: Callable[[int], None] | None = None,
) -> None:
    optimizer = torch.optim.Adam(params, lr=lr)
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        value = loss()
        value.backward()
        optimizer.step()
        if after_step is not None:
            after_step(step)


def _lbfgs(params: list[torch.Tensor], loss: Callable[[], torch.Tensor], *, steps: int) -> None:
    if steps == 0:
        return
    optimizer = torch.optim.LBFGS(
        params,
        lr=1.0,
        max_iter=steps,
        max_eval=2 * steps,
        history_size=50,
        tolerance_grad=1e-15,
        tolerance_change=1e-20,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        value = loss()
        value.backward()
        return value

    optimizer.step(closure)


def _masked_fit(
    problem: _Problem,
    params: list[torch.Tensor],
    masks: Sequence[np.ndarray],
    *,
    steps: int,
    lr: float,
    lbfgs_steps: int,
) -> list[torch.Tensor]:
    """Adam then L-BFGS on ``params`` restricted to ``masks``; returns the masked weights."""
    mask_tensors = [torch.from_numpy(m).to(problem.real_dtype) for m in masks]

    def loss() -> torch.Tensor:
        return problem.error2(problem.weights(params, mask_tensors))

    _adam(params, loss, steps=steps, lr=lr)
    _lbfgs(params, loss, steps=lbfgs_steps)
    with torch.no_grad():
        return [w.detach().clone() for w in problem.weights(params, mask_tensors)]


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
    problem = _Problem(matrix, input_permutation, output_permutation, config.dtype)
    masks = _check_masks(supports, problem.n)
    params = problem.init(masks, torch.Generator().manual_seed(seed))
    weights = _masked_fit(
        problem, params, masks, steps=config.steps, lr=config.lr, lbfgs_steps=config.lbfgs_steps
    )
    return problem.to_factorization(weights, f"{len(masks)} factors, fixed support, gradient")


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
    problem = _Problem(matrix, input_permutation, output_permutation, config.dtype)
    n = problem.n
    _check_int("n_factors", n_factors, 1)
    if isinstance(budget, bool) or not isinstance(budget, int) or not 1 <= budget <= n_factors * n * n:
        raise ConfigError("budget", budget, f"must be an integer in [1, {n_factors * n * n}]")
    full = [np.ones((n, n), dtype=bool)] * n_factors
    params = problem.init(full, torch.Generator().manual_seed(seed))
    scale = (np.sqrt(problem.norm2 / n)) ** (1.0 / n_factors)
    unmasked = [None] * n_factors

    def penalised() -> torch.Tensor:
        weights = problem.weights(params, unmasked)
        l1 = sum(w.abs().sum() for w in weights) / (n_factors * n**1.5 * scale)
        return problem.error2(weights) + config.l1 * l1

    _adam(params, penalised, steps=config.steps, lr=config.lr)
    _lbfgs(params, penalised, steps=config.lbfgs_steps)
    with torch.no_grad():
        dense_weights = [w.detach().clone() for w in problem.weights(params, unmasked)]
    masks = prune_to_budget([w.numpy() for w in dense_weights], budget=budget, scope=config.scope)
    pruned_weights = [w * torch.from_numpy(m) for w, m in zip(dense_weights, masks)]
    refit_params = [
        (torch.view_as_real(w) if problem.complex else w).clone().requires_grad_(True) for w in pruned_weights
    ]
    refitted = _masked_fit(
        problem, refit_params, masks, steps=config.refit_steps, lr=config.lr, lbfgs_steps=config.lbfgs_steps
    )
    tag = f"{n_factors} factors, L1 {config.l1:g}, budget {budget} ({config.scope})"
    return L1Stages(
        dense=problem.to_factorization(dense_weights, f"{tag}, dense"),
        pruned=problem.to_factorization(pruned_weights, f"{tag}, pruned"),
        refitted=problem.to_factorization(refitted, f"{tag}, pruned and re-fitted"),
    )


def fit_l1(
    matrix: np.ndarray,
    *,
    n_factors: int,
    budget: int,
    config: L1Config | None = None,
    seed: int = 0,
    input_permutation: np.ndarray | None = None,
    output_permutation: np.ndarray | None = None,
) -> SparseFactorization:
    """The re-fitted result of ``fit_l1_stages`` (at most ``budget`` nonzeros)."""
    stages = fit_l1_stages(
        matrix,
        n_factors=n_factors,
        budget=budget,
        config=config,
        seed=seed,
        input_permutation=input_permutation,
        output_permutation=output_permutation,
    )
    return stages.refitted


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
    problem = _Problem(matrix, input_permutation, output_permutation, config.dtype)
    n = problem.n
    _check_int("n_factors", n_factors, 1)
    if isinstance(k_per_row, bool) or not isinstance(k_per_row, int) or not 1 <= k_per_row <= n:
        raise ConfigError("k_per_row", k_per_row, f"must be an integer in [1, {n}]")
    full = [np.ones((n, n), dtype=bool)] * n_factors
    params = problem.init(full, torch.Generator().manual_seed(seed))
    unmasked = [None] * n_factors

    def project(step: int) -> None:
        if step + 1 < config.warmup_steps or (step + 1 - config.warmup_steps) % config.project_every:
            return
        with torch.no_grad():
            for param, weight in zip(params, problem.weights(params, unmasked)):
                keep = _top_k_rows_torch(weight, k_per_row)  # (N, N)
                param.mul_(keep[..., None] if problem.complex else keep)

    def loss() -> torch.Tensor:
        return problem.error2(problem.weights(params, unmasked))

    _adam(params, loss, steps=config.steps, lr=config.lr, after_step=project)
    with torch.no_grad():
        masks = [top_k_per_row_mask(w.numpy(), k_per_row) for w in problem.weights(params, unmasked)]
    weights = _masked_fit(
        problem, params, masks, steps=config.refit_steps, lr=config.lr, lbfgs_steps=config.lbfgs_steps
    )
    return problem.to_factorization(weights, f"{n_factors} factors, IHT top-{k_per_row} per row, re-fitted")


def _check_matrix(matrix: np.ndarray) -> np.ndarray:
    array = np.asarray(matrix)
    if array.ndim != 2 or array.shape[0] != array.shape[1] or array.shape[0] < 1:
        raise ConfigError("matrix", array.shape, "must be a square (N, N) array")
    if not np.isfinite(array).all():
        raise ConfigError("matrix", "non-finite entries", "must be finite")
    if not np.any(array):
        raise ConfigError("matrix", "all zeros", "must have a nonzero entry")
    return array.astype(np.complex128) if np.iscomplexobj(array) else array.astype(np.float64)


def _check_permutation(name: str, perm: np.ndarray | None, n: int) -> np.ndarray:
    if perm is None:
        return np.arange(n, dtype=np.int64)
    array = np.asarray(perm)
    if array.shape != (n,) or not np.array_equal(np.sort(array), np.arange(n)):
        raise ConfigError(name, array.shape, f"must be a permutation of 0..{n - 1}")
    return array.astype(np.int64)


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
