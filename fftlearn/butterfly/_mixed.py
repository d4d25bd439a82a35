"""Mixed-radix butterflies in torch: a chain of Kronecker-sparse stages, one per radix.

A chain of radices ``(r_0, ..., r_{L-1})`` (product ``N``; ``_radix.py``) is stored as a list
of compact stages, stage ``k`` a tensor ``(a, d, r, r)`` (``r = r_k``, ``d = r_0···r_{k-1}``,
``s = d·r``, ``a = N / s``) whose entry ``[i, t, k2, n2]`` sits at row ``i·s + k2·d + t`` and
column ``i·s + n2·d + t`` of the ``(N, N)`` factor. The chain's matrix is

    M = S_{L-1} @ ... @ S_1 @ S_0 @ Q        (Q: the digit reversal, optional)

so stage 0 is applied first. With every radix 2 this is ``_butterfly.py``'s layout: the
twiddles ``(L, N/2, 2, 2)`` of factor ``k`` reshaped to ``(N/2^(k+1), 2^k, 2, 2)`` are its
compact stage (``butterfly_to_radix_stages``), and ``Q`` is the bit reversal.

``apply_radix_stages`` is the fast path (a reshape ``(..., a, r, d)`` and, per stage, ``r²``
elementwise products over ``(..., a, d)`` (an einsum for ``r > 8``): ``N·r`` complex
multiply-accumulates per vector per stage, ``N·sum(r)`` in all);
``radix_stages_dense_matrix`` is its slow dense reference twin for tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .._errors import ConfigError
from ._butterfly import MACS_PER_COMPLEX_MULTIPLY, MACS_PER_REAL_BY_COMPLEX, log2_exact
from ._radix import check_radices, dft_stage_blocks, digit_reversal_permutation, stage_shape

# up to this radix a stage runs as r² elementwise products (as apply_butterfly does; on a loaded
# 2-core CPU torch's einsum/matmul on these small blocks was 10-100x slower, broadcast products
# with a sum 3x); larger radices use one einsum
ELEMENTWISE_MAX_RADIX = 8


def radices_of_stages(stages: Sequence[torch.Tensor]) -> tuple[int, ...]:
    """The radices of compact stages ``[(a, d, r, r), ...]``; ``ConfigError`` naming ``stages``
    unless their shapes chain (``d`` the product of the earlier radices, ``a·d·r`` the same ``N``)."""
    if not isinstance(stages, (list, tuple)) or not stages:
        raise ConfigError("stages", type(stages).__name__, "must be a non-empty list of (a, d, r, r) tensors")
    shapes = [tuple(int(size) for size in stage.shape) for stage in stages]  # ints, also under tracing
    radices = tuple(shape[2] if len(shape) == 4 else 0 for shape in shapes)
    if min(radices) >= 2 and all(shape[2] == shape[3] for shape in shapes):
        try:
            expected = [stage_shape(radices, k) for k in range(len(radices))]
        except ConfigError:
            expected = []
        if [(a, d, r, r) for a, d, r in expected] == shapes:
            return radices
    allowed = "must be (a, d, r, r) per radix r, d the product of the earlier radices"
    raise ConfigError("stages", shapes, allowed)


def radix_stage_indices(radices: Sequence[int], stage: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of stage ``stage``'s nonzeros, each ``(a, d, r, r)`` like its block."""
    a, d, r = stage_shape(radices, stage)
    i = np.arange(a)[:, None, None, None]
    t = np.arange(d)[None, :, None, None]
    k2 = np.arange(r)[None, None, :, None]
    n2 = np.arange(r)[None, None, None, :]
    s = d * r
    rows = np.broadcast_to(i * s + k2 * d + t, (a, d, r, r))
    cols = np.broadcast_to(i * s + n2 * d + t, (a, d, r, r))
    return np.ascontiguousarray(rows), np.ascontiguousarray(cols)


