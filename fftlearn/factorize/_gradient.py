"""Gradient fitter: butterfly factors (and a learned permutation) fitted by Adam, then L-BFGS.

The model, applied to a column vector ``x`` of length ``N = 2^L``:

    y = Pout · [A] · B_{L-1} ··· B_0 · x[perm]

- ``B_k``: complex butterfly factors (``fftlearn._butterfly`` convention), every 2x2 block free
  (or, with ``tied_twiddles``, one block per position inside a block of ``2^(k+1)``, shared by
  all blocks of the factor, as the FFT's twiddles are).
- ``perm``: fixed (identity, bit reversal) or learned as a relaxed hierarchical permutation
  (``fftlearn.factorize._permutation``), hardened by argmax and re-polished.
- ``A`` (the *Hermitian-pair stage*, real targets only): ``y_k = a_k z_k + b_k z_{(N-k) mod N}``,
  2 nonzeros per row, and ``Pout`` a learned choice between identity and reversal. Why: a real
  transform computed through a complex FFT takes real parts, ``Re(w_k Z_k) = (w_k Z_k +
  conj(w_k) Z_{N-k}) / 2`` when ``Z`` is the spectrum of a real vector, which is this ``A``
  (exactly, and linear over the complex numbers). Dao et al. (arXiv 1903.05895) take the real
  part of the output instead, which is not a linear map; rank tests show that the DCT-II and
  DST-II (every N) and the Hartley transform (N >= 16) have no exact ``B · P`` at all, while
  ``A · B · P`` is exact for all three (DCT: Makhoul's reordering; DST: the same with ``Pout``
  the reversal). The stage costs ``2N - 2`` nonzeros more than ``2 N log2 N``.

The loss is ``||M̂ X - M X||_F² / ||M X||_F²`` over ``X``: the identity (exact), or ``probes``
fixed real Gaussian columns when ``probes < N`` (``O(N · probes · log N)`` per step instead of
``O(N² log N)``; a model that is linear over the complex numbers and exact on real probes that
span enough directions is exact everywhere, and the reported error is always the exact one).

One fit makes up to ``restarts`` attempts (fresh initialisation and probes from the seed): Adam
on twiddles (``lr``) and permutation logits (``perm_lr``), hardening, L-BFGS polish; when the
polish stalls above ``tolerance``, the twiddles are drawn afresh and polished again with the
hard permutation (a correct permutation polishes to rounding error from a random start). The
first attempt below ``tolerance`` ends the fit; otherwise the best one is returned.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import scipy.sparse
import torch
from torch import nn

from .._butterfly import apply_butterfly, butterfly_factor_indices, log2_exact, random_unitary_twiddles
from .._config import register_kind
from .._errors import ConfigError
from .._validate import check_bool, check_choice, check_float, check_int
from ._factorization import FitResult, SparseFactorization, make_fit_result
from ._permutation import RelaxedChoice, RelaxedPermutation, fixed_permutation

POLISH_CHUNK = 50  # L-BFGS iterations between checks of the stopping rules


@register_kind
@dataclass(frozen=True)
class GradientFitConfig:
    """How ``fit_gradient`` fits a butterfly factorization by gradient descent."""

    kind: ClassVar[str] = "gradient_fit"
    permutation: Literal["identity", "bitrev", "learn"] = "learn"  # input permutation
    output_stage: Literal["auto", "none", "hermitian_pairs"] = "auto"  # auto: pairs for real targets
    dtype: Literal["float32", "float64"] = "float64"  # float64 computes in complex128
    adam_steps: int = 600  # Adam steps on twiddles and permutation logits (0: polish only)
    lr: float = 0.02  # Adam learning rate of the twiddles (and the Hermitian-pair stage)
    perm_lr: float = 0.005  # Adam learning rate of the permutation logits
    lbfgs_steps: int = 1500  # L-BFGS iterations of each polish (0: none)
    tied_twiddles: bool = False  # share each factor's 2x2 blocks across its blocks of 2^(k+1)
    share_logits: bool = False  # one keep/separate choice for all levels (Dao et al.'s default)
    init: Literal["random", "unitary", "identity"] = "random"  # twiddle initialisation
    restarts: int = 4  # attempts per fit; the first below `tolerance` ends it
    probes: int = 64  # random probe columns of the loss; >= N means the identity (exact)
    tolerance: float | None = None  # relative error that counts as solved; None: 1e-8 / 1e-4 (float32)
    seed: int = 0  # initialisation, probes and restarts derive from it

    def __post_init__(self) -> None:
        check_choice("permutation", self.permutation, ("identity", "bitrev", "learn"))
        check_choice("output_stage", self.output_stage, ("auto", "none", "hermitian_pairs"))
        check_choice("dtype", self.dtype, ("float32", "float64"))
        check_int("adam_steps", self.adam_steps, low=0, high=1_000_000)
        check_float("lr", self.lr, low=0.0, low_open=True, high=10.0)
        check_float("perm_lr", self.perm_lr, low=0.0, low_open=True, high=10.0)
        check_int("lbfgs_steps", self.lbfgs_steps, low=0, high=1_000_000)
        check_bool("tied_twiddles", self.tied_twiddles)
        check_bool("share_logits", self.share_logits)
        check_choice("init", self.init, ("random", "unitary", "identity"))
        check_int("restarts", self.restarts, low=1, high=1000)
        check_int("probes", self.probes, low=1, high=1 << 20)
        if self.tolerance is not None:
            check_float("tolerance", self.tolerance, low=0.0, low_open=True, high=1.0)
        check_int("seed", self.seed, low=0)
        if self.permutation == "learn" and self.adam_steps == 0:
            raise ConfigError("adam_steps", 0, "must be >= 1 when permutation is 'learn' (Adam learns it)")
        if self.adam_steps == 0 and self.lbfgs_steps == 0:
            raise ConfigError("lbfgs_steps", 0, "must be >= 1 when adam_steps is 0 (nothing would be fitted)")

    @property
    def resolved_tolerance(self) -> float:
        if self.tolerance is not None:
            return self.tolerance
        return 1e-8 if self.dtype == "float64" else 1e-4


class ButterflyModel(nn.Module):
    """``x -> Pout · [A] · B · x[perm]`` on rows: ``(K, N) -> (K, N)`` complex.

    ``learn_input``: a ``RelaxedPermutation`` (else ``fixed_input`` indices); ``stage``: the
    Hermitian-pair factor ``A`` and a relaxed {identity, reversal} output choice.
    """

    def __init__(
        self,
        n: int,
        *,
        dtype: torch.dtype,
        tied: bool,
        init: str,
        generator: torch.Generator,
        fixed_input: np.ndarray | None,
        stage: bool,
        share_logits: bool = False,
    ):
        super().__init__()
        self.n, self.levels, self.tied, self.dtype = n, log2_exact(n), tied, dtype
        sizes = [(1 << k) if tied else n // 2 for k in range(self.levels)]
        self.twiddles = nn.ParameterList(
            [nn.Parameter(_initial_blocks(size, init, generator)) for size in sizes]  # (size, 2, 2, 2) real
        )
        self.input_relaxed = (
            RelaxedPermutation(n, generator=generator, share_logits=share_logits) if fixed_input is None else None
        )
        self.register_buffer("input_index", torch.from_numpy(fixed_input if fixed_input is not None else np.arange(n)))
        self.stage = stage
        if stage:
            scale = math.sqrt(0.25)
            self.pairs = nn.Parameter(scale * torch.randn(2, n, 2, generator=generator, dtype=torch.float64))
            mask = torch.ones(n, dtype=torch.float64)
            mask[0] = mask[n // 2] = 0.0  # rows 0 and N/2 are their own partners: one nonzero
            self.register_buffer("pair_mask", mask)
            self.register_buffer("partner", torch.from_numpy((-np.arange(n)) % n))
            eye, rev = np.arange(n), np.arange(n)[::-1].copy()
            self.output_relaxed: RelaxedChoice | None = RelaxedChoice([eye, rev], generator=generator)
            self.register_buffer("output_index", torch.from_numpy(eye))
        self.to(dtype=torch.float64 if dtype == torch.complex128 else torch.float32)

    def twiddle_tensor(self) -> torch.Tensor:
        """``(L, N/2, 2, 2)`` complex blocks (tied ones tiled across their factor)."""
        blocks = []
        for k, raw in enumerate(self.twiddles):
            full = raw.repeat(self.n // (2 << k), 1, 1, 1) if self.tied else raw  # (N/2, 2, 2, 2)
            blocks.append(torch.view_as_complex(full.contiguous()))
        return torch.stack(blocks)

    def pair_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The Hermitian-pair stage's diagonal ``a`` and partner weights ``b`` (``(N,)`` complex)."""
        complex_pairs = torch.view_as_complex(self.pairs.contiguous())
        return complex_pairs[0], complex_pairs[1] * self.pair_mask

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        x = self.input_relaxed(rows) if self.input_relaxed is not None else rows[:, self.input_index]
        z = apply_butterfly(x, self.twiddle_tensor(), bit_reverse_input=False)  # (K, N)
        if self.stage:
            diagonal, partner = self.pair_weights()
            z = diagonal * z + partner * z[:, self.partner]  # (K, N)
            z = self.output_relaxed(z) if self.output_relaxed is not None else z[:, self.output_index]
        return z

    def harden(self) -> None:
        """Replace the relaxed permutations by their argmax (they stop being parameters)."""
        if self.input_relaxed is not None:
            self.input_index = torch.from_numpy(self.input_relaxed.harden())
            self.input_relaxed = None
        if self.stage and self.output_relaxed is not None:
            self.output_index = torch.from_numpy(self.output_relaxed.harden())
            self.output_relaxed = None

    def continuous_parameters(self) -> list[nn.Parameter]:
        return list(self.twiddles) + ([self.pairs] if self.stage else [])

    def reinitialise(self, init: str, generator: torch.Generator) -> None:
        """Fresh twiddles (and stage weights), keeping the (hard) permutations."""
        with torch.no_grad():
            for raw in self.twiddles:
                raw.copy_(_initial_blocks(raw.shape[0], init, generator).to(raw.dtype))
            if self.stage:
                self.pairs.copy_(0.5 * torch.randn(self.pairs.shape, generator=generator, dtype=torch.float64))

    def factorization(self, label: str) -> SparseFactorization:
        """The hard model as CSR factors (complex128) and its two permutations."""
        n = self.n
        twiddles = self.twiddle_tensor().detach().to(torch.complex128).numpy()  # (L, N/2, 2, 2)
        factors = []
        for level in range(self.levels):
            rows, cols = butterfly_factor_indices(n, level)
            coo = scipy.sparse.coo_matrix((twiddles[level].ravel(), (rows.ravel(), cols.ravel())), shape=(n, n))
            factors.append(coo.tocsr())
        output = np.arange(n, dtype=np.int64)
        if self.stage:
            diagonal, partner = (w.detach().to(torch.complex128).numpy() for w in self.pair_weights())
            index = np.arange(n)
            keep = self.pair_mask.numpy() > 0
            data = np.concatenate([diagonal, partner[keep]])
            rows = np.concatenate([index, index[keep]])
            cols = np.concatenate([index, self.partner.numpy()[keep]])
            factors.append(scipy.sparse.coo_matrix((data, (rows, cols)), shape=(n, n)).tocsr())
            output = self.output_index.numpy().astype(np.int64)
        return SparseFactorization(
            factors=tuple(factors),
            input_permutation=self.input_index.numpy().astype(np.int64).copy(),
            output_permutation=output.copy(),
            label=label,
        )


