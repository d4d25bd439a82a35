"""Reference operation counts of the DFT: dense, radix-2 FFT and split-radix FFT (real
additions + real multiplications, one vector; the rule: ``_operation_count``).

A dense complex matrix on a complex vector (all weights generic) costs ``8n² − 2n``
(``dense_flops``). The exact radix-2 FFT (``fft_factorization``, normalized or not) costs
``radix2_flops(n) = 5 n log2 n − 9 n + 12``: ``2n`` per factor for the additions, plus 6 per
butterfly whose twiddle is not ±1, ±i; there are ``(log2 n − 3) n/2 + 2`` of those. (Treating
``(±1 ± i)/sqrt 2`` with 2 multiplications would give the textbook ``5 n log2 n − 10 n + 16``;
split radix needs ``4 n log2 n − 6 n + 8``.)

Radix 4 (``n = 4^m``, ``radix4_flops``), each 4-point DFT done as two radix-2 layers (radix 2²,
8 complex additions, the ``−i`` free): ``2 n log2 n`` additions plus 6 per nontrivial twiddle.
Stage ``s = 1..m−1`` multiplies input ``q = 1, 2, 3`` of the butterfly at position ``j`` (of
``4^s``, each ``n / 4^(s+1)`` times) by ``ω_{4^(s+1)}^(j q)``, trivial iff ``4^s`` divides
``j q``: ``j = 0``, or ``q = 2, j = 4^s / 2``; so ``3·4^s − 4`` of the ``3·4^s`` are not, and
stage ``s`` has ``3n/4 − n/4^s`` nontrivial twiddles, ``(m − 1)·3n/4 − (n − 4)/3`` in all
(2,732 at n = 1024: 36,872 flops, with ``ω_8`` counted as a general multiplication).
"""

from __future__ import annotations

from .._errors import ConfigError


def dense_flops(n: int) -> int:
    """Real flops of a dense complex ``(n, n)`` matrix times a complex vector: ``8n² − 2n``
    (``n²`` complex multiplications of 6, ``n(n − 1)`` complex additions of 2)."""
    return 8 * n * n - 2 * n


def radix2_flops(n: int) -> int:
    """Real flops of the radix-2 FFT with ±1, ±i twiddles skipped: ``5 n log2 n − 9 n + 12``.

    Equals ``operation_count(fft_factorization(n))`` (``_operation_count``'s rule).
    """
    levels = checked_log2(n)
    return 5 * n * levels - 9 * n + 12


def radix4_flops(n: int) -> int:
    """Real flops of the radix-4 (radix-2²) FFT, ``n = 4^m``, ±1, ±i twiddles skipped, ``ω_8`` a
    general multiplication: ``2 n log2 n + 6 ((m − 1)·3n/4 − (n − 4)/3)`` (36,872 at 1024)."""
    levels = checked_log2(n)
    if levels % 2:
        raise ConfigError("n", n, "must be a power of four >= 4")
    stages = levels // 2
    nontrivial = (stages - 1) * 3 * n // 4 - (n - 4) // 3
    return 2 * n * levels + 6 * nontrivial


def split_radix_flops(n: int) -> int:
    """Real flops of the split-radix FFT: ``4 n log2 n − 6 n + 8`` (n >= 2)."""
    levels = checked_log2(n)
    return 4 * n * levels - 6 * n + 8


def checked_log2(n: int) -> int:
    """``L`` with ``2^L == n``; ``ConfigError`` on ``n`` unless ``n`` is a power of two >= 2."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 2 or n & (n - 1):
        raise ConfigError("n", n, "must be a power of two >= 2")
    return n.bit_length() - 1
