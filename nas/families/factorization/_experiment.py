"""A factorization experiment file (``family = "factorization"``), validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from fftlearn.factorize import TargetConfig
from searchspace import FactorizationSpace

from ..._specs import (
    ExperimentFields,
    HypervolumeSpec,
    ObjectiveSpec,
    SamplerSpec,
    StudySpec,
    check_objectives,
)

# Metric name -> (unit shown in tables, direction that is better).
FACTORIZATION_METRICS: dict[str, tuple[str, str]] = {
    "relative_error": ("relative Frobenius error", "minimize"),
    "rmse": ("RMSE per real entry", "minimize"),
    "nnz": ("nonzeros of all factors", "minimize"),
    "ops": ("real arithmetic operations per apply, at the best diagonal scaling found", "minimize"),
    "ops_cheap_eighth_roots": ("real operations per apply, best scaling, a(±1±i) as 4", "minimize"),
    "ops_as_fitted": ("real arithmetic operations per apply, factors as fitted", "minimize"),
    "seconds": ("seconds of the fit", "minimize"),
    "recovered_fft_structure": ("1 if the dataflow graph is Cooley-Tukey (some radix order)", "maximize"),
}


@dataclass(frozen=True)
class FactorizationExperiment(ExperimentFields):
    """A factorization experiment file (``family = "factorization"``), validated: which matrix
    (``[target]``) is approximated by products of sparse factors found by which fitters
    (``[space]``)."""

    kind: ClassVar[str] = "factorization_experiment"
    family: ClassVar[str] = "factorization"
    search_keys: ClassVar[tuple[str, ...]] = ("objectives", "target", "space")
    study: StudySpec
    objectives: tuple[ObjectiveSpec, ...]
    target: TargetConfig  # the matrix to factorize
    sampler: SamplerSpec = field(default_factory=SamplerSpec)
    space: FactorizationSpace = field(default_factory=FactorizationSpace)
    hypervolume: HypervolumeSpec = field(default_factory=HypervolumeSpec)  # not part of the search

    def __post_init__(self) -> None:
        check_objectives(self.objectives, FACTORIZATION_METRICS, self.family)
        self.hypervolume.check_objectives(self.metric_names)
