"""The machinery shared by the sparse-support fitters (``_fixed_support``, ``_l1_prune``,
``_iht``): the target inside its permutations, the factor algebra, and the optimizers.

Every fitter fits ``M ≈ Pout · W[L-1] ··· W[0] · Pin`` (the ``SparseFactorization`` convention)
with ``L`` square ``(N, N)`` factors in PyTorch, minimising the relative squared Frobenius error
``||Ŵ - M||² / ||M||²``; complex targets get complex factors (stored as real pairs), real ones
real factors; ``dtype`` picks float64 (complex128) or float32 (complex64) arithmetic.

Every fit is Adam then L-BFGS (strong Wolfe) on the masked factors. Initial factors are Gaussian
with a per-entry variance of 1/(nonzeros per row), scaled so the product has the target's norm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse
import torch

from .._errors import ConfigError
from ._product import SparseFactorization
from ._sparse_configs import Precision, _check_int

_REAL: dict[Precision, torch.dtype] = {"float64": torch.float64, "float32": torch.float32}


class FactorProblem:
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
        self, params: Sequence[torch.Tensor], masks: Sequence[torch.Tensor | None] | None = None
    ) -> list[torch.Tensor]:
        """Factor tensors ``(N, N)`` (complex views of the ``(N, N, 2)`` parameters when complex),
        each times its mask (``masks`` ``None`` or an entry ``None``: unmasked)."""
        out = []
        for index, param in enumerate(params):
            weight = torch.view_as_complex(param) if self.complex else param  # (N, N)
            mask = None if masks is None else masks[index]
            out.append(weight if mask is None else weight * mask)
        return out

    def detached_weights(
        self, params: Sequence[torch.Tensor], masks: Sequence[torch.Tensor | None] | None = None
    ) -> list[torch.Tensor]:
        """``weights`` as copies outside the autograd graph."""
        with torch.no_grad():
            return [w.detach().clone() for w in self.weights(params, masks)]

    def error2(self, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        """Relative squared error of ``W[L-1] ··· W[0]`` against the target."""
        product = weights[0]
        for weight in weights[1:]:
            product = weight @ product  # (N, N)
        return (product - self.target).abs().pow(2).sum() / self.norm2

    def init(self, masks: Sequence[np.ndarray], generator: torch.Generator) -> list[torch.Tensor]:
        """Gaussian factors on ``masks``: variance 1/(nonzeros per row), product norm ~ target's."""
        scale = self.factor_scale(len(masks))
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

    def factor_scale(self, n_factors: int) -> float:
        """Per-factor scale ``s`` with ``(s · sqrt N)^L`` the target's norm (``L = n_factors``)."""
        return (np.sqrt(self.norm2 / self.n)) ** (1.0 / n_factors)

    def dense_init(self, n_factors: int, seed: int) -> list[torch.Tensor]:
        """``n_factors`` dense factors from ``init`` (``n_factors`` checked to be >= 1)."""
        _check_int("n_factors", n_factors, 1)
        full = [np.ones((self.n, self.n), dtype=bool)] * n_factors
        return self.init(full, torch.Generator().manual_seed(seed))

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


def adam(
    params: list[torch.Tensor],
    loss: Callable[[], torch.Tensor],
    *,
    steps: int,
    lr: float,
    after_step: Callable[[int], None] | None = None,
) -> None:
    """``steps`` Adam steps on ``loss``; ``after_step(step)`` after each (e.g. a projection)."""
    optimizer = torch.optim.Adam(params, lr=lr)
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        value = loss()
        value.backward()
        optimizer.step()
        if after_step is not None:
            after_step(step)


def lbfgs(params: list[torch.Tensor], loss: Callable[[], torch.Tensor], *, steps: int) -> None:
    """At most ``steps`` L-BFGS iterations (strong Wolfe) on ``loss``; none when 0."""
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


def masked_fit(
    problem: FactorProblem,
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

    adam(params, loss, steps=steps, lr=lr)
    lbfgs(params, loss, steps=lbfgs_steps)
    return problem.detached_weights(params, mask_tensors)


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
