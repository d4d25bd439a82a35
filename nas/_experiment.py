"""Experiment files (TOML) -> a validated, frozen ``Experiment``.

An experiment says what to search (``[space]``), on which task (``[task]``), with which
training budget (``[budget]``), for which objectives (``[[objectives]]``), with which sampler
(``[sampler]``) and how many trials (``[study]``). Unknown keys, wrong types, values out of range
and unknown names raise ``ConfigError`` naming the dotted field.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from fftlearn import ConfigError, TaskConfig, TrainConfig, from_mapping, to_dict
from fftlearn._validate import check_choice, check_int
from fftlearn.data import check_sources
from fftlearn.factorize import TargetConfig
from searchspace import FactorizationSpace, FrontEndSpace

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SAMPLERS = ("tpe", "nsga2", "gp", "random")
# Metric name -> (unit shown in tables, direction that is better), per experiment family.
FRONTEND_METRICS: dict[str, tuple[str, str]] = {
    "accuracy": ("fraction of held-out frames", "maximize"),
    "raw_pitch_accuracy": ("fraction of pitched frames within 50 cents", "maximize"),
    "loss": ("nats, held-out cross-entropy", "minimize"),
    "macs": ("MACs per example", "minimize"),
    "params": ("trainable parameters", "minimize"),
    "train_seconds": ("seconds", "minimize"),
    "latency_us": ("microseconds per example", "minimize"),
}
FACTORIZATION_METRICS: dict[str, tuple[str, str]] = {
    "relative_error": ("relative Frobenius error", "minimize"),
    "rmse": ("RMSE per real entry", "minimize"),
    "nnz": ("nonzeros of all factors", "minimize"),
    "ops": ("real arithmetic operations per apply", "minimize"),
    "seconds": ("seconds of the fit", "minimize"),
    "recovered_fft_structure": ("1 if the dataflow graph is radix-2 Cooley-Tukey", "maximize"),
}
METRICS = {**FRONTEND_METRICS, **FACTORIZATION_METRICS}


@dataclass(frozen=True)
class StudySpec:
    """``[study]``: the study's name, trial count and the seed of data and training."""

    name: str  # Optuna study name
    trials: int = 20  # trials one `fftnas run` adds
    seed: int = 0  # data set and per-trial seeds derive from it

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip() or len(self.name) > 128:
            raise ConfigError("name", self.name, "must be a non-empty name of at most 128 characters")
        check_int("trials", self.trials, low=1, high=1_000_000)
        check_int("seed", self.seed, low=0, high=2**31 - 1)


@dataclass(frozen=True)
class SamplerSpec:
    """``[sampler]``: which Optuna sampler proposes candidates, and its seed."""

    name: str = "tpe"  # tpe, nsga2, gp or random
    seed: int = 0  # sampler seed (worker i of a run uses seed + i)

    def __post_init__(self) -> None:
        check_choice("name", self.name, SAMPLERS)
        check_int("seed", self.seed, low=0, high=2**31 - 1)


@dataclass(frozen=True)
class ObjectiveSpec:
    """One ``[[objectives]]`` entry: a measured metric and whether to maximise it."""

    metric: str  # a metric of the experiment's family (FRONTEND_METRICS, FACTORIZATION_METRICS)
    direction: str  # "maximize" or "minimize"

    def __post_init__(self) -> None:
        if not isinstance(self.metric, str):
            raise ConfigError("metric", self.metric, "must be a metric name")
        check_choice("direction", self.direction, ("maximize", "minimize"))


def _check_objectives(
    objectives: tuple[ObjectiveSpec, ...], allowed: dict[str, tuple[str, str]], family: str
) -> None:
    if not 1 <= len(objectives) <= 4:
        raise ConfigError("objectives", len(objectives), "must list 1 to 4 objectives")
    metrics = [o.metric for o in objectives]
    if len(set(metrics)) != len(metrics):
        raise ConfigError("objectives", metrics, "must not name a metric twice")
    for index, metric in enumerate(metrics):
        if metric not in allowed:
            raise ConfigError(
                f"objectives[{index}].metric",
                metric,
                f"must be one of {', '.join(allowed)} (family {family!r})",
            )


