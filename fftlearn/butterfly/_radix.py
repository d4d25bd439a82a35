"""Radix orders: the mixed-radix Cooley–Tukey structure for any composite size ``N``.

A *radix order* ``(r_0, r_1, ..., r_{L-1})`` (integers >= 2, product ``N``) names the stages of a
decimation-in-time FFT, ``r_0`` applied first. Stage ``k`` combines ``r_k`` transforms of size
``d = r_0···r_{k-1}`` into transforms of size ``s = d·r_k``; it is one Kronecker-sparse factor
on the support ``I_a ⊗ 1_{r×r} ⊗ I_d`` (``r = r_k``, ``a = N / s``), stored compactly as an
array ``(a, d, r, r)``: entry ``[i, t, k2, n2]`` sits at row ``i·s + k2·d + t`` and column
``i·s + n2·d + t``. For the DFT (``ω_m = exp(-2πi/m)``) it is

    ω_r^(k2·n2) · ω_s^(t·n2)          (the r-point DFT, with the twiddle of input n2 merged in)

and the input is first put in *digit-reversed* order (``digit_reversal_permutation``): the
derivation is ``F_N = (F_r ⊗ I_m) · T · (I_r ⊗ F_m) · L`` with ``N = m·r``, ``r = r_{L-1}``,
``L`` the stride-``r`` split of the input (``x[q::r]`` for ``q < r``) and ``T`` the diagonal
twiddles, applied recursively to ``F_m``. With every radix 2 this is the radix-2 butterfly of
``_butterfly.py`` and the digit reversal is the bit reversal.

``default_radices(n)``: the prime factors of ``n`` in ascending order (so all 2s for a power of
two, today's radix-2 chain; ``640 -> (2, 2, 2, 2, 2, 2, 2, 5)``). ``check_radices`` and
``parse_radices`` validate user input with one-line errors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._errors import ConfigError

MAX_RADIX_N = 8192  # largest size the radix helpers accept (the factorization targets' limit)


def prime_factors(n: int) -> tuple[int, ...]:
    """The prime factors of ``n`` (``>= 2``) in ascending order, with multiplicity."""
    factors = []
    rest, p = n, 2
    while p * p <= rest:
        while rest % p == 0:
            factors.append(p)
            rest //= p
        p += 1
    if rest > 1:
        factors.append(rest)
    return tuple(factors)


def default_radices(n: int) -> tuple[int, ...]:
    """The documented default radix order of size ``n``: its prime factors, ascending."""
    _check_size(n)
    return prime_factors(n)


def check_radices(radices: object, n: int | None = None, *, field: str = "radices") -> tuple[int, ...]:
    """``radices`` as a tuple of ints >= 2 (with product ``n`` when given), or ``ConfigError``
    with one line naming ``field``, the value and what is allowed."""
    if not isinstance(radices, (tuple, list)) or not radices:
        raise ConfigError(field, radices, "must be a non-empty tuple of ints >= 2")
    if not all(isinstance(r, (int, np.integer)) and not isinstance(r, bool) and r >= 2 for r in radices):
        raise ConfigError(field, tuple(radices), "must be a non-empty tuple of ints >= 2")
    radices = tuple(int(r) for r in radices)
    product = int(np.prod(radices))
    if n is not None and product != n:
        raise ConfigError(field, radices, f"the product must be N = {n} (it is {product})")
    if product > MAX_RADIX_N:
        raise ConfigError(field, radices, f"the product must be <= {MAX_RADIX_N}")
    return radices


def parse_radices(text: str, *, field: str = "--radices") -> tuple[int, ...]:
    """``"4,4,5,2,2,2"`` -> ``(4, 4, 5, 2, 2, 2)``; ``ConfigError`` naming ``field`` otherwise."""
    parts = [part.strip() for part in str(text).split(",")]
    if not all(part.isdigit() for part in parts):
        raise ConfigError(field, text, "must be comma-separated ints >= 2, e.g. 4,4,5,2,2,2")
    return check_radices([int(part) for part in parts], field=field)


def digit_reversal_permutation(radices: Sequence[int]) -> np.ndarray:
    """Input order ``perm`` (int64, ``(N,)``) of the DIT FFT with these radices: ``x[perm]``.

    Recursively, with ``r = r_{L-1}`` and ``m = N / r``: position ``q·m + p`` (``q < r``,
    ``p < m``) holds input ``r·perm_m[p] + q``, ``perm_m`` the order of ``radices[:-1]``. For
    radices all 2 it is the bit reversal.
    """
    radices = check_radices(radices)
    perm = np.zeros(1, dtype=np.int64)
    for r in radices:
        perm = np.concatenate([r * perm + q for q in range(r)])
    return perm


def stage_shape(radices: Sequence[int], stage: int) -> tuple[int, int, int]:
    """``(a, d, r)`` of stage ``stage``: its support is ``I_a ⊗ 1_{r×r} ⊗ I_d``."""
    radices = check_radices(radices)
    if isinstance(stage, bool) or not isinstance(stage, int) or not 0 <= stage < len(radices):
        raise ConfigError("stage", stage, f"must be in [0, {len(radices) - 1}]")
    d = int(np.prod(radices[:stage], dtype=np.int64))
    r = radices[stage]
    return int(np.prod(radices, dtype=np.int64)) // (d * r), d, r


def dft_stage_blocks(
    radices: Sequence[int], *, inverse: bool = False, normalized: bool = True
) -> list[np.ndarray]:
    """The compact DIT stages ``(a, d, r, r)`` (complex128, first-applied first) of the DFT.

    Their product after ``digit_reversal_permutation(radices)`` is ``numpy.fft.fft``'s matrix
    (``normalized``: each stage scaled by ``1/sqrt r``, the product unitary; ``inverse``: the
    conjugate, scaled ``1/r`` per stage when not normalized, so the product is ``ifft``'s).
    Entries that are ±1 or ±i up to rounding are stored exactly.
    """
    radices = check_radices(radices)
    blocks = []
    for stage in range(len(radices)):
        a, d, r = stage_shape(radices, stage)
        k2 = np.arange(r)[:, None]
        n2 = np.arange(r)[None, :]
        t = np.arange(d)[:, None, None]
        exponent = (k2 * n2 * d + t * n2) % (d * r)  # ω_r^(k2 n2) ω_s^(t n2) = ω_s^(d k2 n2 + t n2)
        sign = 1.0 if inverse else -1.0
        values = _exact_roots(exponent, d * r, sign)  # (d, r, r)
        if normalized:
            values = values / np.sqrt(r)
        elif inverse:
            values = values / r
        blocks.append(np.ascontiguousarray(np.broadcast_to(values, (a, d, r, r))))
    return blocks


def _exact_roots(exponent: np.ndarray, order: int, sign: float) -> np.ndarray:
    """``exp(sign·2πi·exponent/order)`` with quarter turns (±1, ±i) exact."""
    values = np.exp(sign * 2j * np.pi * exponent / order)
    quarter = (4 * exponent) % order == 0
    exact = np.array([1, sign * 1j, -1, -sign * 1j])[(4 * exponent // order) % 4]
    return np.where(quarter, exact, values)


def _check_size(n: object) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= MAX_RADIX_N:
        raise ConfigError("n", n, f"must be an int in [2, {MAX_RADIX_N}]")
