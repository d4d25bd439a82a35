"""Gradient fitter: butterfly factors and a learned permutation, fitted by Adam then L-BFGS.

The model, applied to a column vector ``x`` of length ``N = 2^L``:

    y = Pout · [A] · B_{L-1} ··· B_0 · x[perm]

- ``B_k``: complex butterfly factors (``fftlearn.butterfly._butterfly`` convention), every 2x2 block free,
  or with ``tied_twiddles`` one block per position inside a block of ``2^(k+1)``, shared by all
  blocks of the factor (as the FFT's twiddles are). With ``radices`` (or any ``N`` that is not a
  power of two: ``default_radices(N)``) the factors are a mixed-radix chain instead, one compact
  ``(a, d, r, r)`` stage per radix (``fftlearn.butterfly._mixed``), every ``r x r`` block free.
- ``perm``: fixed (identity, bit reversal; for a mixed-radix chain the digit reversal of its
  radices) or learned: a relaxed permutation (``fftlearn.factorize._permutation``, radix-2, so
  for ``N`` a power of two only) trained jointly with the twiddles, then hardened.
- ``A``, the *Hermitian-pair stage* (real targets): ``y_k = a_k z_k + b_k z_{(N-k) mod N}``, two
  nonzeros per row, and ``Pout`` a learned choice between identity and reversal. A real
  transform computed through a complex FFT takes real parts, and for the spectrum ``Z`` of a
  real vector ``Re(w_k Z_k) = (w_k Z_k + conj(w_k) Z_{N-k}) / 2``: exactly this ``A``, linear
  over the complex numbers. Dao et al. (arXiv 1903.05895) take the real part of the output
  instead, which is not a linear map, so no sparse factorization comes out of it. The rank-one
  conditions of a butterfly product fail for the DCT-II and DST-II under every input
  permutation (checked exhaustively at N = 8) and for the Hartley transform under the bit
  reversal for N >= 16, while ``A · B · P`` is exact for all three (DCT-II: Makhoul's fold then
  the bit reversal; DST-II: the same with ``Pout`` the reversal; Hartley: the bit reversal).
  ``A`` costs ``2N - 2`` nonzeros on top of ``2 N log2 N``; when the fitted permutation also
  fits without it (the Hadamard matrix, the Hartley transform at N <= 8), it is dropped.

**Loss.** ``||M̂ X - M X||_F² / ||M X||_F²``: ``X`` is the identity (exact) or ``probes`` fixed
real Gaussian columns (``O(N · probes · log N)`` per step instead of ``O(N² log N)``). The model
is linear over the complex numbers, so it is exact once it is exact on enough real probes; the
reported error is always the exact one. Too few probes make the landscape worse (at N = 1024,
32 probes stall where 128 converge in 100 iterations), so the default scales with N.

**One fit.** Up to ``restarts`` rounds, each from fresh random numbers derived from ``seed``:
Adam on the twiddles (``lr``), stage weights and permutation logits (``perm_lr``); then the hard
settings (input permutation, output reversal) in order of probability under the trained
relaxation, at most ``max_hardenings``, each polished by L-BFGS from fresh twiddles. A polish
that stays on its first plateau is abandoned early (a wrong permutation stalls around 0.6
relative error, a right one falls by orders of magnitude within a few hundred iterations). The
first setting below ``tolerance`` ends the fit; with a fixed permutation and no stage the
polish starts from Adam's twiddles (the classic Adam-then-L-BFGS pipeline). The relaxation's
argmax is often wrong, which is why the next hardenings are polished too; ``details`` records
every polish (``polish_log``), so how often the argmax was right is visible.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import torch

from .._config import register_kind
from .._errors import ConfigError
from .._plain import UnsetFieldsOmitted
from .._validate import check_bool, check_choice, check_float, check_int
from ..butterfly._radix import check_radices, default_radices, digit_reversal_permutation
from ._butterfly_model import ButterflyModel
from ._gradient_loss import ProbeLoss, exact_relative_error, validated_target
from ._permutation import fixed_permutation, hierarchical_permutation
from ._product import SparseFactorization

CHUNK = 25  # L-BFGS iterations between checks of the stopping rules
HOPELESS_AFTER = 3  # chunks before a polish may be abandoned ...
HOPELESS_ABOVE = 0.2  # ... while its probe error is above this and fell < 10 % in a chunk
STALL_BELOW = 1e-3  # below this, a chunk that gains < 2 % ends the polish (rounding floor)


@register_kind
@dataclass(frozen=True)
class GradientFitConfig(UnsetFieldsOmitted):
    """How ``gradient_butterfly`` fits ``M ≈ Pout · [A] · B · P`` by gradient descent."""

    kind: ClassVar[str] = "gradient_fit"
    omitted_when_none: ClassVar[tuple[str, ...]] = ("radices",)  # stored configs predate it
    permutation: Literal["identity", "bitrev", "learn"] = "learn"  # the input permutation P
    output_stage: Literal["auto", "none", "hermitian_pairs"] = "auto"  # auto: pairs for real targets
    dtype: Literal["float32", "float64"] = "float64"  # float64 computes in complex128
    adam_steps: int = 150  # Adam steps on twiddles and permutation logits (0: polish only)
    lr: float = 0.02  # Adam learning rate of the twiddles and the stage weights
    perm_lr: float = 0.005  # Adam learning rate of the permutation logits
    lbfgs_steps: int = 2000  # most L-BFGS iterations of one polish (0: no polish)
    tied_twiddles: bool = False  # share each factor's 2x2 blocks across its blocks of 2^(k+1)
    share_logits: bool = True  # one keep/separate choice for every level (Dao et al.'s default)
    init: Literal["unitary", "random", "identity"] = "unitary"  # twiddle initialisation
    restarts: int = 2  # Adam rounds per fit (fresh random numbers each); a solved one ends it
    max_hardenings: int = 8  # hard settings polished per round, most probable first
    probes: int = 0  # probe columns of the loss; 0: max(64, N/8); >= N: the identity (exact)
    tolerance: float | None = None  # relative error that counts as solved; None: 1e-8 (float32: 1e-4)
    seed: int = 0  # initialisation, probes and every round derive from it
    radices: tuple[int, ...] | None = None  # mixed-radix chain (product N); None: radix 2 / default order

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
        check_choice("init", self.init, ("unitary", "random", "identity"))
        check_int("restarts", self.restarts, low=1, high=1000)
        check_int("max_hardenings", self.max_hardenings, low=1, high=100_000)
        check_int("probes", self.probes, low=0, high=1 << 20)
        if self.tolerance is not None:
            check_float("tolerance", self.tolerance, low=0.0, low_open=True, high=1.0)
        check_int("seed", self.seed, low=0)
        if self.radices is not None:
            radices = check_radices(self.radices)
            product = int(np.prod(radices))
            if self.permutation == "learn" and product & (product - 1):
                allowed = "'learn' needs a power-of-two product (the relaxed permutation is radix-2)"
                raise ConfigError("permutation", "learn", f"{allowed}; use 'bitrev' or 'identity'")
        if self.permutation == "learn" and self.adam_steps == 0:
            raise ConfigError("adam_steps", 0, "must be >= 1 when permutation is 'learn' (Adam trains it)")
        if self.adam_steps == 0 and self.lbfgs_steps == 0:
            raise ConfigError("lbfgs_steps", 0, "must be >= 1 when adam_steps is 0 (nothing would be fitted)")

    @property
    def resolved_tolerance(self) -> float:
        if self.tolerance is not None:
            return self.tolerance
        return 1e-8 if self.dtype == "float64" else 1e-4

    def probe_count(self, n: int) -> int:
        """Probe columns used for size ``n`` (``n`` means the identity)."""
        return min(n, self.probes or max(64, n // 8))


@dataclass(frozen=True)
class _Setting:
    """One hard setting of the discrete choices: the input permutation and the output reversal."""

    input_index: np.ndarray  # (N,) int64
    reversed_output: bool
    choices: tuple[str, ...]  # e.g. ("fold", "separate", ...); () for a fixed permutation
    log_probability: float  # under the trained relaxation (0 when nothing was relaxed)

    def describe(self) -> str:
        return " ".join(self.choices + (("reversed",) if self.reversed_output else ()))


def _adam(model: ButterflyModel, loss: ProbeLoss, config: GradientFitConfig) -> None:
    """Adam on twiddles, stage weights (``lr``) and permutation logits (``perm_lr``)."""
    groups: list[dict[str, object]] = [{"params": model.continuous_parameters(), "lr": config.lr}]
    relaxed = [m for m in (model.input_relaxed, getattr(model, "output_relaxed", None)) if m is not None]
    if relaxed:
        groups.append({"params": [p for m in relaxed for p in m.parameters()], "lr": config.perm_lr})
    optimizer = torch.optim.Adam(groups)
    for _ in range(config.adam_steps):
        optimizer.zero_grad()
        loss(model).backward()
        optimizer.step()


def _ranked_settings(model: ButterflyModel, limit: int) -> list[_Setting]:
    """Hard settings, most probable first under the trained relaxation, at most ``limit``."""
    if model.input_relaxed is not None:
        inputs = [
            (lp, hierarchical_permutation(model.n, ch, fold=fold), (("fold",) if fold else ()) + ch)
            for lp, fold, ch in model.input_relaxed.ranked(limit)
        ]
    else:
        inputs = [(0.0, model.input_index.numpy().copy(), ())]
    outputs = [(0.0, False)]
    if model.stage and model.output_relaxed is not None:
        reversal = torch.log_softmax(model.output_relaxed.logits.detach(), dim=-1).tolist()
        outputs = [(reversal[0], False), (reversal[1], True)]
    settings = [_Setting(index, rev, ch, lp + lq) for lp, index, ch in inputs for lq, rev in outputs]
    return sorted(settings, key=lambda s: -s.log_probability)[:limit]


def _polish(model: ButterflyModel, loss: ProbeLoss, target: np.ndarray, steps: int, goal: float) -> float:
    """L-BFGS on the continuous parameters (permutations hard); the exact relative error after.

    Stops after ``steps`` iterations; when the probe error is below ``goal``; below
    ``STALL_BELOW`` when a chunk gains less than 2 %; or, from chunk ``HOPELESS_AFTER`` on, when
    it is above ``HOPELESS_ABOVE`` and fell less than 10 % over the last chunk (a plateau that a
    wrong permutation never leaves).
    """
    optimizer = torch.optim.LBFGS(
        model.continuous_parameters(),
        max_iter=CHUNK,
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
    for chunk in range(math.ceil(steps / CHUNK)):
        optimizer.step(closure)
        with torch.no_grad():
            current = math.sqrt(max(float(loss(model)), 0.0))
        stalled = current < STALL_BELOW and current > 0.98 * previous
        hopeless = chunk >= HOPELESS_AFTER and current > HOPELESS_ABOVE and current > 0.9 * previous
        if not math.isfinite(current) or current <= goal or stalled or hopeless:
            break
        previous = current
    return exact_relative_error(model, target)


def gradient_butterfly(
    matrix: np.ndarray, *, config: GradientFitConfig | None = None
) -> tuple[SparseFactorization, dict[str, object]]:
    """Fit ``M ≈ Pout · [A] · B · P`` (module docstring) by Adam then L-BFGS.

    ``matrix``: ``(N, N)`` real or complex, ``N`` a power of two (radix-2 butterfly) or, with
    ``config.radices`` or for any other ``N`` in [2, 8192], a mixed-radix chain. Returns the factorization and
    its details: the rounds, every polish (``polish_log``: round, setting, error, seconds), the
    chosen setting and whether the Hermitian-pair stage was used or dropped. Timing and scoring
    are ``fit_factorization``'s (``fit_factorization(matrix, config)`` runs this).
    """
    config = config or GradientFitConfig()
    target, radices, fixed = _chain(matrix, config)
    real = not np.iscomplexobj(target)
    stage = config.output_stage == "hermitian_pairs" or (config.output_stage == "auto" and real)
    tolerance = config.resolved_tolerance
    goal = tolerance / 100  # polish a little past "solved"; tests ask for 1e-10 by a smaller tolerance
    best: tuple[float, ButterflyModel, _Setting] | None = None
    log: list[tuple[int, str, float, float]] = []
    for round_index in range(config.restarts):
        model, loss, generator = _new_round(target, config, round_index, stage, fixed, radices)
        relaxed = model.input_relaxed is not None or stage
        if config.adam_steps:
            _adam(model, loss, config)
        for setting in _ranked_settings(model, config.max_hardenings):
            model.set_structure(setting.input_index, setting.reversed_output)
            if relaxed or not config.adam_steps:  # Adam's twiddles fit a mixture: start afresh
                model.reinitialise(config.init, generator)
            began = time.perf_counter()
            if config.lbfgs_steps:
                error = _polish(model, loss, target, config.lbfgs_steps, goal)
            else:
                error = exact_relative_error(model, target)
            log.append((round_index, setting.describe(), error, round(time.perf_counter() - began, 3)))
            if best is None or error < best[0]:
                best = (error, copy.deepcopy(model), setting)
            if error <= tolerance:
                break
        if best is not None and best[0] <= tolerance:
            break
    assert best is not None  # restarts >= 1
    error, model, setting = best
    dropped = None
    if model.stage and error <= tolerance and config.lbfgs_steps:
        dropped = _without_stage(model, target, config, generator, goal, tolerance)
    model = dropped or model
    chain = "" if radices is None else f", radices {','.join(map(str, radices))}"
    label = f"butterfly{chain}, permutation {config.permutation}" + (", Hermitian-pair stage" * model.stage)
    details: dict[str, object] = {
        "rounds": round_index + 1,
        "hardenings_polished": len(log),
        "polish_log": log,
        "permutation_choices": list(setting.choices),
        "output_reversed": bool(model.stage and setting.reversed_output),
        "hermitian_pair_stage": model.stage,
        "stage_dropped": dropped is not None,
        "probes": config.probe_count(target.shape[0]),
        "radices": None if radices is None else list(radices),
    }
    return model.factorization(label), details


def _chain(
    matrix: np.ndarray, config: GradientFitConfig
) -> tuple[np.ndarray, tuple[int, ...] | None, np.ndarray | None]:
    """The validated target, the chain's radices (None: the radix-2 butterfly) and the fixed
    input permutation (None: learned); ``ConfigError`` naming ``matrix`` when they disagree."""
    shape = np.shape(matrix)
    power_of_two = len(shape) == 2 and shape[0] >= 2 and shape[0] & (shape[0] - 1) == 0
    if config.permutation == "learn" and not power_of_two:
        allowed = "permutation 'learn' needs N a power of two >= 2 (use 'bitrev' or 'identity')"
        raise ConfigError("matrix", shape, allowed)
    target = validated_target(matrix, power_of_two=power_of_two)
    n = target.shape[0]
    radices = config.radices if config.radices is not None or power_of_two else default_radices(n)
    if radices is not None:
        radices = check_radices(radices, n, field="radices")
    if config.permutation == "learn":
        return target, radices, None
    if radices is None:
        return target, None, fixed_permutation(n, config.permutation)
    order = digit_reversal_permutation(radices) if config.permutation == "bitrev" else np.arange(n)
    return target, radices, order.astype(np.int64)


def _new_round(
    target: np.ndarray,
    config: GradientFitConfig,
    round_index: int,
    stage: bool,
    fixed: np.ndarray | None,
    radices: tuple[int, ...] | None,
) -> tuple[ButterflyModel, ProbeLoss, torch.Generator]:
    """Round ``round_index``'s generator (from ``config.seed``), fresh model and probe loss."""
    n = target.shape[0]
    dtype = torch.complex128 if config.dtype == "float64" else torch.complex64
    generator = torch.Generator().manual_seed(config.seed * 100_003 + round_index)
    model = ButterflyModel(
        n,
        dtype=dtype,
        tied=config.tied_twiddles,
        init=config.init,
        generator=generator,
        fixed_input=fixed,
        stage=stage,
        share_logits=config.share_logits,
        radices=radices,
    )
    loss = ProbeLoss(target, probes=config.probe_count(n), generator=generator, dtype=dtype)
    return model, loss, generator


def _without_stage(
    model: ButterflyModel,
    target: np.ndarray,
    config: GradientFitConfig,
    generator: torch.Generator,
    goal: float,
    tolerance: float,
) -> ButterflyModel | None:
    """The same input permutation without the Hermitian-pair stage, polished from fresh
    twiddles: returned when it reaches ``tolerance`` too (``2N - 2`` fewer nonzeros)."""
    plain = ButterflyModel(
        model.n,
        dtype=model.dtype,
        tied=model.tied,
        init=config.init,
        generator=generator,
        fixed_input=model.input_index.numpy().copy(),
        stage=False,
        radices=model.radices,
    )
    loss = ProbeLoss(target, probes=config.probe_count(model.n), generator=generator, dtype=model.dtype)
    return plain if _polish(plain, loss, target, config.lbfgs_steps, goal) <= tolerance else None