@dataclass(frozen=True)
class Experiment:
    """A front-end experiment file (``family = "frontend"``, the default), validated."""

    kind: ClassVar[str] = "experiment"
    family: ClassVar[str] = "frontend"
    study: StudySpec
    objectives: tuple[ObjectiveSpec, ...]
    sampler: SamplerSpec = field(default_factory=SamplerSpec)
    task: TaskConfig = field(default_factory=TaskConfig)
    space: FrontEndSpace = field(default_factory=FrontEndSpace)
    budget: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        _check_objectives(self.objectives, FRONTEND_METRICS, self.family)
        metrics = self.metric_names
        if "raw_pitch_accuracy" in metrics and self.task.name != "pitch":
            raise ConfigError(
                "objectives", "raw_pitch_accuracy", f"needs task.name = 'pitch' (it is {self.task.name!r})"
            )
        try:
            self.space.check_frame_length(self.task.frame_length)
        except ConfigError as error:
            raise error.under("space") from None

    @property
    def metric_names(self) -> list[str]:
        return [o.metric for o in self.objectives]

    @property
    def directions(self) -> list[str]:
        return [o.direction for o in self.objectives]

    def search_definition(self) -> dict[str, object]:
        """What must not change when a study is resumed: objectives, task, space, budget."""
        data = to_dict(self)
        return {key: data[key] for key in ("objectives", "task", "space", "budget")}


@dataclass(frozen=True)
class FactorizationExperiment:
    """A factorization experiment file (``family = "factorization"``), validated: which matrix
    (``[target]``) is approximated by products of sparse factors found by which fitters
    (``[space]``)."""

    kind: ClassVar[str] = "factorization_experiment"
    family: ClassVar[str] = "factorization"
    study: StudySpec
    objectives: tuple[ObjectiveSpec, ...]
    target: TargetConfig  # the matrix to factorize
    sampler: SamplerSpec = field(default_factory=SamplerSpec)
    space: FactorizationSpace = field(default_factory=FactorizationSpace)

    def __post_init__(self) -> None:
        _check_objectives(self.objectives, FACTORIZATION_METRICS, self.family)

    metric_names = Experiment.metric_names
    directions = Experiment.directions

    def search_definition(self) -> dict[str, object]:
        """What must not change when a study is resumed: objectives, target, space."""
        data = to_dict(self)
        return {key: data[key] for key in ("objectives", "target", "space")}


AnyExperiment = Experiment | FactorizationExperiment
FAMILIES: dict[str, type] = {"frontend": Experiment, "factorization": FactorizationExperiment}


def load_experiment(path: str | Path, *, check_data: bool = True) -> AnyExperiment:
    """Read and validate an experiment file; with ``check_data`` also that the soundfonts,
    espeak-ng or NSynth copy its data set needs are there."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("experiment", str(path), "must be an existing TOML file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError("experiment", str(path), f"is not valid TOML ({error})") from None
    experiment = experiment_from_dict(data)
    if check_data and isinstance(experiment, Experiment):
        check_sources(experiment.task.data)
    return experiment


def experiment_to_dict(experiment: AnyExperiment) -> dict[str, object]:
    """Plain data of an experiment, with its ``family`` (as stored with every study)."""
    return {"family": experiment.family, **to_dict(experiment)}


def experiment_from_dict(data: dict[str, object]) -> AnyExperiment:
    """An experiment from plain data (a TOML file's or ``experiment_to_dict``'s); the
    top-level ``family`` picks its kind (default "frontend")."""
    family = data.get("family", "frontend")
    if family not in FAMILIES:
        raise ConfigError("family", family, f"must be one of {', '.join(FAMILIES)}")
    return from_mapping(FAMILIES[family], {k: v for k, v in data.items() if k != "family"})
