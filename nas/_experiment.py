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

from fftlearn import ConfigError, TaskConfig, TrainConfig, check_sources, from_mapping, to_dict
from fftlearn._validate import check_choice, check_int
from searchspace import FrontEndSpace

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SAMPLERS = ("tpe", "nsga2", "gp", "random")
# Metric name -> (unit shown in tables, direction that is better).
METRICS: dict[str, tuple[str, str]] = {
    "accuracy": ("fraction of held-out frames", "maximize"),
    "raw_pitch_accuracy": ("fraction of pitched frames within 50 cents", "maximize"),
    "loss": ("nats, held-out cross-entropy", "minimize"),
    "macs": ("MACs per example", "minimize"),
    "params": ("trainable parameters", "minimize"),
    "train_seconds": ("seconds", "minimize"),
    "latency_us": ("microseconds per example", "minimize"),
}


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

    metric: str  # one of METRICS
    direction: str  # "maximize" or "minimize"

    def __post_init__(self) -> None:
        check_choice("metric", self.metric, tuple(METRICS))
        check_choice("direction", self.direction, ("maximize", "minimize"))


@dataclass(frozen=True)
class Experiment:
    """A whole experiment file, validated."""

    kind: ClassVar[str] = "experiment"
    study: StudySpec
    objectives: tuple[ObjectiveSpec, ...]
    sampler: SamplerSpec = field(default_factory=SamplerSpec)
    task: TaskConfig = field(default_factory=TaskConfig)
    space: FrontEndSpace = field(default_factory=FrontEndSpace)
    budget: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        if not 1 <= len(self.objectives) <= 4:
            raise ConfigError("objectives", len(self.objectives), "must list 1 to 4 objectives")
        metrics = [o.metric for o in self.objectives]
        if len(set(metrics)) != len(metrics):
            raise ConfigError("objectives", metrics, "must not name a metric twice")
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


def load_experiment(path: str | Path, *, check_data: bool = True) -> Experiment:
    """Read and validate an experiment file; with ``check_data`` also that the soundfonts,
    espeak-ng or NSynth copy its data set needs are there."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("experiment", str(path), "must be an existing TOML file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError("experiment", str(path), f"is not valid TOML ({error})") from None
    experiment = from_mapping(Experiment, data)
    if check_data:
        check_sources(experiment.task.data)
    return experiment


def experiment_from_dict(data: dict[str, object]) -> Experiment:
    """The inverse of ``fftlearn.to_dict(experiment)`` (as stored with every study)."""
    return from_mapping(Experiment, data)
