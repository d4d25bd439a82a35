"""fftlearn.butterfly: the butterfly maths shared by the butterfly front-end and the fitters:
twiddle layouts, bit reversal, exact FFT/Hadamard twiddles, dense twins and compute counts."""

from ._butterfly import (
    apply_butterfly,
    bit_reversal_permutation,
    butterfly_dense_matrix,
    butterfly_factor_indices,
    butterfly_macs,
    butterfly_nonzeros,
    fft_butterfly_macs,
    fft_butterfly_twiddles,
    hadamard_butterfly_twiddles,
    log2_exact,
    random_unitary_twiddles,
)

__all__ = [
    "apply_butterfly",
    "bit_reversal_permutation",
    "butterfly_dense_matrix",
    "butterfly_factor_indices",
    "butterfly_macs",
    "butterfly_nonzeros",
    "fft_butterfly_macs",
    "fft_butterfly_twiddles",
    "hadamard_butterfly_twiddles",
    "log2_exact",
    "random_unitary_twiddles",
]
