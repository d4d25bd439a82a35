"""Radix orders: digit reversal, default orders, parsing and the DFT stages."""

from __future__ import annotations

import numpy as np
import pytest

from fftlearn import ConfigError
from fftlearn.butterfly._butterfly import bit_reversal_permutation
from fftlearn.butterfly._radix import (
    default_radices,
    dft_stage_blocks,
    digit_reversal_permutation,
    parse_radices,
    stage_shape,
)


@pytest.mark.parametrize("n", [2, 8, 1024])
def test_digit_reversal_of_radix_two_is_the_bit_reversal(n: int) -> None:
    radices = default_radices(n)
    assert radices == (2,) * (n.bit_length() - 1)
    assert np.array_equal(digit_reversal_permutation(radices), bit_reversal_permutation(n))


def test_digit_reversal_reverses_mixed_digits() -> None:
    # radices (2, 3): position q*2 + p holds input 3*p + q (q < 3, p < 2)
    assert digit_reversal_permutation((2, 3)).tolist() == [0, 3, 1, 4, 2, 5]
    assert digit_reversal_permutation((3, 2)).tolist() == [0, 2, 4, 1, 3, 5]
    perm = digit_reversal_permutation((4, 4, 5, 2, 2, 2))
    assert np.array_equal(np.sort(perm), np.arange(640))


def test_default_radices_are_the_prime_factors() -> None:
    assert default_radices(640) == (2, 2, 2, 2, 2, 2, 2, 5)
    assert default_radices(360) == (2, 2, 2, 3, 3, 5)
    assert default_radices(1000) == (2, 2, 2, 5, 5, 5)
    assert default_radices(13) == (13,)
    with pytest.raises(ConfigError, match=r"^n: got 1; must be an int in \[2, 8192\]$"):
        default_radices(1)


def test_parse_radices() -> None:
    assert parse_radices("4,4,5,2,2,2") == (4, 4, 5, 2, 2, 2)
    assert parse_radices(" 3 , 4") == (3, 4)
    for bad in ("4;4", "", "4,x", "-2,2"):
        with pytest.raises(ConfigError, match="^--radices: got .*; must be comma-separated ints >= 2"):
            parse_radices(bad)
    allowed = "must be a non-empty tuple of ints >= 2"
    with pytest.raises(ConfigError, match=r"^--radices: got \(1, 4\); " + allowed + "$"):
        parse_radices("1,4")


def test_stages_multiply_to_the_dft() -> None:
    radices = (3, 2, 5)
    n = 30
    dense = np.eye(n)[digit_reversal_permutation(radices)]
    for stage, block in enumerate(dft_stage_blocks(radices, normalized=False)):
        a, d, r = stage_shape(radices, stage)
        assert block.shape == (a, d, r, r)
        factor = np.zeros((n, n), dtype=complex)
        for i in range(a):
            for t in range(d):
                rows = i * d * r + np.arange(r) * d + t
                factor[np.ix_(rows, rows)] = block[i, t]
        dense = factor @ dense
    assert np.abs(dense - np.fft.fft(np.eye(n), axis=0)).max() < 1e-13
