"""Butterfly factors: products of log2(N) sparse factors, the structure of the radix-2 FFT.

Convention (decimation in time, as in the iterative radix-2 Cooley–Tukey FFT): for ``N = 2^L``
the butterfly matrix is

    M = B_{L-1} @ ... @ B_1 @ B_0 @ P        (P: the bit-reversal permutation, optional)

so factor ``B_0`` is applied first. Factor ``k`` mixes index pairs at stride ``h = 2^k``: the
indices are cut into blocks of ``2h`` and index ``a = block * 2h + j`` (``0 <= j < h``) is paired
with ``b = a + h``. Pair ``p = block * h + j`` owns a 2x2 block ``t = twiddles[k, p]``:

    y[a] = t[0, 0] * x[a] + t[0, 1] * x[b]
    y[b] = t[1, 0] * x[a] + t[1, 1] * x[b]

A butterfly is thus stored as ``twiddles`` of shape ``(L, N/2, 2, 2)`` (complex or real); each
factor has ``2N`` nonzeros, the product ``2 N log2(N)``. With ``t = [[1, w^j], [1, -w^j]]``,
``w = exp(-2 pi i / 2h)``, the product is the DFT matrix (``fft_butterfly_twiddles``).

``apply_butterfly`` is the fast O(N log N) path; ``butterfly_dense_matrix`` is its slow dense
reference twin (builds every factor as an ``(N, N)`` matrix and multiplies) for tests.
"""

from __future__ import annotations

import math

import numpy as np
import torch

MACS_PER_COMPLEX_MULTIPLY = 4  # (a + ib)(c + id): 4 real multiply-accumulates
MACS_PER_REAL_BY_COMPLEX = 2  # a (c + id): 2 real multiply-accumulates


