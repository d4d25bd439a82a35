"""The factorization family's hypervolume reference point, derived from the target alone, never
from trials (``FactorizationFamily.reference_point``): what the trivial answers cost.

Rule, per objective (a metric optimised against its better direction gets no rule):
- relative_error (minimised): 1, the error of the zero matrix;
- rmse (minimised): the zero matrix's RMSE per real entry against the target;
- nnz (minimised): n², every entry of the dense (n, n) matrix;
- ops (minimised): the dense matrix times a vector with generic weights, counted like ``ops``:
  ``8n² − 2n`` real flops for a complex target (``dense_flops``), ``2n² − n`` for a real one;
- recovered_fft_structure: 0 when maximised (1 when minimised);
- seconds: none (the experiment file's ``[hypervolume]`` must give one).
"""

from __future__ import annotations

import functools

import numpy as np

from fftlearn.factorize import TargetConfig, dense_flops, make_target, rmse_per_real_entry

from .._base import unit_interval_reference
from ._experiment import FactorizationExperiment


def factorization_reference_point(experiment: FactorizationExperiment) -> dict[str, float | None]:
    """Metric -> reference value in the metric's units (None where no rule applies)."""
    n = experiment.target.n
    point: dict[str, float | None] = {}
    for metric, direction in zip(experiment.metric_names, experiment.directions):
        point[metric] = None
        if metric == "recovered_fft_structure":
            point[metric] = unit_interval_reference(direction)
        elif direction != "minimize":
            continue
        elif metric == "relative_error":
            point[metric] = 1.0
        elif metric == "rmse":
            point[metric] = _zero_matrix_figures(experiment.target)[1]
        elif metric == "nnz":
            point[metric] = float(n * n)
        elif metric in ("ops", "ops_cheap_eighth_roots", "ops_as_fitted"):
            complex_target = _zero_matrix_figures(experiment.target)[0]
            point[metric] = float(dense_flops(n) if complex_target else 2 * n * n - n)
    return point


@functools.lru_cache(maxsize=8)
def _zero_matrix_figures(target: TargetConfig) -> tuple[bool, float]:
    """(whether the target is complex, the zero matrix's RMSE per real entry against it)."""
    matrix = make_target(target).matrix
    return bool(np.iscomplexobj(matrix)), rmse_per_real_entry(np.zeros_like(matrix), matrix)