def _initial_blocks(size: int, init: str, generator: torch.Generator) -> torch.Tensor:
    """``(size, 2, 2, 2)`` real view of complex 2x2 blocks that preserve norms on average."""
    if init == "random":  # entries CN(0, 1/2): E ||block @ v||² = ||v||²
        return 0.5 * torch.randn(size, 2, 2, 2, generator=generator, dtype=torch.float64)
    if init == "unitary":
        return torch.view_as_real(random_unitary_twiddles(2 * size, generator=generator, dtype=torch.complex128)[0])
    eye = torch.view_as_real(torch.eye(2, dtype=torch.complex128)).expand(size, 2, 2, 2)
    return eye + 0.01 * torch.randn(size, 2, 2, 2, generator=generator, dtype=torch.float64)


class _Loss:
    """``||model(rows) - targets||² / ||targets||²`` on fixed rows (identity or probes)."""

    def __init__(self, target: np.ndarray, *, probes: int, generator: torch.Generator, dtype: torch.dtype):
        n = target.shape[0]
        if probes >= n:
            columns = np.eye(n)
        else:  # real Gaussian probes: exact on them means exact (the model is complex-linear)
            columns = torch.randn(n, probes, generator=generator, dtype=torch.float64).numpy()
        self.rows = torch.from_numpy(np.ascontiguousarray(columns.T)).to(dtype)  # (K, N)
        self.targets = torch.from_numpy(np.ascontiguousarray((target @ columns).T)).to(dtype)  # (K, N)
        self.norm = float(torch.linalg.vector_norm(self.targets)) ** 2

    def __call__(self, model: ButterflyModel) -> torch.Tensor:
        residual = model(self.rows) - self.targets  # (K, N)
        return torch.linalg.vector_norm(residual) ** 2 / self.norm


