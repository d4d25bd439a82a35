"""fftlearn.factorize: products of sparse factors that approximate a linear transform, the
fitters that find them, and the check whether what they found is an FFT."""

from ._baselines import low_rank_baseline, top_entries_baseline
from ._exact import dct2_factorization, fft_factorization, hadamard_factorization
from ._factorization import (
    FitResult,
    SparseFactorization,
    make_fit_result,
    relative_error,
    rmse_per_real_entry,
)
from ._fit import (
    FITTER_KINDS,
    BaselineFitConfig,
    FitterConfig,
    HierarchicalFitConfig,
    IHTFitConfig,
    L1FitConfig,
    PatternFitConfig,
    SearchFitConfig,
    fit_factorization,
)
from ._gradient import GradientFitConfig, fit_gradient
from ._graph import (
    dataflow_graph,
    dense_flops,
    is_radix2_fft_graph,
    operation_count,
    radix2_flops,
    split_radix_flops,
)
from ._hierarchical import fit_hierarchical, hierarchical_butterfly
from ._kronecker import KroneckerPattern, butterfly_chain, butterfly_pattern, monarch_patterns, support_mask
from ._search import recover_butterfly
from ._sparse import FixedSupportConfig, IHTConfig, L1Config, fit_fixed_support, fit_iht, fit_l1
from ._targets import TARGET_NAMES, Target, TargetConfig, make_target

__all__ = [
    "FITTER_KINDS",
    "TARGET_NAMES",
    "BaselineFitConfig",
    "FitResult",
    "FitterConfig",
    "FixedSupportConfig",
    "GradientFitConfig",
    "HierarchicalFitConfig",
    "IHTConfig",
    "IHTFitConfig",
    "KroneckerPattern",
    "L1Config",
    "L1FitConfig",
    "PatternFitConfig",
    "SearchFitConfig",
    "SparseFactorization",
    "Target",
    "TargetConfig",
    "butterfly_chain",
    "butterfly_pattern",
    "dataflow_graph",
    "dct2_factorization",
    "dense_flops",
    "fft_factorization",
    "fit_factorization",
    "fit_fixed_support",
    "fit_gradient",
    "fit_hierarchical",
    "fit_iht",
    "fit_l1",
    "hadamard_factorization",
    "hierarchical_butterfly",
    "is_radix2_fft_graph",
    "low_rank_baseline",
    "make_fit_result",
    "make_target",
    "monarch_patterns",
    "operation_count",
    "radix2_flops",
    "recover_butterfly",
    "relative_error",
    "rmse_per_real_entry",
    "split_radix_flops",
    "support_mask",
    "top_entries_baseline",
]