def apply_radix_stages(
    x: torch.Tensor, stages: Sequence[torch.Tensor], *, digit_reverse_input: bool = True
) -> torch.Tensor:
    """``M @ x`` along the last axis: ``(..., N) -> (..., N)``, differentiable, ``O(N·sum(r))``.

    ``x`` real or complex; the result has the promoted dtype of ``x`` and the stages.
    ``digit_reverse_input`` applies ``Q`` (the digit reversal of the radices) first.
    """
    radices = radices_of_stages(stages)
    n = int(np.prod(radices))
    if x.shape[-1] != n:
        raise ConfigError("x", f"last dimension {x.shape[-1]}", f"must be N = {n} to match the stages")
    dtype = torch.promote_types(x.dtype, stages[0].dtype)
    x = x.to(dtype)
    if digit_reverse_input:
        x = x[..., torch.from_numpy(digit_reversal_permutation(radices)).to(x.device)]  # (..., N)
    lead = x.shape[:-1]
    for k, block in enumerate(stages):
        a, d, r = stage_shape(radices, k)
        groups = x.reshape(*lead, a, r, d)  # (..., a, r, d): [i, n2, t] = x[i·s + n2·d + t]
        if r <= ELEMENTWISE_MAX_RADIX:
            x = _stage_elementwise(groups, block.to(dtype))  # (..., a, r, d)
        else:
            x = torch.einsum("itkn,...int->...ikt", block.to(dtype), groups)  # (..., a, r, d)
        x = x.reshape(*lead, n)  # (..., N)
    return x


def _stage_elementwise(groups: torch.Tensor, block: torch.Tensor) -> torch.Tensor:
    """``y[..., i, k2, t] = sum_n2 B[i, t, k2, n2] x[..., i, n2, t]`` as ``r²`` elementwise
    products over ``(..., a, d)`` (``apply_butterfly``'s style): ``(..., a, r, d) -> (..., a, r, d)``."""
    inputs = groups.unbind(-2)  # r x (..., a, d)
    weights = block.permute(2, 3, 0, 1).contiguous()  # (r, r, a, d): [k2, n2, i, t]
    outputs = []
    for k2 in range(len(inputs)):  # python ints: no iteration over tensors (traceable)
        total = weights[k2, 0] * inputs[0]  # (..., a, d)
        for n2 in range(1, len(inputs)):
            total = total + weights[k2, n2] * inputs[n2]
        outputs.append(total)
    return torch.stack(outputs, dim=-2)  # (..., a, r, d)


def radix_stage_dense(block: torch.Tensor, *, radices: Sequence[int], stage: int) -> torch.Tensor:
    """Stage ``stage`` as a dense ``(N, N)`` matrix from its compact ``(a, d, r, r)`` block."""
    n = int(np.prod(radices))
    rows, cols = radix_stage_indices(radices, stage)
    index = tuple(torch.from_numpy(i.reshape(-1)).to(block.device) for i in (rows, cols))
    dense = torch.zeros(n, n, dtype=block.dtype, device=block.device)  # (N, N)
    return dense.index_put(index, block.reshape(-1))


def radix_stages_dense_matrix(
    stages: Sequence[torch.Tensor], *, digit_reverse_input: bool = True
) -> torch.Tensor:
    """The slow reference twin of ``apply_radix_stages``: ``M`` as a dense ``(N, N)`` matrix.

    Every stage built densely and multiplied, so ``apply_radix_stages(x, s) == x @ M.T``
    (outputs and gradients). Differentiable w.r.t. the stages.
    """
    radices = radices_of_stages(stages)
    n = int(np.prod(radices))
    matrix = torch.eye(n, dtype=stages[0].dtype, device=stages[0].device)  # (N, N)
    if digit_reverse_input:
        matrix = matrix[torch.from_numpy(digit_reversal_permutation(radices)).to(matrix.device)]  # Q
    for k, block in enumerate(stages):
        matrix = radix_stage_dense(block, radices=radices, stage=k) @ matrix  # (N, N)
    return matrix


def dft_radix_stages(
    radices: Sequence[int],
    *,
    inverse: bool = False,
    normalized: bool = True,
    dtype: torch.dtype = torch.complex128,
) -> list[torch.Tensor]:
    """The exact mixed-radix DIT FFT stages (``dft_stage_blocks``) as torch tensors: with the
    digit reversal, the product is ``torch.fft.fft`` (``normalized``: ``norm="ortho"``)."""
    blocks = dft_stage_blocks(radices, inverse=inverse, normalized=normalized)
    return [torch.tensor(np.array(block)).to(dtype) for block in blocks]


