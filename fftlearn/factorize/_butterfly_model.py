"""The butterfly model the gradient fitter trains: ``x -> Pout · [A] · B · x[perm]``, with a
fixed or relaxed input permutation and an optional Hermitian-pair output stage. ``B`` is the
radix-2 butterfly (``radices`` None: twiddles ``(N/2, 2, 2)`` per factor) or a mixed-radix chain
(compact ``(a, d, r, r)`` stages of ``fftlearn.butterfly._mixed``, one per radix)."""

from __future__ import annotations

import numpy as np
import scipy.sparse
import torch
from torch import nn

from ..butterfly._butterfly import (
    apply_butterfly,
    butterfly_factor_indices,
    log2_exact,
    random_unitary_twiddles,
)
from ..butterfly._mixed import apply_radix_stages, radix_stage_indices, random_unitary_blocks
from ..butterfly._radix import check_radices, stage_shape
from ._permutation import RelaxedChoice, RelaxedPermutation
from ._product import SparseFactorization


class ButterflyModel(nn.Module):
    """``x -> Pout · [A] · B · x[perm]`` on rows: ``(K, N) -> (K, N)`` complex.

    ``fixed_input``: the permutation's indices, or ``None`` for a ``RelaxedPermutation``;
    ``stage``: the Hermitian-pair factor ``A`` and a relaxed {identity, reversal} output choice.
    ``set_structure`` fixes both permutations (the relaxations are then unused). ``radices``:
    a mixed-radix chain instead of the radix-2 butterfly (``tied``: one ``(d, r, r)`` block set
    per stage, shared by its ``a`` groups).
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
        radices: tuple[int, ...] | None = None,
    ):
        super().__init__()
        self.n, self.tied, self.dtype = n, tied, dtype
        self.radices = None if radices is None else check_radices(radices, n)
        if self.radices is None:
            self.levels = log2_exact(n)
            sizes = [(1 << k) if tied else n // 2 for k in range(self.levels)]
            blocks = [_initial_blocks(size, init, generator) for size in sizes]  # (size, 2, 2, 2) real
        else:
            self.levels = len(self.radices)
            shapes = [stage_shape(self.radices, k) for k in range(self.levels)]
            blocks = [_initial_stage((1 if tied else a, d, r), init, generator) for a, d, r in shapes]
        self.twiddles = nn.ParameterList([nn.Parameter(block) for block in blocks])
        learn = fixed_input is None
        relaxed = RelaxedPermutation(n, generator=generator, share_logits=share_logits) if learn else None
        self.input_relaxed = relaxed
        self.register_buffer("input_index", torch.from_numpy(np.arange(n) if learn else fixed_input))
        self.stage = stage
        if stage:
            weights = 0.5 * torch.randn(2, n, 2, generator=generator, dtype=torch.float64)  # CN(0, 1/2)
            self.pairs = nn.Parameter(weights)  # (2, N, 2) real: diagonal and partner weights
            mask = torch.ones(n, dtype=torch.float64)
            partner = (-np.arange(n)) % n
            mask[partner == np.arange(n)] = 0.0  # rows 0 (and N/2, N even) are their own partners
            self.register_buffer("pair_mask", mask)
            self.register_buffer("partner", torch.from_numpy(partner))
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

    def stage_tensors(self) -> list[torch.Tensor]:
        """The mixed-radix chain's compact ``(a, d, r, r)`` complex stages (tied ones expanded)."""
        stages = []
        for k, raw in enumerate(self.twiddles):
            a = stage_shape(self.radices, k)[0]
            stages.append(torch.view_as_complex(raw.contiguous()).expand(a, -1, -1, -1))
        return stages

    def pair_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The Hermitian-pair stage's diagonal ``a`` and partner weights ``b`` (``(N,)`` complex)."""
        complex_pairs = torch.view_as_complex(self.pairs.contiguous())
        return complex_pairs[0], complex_pairs[1] * self.pair_mask

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        x = self.input_relaxed(rows) if self.input_relaxed is not None else rows[:, self.input_index]
        if self.radices is None:
            z = apply_butterfly(x, self.twiddle_tensor(), bit_reverse_input=False)  # (K, N)
        else:
            z = apply_radix_stages(x, self.stage_tensors(), digit_reverse_input=False)  # (K, N)
        if self.stage:
            diagonal, partner = self.pair_weights()
            z = diagonal * z + partner * z[:, self.partner]  # (K, N)
            z = self.output_relaxed(z) if self.output_relaxed is not None else z[:, self.output_index]
        return z

    def set_structure(self, input_index: np.ndarray, reversed_output: bool) -> None:
        """Fix the permutations (the relaxed ones stop being used): ``x[input_index]`` first,
        and, with the stage, the output reversed or not."""
        self.input_index = torch.from_numpy(np.asarray(input_index, dtype=np.int64).copy())
        self.input_relaxed = None
        if self.stage:
            order = np.arange(self.n)[::-1] if reversed_output else np.arange(self.n)
            self.output_index = torch.from_numpy(order.copy())
            self.output_relaxed = None

    def continuous_parameters(self) -> list[nn.Parameter]:
        return list(self.twiddles) + ([self.pairs] if self.stage else [])

    def reinitialise(self, init: str, generator: torch.Generator) -> None:
        """Fresh twiddles (and stage weights), keeping the (hard) permutations."""
        with torch.no_grad():
            for raw in self.twiddles:
                if self.radices is None:
                    fresh = _initial_blocks(raw.shape[0], init, generator)
                else:
                    fresh = _initial_stage(tuple(raw.shape[:3]), init, generator)
                raw.copy_(fresh.to(raw.dtype))
            if self.stage:
                fresh = 0.5 * torch.randn(self.pairs.shape, generator=generator, dtype=torch.float64)
                self.pairs.copy_(fresh.to(self.pairs.dtype))

    def factorization(self, label: str) -> SparseFactorization:
        """The hard model as CSR factors (complex128) and its two permutations."""
        n = self.n
        factors = []
        for level, values in enumerate(self._chain_values()):
            if self.radices is None:
                rows, cols = butterfly_factor_indices(n, level)
            else:
                rows, cols = radix_stage_indices(self.radices, level)
            entries = (values.ravel(), (rows.ravel(), cols.ravel()))
            factors.append(scipy.sparse.coo_matrix(entries, shape=(n, n)).tocsr())
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


    def _chain_values(self) -> list[np.ndarray]:
        """Every factor's blocks, complex128, in its index layout (twiddles or compact stages)."""
        with torch.no_grad():
            if self.radices is None:
                return list(self.twiddle_tensor().to(torch.complex128).numpy())  # L x (N/2, 2, 2)
            return [stage.to(torch.complex128).numpy() for stage in self.stage_tensors()]


