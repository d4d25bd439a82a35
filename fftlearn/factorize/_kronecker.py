"""Kronecker-sparse support patterns: the block supports of butterfly, Monarch and block-diagonal
factors in one family.

A pattern ``(a, b, c, d)`` is the 0/1 support ``I_a ⊗ 1_{b×c} ⊗ I_d`` of an
``(a·b·d) × (a·c·d)`` matrix: ``a`` diagonal blocks, each a ``b × c`` grid of ``d × d`` identity
blocks. Row ``i·b·d + r·d + t`` and column ``i·c·d + q·d + t`` meet in a nonzero for every
``i < a, r < b, q < c, t < d``, so the pattern has ``a·b·c·d`` nonzeros and every row ``c`` of
them. (The notation of Le, Zheng, Riccietti, Gribonval for Kronecker-sparse / "deformable
butterfly" factors; the hierarchical solver in ``_hierarchical.py`` uses square ``b = c``.)

Members of the family (``N`` the matrix size):

- radix-2 butterfly factor ``k``: ``(N / 2^(k+1), 2, 2, 2^k)``, the support of
  ``fftlearn.butterfly._butterfly.butterfly_factor_indices(N, k)`` (``butterfly_pattern``);
- mixed-radix stage ``k`` of a radix order ``(r_0, ..., r_{L-1})`` (product ``N``):
  ``(N / (d·r_k), r_k, r_k, d)`` with ``d = r_0···r_{k-1}`` (``radix_pattern``), the support of
  the exact DIT stage of ``fftlearn.butterfly._radix.dft_stage_blocks``; all radices 2 give the
  butterfly patterns;
- Monarch: a block-diagonal factor ``(N/s, s, s, 1)`` then its transposed-permuted partner
  ``(1, N/s, N/s, s)`` (``monarch_patterns``; ``s = sqrt N`` by default);
- block diagonal with ``s × s`` blocks: ``(N/s, s, s, 1)`` (``block_diagonal_pattern``); the
  dense matrix is ``(1, N, N, 1)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._config import register_kind
from .._errors import ConfigError
from ..butterfly._butterfly import log2_exact
from ..butterfly._radix import check_radices, stage_shape


@register_kind
@dataclass(frozen=True)
class KroneckerPattern:
    """The support ``I_a ⊗ 1_{b×c} ⊗ I_d`` (shape ``(a·b·d, a·c·d)``)."""

    kind: ClassVar[str] = "kronecker_pattern"
    a: int  # number of diagonal blocks (>= 1)
    b: int  # rows of the dense grid inside each block (>= 1)
    c: int  # columns of the dense grid inside each block (>= 1)
    d: int  # size of the identity blocks the grid is made of (>= 1)

    def __post_init__(self) -> None:
        for name in ("a", "b", "c", "d"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(name, value, "must be an integer >= 1")

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)`` of the matrices this pattern supports."""
        return self.a * self.b * self.d, self.a * self.c * self.d

    @property
    def nnz(self) -> int:
        """Nonzeros of the support: ``a·b·c·d``."""
        return self.a * self.b * self.c * self.d


