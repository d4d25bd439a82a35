"""fftlearn.factorize: products of sparse factors that approximate a linear transform, the
fitters that find them, and the check whether what they found is an FFT.

Every fitter is a registered kind (``Fitter``: config, ``fit``, search subspace); one call fits
and scores any of them::

    result = fit_factorization(matrix, GradientFitConfig(permutation="learn"))
    registered_fitters()  # {"baseline": ..., "gradient": ..., ...}: every method name

Third-party fitters: ``register_fitter`` or the entry-point group ``fftnas.fitters``.
"""

from . import fitters as _builtin_fitters  # noqa: F401  (registers the built-in fitter kinds)
from ._exact import dct2_factorization, fft_factorization, hadamard_factorization
from ._fitter import Fitter, fit_factorization, fitter_of, get_fitter, register_fitter, registered_fitters
from ._fixed_support import fit_fixed_support
from ._flops import dense_flops, radix2_flops, radix4_flops, split_radix_flops
from ._gradient import GradientFitConfig
from ._graph import dataflow_graph, is_radix2_fft_graph
from ._hierarchical import hierarchical_butterfly
from ._kronecker import (
    KroneckerPattern,
    butterfly_chain,
    butterfly_pattern,
    monarch_patterns,
    radix_chain,
    support_mask,
)
from ._operation_count import operation_count
from ._product import SparseFactorization, relative_error, rmse_per_real_entry
from ._radix_graph import cooley_tukey_graph, fft_graph_radices
from ._rescale import fewest_operation_count, fewest_operation_counts, rescale_for_fewest_operations
from ._score import FitResult, make_fit_result
from ._search import recover_butterfly
from ._sparse_configs import FixedSupportConfig, IHTConfig, L1Config
from ._targets import TARGET_NAMES, Target, TargetConfig, make_target
from .fitters._baseline import BaselineFitConfig
from .fitters._hierarchical import HierarchicalFitConfig
from .fitters._iht import IHTFitConfig
from .fitters._l1 import L1FitConfig
from .fitters._patterns import PatternFitConfig
from .fitters._recover import RecoverFitConfig

__all__ = [
    "TARGET_NAMES",
    "BaselineFitConfig",
    "FitResult",
    "Fitter",
    "FixedSupportConfig",
    "GradientFitConfig",
    "HierarchicalFitConfig",
    "IHTConfig",
    "IHTFitConfig",
    "KroneckerPattern",
    "L1Config",
    "L1FitConfig",
    "PatternFitConfig",
    "RecoverFitConfig",
    "SparseFactorization",
    "Target",
    "TargetConfig",
    "butterfly_chain",
    "butterfly_pattern",
    "cooley_tukey_graph",
    "dataflow_graph",
    "dct2_factorization",
    "dense_flops",
    "fewest_operation_count",
    "fewest_operation_counts",
    "fft_factorization",
    "fft_graph_radices",
    "fit_factorization",
    "fit_fixed_support",
    "fitter_of",
    "get_fitter",
    "hadamard_factorization",
    "hierarchical_butterfly",
    "is_radix2_fft_graph",
    "make_fit_result",
    "make_target",
    "monarch_patterns",
    "operation_count",
    "radix2_flops",
    "radix_chain",
    "radix4_flops",
    "recover_butterfly",
    "register_fitter",
    "registered_fitters",
    "relative_error",
    "rescale_for_fewest_operations",
    "rmse_per_real_entry",
    "split_radix_flops",
    "support_mask",
]
