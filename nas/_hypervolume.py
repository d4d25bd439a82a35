"""Hypervolume of a study's trials against the reference point stored with the study.

The hypervolume is computed by Optuna (``optuna._hypervolume.compute_hypervolume``, which
minimises) in a transformed objective space: metrics that span decades (``LOG_METRICS``: macs,
params, nnz, ops, relative_error, rmse) enter as log10 of their value (clamped at ``LOG_FLOOR``
so an exact 0 stays finite), the others linearly, and maximised objectives are negated. The
reference point is given in each metric's own units and transformed the same way. A point that
is not strictly better than the reference in every objective adds nothing. So the hypervolume's
unit is the product of the objectives' units, decades for the log10 ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import optuna
import optuna_dashboard
from optuna._hypervolume import compute_hypervolume

from fftlearn import ConfigError

from ._study import EXPERIMENT_ATTR, REFERENCE_ATTR, study_reference_point

LOG_METRICS = frozenset(
    {"macs", "params", "nnz", "ops", "ops_cheap_eighth_roots", "ops_as_fitted", "relative_error", "rmse"}
)
LOG_FLOOR = 1e-300  # log10 input floor: an exact 0 error counts as 1e-300


class HypervolumeUnavailable(Exception):
    """A study's hypervolume cannot be computed; ``str()`` is the ``n/a (why)`` to print."""


class HypervolumeRow(NamedTuple):
    """The hypervolume after one finished trial."""

    trial: int  # trial number
    seconds: float  # the trial's completion time, seconds after the study's first trial started
    hypervolume: float  # of every complete trial finished so far (transformed units)

HYPERVOLUME_FIGURE = "hypervolume"  # graph object id of the dashboard figure


def loss_space(values: np.ndarray, *, metrics: Sequence[str], directions: Sequence[str]) -> np.ndarray:
    """``values`` ``(n, m)`` in metric units -> ``(n, m)`` to minimise: log10 for ``LOG_METRICS``,
    negated where maximised."""
    points = np.array(values, dtype=float, ndmin=2)
    if points.ndim != 2 or points.shape[1] != len(metrics) or len(directions) != len(metrics):
        raise ConfigError(
            "values", points.shape, f"must be (n, {len(metrics)}): one column per metric and direction"
        )
    for column, (metric, direction) in enumerate(zip(metrics, directions)):
        if direction not in ("maximize", "minimize"):
            raise ConfigError(f"directions[{column}]", direction, "must be 'maximize' or 'minimize'")
        if metric in LOG_METRICS:
            points[:, column] = np.log10(np.maximum(points[:, column], LOG_FLOOR))
        if direction == "maximize":
            points[:, column] = -points[:, column]
    return points


def hypervolume(
    values: np.ndarray, *, metrics: Sequence[str], directions: Sequence[str], reference: Sequence[float]
) -> float:
    """The hypervolume of the points ``values`` ``(n, m)`` (metric units; objective ``j`` is
    ``metrics[j]``, optimised in ``directions[j]``) against ``reference`` (``m`` values in metric
    units), in the transformed space of the module docstring."""
    point = np.array(reference, dtype=float)
    if point.shape != (len(metrics),) or not np.all(np.isfinite(point)):
        raise ConfigError("reference", list(reference), f"must be {len(metrics)} finite numbers")
    bound = loss_space(point, metrics=metrics, directions=directions)[0]
    points = loss_space(values, metrics=metrics, directions=directions)
    inside = points[np.all(points < bound, axis=1)]
    return float(compute_hypervolume(inside, bound))


def study_objectives(study: optuna.Study) -> tuple[list[str], list[str], list[float]]:
    """(metrics, directions, reference in metric units) of ``study``; ``HypervolumeUnavailable``
    when the study was not made by fftnas or a metric has no reference value."""
    if EXPERIMENT_ATTR not in study.user_attrs and REFERENCE_ATTR not in study.user_attrs:
        raise HypervolumeUnavailable("n/a (not an fftnas study: no reference point)")
    stored = study_reference_point(study)
    metrics = study.metric_names or list(stored)
    reference = []
    for metric in metrics:
        value = stored.get(metric)
        if value is None:
            raise HypervolumeUnavailable(
                f"n/a (no reference point for {metric}: set [hypervolume] reference_point)"
            )
        reference.append(float(value))
    return metrics, [d.name.lower() for d in study.directions], reference