def support_indices(pattern: KroneckerPattern) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices (int64, ``(nnz,)`` each, row-major order) of the support."""
    a, b, c, d = pattern.a, pattern.b, pattern.c, pattern.d
    i, r, q, t = np.meshgrid(np.arange(a), np.arange(b), np.arange(c), np.arange(d), indexing="ij")
    rows = (i * b * d + r * d + t).reshape(-1)
    cols = (i * c * d + q * d + t).reshape(-1)
    order = np.lexsort((cols, rows))
    return rows[order].astype(np.int64), cols[order].astype(np.int64)


def support_mask(pattern: KroneckerPattern) -> np.ndarray:
    """The support as a boolean ``pattern.shape`` array (built from the indices)."""
    mask = np.zeros(pattern.shape, dtype=bool)
    rows, cols = support_indices(pattern)
    mask[rows, cols] = True
    return mask


def support_mask_reference(pattern: KroneckerPattern) -> np.ndarray:
    """Slow twin of ``support_mask``: the literal Kronecker product ``I_a ⊗ 1_{b×c} ⊗ I_d``."""
    grid = np.kron(np.eye(pattern.a), np.ones((pattern.b, pattern.c)))
    return np.kron(grid, np.eye(pattern.d)).astype(bool)


def butterfly_pattern(n: int, level: int) -> KroneckerPattern:
    """Support of radix-2 butterfly factor ``level`` of size ``n``: ``(n/2^(level+1), 2, 2, 2^level)``.

    Pairs ``(j, j + 2^level)`` inside blocks of ``2^(level+1)``, as
    ``fftlearn.butterfly._butterfly.butterfly_factor_indices(n, level)``.
    """
    levels = _log2("n", n)
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level < levels:
        raise ConfigError("level", level, f"must be an integer in [0, {levels - 1}] for n={n}")
    return KroneckerPattern(n >> (level + 1), 2, 2, 1 << level)


def butterfly_chain(n: int) -> tuple[KroneckerPattern, ...]:
    """The ``log2 n`` butterfly patterns, factor 0 (applied first) first: ``2 n log2 n`` nonzeros."""
    return tuple(butterfly_pattern(n, level) for level in range(_log2("n", n)))


def radix_pattern(radices: Sequence[int], stage: int) -> KroneckerPattern:
    """Support of stage ``stage`` of the mixed-radix DIT FFT with radix order ``radices`` (ints
    >= 2, ``r_0`` applied first): ``(N / (d·r), r, r, d)``, ``r = radices[stage]``,
    ``d = r_0···r_{stage-1}``; ``N·r`` nonzeros. ``ConfigError`` for a bad order or stage."""
    a, d, r = stage_shape(radices, stage)
    return KroneckerPattern(a, r, r, d)


def radix_chain(radices: Sequence[int]) -> tuple[KroneckerPattern, ...]:
    """The patterns of every stage of ``radices``, stage 0 (applied first) first: ``N·sum(radices)``
    nonzeros; ``radix_chain((2,) * L) == butterfly_chain(2^L)``."""
    radices = check_radices(radices)
    return tuple(radix_pattern(radices, stage) for stage in range(len(radices)))


def block_diagonal_pattern(n: int, block: int) -> KroneckerPattern:
    """Block diagonal with ``n / block`` dense ``block × block`` blocks: ``(n/block, block, block, 1)``."""
    _check_divides(n, block)
    return KroneckerPattern(n // block, block, block, 1)


def monarch_patterns(n: int, *, block: int | None = None) -> tuple[KroneckerPattern, KroneckerPattern]:
    """Monarch factors (Dao et al. 2022), applied in this order: block diagonal
    ``(n/block, block, block, 1)``, then ``(1, n/block, n/block, block)`` (the block-diagonal
    ``n/block``-blocks factor conjugated by the reshape transpose). ``block`` defaults to
    ``sqrt n`` (``n`` a perfect square) or the power of two just above it. Their product's
    support is full: every output reaches every input in two steps.
    """
    if block is None:
        _check_positive("n", n)
        root = math.isqrt(n)
        block = root if root * root == n else 1 << math.ceil(math.log2(math.sqrt(n)))
    _check_divides(n, block)
    return KroneckerPattern(n // block, block, block, 1), KroneckerPattern(1, n // block, n // block, block)


def chain_nnz(patterns: Sequence[KroneckerPattern]) -> int:
    """Nonzeros of a chain of factors on these patterns."""
    return sum(p.nnz for p in patterns)


def chain_masks(patterns: Sequence[KroneckerPattern]) -> list[np.ndarray]:
    """The boolean masks of a chain (checked to compose: each factor's columns are the last's rows)."""
    for index in range(1, len(patterns)):
        if patterns[index].shape[1] != patterns[index - 1].shape[0]:
            rows = patterns[index - 1].shape[0]
            raise ConfigError(f"patterns[{index}]", patterns[index].shape, f"must have {rows} columns")
    return [support_mask(p) for p in patterns]


def _log2(name: str, n: object) -> int:
    try:
        return log2_exact(n)  # type: ignore[arg-type]
    except ValueError:
        raise ConfigError(name, n, "must be a power of two >= 2") from None


def _check_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(name, value, "must be an integer >= 1")


def _check_divides(n: int, block: int) -> None:
    _check_positive("n", n)
    _check_positive("block", block)
    if n % block:
        raise ConfigError("block", block, f"must divide n={n}")