def random_unitary_stages(
    radices: Sequence[int], *, generator: torch.Generator | None = None, dtype: torch.dtype = torch.complex64
) -> list[torch.Tensor]:
    """Independent Haar-random ``r x r`` unitary blocks per stage: a random unitary chain.

    Each block is the QR ``Q`` of a complex Gaussian matrix with the phases of ``R``'s diagonal
    moved into ``Q`` (Mezzadri, arXiv math-ph/0609050), as ``random_unitary_twiddles``.
    """
    radices = check_radices(radices)
    stages = []
    for k in range(len(radices)):
        a, d, r = stage_shape(radices, k)
        stages.append(random_unitary_blocks((a, d), r, generator=generator, dtype=dtype))  # (a, d, r, r)
    return stages


def random_unitary_blocks(
    shape: tuple[int, ...], r: int, *, generator: torch.Generator | None = None, dtype: torch.dtype
) -> torch.Tensor:
    """``(*shape, r, r)`` independent Haar-random unitary ``r x r`` blocks (Mezzadri's recipe)."""
    full = (*shape, r, r)
    gauss = torch.complex(
        torch.randn(full, generator=generator, dtype=torch.float64),
        torch.randn(full, generator=generator, dtype=torch.float64),
    )  # (*shape, r, r)
    q, upper = torch.linalg.qr(gauss)
    diagonal = torch.diagonal(upper, dim1=-2, dim2=-1)  # (*shape, r)
    return (q * (diagonal / diagonal.abs())[..., None, :]).to(dtype)


def butterfly_to_radix_stages(twiddles: torch.Tensor) -> list[torch.Tensor]:
    """Radix-2 twiddles ``(L, N/2, 2, 2)`` as compact stages ``(N/2^(k+1), 2^k, 2, 2)`` (views):
    ``apply_radix_stages`` of them equals ``apply_butterfly`` of the twiddles."""
    levels, half = twiddles.shape[0], twiddles.shape[1]
    log2_exact(2 * half)
    return [twiddles[k].reshape(half >> k, 1 << k, 2, 2) for k in range(levels)]


def radix_nonzeros(radices: Sequence[int]) -> int:
    """Nonzeros of a chain of these radices: ``N·sum(r)`` (``2 N log2 N`` for radix 2)."""
    radices = check_radices(radices)
    return int(np.prod(radices)) * sum(radices)


def radix_macs(radices: Sequence[int], *, real_input: bool = False, n_outputs: int | None = None) -> int:
    """Real MACs to apply general complex stages of these radices to one vector (1 MAC = 2 FLOPs).

    ``butterfly_macs``'s rule: every nonzero of every stage that feeds a kept output is one
    multiply-accumulate, ``MACS_PER_COMPLEX_MULTIPLY`` (4) real MACs, or
    ``MACS_PER_REAL_BY_COMPLEX`` (2) in the first stage with ``real_input``. ``n_outputs``
    (default ``N``): only the first ``n_outputs`` outputs are kept; working backwards, a row of
    stage ``k`` counts (``r`` nonzeros) only if its value is needed later, and it needs the
    ``r`` inputs of its group. No weight is assumed trivial; permutations are free. All
    outputs: ``4·N·sum(r)`` on complex input. Radix 2: equal to ``butterfly_macs``.
    """
    radices = check_radices(radices)
    n = int(np.prod(radices))
    n_outputs = n if n_outputs is None else n_outputs
    if isinstance(n_outputs, bool) or not isinstance(n_outputs, int) or not 1 <= n_outputs <= n:
        raise ConfigError("n_outputs", n_outputs, f"must be an int in [1, {n}]")
    needed = np.arange(n) < n_outputs  # (N,) rows of the current stage whose values are used
    total = 0
    for k in reversed(range(len(radices))):
        a, d, r = stage_shape(radices, k)
        per_nonzero = MACS_PER_REAL_BY_COMPLEX if real_input and k == 0 else MACS_PER_COMPLEX_MULTIPLY
        total += int(needed.sum()) * r * per_nonzero
        group = needed.reshape(a, r, d).any(axis=1, keepdims=True)  # (a, 1, d): any row of (i, t)
        needed = np.broadcast_to(group, (a, r, d)).reshape(n)  # the inputs those rows read
    return total
