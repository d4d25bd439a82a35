"""Complex butterfly stages applied with real tensors only: the same ``M @ x`` as
``apply_radix_stages`` (``_mixed.py``), for formats that have no complex type (ONNX).

A complex value is carried as a (real, imaginary) pair of real tensors of the same shape, and a
stage's compact blocks as their real view ``(a, d, r, r, 2)`` (last axis: real, imaginary), the
layout the butterfly front-end stores its parameters in. One complex multiply-accumulate is four
real products; the arithmetic is the complex path's, in another order, so the two agree to
float rounding.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ._mixed import ELEMENTWISE_MAX_RADIX
from ._radix import stage_shape

Pair = tuple[torch.Tensor, torch.Tensor]  # (real, imaginary), the same shape


def apply_radix_stages_real(
    real: torch.Tensor, imag: torch.Tensor, stages: Sequence[torch.Tensor], *, radices: Sequence[int]
) -> Pair:
    """``M @ (real + i·imag)`` along the last axis, ``(..., N)`` pairs -> ``(..., N)`` pairs, with
    ``stages`` the real views ``(a, d, r, r, 2)`` of the complex stages of ``radices`` (no input
    permutation: apply the digit reversal to ``real`` and ``imag`` first)."""
    lead = real.shape[:-1]
    n = real.shape[-1]
    for k, block in enumerate(stages):
        a, d, r = stage_shape(radices, k)
        groups = (real.reshape(*lead, a, r, d), imag.reshape(*lead, a, r, d))  # [i, n2, t]
        weights = (block[..., 0], block[..., 1])  # 2 x (a, d, r, r): [i, t, k2, n2]
        if r <= ELEMENTWISE_MAX_RADIX:
            real, imag = _stage_elementwise(groups, weights)
        else:
            real, imag = _stage_einsum(groups, weights)
        real, imag = real.reshape(*lead, n), imag.reshape(*lead, n)
    return real, imag


def _stage_elementwise(groups: Pair, weights: Pair) -> Pair:
    """``y[..., i, k2, t] = sum_n2 B[i, t, k2, n2] x[..., i, n2, t]`` as ``r²`` complex products
    over ``(..., a, d)``: pairs ``(..., a, r, d) -> (..., a, r, d)``."""
    xr, xi = groups[0].unbind(-2), groups[1].unbind(-2)  # r x (..., a, d) each
    wr = weights[0].permute(2, 3, 0, 1)  # (r, r, a, d): [k2, n2, i, t]
    wi = weights[1].permute(2, 3, 0, 1)
    out_real, out_imag = [], []
    for k2 in range(len(xr)):  # python ints: traceable
        total_real = wr[k2, 0] * xr[0] - wi[k2, 0] * xi[0]
        total_imag = wr[k2, 0] * xi[0] + wi[k2, 0] * xr[0]
        for n2 in range(1, len(xr)):
            total_real = total_real + (wr[k2, n2] * xr[n2] - wi[k2, n2] * xi[n2])
            total_imag = total_imag + (wr[k2, n2] * xi[n2] + wi[k2, n2] * xr[n2])
        out_real.append(total_real)
        out_imag.append(total_imag)
    return torch.stack(out_real, dim=-2), torch.stack(out_imag, dim=-2)


def _stage_einsum(groups: Pair, weights: Pair) -> Pair:
    """The same stage as four real einsums (radices above ``ELEMENTWISE_MAX_RADIX``)."""
    (xr, xi), (wr, wi) = groups, weights

    def product(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("itkn,...int->...ikt", w, x)  # (..., a, r, d)

    return product(wr, xr) - product(wi, xi), product(wr, xi) + product(wi, xr)
