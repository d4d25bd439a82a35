"""``apply_radix_stages_real``: complex stages on (real, imaginary) pairs of real tensors, the
path ONNX export takes, equal to the complex ``apply_radix_stages`` (elementwise and einsum
radices, radix 2 from the butterfly twiddles too)."""

from __future__ import annotations

import pytest
import torch

from fftlearn.butterfly._butterfly import apply_butterfly, random_unitary_twiddles
from fftlearn.butterfly._mixed import apply_radix_stages, butterfly_to_radix_stages, random_unitary_stages
from fftlearn.butterfly._real import apply_radix_stages_real


@pytest.mark.parametrize("radices", [(2, 2, 2), (3, 4, 5), (2, 16), (12, 3)])
def test_real_pairs_equal_the_complex_stages(radices: tuple[int, ...]) -> None:
    generator = torch.Generator().manual_seed(len(radices))
    stages = random_unitary_stages(radices, generator=generator, dtype=torch.complex128)
    n = int(torch.tensor(radices).prod())
    x = torch.complex(torch.randn(3, 2, n, dtype=torch.float64), torch.randn(3, 2, n, dtype=torch.float64))
    expected = apply_radix_stages(x, stages, digit_reverse_input=False)  # (3, 2, N)
    real, imag = apply_radix_stages_real(
        x.real, x.imag, [torch.view_as_real(s) for s in stages], radices=radices
    )
    torch.testing.assert_close(torch.complex(real, imag), expected, rtol=0, atol=1e-12)


def test_radix2_real_pairs_equal_apply_butterfly() -> None:
    twiddles = random_unitary_twiddles(16, generator=torch.Generator().manual_seed(0), dtype=torch.complex128)
    x = torch.randn(5, 16, dtype=torch.float64)  # a real input, as the front-end feeds it
    expected = apply_butterfly(x, twiddles, bit_reverse_input=False)
    stages = [torch.view_as_real(s) for s in butterfly_to_radix_stages(twiddles)]
    real, imag = apply_radix_stages_real(x, torch.zeros_like(x), stages, radices=(2, 2, 2, 2))
    torch.testing.assert_close(torch.complex(real, imag), expected, rtol=0, atol=1e-12)