def exact_relative_error(model: ButterflyModel, target: np.ndarray) -> float:
    """``||M̂ - M||_F / ||M||_F`` with ``M̂`` built from the identity (``O(N² log N)``)."""
    with torch.no_grad():
        eye = torch.eye(model.n, dtype=model.dtype)
        dense = model(eye).T.to(torch.complex128).numpy()  # (N, N): column j = M̂ e_j
    return float(np.linalg.norm(dense - target) / np.linalg.norm(target))


def _adam(model: ButterflyModel, loss: _Loss, config: GradientFitConfig) -> float:
    """Adam on twiddles, stage weights and permutation logits; returns the last loss."""
    groups = [{"params": model.continuous_parameters(), "lr": config.lr}]
    relaxed = [m for m in (model.input_relaxed, getattr(model, "output_relaxed", None)) if m is not None]
    logits = [p for m in relaxed for p in m.parameters()]
    if logits:
        groups.append({"params": logits, "lr": config.perm_lr})
    optimizer = torch.optim.Adam(groups)
    value = float("nan")
    for _ in range(config.adam_steps):
        optimizer.zero_grad()
        current = loss(model)
        current.backward()
        optimizer.step()
        value = float(current)
    return value


def _polish(model: ButterflyModel, loss: _Loss, target: np.ndarray, steps: int, goal: float) -> float:
    """L-BFGS on the continuous parameters (hard permutations) until ``steps`` iterations, a
    stall, or an exact relative error below ``goal``; returns the exact relative error."""
    parameters = model.continuous_parameters()
    optimizer = torch.optim.LBFGS(
        parameters,
        max_iter=POLISH_CHUNK,
        history_size=50,
        tolerance_grad=0.0,
        tolerance_change=0.0,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        value = loss(model)
        value.backward()
        return value

    previous = math.inf
    for _ in range(math.ceil(steps / POLISH_CHUNK)):
        optimizer.step(closure)
        with torch.no_grad():
            current = float(loss(model))
        if not math.isfinite(current) or math.sqrt(max(current, 0.0)) <= goal / 10 or current >= previous * 0.999:
            break  # solved (on the probes), diverged, or stalled over a whole chunk
        previous = current
    return exact_relative_error(model, target)


def _validated_target(matrix: np.ndarray) -> np.ndarray:
    array = np.asarray(matrix)
    shape = array.shape
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] < 2 or shape[0] & (shape[0] - 1):
        raise ConfigError("matrix", shape, "must be a square (N, N) array with N a power of two >= 2")
    if array.dtype.kind not in "biufc":
        raise ConfigError("matrix", str(array.dtype), "must hold real or complex numbers")
    array = array.astype(np.complex128 if np.iscomplexobj(array) else np.float64)
    if not np.all(np.isfinite(array)) or not np.any(array):
        raise ConfigError("matrix", "non-finite or all-zero entries", "must hold finite numbers, not all zero")
    return array