def study_hypervolume(study: optuna.Study) -> float:
    """The hypervolume of every complete trial of ``study`` (``HypervolumeUnavailable`` if none)."""
    metrics, directions, reference = study_objectives(study)
    values = [t.values for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))]
    points = np.array(values, dtype=float).reshape(len(values), len(metrics))
    return hypervolume(points, metrics=metrics, directions=directions, reference=reference)


def hypervolume_history(study: optuna.Study) -> list[HypervolumeRow]:
    """The hypervolume after each complete trial, in order of completion (``datetime_complete``,
    then number); seconds count from the earliest start of any trial of the study. Pruned and
    failed trials add no point. Raises ``HypervolumeUnavailable`` (see ``study_objectives``)."""
    metrics, directions, reference = study_objectives(study)
    trials = study.get_trials(deepcopy=False)
    done = sorted(
        (t for t in trials if t.state == optuna.trial.TrialState.COMPLETE and t.datetime_complete),
        key=lambda t: (t.datetime_complete, t.number),
    )
    if not done:
        return []
    start = min(t.datetime_start for t in trials if t.datetime_start is not None)
    bound = loss_space(np.array(reference), metrics=metrics, directions=directions)[0]
    points = loss_space(np.array([t.values for t in done]), metrics=metrics, directions=directions)
    front, value, rows = np.empty((0, len(metrics))), 0.0, []
    for trial, point in zip(done, points):
        if np.all(point < bound) and not np.any(np.all(front <= point, axis=1)):
            front = np.vstack([front[~np.all(point <= front, axis=1)], point])  # the new Pareto front
            value = float(compute_hypervolume(front, bound, assume_pareto=True))
        rows.append(HypervolumeRow(trial.number, (trial.datetime_complete - start).total_seconds(), value))
    return rows


def describe_reference(metrics: Sequence[str], reference: Sequence[float | None]) -> str:
    """``reference accuracy=0, macs=4.125e+06; log10 for macs`` (metric units)."""
    text = "reference " + ", ".join(
        f"{m}={'none' if v is None else f'{v:.4g}'}" for m, v in zip(metrics, reference)
    )
    logged = [m for m in metrics if m in LOG_METRICS]
    return text + (f"; log10 for {', '.join(logged)}" if logged else "")


def hypervolume_summary(study: optuna.Study) -> str:
    """``0.8421 (reference accuracy=0, macs=4.125e+06; log10 for macs)``, or ``n/a (why)``."""
    try:
        metrics, _, reference = study_objectives(study)
        return f"{study_hypervolume(study):.6g} ({describe_reference(metrics, reference)})"
    except HypervolumeUnavailable as why:
        return str(why)


def reference_note(study: optuna.Study, experiment: Any) -> str | None:
    """A note when the experiment file's ``[hypervolume]`` values differ from those ``study``
    stored when it was created (the stored ones stay), else None."""
    stored = study.user_attrs.get(REFERENCE_ATTR) or {}
    changed = [m for m, v in experiment.hypervolume.reference_point if stored.get(m) != v]
    if not changed:
        return None
    return (
        f"the study keeps the hypervolume reference point it stored when it was created "
        f"({describe_reference(list(stored), list(stored.values()))}); the file's value for "
        f"{', '.join(changed)} is not used"
    )


def save_hypervolume_figure(study: optuna.Study) -> None:
    """Save (replacing the last one) the dashboard figure ``hypervolume``: the hypervolume after
    each finished trial against wall-clock seconds since the study began, the trial number on
    hover, the reference point in the title. A study without a complete reference point gets
    an empty figure whose title says why."""
    try:
        metrics, _, reference = study_objectives(study)
        rows = hypervolume_history(study)
        title = f"Hypervolume ({describe_reference(metrics, reference)})"
    except HypervolumeUnavailable as why:
        rows, title = [], f"Hypervolume: {why}"
    import plotly.graph_objects as go

    trace = go.Scatter(
        x=[float(f"{row.seconds:.6g}") for row in rows],
        y=[float(f"{row.hypervolume:.6g}") for row in rows],
        customdata=[row.trial for row in rows],
        mode="lines+markers",
        line_shape="hv",  # the hypervolume holds its value until the next trial finishes
        hovertemplate="trial %{customdata}<br>%{x:.1f} s<br>hypervolume %{y:.6g}<extra></extra>",
    )
    figure = go.Figure(trace)
    figure.update_layout(
        template="none",  # the default template alone is ~6.5 kB, rewritten after every trial
        title=title, xaxis_title="wall-clock seconds since the study began (s)", yaxis_title="hypervolume"
    )
    optuna_dashboard.save_plotly_graph_object(study, figure, graph_object_id=HYPERVOLUME_FIGURE)
