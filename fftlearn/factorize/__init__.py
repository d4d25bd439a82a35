"""fftlearn.factorize: products of sparse factors that approximate a linear transform."""

from ._factorization import FitResult, SparseFactorization, make_fit_result, relative_error, rmse_per_real_entry

__all__ = ["FitResult", "SparseFactorization", "make_fit_result", "relative_error", "rmse_per_real_entry"]
