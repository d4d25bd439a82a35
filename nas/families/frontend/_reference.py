"""The front-end family's hypervolume reference point, derived from the experiment's search space
and task, never from trials (``FrontEndFamily.reference_point``).

Rule, per objective (a metric optimised against its better direction gets no rule):
- accuracy, raw_pitch_accuracy, raw_chroma_accuracy: 0 when maximised (1 when minimised);
- loss (minimised): ln(n_classes) nats, the cross-entropy of a uniform guess;
- macs, params (minimised): 1.1 x the largest count over the space's corner candidates (every
  range at its low and at its high end, every choice list at each value; ``searchspace.corners``),
  at most ``CORNERS_PER_KIND`` distinct models per front-end kind, evenly spaced over the kind's
  corners. Each is built and counted (``fftlearn.count_macs``: for a routed kind the worst case,
  router plus largest expert, which bounds the expected MACs a trial records).
- train_seconds, latency_us: none (the experiment file's ``[hypervolume]`` must give one).
"""

from __future__ import annotations

import functools
import json
import math

import numpy as np

from fftlearn import ModelConfig, build, config_to_json, count_macs, from_mapping, to_dict
from searchspace import FrontEndSpace, corners, suggest_candidate

from .._base import unit_interval_reference
from ._experiment import FrontEndExperiment

CORNERS_PER_KIND = 256  # distinct corner models built per front-end kind at most
MARGIN = 1.1  # the macs / params reference is this many times the largest corner's count
FRACTION_METRICS = ("accuracy", "raw_pitch_accuracy", "raw_chroma_accuracy")


def frontend_reference_point(experiment: FrontEndExperiment) -> dict[str, float | None]:
    """Metric -> reference value in the metric's units (None where no rule applies)."""
    point: dict[str, float | None] = {}
    for metric, direction in zip(experiment.metric_names, experiment.directions):
        point[metric] = None
        if metric in FRACTION_METRICS:
            point[metric] = unit_interval_reference(direction)
        elif metric == "loss" and direction == "minimize":
            point[metric] = math.log(experiment.task.n_classes)
        elif metric in ("macs", "params") and direction == "minimize":
            point[metric] = MARGIN * largest_corner_counts(experiment)[metric]
    return point


def largest_corner_counts(experiment: FrontEndExperiment) -> dict[str, float]:
    """``{"macs": ..., "params": ...}``: the largest MACs per example and trainable parameters
    over ``corner_models(experiment)`` (memoised per space and task shape)."""
    task = experiment.task
    space = json.dumps(to_dict(experiment.space), sort_keys=True)
    return dict(_largest_counts(space, task.frame_length, task.n_classes, task.sample_rate))


def corner_models(
    space: FrontEndSpace, *, frame_length: int, n_classes: int, sample_rate: int
) -> list[ModelConfig]:
    """The distinct models of the space's corner candidates, at most ``CORNERS_PER_KIND`` per
    front-end kind (evenly spaced over the kind's corners in their enumeration order)."""
    by_kind: dict[str, dict[str, ModelConfig]] = {}
    for candidate in corners(
        lambda trial: suggest_candidate(
            trial, space=space, frame_length=frame_length, n_classes=n_classes, sample_rate=sample_rate
        )
    ):
        model = candidate.model
        by_kind.setdefault(model.frontend.kind, {}).setdefault(config_to_json(model), model)
    chosen: list[ModelConfig] = []
    for models in by_kind.values():
        listed = list(models.values())
        picks = np.linspace(0, len(listed) - 1, min(len(listed), CORNERS_PER_KIND)).round().astype(int)
        chosen += [listed[i] for i in np.unique(picks)]
    return chosen


@functools.lru_cache(maxsize=16)
def _largest_counts(space_json: str, frame_length: int, n_classes: int, sample_rate: int) -> tuple:
    space = from_mapping(FrontEndSpace, json.loads(space_json))
    macs, params = 0, 0
    shape = {"frame_length": frame_length, "n_classes": n_classes, "sample_rate": sample_rate}
    for model in corner_models(space, **shape):
        module = build(model, seed=0)
        macs, params = max(macs, count_macs(module)), max(params, module.n_parameters())
    return (("macs", float(macs)), ("params", float(params)))