def fit_gradient(matrix: np.ndarray, *, config: GradientFitConfig | None = None) -> FitResult:
    """Fit ``M ≈ Pout · [A] · B · P`` (module docstring) by Adam then L-BFGS; a ``FitResult``.

    ``matrix``: ``(N, N)`` real or complex, ``N`` a power of two. ``details`` records the
    attempts made, the hardened permutation choices, the stage and every attempt's error.
    """
    config = config or GradientFitConfig()
    target = _validated_target(matrix)
    n = target.shape[0]
    real_target = not np.iscomplexobj(target)
    stage = config.output_stage == "hermitian_pairs" or (config.output_stage == "auto" and real_target)
    dtype = torch.complex128 if config.dtype == "float64" else torch.complex64
    tolerance = config.resolved_tolerance
    goal = 1e-13 if config.dtype == "float64" else 1e-7
    fixed = None if config.permutation == "learn" else fixed_permutation(n, config.permutation)
    start = time.perf_counter()
    best: tuple[float, ButterflyModel, dict[str, object]] | None = None
    errors: list[float] = []
    for attempt in range(config.restarts):
        generator = torch.Generator().manual_seed(config.seed * 100_003 + attempt)
        model = ButterflyModel(
            n, dtype=dtype, tied=config.tied_twiddles, init=config.init, generator=generator,
            fixed_input=fixed, stage=stage, share_logits=config.share_logits,
        )
        loss = _Loss(target, probes=config.probes, generator=generator, dtype=dtype)
        relaxed = model.input_relaxed is not None or stage
        choices: tuple[str, ...] = ()
        adam_loss = _adam(model, loss, config) if config.adam_steps else float("nan")
        info: dict[str, object] = {"attempt": attempt, "adam_relative_error": math.sqrt(max(adam_loss, 0.0))}
        if model.input_relaxed is not None:
            choices = (("fold",) if model.input_relaxed.fold() else ()) + model.input_relaxed.choices()
            info["permutation_confidence"] = model.input_relaxed.confidence()
        model.harden()
        error = _polish(model, loss, target, config.lbfgs_steps, goal) if config.lbfgs_steps else exact_relative_error(model, target)
        info["polish_relative_error"] = error
        if error > tolerance and relaxed and config.lbfgs_steps:
            model.reinitialise(config.init, generator)  # the hard permutation, fresh twiddles
            error = min(error, _polish(model, loss, target, config.lbfgs_steps, goal))
            info["repolish_relative_error"] = error
        info["choices"] = choices
        errors.append(error)
        if best is None or error < best[0]:
            best = (error, model, info)
        if error <= tolerance:
            break
    assert best is not None  # restarts >= 1
    error, model, info = best
    seconds = time.perf_counter() - start
    label = f"butterfly, permutation {config.permutation}" + (", Hermitian-pair stage" if stage else "")
    details: dict[str, object] = {
        "method": "gradient",
        "attempts": len(errors),
        "attempt_errors": errors,
        "best_attempt": info["attempt"],
        "permutation_choices": list(info["choices"]),
        "output_reversed": bool(stage and model.output_index[0].item() != 0),
        "hermitian_pair_stage": stage,
        "adam_relative_error": info["adam_relative_error"],
        "config": {k: getattr(config, k) for k in config.__dataclass_fields__},
    }
    return make_fit_result(model.factorization(label), target, seconds=seconds, details=details)
