"""A front-end experiment file (``family = "frontend"``, the default), validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from fftlearn import ConfigError, TaskConfig, TrainConfig
from searchspace import FrontEndSpace

from ..._specs import (
    ExperimentFields,
    HypervolumeSpec,
    ObjectiveSpec,
    SamplerSpec,
    StudySpec,
    check_objectives,
)
from ...pruners import EpochPruner, PrunerSpec, make_pruner

# Metric name -> (unit shown in tables, direction that is better).
FRONTEND_METRICS: dict[str, tuple[str, str]] = {
    "accuracy": ("fraction of held-out frames", "maximize"),
    "raw_pitch_accuracy": ("fraction of pitched frames within 50 cents", "maximize"),
    "raw_chroma_accuracy": ("fraction of pitched frames within 50 cents, octave errors forgiven", "maximize"),
    "loss": ("nats, held-out cross-entropy", "minimize"),
    "macs": ("MACs per example", "minimize"),
    "params": ("trainable parameters", "minimize"),
    "train_seconds": ("seconds", "minimize"),
    "latency_us": ("microseconds per example", "minimize"),
}


@dataclass(frozen=True)
class FrontEndExperiment(ExperimentFields):
    """Which front-ends compete (``[space]``) on which task (``[task]``), trained within
    ``[budget]``, scored on ``[[objectives]]``, stopped early by ``[pruner]``."""

    kind: ClassVar[str] = "experiment"
    family: ClassVar[str] = "frontend"
    search_keys: ClassVar[tuple[str, ...]] = ("objectives", "task", "space", "budget")
    study: StudySpec
    objectives: tuple[ObjectiveSpec, ...]
    sampler: SamplerSpec = field(default_factory=SamplerSpec)
    task: TaskConfig = field(default_factory=TaskConfig)
    space: FrontEndSpace = field(default_factory=FrontEndSpace)
    budget: TrainConfig = field(default_factory=TrainConfig)
    pruner: PrunerSpec = field(default_factory=PrunerSpec)
    hypervolume: HypervolumeSpec = field(default_factory=HypervolumeSpec)  # not part of the search

    def __post_init__(self) -> None:
        check_objectives(self.objectives, FRONTEND_METRICS, self.family)
        self.hypervolume.check_objectives(self.metric_names)
        for metric in ("raw_pitch_accuracy", "raw_chroma_accuracy"):
            if metric in self.metric_names and self.task.name != "pitch":
                needs = f"needs task.name = 'pitch' (it is {self.task.name!r})"
                raise ConfigError("objectives", metric, needs)
        try:
            self.space.check_frame_length(self.task.frame_length)
        except ConfigError as error:
            raise error.under("space") from None
        self.make_pruner().check(validation_fraction=self.budget.validation_fraction)

    def make_pruner(self) -> EpochPruner:
        """The early stopping ``[pruner]`` names, for this study's objectives and budget."""
        return make_pruner(
            self.pruner, metric_names=self.metric_names, directions=self.directions, epochs=self.budget.epochs
        )
