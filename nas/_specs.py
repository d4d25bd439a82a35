"""The parts every experiment file shares: ``[study]``, ``[sampler]``, ``[[objectives]]`` and
``[hypervolume]``.

Each experiment family (``nas.families``) adds its own tables and metrics to these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from fftlearn import ConfigError, to_dict
from fftlearn._config import join_field
from fftlearn._validate import check_choice, check_float, check_int

SAMPLERS = ("tpe", "nsga2", "gp", "random")


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

    metric: str  # a metric of the experiment's family (its `metrics` table)
    direction: str  # "maximize" or "minimize"

    def __post_init__(self) -> None:
        if not isinstance(self.metric, str):
            raise ConfigError("metric", self.metric, "must be a metric name")
        check_choice("direction", self.direction, ("maximize", "minimize"))


@dataclass(frozen=True)
class HypervolumeSpec:
    """``[hypervolume]``: the reference point's coordinates the file sets, in each metric's own
    units (``reference_point = { macs = 2e6 }``); the family derives the others from the search
    space (``nas._hypervolume``). Not part of the search: a resumed study keeps the point it
    stored when it was created."""

    reference_point: tuple[tuple[str, float], ...] = ()  # (metric, value) pairs, each metric once

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for metric, value in self.reference_point:
            if not isinstance(metric, str) or metric in seen:
                raise ConfigError("reference_point", metric, "must name each metric once")
            seen.add(metric)
            check_float(f"reference_point.{metric}", value)

    def check_objectives(self, metrics: list[str]) -> None:
        """Raise unless every metric given is one of the experiment's objectives ``metrics``."""
        for metric, value in self.reference_point:
            if metric not in metrics:
                raise ConfigError(
                    f"hypervolume.reference_point.{metric}",
                    value,
                    f"is not an objective; the objectives are {', '.join(metrics)}",
                )

    def to_plain(self) -> dict[str, Any]:
        return {"reference_point": dict(self.reference_point)}

    @classmethod
    def from_plain(cls, data: Mapping[str, Any], *, path: str = "") -> HypervolumeSpec:
        """Read the table strictly: ``reference_point`` (a table of numbers) is its only key."""
        for key, value in data.items():
            if key != "reference_point":
                raise ConfigError(join_field(path, key), value, "unknown key; allowed: reference_point")
        point = data.get("reference_point", {})
        field = join_field(path, "reference_point")
        if not isinstance(point, Mapping):
            raise ConfigError(field, point, "must be a table such as { macs = 2e6 }")
        for metric, value in point.items():
            check_float(join_field(field, str(metric)), value)
        return cls(reference_point=tuple((str(k), float(v)) for k, v in point.items()))


def check_objectives(
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


class ExperimentFields:
    """What every family's experiment dataclass has: ``study``, ``objectives`` (fields), the
    metric names and directions, and the tables a resumed study must not change."""

    family: ClassVar[str]  # the experiment file's top-level `family`
    search_keys: ClassVar[tuple[str, ...]]  # tables that define the search (checked on resume)
    study: StudySpec
    objectives: tuple[ObjectiveSpec, ...]

    @property
    def metric_names(self) -> list[str]:
        return [o.metric for o in self.objectives]

    @property
    def directions(self) -> list[str]:
        return [o.direction for o in self.objectives]

    def search_definition(self) -> dict[str, object]:
        """What must not change when a study is resumed (``search_keys``' tables)."""
        data = to_dict(self)
        return {key: data[key] for key in self.search_keys}
