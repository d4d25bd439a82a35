"""The experiment-family contract and its registry.

A family is one kind of search (front-ends, factorizations): its experiment file, the
objective its trials run, the one-off evaluation behind ``fftnas evaluate``, how a stored trial
is re-run (``fftnas reproduce``), its part of the dashboard note and the rule that derives its
hypervolume reference point. The engine and the CLI only ever ask ``family_of(experiment)``;
they never ask which family it is.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import optuna
import torch

from fftlearn import ConfigError


@dataclass(frozen=True)
class Reproduction:
    """A stored trial measured again."""

    trial: int
    stored: dict[str, float]  # metric name -> value recorded by the trial
    reproduced: dict[str, float]  # metric name -> value measured now
    config: str  # the candidate config JSON (identical to the stored one)
    mode: str  # "retrain", "weights" or "refit"
    note: str | None = None  # why the figures may legitimately differ


@dataclass(frozen=True)
class OneOff:
    """What ``fftnas evaluate`` measured for one candidate outside any study."""

    config: object  # the config the params select
    metrics: dict[str, float]  # metric name -> value (units: the family's `metrics`)
    what: str  # what it was measured on, e.g. "pitch (harmonic_tones)"
    learned: dict[str, object] | None = None  # what it learned (front-ends), else None


@dataclass(frozen=True)
class StoredModel:
    """A stored trial's trained model, what ``fftnas export`` writes."""

    model: torch.nn.Module  # (B, frame_length) float32 frames -> (B, n_classes) logits
    frontend: torch.nn.Module  # the model's front-end alone, (B, frame_length) -> (B, n_features)
    frame_length: int  # samples per input frame


class ExperimentFamily(abc.ABC):
    """One kind of search. Subclasses name their experiment dataclass and metrics and implement
    the five methods; ``check_sources`` is a hook (no-op)."""

    name: ClassVar[str]  # the experiment file's `family` value
    experiment_class: ClassVar[type]  # its frozen experiment dataclass
    metrics: ClassVar[dict[str, tuple[str, str]]]  # metric -> (unit shown in tables, better direction)

    @abc.abstractmethod
    def objective(
        self,
        experiment: Any,
        *,
        artifact_store: optuna.artifacts.FileSystemArtifactStore,
        device: torch.device,
    ) -> Callable[[optuna.Trial], tuple[float, ...]]:
        """The callable a worker hands to Optuna: one trial, end to end, its objective values."""

    @abc.abstractmethod
    def evaluate(self, experiment: Any, params: dict[str, Any], *, seed: int, device: torch.device) -> OneOff:
        """Train or fit the one candidate ``params`` select (every param checked)."""

    @abc.abstractmethod
    def reproduce(
        self,
        trial: optuna.trial.FrozenTrial,
        experiment: Any,
        *,
        device: str,
        artifact_store: optuna.artifacts.FileSystemArtifactStore | None,
        from_weights: bool,
    ) -> Reproduction:
        """Rebuild a complete trial's config from its params alone and measure it again."""

    @abc.abstractmethod
    def study_note(self, experiment: Any) -> list[str]:
        """The family's Markdown lines of the dashboard's study note (what is searched, on what)."""

    @abc.abstractmethod
    def reference_point(self, experiment: Any) -> dict[str, float | None]:
        """Objective metric -> the hypervolume reference value the family's rule derives from
        the experiment's search space and task (never from trials), in the metric's own units;
        None for a metric the rule cannot bound (the file's ``[hypervolume]`` must then set it).
        A trial counts towards the hypervolume only where it is strictly better than this in
        every objective."""

    def stored_model(
        self,
        trial: optuna.trial.FrozenTrial,
        experiment: Any,
        *,
        artifact_store: optuna.artifacts.FileSystemArtifactStore,
    ) -> StoredModel:
        """The trained model a trial stored, rebuilt from its weights (``fftnas export``);
        ``ConfigError`` naming the trial where there is none: here, always (a family whose trials
        train a model overrides this)."""
        why = f"trials of the {self.name} family train no model to export"
        raise ConfigError("--trial", trial.number, why)

    def check_sources(self, experiment: Any) -> None:
        """Raise ``ConfigError`` if data the experiment needs is missing (no-op here)."""

    def after_trial(self, experiment: Any, study: optuna.Study) -> None:
        """Called by a worker after each trial it finished (told to the storage): refresh the
        study's dashboard figures (no-op here)."""


def unit_interval_reference(direction: str) -> float:
    """The reference of a metric bounded by [0, 1] (a fraction, a 0/1 verdict): its worst end."""
    return 0.0 if direction == "maximize" else 1.0


def check_same_config(trial: optuna.trial.FrozenTrial, config_json: str) -> None:
    """Raise unless ``config_json`` (rebuilt from the trial's params) is the trial's stored config."""
    if config_json != trial.user_attrs["config"]:
        raise ConfigError(
            "--trial", trial.number, "its params no longer give its stored config (search space code changed)"
        )


FAMILIES: dict[str, ExperimentFamily] = {}


def register_family(family: ExperimentFamily) -> ExperimentFamily:
    """Register an experiment family under its ``name``."""
    if not isinstance(family, ExperimentFamily) or FAMILIES.get(family.name, family) is not family:
        raise ConfigError("family", family, "must be a new ExperimentFamily instance with a unique name")
    FAMILIES[family.name] = family
    return family


def family_named(name: object) -> ExperimentFamily:
    if name not in FAMILIES:
        raise ConfigError("family", name, f"must be one of {', '.join(FAMILIES)}")
    return FAMILIES[name]  # type: ignore[index]


def family_of(experiment: object) -> ExperimentFamily:
    """The family an experiment object belongs to."""
    return family_named(getattr(experiment, "family", None))


def reference_point_of(experiment: Any) -> dict[str, float | None]:
    """The experiment's hypervolume reference point, objective metric -> value in its own units:
    what the file's ``[hypervolume] reference_point`` sets, the family's rule for the rest (None
    where the family has none)."""
    given = dict(experiment.hypervolume.reference_point)
    if any(metric not in given for metric in experiment.metric_names):
        given = {**family_of(experiment).reference_point(experiment), **given}
    return {metric: given.get(metric) for metric in experiment.metric_names}
