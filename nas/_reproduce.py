"""Reproduce a stored trial from its params alone, or re-measure its saved weights."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import optuna
import torch

from fftlearn import ConfigError, config_to_json, load_checkpoint, resolve_device

from ._evaluate import evaluate_candidate, measure, suggest_for, task_data
from ._experiment import FactorizationExperiment
from ._fit_trial import fit_metrics, fitter_for, run_fit
from ._objective import WEIGHTS_ATTR
from ._study import study_experiment

TIMINGS = ("train_seconds", "latency_us", "seconds")


@dataclass(frozen=True)
class Reproduction:
    trial: int
    stored: dict[str, float]  # metric name -> value recorded by the trial
    reproduced: dict[str, float]  # metric name -> value measured now
    config: str  # the candidate config JSON (identical to the stored one)
    mode: str  # "retrain" or "weights"
    note: str | None = None  # why the figures may legitimately differ


def reproduce_trial(
    study: optuna.Study,
    *,
    trial_number: int,
    device: str,
    artifact_store: optuna.artifacts.FileSystemArtifactStore | None,
    from_weights: bool,
) -> Reproduction:
    """Rebuild trial ``trial_number``'s config with ``FixedTrial(params)`` and measure it again.

    Retraining uses the stored seed, data seed and torch thread count, so on the CPU the
    accuracy comes back exactly. With ``from_weights`` the saved weights are evaluated instead.
    """
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    if trial_number not in trials:
        raise ConfigError(
            "--trial", trial_number, f"no such trial in study {study.study_name!r} (0..{len(trials) - 1})"
        )
    trial = trials[trial_number]
    if trial.state != optuna.trial.TrialState.COMPLETE or "metrics" not in trial.user_attrs:
        raise ConfigError("--trial", trial_number, f"must be a complete trial (it is {trial.state.name})")
    experiment = study_experiment(study)
    if isinstance(experiment, FactorizationExperiment):
        return _refit(trial, experiment, from_weights=from_weights)
    candidate = suggest_for(optuna.trial.FixedTrial(trial.params), experiment)
    config = config_to_json(candidate)
    if config != trial.user_attrs["config"]:
        raise ConfigError(
            "--trial", trial_number, "its params no longer give its stored config (search space code changed)"
        )
    target = resolve_device(device)
    stored = dict(trial.user_attrs["metrics"])
    if from_weights:
        if artifact_store is None or WEIGHTS_ATTR not in trial.user_attrs:
            raise ConfigError("--from-weights", trial_number, "the trial has no stored weights")
        with tempfile.TemporaryDirectory(prefix="fftnas-weights-") as tmp:
            path = Path(tmp) / "weights.pt"
            optuna.artifacts.download_artifact(
                artifact_store=artifact_store, file_path=str(path), artifact_id=trial.user_attrs[WEIGHTS_ATTR]
            )
            model = load_checkpoint(path)
        if config_to_json(model.config) != config_to_json(candidate.model):
            raise ConfigError("--from-weights", trial_number, "the saved weights belong to another config")
        _, test_data = task_data(experiment.task, trial.user_attrs["data_seed"])
        _, reproduced = measure(model, test_data, device=target)
        return Reproduction(trial_number, stored, reproduced, config, "weights")
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(int(trial.user_attrs.get("torch_threads", previous_threads)))
    try:
        evaluation = evaluate_candidate(
            candidate,
            task=experiment.task,
            budget=experiment.budget,
            seed=int(trial.user_attrs["seed"]),
            data_seed=int(trial.user_attrs["data_seed"]),
            device=target,
        )
    finally:
        torch.set_num_threads(previous_threads)
    note = None
    if trial.user_attrs.get("stopped_by_time"):
        note = "the trial's training was cut short by budget.max_seconds, so a retrain may differ"
    return Reproduction(trial_number, stored, evaluation.metrics, config, "retrain", note)


def _refit(
    trial: optuna.trial.FrozenTrial, experiment: FactorizationExperiment, *, from_weights: bool
) -> Reproduction:
    """Refit a factorization trial from its params and seed (fits are deterministic)."""
    if from_weights:
        raise ConfigError(
            "--from-weights", trial.number, "applies to front-end studies only; a fit is refitted"
        )
    fitter = fitter_for(optuna.trial.FixedTrial(trial.params), experiment, seed=int(trial.user_attrs["seed"]))
    config = config_to_json(fitter)
    if config != trial.user_attrs["config"]:
        raise ConfigError(
            "--trial", trial.number, "its params no longer give its stored config (search space code changed)"
        )
    reproduced = fit_metrics(run_fit(experiment, fitter))
    return Reproduction(trial.number, dict(trial.user_attrs["metrics"]), reproduced, config, "refit")


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
    from ._report import _UNIT_HEADER, format_table

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
            [_UNIT_HEADER.get(name, name), f"{stored:.6g}", "-" if new is None else f"{new:.6g}", same]
        )
    how = {
        "retrain": "retrained from params and seed",
        "weights": "saved weights",
        "refit": "refitted from params and seed",
    }[result.mode]
    header = f"trial {result.trial} ({how})" + (f"\nnote: {result.note}" if result.note else "")
    return header + "\n" + format_table(["metric", "stored", "reproduced", "difference"], rows)