def _initial_stage(shape: tuple[int, int, int], init: str, generator: torch.Generator) -> torch.Tensor:
    """``(a, d, r, r, 2)`` real view of complex ``r x r`` blocks that preserve norms on average
    (``shape`` is ``(a, d, r)``), like ``_initial_blocks`` for radix 2."""
    a, d, r = shape
    if init == "random":  # entries CN(0, 1/r): E ||block @ v||² = ||v||²
        return torch.randn(a, d, r, r, 2, generator=generator, dtype=torch.float64) / np.sqrt(2 * r)
    if init == "unitary":
        blocks = random_unitary_blocks((a, d), r, generator=generator, dtype=torch.complex128)  # (a, d, r, r)
        return torch.view_as_real(blocks).contiguous().clone()
    eye = torch.view_as_real(torch.eye(r, dtype=torch.complex128)).expand(a, d, r, r, 2)
    return eye + 0.1 * torch.randn(a, d, r, r, 2, generator=generator, dtype=torch.float64)


def _initial_blocks(size: int, init: str, generator: torch.Generator) -> torch.Tensor:
    """``(size, 2, 2, 2)`` real view of complex 2x2 blocks that preserve norms on average."""
    if init == "random":  # entries CN(0, 1/2): E ||block @ v||² = ||v||²
        return 0.5 * torch.randn(size, 2, 2, 2, generator=generator, dtype=torch.float64)
    if init == "unitary":
        blocks = random_unitary_twiddles(2 * size, generator=generator, dtype=torch.complex128)[0]
        return torch.view_as_real(blocks).contiguous().clone()
    eye = torch.view_as_real(torch.eye(2, dtype=torch.complex128)).expand(size, 2, 2, 2)
    return eye + 0.1 * torch.randn(size, 2, 2, 2, generator=generator, dtype=torch.float64)
