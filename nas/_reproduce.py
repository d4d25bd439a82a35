"""Reproduce a stored trial from its params alone, or re-measure its saved weights."""

from __future__ import annotations

import json

import optuna

from fftlearn import ConfigError

from ._curves import PRUNED_EPOCH_ATTR
from ._report import UNIT_HEADER, format_table
from ._study import study_experiment
from .families import Reproduction, family_of

TIMINGS = ("train_seconds", "latency_us", "seconds")


def reproduce_trial(
    study: optuna.Study,
    *,
    trial_number: int,
    device: str,
    artifact_store: optuna.artifacts.FileSystemArtifactStore | None,
    from_weights: bool,
) -> Reproduction:
    """Rebuild trial ``trial_number``'s config with ``FixedTrial(params)`` and measure it again
    (its family says how: retrain, evaluate saved weights, or refit)."""
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    if trial_number not in trials:
        raise ConfigError(
            "--trial", trial_number, f"no such trial in study {study.study_name!r} (0..{len(trials) - 1})"
        )
    trial = trials[trial_number]
    state = optuna.trial.TrialState
    complete = trial.state == state.COMPLETE and "metrics" in trial.user_attrs
    stopped = trial.state == state.PRUNED and PRUNED_EPOCH_ATTR in trial.user_attrs
    if not (complete or stopped):
        raise ConfigError(
            "--trial", trial_number, f"must be a complete or pruned trial (it is {trial.state.name})"
        )
    experiment = study_experiment(study)
    return family_of(experiment).reproduce(
        trial, experiment, device=device, artifact_store=artifact_store, from_weights=from_weights
    )


def format_reproduction(result: Reproduction, *, as_json: bool) -> str:
    if as_json:
        return json.dumps(
            {
                "trial": result.trial,
                "mode": result.mode,
                "note": result.note,
                "stored": result.stored,
                "reproduced": result.reproduced,
            },
            indent=2,
        )
    rows = []
    for name, stored in result.stored.items():
        new = result.reproduced.get(name)
        if new is None:
            same = "not measured"
        elif name in TIMINGS:
            same = "timing, not reproducible"
        else:
            same = "exact" if new == stored else f"{new - stored:+.3g}"
        rows.append(
            [UNIT_HEADER.get(name, name), f"{stored:.6g}", "-" if new is None else f"{new:.6g}", same]
        )
    how = {
        "retrain": "retrained from params and seed",
        "weights": "saved weights",
        "refit": "refitted from params and seed",
    }[result.mode]
    header = f"trial {result.trial} ({how})" + (f"\nnote: {result.note}" if result.note else "")
    return header + "\n" + format_table(["metric", "stored", "reproduced", "difference"], rows)
