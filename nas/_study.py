"""Studies: create or resume one for an experiment, load one by name, make its sampler; the
hypervolume reference point each study stores when it is created."""

from __future__ import annotations

import json
from typing import Any

import optuna
import optuna_dashboard

from fftlearn import ConfigError

from ._experiment import experiment_from_dict, experiment_to_dict
from ._specs import SamplerSpec
from .families import family_of, reference_point_of

EXPERIMENT_ATTR = "fftnas.experiment"
# {metric: value in the metric's units, or None}: the study's hypervolume reference point
REFERENCE_ATTR = "fftnas.hypervolume_reference"


WORKERS_ATTR = "fftnas:workers_started"


def register_worker(study: optuna.Study) -> int:
    """This worker's index among every worker ever started on ``study`` (0, 1, 2, ...).

    Call it under the study's lock. The index seeds the worker's sampler (``make_sampler``), so
    workers started on different machines never propose the same sequence of trials, while a
    study's first worker still uses the experiment's seed (seeded studies repeat exactly).
    """
    storage, study_id = study._storage, study._study_id
    index = int(storage.get_study_system_attrs(study_id).get(WORKERS_ATTR, 0))
    storage.set_study_system_attr(study_id, WORKERS_ATTR, index + 1)
    return index


def make_sampler(spec: SamplerSpec, *, worker_index: int = 0) -> optuna.samplers.BaseSampler:
    """The Optuna sampler named in ``spec``; worker ``i`` of a study is seeded ``seed + i``."""
    seed = spec.seed + worker_index
    if spec.name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    if spec.name == "gp":
        # GP models only the parameters every trial has; `sampler_note` says so once per run.
        return optuna.samplers.GPSampler(seed=seed, warn_independent_sampling=False)
    if spec.name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def sampler_note(spec: SamplerSpec) -> str | None:
    """A one-time note about how ``spec``'s sampler treats the conditional front-end space."""
    if spec.name != "gp":
        return None
    return (
        "the gp sampler models only the parameters every candidate has (frontend, head.depth, "
        "optimizer.*); the per-front-end settings and head.width are sampled at random"
    )


def study_names(storage: optuna.storages.BaseStorage) -> list[str]:
    return [s.study_name for s in storage.get_all_studies()]


def create_or_resume_study(
    experiment: Any,
    *,
    storage: optuna.storages.BaseStorage,
    study_name: str | None = None,
) -> optuna.Study:
    """The study for ``experiment``: created with its directions and metric names, or resumed.

    Resuming checks that the stored study was made from the same objectives, task, space and
    budget; anything else raises ``ConfigError`` before a trial is added. The hypervolume
    reference point (``reference_point_of``) is stored when the study is created, so every
    worker reads the same one; a resumed study keeps it (one made before fftnas stored it gets
    it now). Call it under the study's lock.
    """
    name = study_name or experiment.study.name
    if name in study_names(storage):
        study = optuna.load_study(study_name=name, storage=storage)
        _check_resumable(study, experiment)
    else:
        study = optuna.create_study(
            study_name=name, storage=storage, directions=experiment.directions, load_if_exists=True
        )
        if EXPERIMENT_ATTR not in study.user_attrs:
            study.set_metric_names(experiment.metric_names)
            study.set_user_attr(REFERENCE_ATTR, reference_point_of(experiment))
            study.set_user_attr(EXPERIMENT_ATTR, experiment_to_dict(experiment))
            optuna_dashboard.save_note(study, experiment_note(experiment))
        else:
            _check_resumable(study, experiment)
    if REFERENCE_ATTR not in study.user_attrs:
        study.set_user_attr(REFERENCE_ATTR, reference_point_of(experiment))
    return study


def experiment_note(experiment: Any) -> str:
    """A Markdown summary of the experiment for the dashboard's study note.

    (The dashboard cuts attribute values at 1024 characters; the note shows the whole search.)
    """
    objectives = ", ".join(f"{o.metric} ({o.direction})" for o in experiment.objectives)
    lines = [f"## {experiment.study.name}", "", f"Objectives: {objectives}"]
    lines += family_of(experiment).study_note(experiment)
    lines += ["", "Reproduce any trial: `fftnas reproduce --study NAME --trial N`."]
    return "\n".join(lines)


def stored_experiment(stored: dict[str, Any]) -> Any:
    """The experiment a study stored, read as it was meant when it was stored: a front-end
    study stored before learning curves existed (no ``budget.validation_fraction``) trained on
    the whole training split, so it reads as ``validation_fraction = 0``."""
    budget = stored.get("budget")
    if stored.get("family", "frontend") == "frontend" and isinstance(budget, dict):
        if "validation_fraction" not in budget:
            stored = {**stored, "budget": {**budget, "validation_fraction": 0.0}}
    return experiment_from_dict(stored)


def _check_resumable(study: optuna.Study, experiment: Any) -> None:
    stored = study.user_attrs.get(EXPERIMENT_ATTR)
    if stored is None:
        raise ConfigError(
            "study", study.study_name, "exists but was not made by fftnas; pick another --study-name"
        )
    old = stored_experiment(stored).search_definition()
    new = experiment.search_definition()
    for key in old:
        if old[key] != new[key]:
            raise ConfigError(
                key,
                _short(new[key]),
                f"differs from study {study.study_name!r} (stored: {_short(old[key])}); "
                "use the same experiment or a new --study-name",
            )


def _short(value: object) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def load_study(storage: optuna.storages.BaseStorage, name: str | None) -> optuna.Study:
    """An existing study by name; without a name, the storage's only study."""
    names = study_names(storage)
    if name is None:
        if len(names) != 1:
            raise ConfigError("--study", None, f"name one of the studies: {', '.join(names) or '(none)'}")
        name = names[0]
    if name not in names:
        raise ConfigError("--study", name, f"no such study; known: {', '.join(names) or '(none)'}")
    return optuna.load_study(study_name=name, storage=storage)


def study_experiment(study: optuna.Study) -> Any:
    """The experiment a study was created from (stored with the study)."""
    stored = study.user_attrs.get(EXPERIMENT_ATTR)
    if stored is None:
        raise ConfigError("--study", study.study_name, "was not made by fftnas (no stored experiment)")
    return stored_experiment(stored)


def study_reference_point(study: optuna.Study) -> dict[str, float | None]:
    """The hypervolume reference point stored with ``study`` (metric -> value in its units, None
    where nothing sets one); for a study made before fftnas stored it, derived from the stored
    experiment without writing anything."""
    stored = study.user_attrs.get(REFERENCE_ATTR)
    return dict(stored) if stored is not None else reference_point_of(study_experiment(study))
