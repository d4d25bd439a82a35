"""Exact sparse factorizations of the FFT, the Walsh–Hadamard transform and the DCT-II.

These are the oracles: tests compare them with ``numpy.fft`` / ``torch.fft`` / ``scipy.fft``,
and fitted factorizations are compared with them. All are ``SparseFactorization`` objects
(``M = Pout · F[L-1] ··· F[0] · Pin``, ``F[0]`` applied first), built from the butterfly
machinery of ``fftlearn.butterfly._butterfly``.

Nonzeros (``n = 2^L``):
- ``fft_factorization``: ``L`` butterfly factors of ``2n`` nonzeros each, ``2 n log2 n``;
  input permutation = bit reversal (decimation in time).
- ``hadamard_factorization``: the same support with ±1 blocks, ``2 n log2 n``; no permutation.
- ``dct2_factorization``: ``2 n log2 n + 2n − 2`` (the FFT plus one twiddle factor with two
  nonzeros per row, one in rows 0 and n/2); any ``n`` through the mixed-radix FFT; see its docstring.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse

from .._errors import ConfigError
from ..butterfly._butterfly import (
    bit_reversal_permutation,
    butterfly_factor_indices,
    fft_butterfly_twiddles,
    hadamard_butterfly_twiddles,
    log2_exact,
)
from ..butterfly._radix import check_radices, default_radices, dft_stage_blocks, digit_reversal_permutation
from ._hierarchical import compact_to_csr
from ._product import SparseFactorization

_SNAP = 1e-15  # |real or imaginary part| below this (relative to 1) is set to exactly 0


def fft_factorization(
    n: int, *, inverse: bool = False, normalized: bool = True, radices: Sequence[int] | None = None
) -> SparseFactorization:
    """The decimation-in-time FFT: ``log2 n`` butterfly factors after bit reversal, or with
    ``radices`` (or ``n`` not a power of two) the mixed-radix Cooley–Tukey FFT of that radix
    order (default: ``default_radices(n)``, the prime factors ascending) after the digit
    reversal: one factor per radix ``r`` on ``I ⊗ 1_{r×r} ⊗ I``, ``n·r`` nonzeros each
    (``fftlearn.butterfly._radix``).

    ``normalized``: unitary (``norm="ortho"``, every factor scaled by 1/sqrt(2)); otherwise the
    product is ``numpy.fft.fft`` (or ``ifft`` with ``inverse``, 1/2 per factor). Twiddles that
    are ±1 or ±i up to rounding (e.g. ``exp(-iπ/2)``, whose real part is 6e-17) are stored
    exactly, so trivial multiplications are recognisable. ``2 n log2 n`` nonzeros.
    """
    if radices is not None or not _is_power_of_two(n):
        return mixed_radix_fft_factorization(n, radices=radices, inverse=inverse, normalized=normalized)
    _check_n(n)
    twiddles = fft_butterfly_twiddles(n, inverse=inverse, normalized=normalized).numpy()  # (L, n/2, 2, 2)
    direction = "inverse " if inverse else ""
    scaling = "unitary" if normalized else "unnormalized"
    return SparseFactorization(
        factors=_butterfly_factors(_snap(twiddles)),
        input_permutation=bit_reversal_permutation(n),
        output_permutation=np.arange(n, dtype=np.int64),
        label=f"radix-2 {direction}FFT (decimation in time, bit-reversal input), {scaling}",
    )


def mixed_radix_fft_factorization(
    n: int, *, radices: Sequence[int] | None = None, inverse: bool = False, normalized: bool = True
) -> SparseFactorization:
    """The mixed-radix DIT FFT of size ``n`` with radix order ``radices`` (``r_0`` applied first;
    default ``default_radices(n)``): ``len(radices)`` Kronecker-sparse factors after the digit
    reversal, ``n · sum(radices)`` nonzeros. ``normalized``/``inverse`` as ``fft_factorization``."""
    radices = _checked_radices(n, radices)
    blocks = dft_stage_blocks(radices, inverse=inverse, normalized=normalized)
    direction = "inverse " if inverse else ""
    scaling = "unitary" if normalized else "unnormalized"
    order = ",".join(str(r) for r in radices)
    return SparseFactorization(
        factors=tuple(compact_to_csr(block) for block in blocks),
        input_permutation=digit_reversal_permutation(radices),
        output_permutation=np.arange(n, dtype=np.int64),
        label=f"mixed-radix {direction}FFT, radices {order} (decimation in time, digit-reversal input), "
        f"{scaling}",
    )


def hadamard_factorization(n: int, *, normalized: bool = True) -> SparseFactorization:
    """Walsh–Hadamard (Sylvester order, ``scipy.linalg.hadamard(n)``): ``log2 n`` factors ``I⊗H2⊗I``.

    Real ±1 blocks (scaled 1/sqrt(2) each when ``normalized``, so the product is orthogonal);
    no permutation: factor ``k`` is ``I ⊗ H2 ⊗ I`` (``H2`` acting on bit ``k``), and their product
    is ``H2 ⊗ ··· ⊗ H2``, the Sylvester matrix itself. Same support as the FFT, ``2 n log2 n`` nonzeros.
    """
    _check_n(n)
    twiddles = hadamard_butterfly_twiddles(n, normalized=normalized).numpy()  # (L, n/2, 2, 2)
    identity = np.arange(n, dtype=np.int64)
    scaling = "orthonormal" if normalized else "±1"
    return SparseFactorization(
        factors=_butterfly_factors(twiddles),
        input_permutation=identity,
        output_permutation=identity.copy(),
        label=f"Walsh-Hadamard butterfly factors (Sylvester order), {scaling}",
    )


def dct2_factorization(
    n: int, *, radices: Sequence[int] | None = None, normalized: bool = True
) -> SparseFactorization:
    """The DCT-II (``scipy.fft.dct(type=2)``) of any size ``n`` as FFT factors plus one sparse
    twiddle factor; ``radices`` picks the FFT's radix order as in ``fft_factorization``.

    Makhoul's reordering (IEEE TASSP 1980), valid for every ``n``, odd included: ``v`` holds the
    even-indexed inputs ascending, then the odd-indexed ones descending (``v[m] = x[2m]`` for
    ``2m < n``, ``v[n-1-m] = x[2m+1]`` for ``2m+1 < n``); then with ``V = F v`` (``F`` the
    unnormalized DFT) and ``d_k = 2 s_k e^{-iπk/2n}`` (``s_k`` the scipy scaling: 1, or
    sqrt(1/4n) for k = 0 and sqrt(1/2n) otherwise with ``normalized``), ``C x = Re(D F v)``.
    Because ``v`` is real for real ``x`` and ``conj(F) = R F`` (``R``: row k -> row (n - k) mod
    n), ``Re(D F) = ½ (D + conj(D) R) F``, so the real part is itself a sparse factor
    ``G = ½ (D + conj(D) R)``:

        C = G · F[L-1] ··· F[0] · P_fft · P_makhoul        (exact in exact arithmetic)

    ``G`` has two nonzeros per row except the rows that are their own mirror (row 0, and row
    n/2 for even n: one, ``Re d_k``), so the total is the FFT's nonzeros (``2 n log2 n`` for a
    power of two, ``n·sum(radices)`` otherwise) plus ``2n − 2`` (even n) or ``2n − 1`` (odd n).
    The factors are complex; the product is real up to rounding (``to_dense()`` is complex128
    with imaginary parts around 1e-16; take ``.real``).
    """
    fft = fft_factorization(n, normalized=False, radices=radices)
    makhoul = np.concatenate([np.arange(0, n, 2), np.arange(1, n, 2)[::-1]])  # v = x[makhoul]
    k = np.arange(n)
    scale = np.ones(n)
    if normalized:
        scale = np.full(n, np.sqrt(1 / (2 * n)))
        scale[0] = np.sqrt(1 / (4 * n))
    d = 2 * scale * np.exp(-1j * np.pi * k / (2 * n))  # (n,)
    mirror = (-k) % n
    rows = np.concatenate([k, k])
    cols = np.concatenate([k, mirror])
    values = np.concatenate([d / 2, np.conj(d) / 2])
    twiddle = scipy.sparse.csr_matrix((values, (rows, cols)), shape=(n, n))  # self-mirror rows summed
    twiddle.sum_duplicates()
    twiddle.data = _snap(twiddle.data)
    scaling = "orthonormal" if normalized else "unnormalized"
    return SparseFactorization(
        factors=(*fft.factors, twiddle),
        input_permutation=makhoul[fft.input_permutation],
        output_permutation=np.arange(n, dtype=np.int64),
        label=f"DCT-II through the FFT (Makhoul reordering, real part as a twiddle factor), {scaling}",
    )


def _is_power_of_two(n: object) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and n >= 2 and not n & (n - 1)


def _checked_radices(n: object, radices: Sequence[int] | None) -> tuple[int, ...]:
    """The radix order for size ``n`` (default: its prime factors), or ``ConfigError``."""
    return default_radices(n) if radices is None else check_radices(radices, n)  # type: ignore[arg-type]


def _check_n(n: object) -> None:
    try:
        log2_exact(n)  # type: ignore[arg-type]
    except ValueError:
        raise ConfigError("n", n, "must be a power of two >= 2") from None


def _snap(values: np.ndarray) -> np.ndarray:
    """Real and imaginary parts below ``_SNAP`` in magnitude set to exactly zero."""
    values = np.array(values, copy=True)
    if np.iscomplexobj(values):
        real, imag = values.real.copy(), values.imag.copy()
        real[np.abs(real) < _SNAP] = 0.0
        imag[np.abs(imag) < _SNAP] = 0.0
        return real + 1j * imag
    values[np.abs(values) < _SNAP] = 0.0
    return values


def _butterfly_factors(twiddles: np.ndarray) -> tuple[scipy.sparse.csr_matrix, ...]:
    """CSR factors from ``(L, n/2, 2, 2)`` twiddles (``fftlearn.butterfly._butterfly`` convention)."""
    n = 2 * twiddles.shape[1]
    factors = []
    for level in range(twiddles.shape[0]):
        rows, cols = butterfly_factor_indices(n, level)  # (n/2, 2, 2) each
        factor = scipy.sparse.csr_matrix(
            (twiddles[level].reshape(-1), (rows.reshape(-1), cols.reshape(-1))), shape=(n, n)
        )
        factors.append(factor)
    return tuple(factors)