def log2_exact(n: int) -> int:
    """``L`` with ``2^L == n``; ``ValueError`` naming ``n`` unless ``n`` is a power of two >= 2."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 2 or n & (n - 1):
        raise ValueError(f"n: got {n!r}; must be a power of two >= 2")
    return n.bit_length() - 1


def bit_reversal_permutation(n: int) -> np.ndarray:
    """Indices ``perm`` (int64, ``(n,)``) with ``perm[i]`` = ``i`` with its log2(n) bits reversed.

    ``x[perm]`` is ``P @ x``; the permutation is its own inverse.
    """
    levels = log2_exact(n)
    index = np.arange(n, dtype=np.int64)
    reversed_index = np.zeros(n, dtype=np.int64)
    for bit in range(levels):
        reversed_index |= ((index >> bit) & 1) << (levels - 1 - bit)
    return reversed_index


def butterfly_factor_indices(n: int, level: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of factor ``level``'s nonzeros, each ``(n/2, 2, 2)`` like its block.

    ``B[rows[p, r, c], cols[p, r, c]] = twiddles[level, p, r, c]``; the support of the factor.
    """
    levels = log2_exact(n)
    if not 0 <= level < levels:
        raise ValueError(f"level: got {level!r}; must be in [0, {levels - 1}] for n={n}")
    half = 1 << level
    pair = np.arange(n // 2)
    first = (pair // half) * 2 * half + pair % half  # (n/2,) index a of each pair
    ends = np.stack([first, first + half], axis=-1)  # (n/2, 2): a, b
    rows = np.broadcast_to(ends[:, :, None], (n // 2, 2, 2))
    cols = np.broadcast_to(ends[:, None, :], (n // 2, 2, 2))
    return np.ascontiguousarray(rows), np.ascontiguousarray(cols)


def _check_twiddles(twiddles: torch.Tensor) -> int:
    """``N`` for valid ``(log2 N, N/2, 2, 2)`` twiddles; ``ValueError`` naming ``twiddles`` if not."""
    shape = tuple(int(size) for size in twiddles.shape)  # ints even under torch.jit.trace
    if len(shape) == 4 and shape[2:] == (2, 2) and shape[1] >= 1:
        n = 2 * shape[1]
        if n & (n - 1) == 0 and shape[0] == n.bit_length() - 1:
            return n
    raise ValueError(f"twiddles: got shape {shape}; must be (log2 N, N/2, 2, 2) with N a power of two")


def apply_butterfly(
    x: torch.Tensor, twiddles: torch.Tensor, *, bit_reverse_input: bool = True
) -> torch.Tensor:
    """``M @ x`` along the last axis in O(N log N): ``(..., N) -> (..., N)``, differentiable.

    ``x`` may be real or complex; the result has the promoted dtype of ``x`` and ``twiddles``
    (``(log2 N, N/2, 2, 2)``). ``bit_reverse_input`` applies ``P`` first (the FFT convention).
    One vectorised step per factor (a reshape and four elementwise products), no loop over pairs.
    """
    n = _check_twiddles(twiddles)
    if x.shape[-1] != n:
        raise ValueError(f"x: got last dimension {x.shape[-1]}; must be {n} to match the twiddles")
    if bit_reverse_input:
        x = x[..., torch.from_numpy(bit_reversal_permutation(n)).to(x.device)]  # (..., N)
    lead = x.shape[:-1]
    # (L, 4, N/2): each block entry contiguous over the pairs, for fast elementwise products
    per_level = twiddles.reshape(-1, n // 2, 4).movedim(-1, 1).contiguous().unbind(0)
    for level, entries in enumerate(per_level):
        half = 1 << level
        t00, t01, t10, t11 = entries.reshape(4, n // (2 * half), half).unbind(0)  # 4 x (N/2h, h)
        top, bottom = x.reshape(*lead, n // (2 * half), 2, half).unbind(-2)  # 2 x (..., N/2h, h)
        new_top = t00 * top + t01 * bottom  # (..., N/2h, h)
        new_bottom = t10 * top + t11 * bottom  # (..., N/2h, h)
        x = torch.stack([new_top, new_bottom], dim=-2).reshape(*lead, n)  # (..., N)
    return x


def butterfly_factor_dense(factor: torch.Tensor, *, level: int) -> torch.Tensor:
    """Factor ``level`` as a dense ``(N, N)`` matrix from its ``(N/2, 2, 2)`` twiddles (reference)."""
    n = 2 * factor.shape[0]
    rows, cols = butterfly_factor_indices(n, level)
    dense = torch.zeros(n, n, dtype=factor.dtype, device=factor.device)  # (N, N)
    index = (torch.from_numpy(rows.reshape(-1)), torch.from_numpy(cols.reshape(-1)))
    return dense.index_put(tuple(i.to(factor.device) for i in index), factor.reshape(-1))


def butterfly_dense_matrix(twiddles: torch.Tensor, *, bit_reverse_input: bool = True) -> torch.Tensor:
    """The slow reference twin of ``apply_butterfly``: ``M`` as a dense ``(N, N)`` matrix.

    Builds each factor densely and multiplies them, so ``apply_butterfly(x, t) == x @ M.T``
    (outputs and gradients). Differentiable w.r.t. ``twiddles``.
    """
    n = _check_twiddles(twiddles)
    matrix = torch.eye(n, dtype=twiddles.dtype, device=twiddles.device)  # (N, N)
    if bit_reverse_input:
        matrix = matrix[torch.from_numpy(bit_reversal_permutation(n)).to(twiddles.device)]  # P
    for level in range(twiddles.shape[0]):
        matrix = butterfly_factor_dense(twiddles[level], level=level) @ matrix  # (N, N)
    return matrix


def fft_butterfly_twiddles(
    n: int, *, inverse: bool = False, normalized: bool = True, dtype: torch.dtype = torch.complex128
) -> torch.Tensor:
    """Exact radix-2 FFT factors, ``(log2 n, n/2, 2, 2)``: with ``P``, the product is the DFT.

    ``normalized``: every block is scaled by 1/sqrt(2), so the product is unitary (``norm="ortho"``).
    Otherwise forward matches ``torch.fft.fft`` and ``inverse`` matches ``torch.fft.ifft`` (1/2
    per factor, 1/n overall). Use with ``bit_reverse_input=True``.
    """
    levels = log2_exact(n)
    sign = 1.0 if inverse else -1.0
    scale = math.sqrt(0.5) if normalized else (0.5 if inverse else 1.0)
    factors = []
    for level in range(levels):
        half = 1 << level
        j = np.arange(n // 2) % half  # (n/2,) position of each pair inside its block
        w = np.exp(sign * 2j * np.pi * j / (2 * half))  # (n/2,)
        one = np.ones_like(w)
        block = np.stack([np.stack([one, w], -1), np.stack([one, -w], -1)], -2)  # (n/2, 2, 2)
        factors.append(block * scale)
    return torch.from_numpy(np.stack(factors)).to(dtype)  # (L, n/2, 2, 2)


def hadamard_butterfly_twiddles(
    n: int, *, normalized: bool = False, dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """Real ±1 blocks ``[[1, 1], [1, -1]]``, ``(log2 n, n/2, 2, 2)``: the Sylvester Hadamard matrix.

    Every factor is ``I ⊗ H_2 ⊗ I``, so the product is ``H_2 ⊗ ... ⊗ H_2``, which equals
    ``scipy.linalg.hadamard(n)`` with ``bit_reverse_input=False`` (with ``True``: ``H P = P H``,
    the same rows in bit-reversed order). ``normalized`` scales each block by 1/sqrt(2)
    (orthogonal product).
    """
    levels = log2_exact(n)
    block = torch.tensor([[1.0, 1.0], [1.0, -1.0]], dtype=torch.float64)
    if normalized:
        block = block * math.sqrt(0.5)
    return block.expand(levels, n // 2, 2, 2).contiguous().to(dtype)


def random_unitary_twiddles(
    n: int, *, generator: torch.Generator | None = None, dtype: torch.dtype = torch.complex64
) -> torch.Tensor:
    """Independent Haar-random 2x2 unitary blocks, ``(log2 n, n/2, 2, 2)``: a random unitary product.

    Each block is the QR ``Q`` of a complex Gaussian 2x2 matrix with the phases of ``R``'s diagonal
    moved into ``Q`` (Mezzadri, arXiv math-ph/0609050), so every factor and the product are
    exactly unitary (condition number 1) whatever ``n``.
    """
    levels = log2_exact(n)
    shape = (levels, n // 2, 2, 2)
    gauss = torch.complex(
        torch.randn(shape, generator=generator, dtype=torch.float64),
        torch.randn(shape, generator=generator, dtype=torch.float64),
    )  # (L, n/2, 2, 2)
    q, r = torch.linalg.qr(gauss)
    diagonal = torch.diagonal(r, dim1=-2, dim2=-1)  # (L, n/2, 2)
    return (q * (diagonal / diagonal.abs())[..., None, :]).to(dtype)


def butterfly_nonzeros(n: int) -> int:
    """Nonzeros of a product of log2(n) butterfly factors: ``2 n log2(n)``."""
    return 2 * n * log2_exact(n)


def butterfly_macs(n: int, *, real_input: bool = False, n_outputs: int | None = None) -> int:
    """Real MACs to apply general complex butterfly factors to one vector (1 MAC = 2 FLOPs).

    Rule: every nonzero of every factor that feeds a kept output is one multiply-accumulate into
    its output row; a complex weight on a complex value costs 4 real MACs, on a real value 2.
    With ``real_input`` the first factor (applied to the real, permuted input) costs 2 per
    nonzero, all later factors 4. ``n_outputs`` (default ``n``): only the first ``n_outputs``
    outputs are kept; working backwards from them, a factor's row counts only if its value is
    needed later (each row has 2 nonzeros, and row ``a`` of factor ``k`` needs inputs ``a`` and
    ``a XOR 2^k``). Twiddles are learned, so no weight is assumed trivial; permutations are free.
    All outputs: ``8 n log2 n`` on complex input, ``8 n log2 n - 4 n`` on real input.
    """
    levels = log2_exact(n)
    n_outputs = n if n_outputs is None else n_outputs
    if isinstance(n_outputs, bool) or not isinstance(n_outputs, int) or not 1 <= n_outputs <= n:
        raise ValueError(f"n_outputs: got {n_outputs!r}; must be an integer in [1, {n}]")
    index = np.arange(n)
    needed = index < n_outputs  # (n,) rows of the current factor whose values are used
    total = 0
    for level in reversed(range(levels)):
        per_nonzero = MACS_PER_REAL_BY_COMPLEX if real_input and level == 0 else MACS_PER_COMPLEX_MULTIPLY
        total += int(needed.sum()) * 2 * per_nonzero
        needed = needed | needed[index ^ (1 << level)]  # the inputs those rows read
    return total


def fft_butterfly_macs(n: int) -> int:
    """Real MACs of the exact radix-2 FFT (complex input, unnormalized), trivial twiddles skipped.

    Each pair costs one complex multiply ``w^j * x[b]`` (4 real MACs) unless ``w^j`` is one of
    ±1, ±i (a sign change or a swap, free); the ``±`` combinations are additions. Factor ``k``
    (``h = 2^k``) has ``n/2h`` blocks of ``h`` twiddles, of which 2 are trivial for ``h >= 4``
    (``j = 0`` and ``j = h/2``), all for ``h <= 2``.
    """
    levels = log2_exact(n)
    multiplies = sum((n >> (level + 1)) * ((1 << level) - 2) for level in range(2, levels))
    return MACS_PER_COMPLEX_MULTIPLY * multiplies
