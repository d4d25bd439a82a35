"""The front-end family: learned and fixed front-ends trained on an audio task."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

import optuna
import torch

from fftlearn import (
    CandidateConfig,
    ConfigError,
    config_from_json,
    config_to_json,
    load_checkpoint,
    resolve_device,
    to_dict,
)
from fftlearn.data import check_sources
from fftlearn.training import precision_on

from ..._curve_figures import save_curves_figure
from ..._curves import CURVE_ATTR, PRUNED_EPOCH_ATTR
from ..._params import config_from_params
from .._base import (
    ExperimentFamily,
    OneOff,
    Reproduction,
    StoredModel,
    check_same_config,
    register_family,
)
from ._analysis import analyze
from ._evaluate import Evaluation, evaluate_candidate, evaluate_in, measure, suggest_for, task_data
from ._experiment import FRONTEND_METRICS, FrontEndExperiment
from ._objective import TRAIN_STEPS_ATTR, WEIGHTS_ATTR, FrontEndObjective, figure_metric
from ._reference import frontend_reference_point


class FrontEndFamily(ExperimentFamily):
    """Trials train a front-end + head on the task and measure it on held-out frames."""

    name = "frontend"
    experiment_class = FrontEndExperiment
    metrics = FRONTEND_METRICS

    def objective(self, experiment: FrontEndExperiment, *, artifact_store, device) -> FrontEndObjective:
        return FrontEndObjective(experiment, artifact_store=artifact_store, device=device)

    def check_sources(self, experiment: FrontEndExperiment) -> None:
        check_sources(experiment.task.data)

    def after_trial(self, experiment: FrontEndExperiment, study: optuna.Study) -> None:
        """The study's learning-curve figure, redrawn from the storage."""
        if experiment.budget.validation_fraction > 0:
            save_curves_figure(study, metric=figure_metric(experiment))

    def evaluate(
        self, experiment: FrontEndExperiment, params: dict[str, Any], *, seed: int, device: torch.device
    ) -> OneOff:
        candidate = config_from_params(params, lambda trial: suggest_for(trial, experiment), what="candidate")
        evaluation = evaluate_in(experiment, candidate, seed=seed, device=device)
        what = f"{experiment.task.name} ({experiment.task.data.kind})"
        return OneOff(candidate, evaluation.metrics, what, learned(experiment, evaluation, device=device))

    def reproduce(
        self,
        trial: optuna.trial.FrozenTrial,
        experiment: FrontEndExperiment,
        *,
        device: str,
        artifact_store: optuna.artifacts.FileSystemArtifactStore | None,
        from_weights: bool,
    ) -> Reproduction:
        """Retrain with the stored seed, data seed and torch thread count, taking exactly the
        optimizer steps the trial recorded (``budget.max_seconds`` is not applied: a trial the
        time cap stopped is retrained to the same step on any machine), so on the CPU the
        accuracy comes back exactly; or with ``from_weights`` evaluate the saved weights."""
        candidate = suggest_for(optuna.trial.FixedTrial(trial.params), experiment)
        config = config_to_json(candidate)
        check_same_config(trial, config)
        target = resolve_device(device)
        here = precision_on(experiment.budget.precision, device=target)
        if trial.state == optuna.trial.TrialState.PRUNED:
            if from_weights:
                raise ConfigError("--from-weights", trial.number, "a pruned trial stores no weights")
            return _reproduce_pruned(trial, experiment, candidate, device=target)
        stored = dict(trial.user_attrs["metrics"])
        if from_weights:
            if artifact_store is None or WEIGHTS_ATTR not in trial.user_attrs:
                raise ConfigError("--from-weights", trial.number, "the trial has no stored weights")
            model = _download_weights(artifact_store, trial.user_attrs[WEIGHTS_ATTR])
            if config_to_json(model.config) != config_to_json(candidate.model):
                raise ConfigError(
                    "--from-weights", trial.number, "the saved weights belong to another config"
                )
            _, test_data = task_data(experiment.task, trial.user_attrs["data_seed"])
            _, reproduced = measure(model, test_data, device=target, precision=experiment.budget.precision)
            note = _precision_note(trial, here)
            return Reproduction(trial.number, stored, reproduced, config, "weights", note)
        reproduced = _retrain(trial, experiment, candidate, device=target).metrics
        notes = [n for n in (_retrain_note(trial), _precision_note(trial, here)) if n]
        return Reproduction(trial.number, stored, reproduced, config, "retrain", "; ".join(notes) or None)

    def stored_model(
        self,
        trial: optuna.trial.FrozenTrial,
        experiment: FrontEndExperiment,
        *,
        artifact_store: optuna.artifacts.FileSystemArtifactStore,
    ) -> StoredModel:
        """The complete trial's model from its checkpoint (``artifact.weights``), checked to be
        the trial's stored config; ``ConfigError`` for a trial without one (pruned, failed)."""
        weights = trial.user_attrs.get(WEIGHTS_ATTR)
        if trial.state != optuna.trial.TrialState.COMPLETE or weights is None:
            why = f"trial {trial.number} is {trial.state.name} and stored no weights (complete trials do)"
            raise ConfigError("--trial", trial.number, why)
        try:
            model = _download_weights(artifact_store, weights)
        except ConfigError:
            raise
        except Exception as error:  # the artifact store lost the file
            why = f"its weights (artifact {weights}) cannot be read: {type(error).__name__}"
            raise ConfigError("--trial", trial.number, why) from None
        stored = config_from_json(trial.user_attrs["config"])
        if config_to_json(model.config) != config_to_json(stored.model):
            raise ConfigError("--trial", trial.number, "its saved weights belong to another config")
        return StoredModel(model, model.frontend, experiment.task.frame_length)

    def reference_point(self, experiment: FrontEndExperiment) -> dict[str, float | None]:
        """The rule of ``_reference``: fractions 0, loss ln(n_classes), MACs and parameters 1.1 x
        the largest of the space's corner candidates."""
        return frontend_reference_point(experiment)

    def study_note(self, experiment: FrontEndExperiment) -> list[str]:
        task, space = experiment.task, to_dict(experiment)["space"]
        lines = [
            f"Task: {task.name} on `{task.data.kind}` ({task.n_classes} classes, "
            f"{task.frame_length}-sample frames at {task.sample_rate} Hz)",
            f"Sampler: {experiment.sampler.name} (seed {experiment.sampler.seed}); data seed {experiment.study.seed}",
            f"Budget: {json.dumps(to_dict(experiment.budget))}",
            f"Pruner: {json.dumps(to_dict(experiment.pruner))}",
            "",
            "| searched | settings |",
            "| --- | --- |",
        ]
        lines += [
            f"| {kind} | `{json.dumps(space[kind])}` |"
            for kind in (*experiment.space.frontends, "head", "optimizer")
        ]
        return lines


def _reproduce_pruned(
    trial: optuna.trial.FrozenTrial,
    experiment: FrontEndExperiment,
    candidate: CandidateConfig,
    *,
    device: torch.device,
) -> Reproduction:
    """Retrain a pruned trial to the step it was stopped at and compare the last point of its
    learning curve (validation metrics and training loss at that epoch)."""
    epoch = int(trial.user_attrs[PRUNED_EPOCH_ATTR])
    stored = _curve_end(trial.user_attrs[CURVE_ATTR], epoch)
    reproduced = _curve_end(_retrain(trial, experiment, candidate, device=device).curve, epoch)
    note = f"the pruner stopped the trial after epoch {epoch}: compared on the validation split there"
    return Reproduction(trial.number, stored, reproduced, config_to_json(candidate), "retrain", note)


def _curve_end(curve: dict, epoch: int) -> dict[str, float]:
    """A learning curve's values at ``epoch``: each validation metric and the training loss."""
    index = curve["epoch"].index(epoch)
    values = {f"validation {name}": series[index] for name, series in curve["validation"].items()}
    return {**values, "train_loss": curve["train_loss"][index]}


def _retrain(
    trial: optuna.trial.FrozenTrial,
    experiment: FrontEndExperiment,
    candidate: CandidateConfig,
    *,
    device: torch.device,
) -> Evaluation:
    """Train ``candidate`` as ``trial`` did (seeds, threads, its recorded steps) and measure it."""
    budget, steps = experiment.budget, trial.user_attrs.get(TRAIN_STEPS_ATTR)
    if steps is not None:  # the recorded steps decide, never this machine's clock
        budget = dataclasses.replace(budget, max_seconds=0.0)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(int(trial.user_attrs.get("torch_threads", previous_threads)))
    try:
        evaluation = evaluate_candidate(
            candidate,
            task=experiment.task,
            budget=budget,
            seed=int(trial.user_attrs["seed"]),
            data_seed=int(trial.user_attrs["data_seed"]),
            device=device,
            max_steps=None if steps is None else int(steps),
            objectives=experiment.metric_names,
        )
    finally:
        torch.set_num_threads(previous_threads)
    return evaluation


def _retrain_note(trial: optuna.trial.FrozenTrial) -> str | None:
    """What a reader of a retrain of a time-capped trial should know, or None."""
    if not trial.user_attrs.get("stopped_by_time"):
        return None
    steps = trial.user_attrs.get(TRAIN_STEPS_ATTR)
    if steps is None:  # recorded before fftnas stored the steps
        return "the trial's training was cut short by budget.max_seconds, so a retrain may differ"
    return (
        f"the trial's training was cut short by budget.max_seconds after {steps} optimizer step(s); "
        "the retrain took exactly as many (only its timings differ)"
    )


def _precision_note(trial: optuna.trial.FrozenTrial, here: str) -> str | None:
    """Said when the trial ran in another precision than ``here``, the one this reproduction
    runs in (``budget.precision = "bfloat16"`` runs float32 on the CPU), else None."""
    ran = trial.user_attrs.get("precision", "float32")  # trials before the option ran float32
    if ran == here:
        return None
    return f"the trial ran in {ran} and this reproduction in {here}: metrics differ by rounding"


def _download_weights(artifact_store: optuna.artifacts.FileSystemArtifactStore, artifact_id: str) -> Any:
    with tempfile.TemporaryDirectory(prefix="fftnas-weights-") as tmp:
        path = Path(tmp) / "weights.pt"
        optuna.artifacts.download_artifact(
            artifact_store=artifact_store, file_path=str(path), artifact_id=artifact_id
        )
        return load_checkpoint(path)


def learned(
    experiment: FrontEndExperiment, evaluation: Evaluation, *, device: torch.device
) -> dict[str, object]:
    """What a trial records about what it learned (harmonic scores, frame bounds, and for
    experts the expert shares and routing purity), for a one-off evaluation."""
    _, test_data = task_data(experiment.task, experiment.study.seed)
    with tempfile.TemporaryDirectory(prefix="fftnas-evaluate-") as tmp:
        attributes, _ = analyze(
            evaluation.model,
            test_data=test_data,
            sample_rate=experiment.task.sample_rate,
            device=device,
            folder=Path(tmp),
            label="evaluate",
            precision=experiment.budget.precision,
        )
    return attributes


FRONTEND_FAMILY = register_family(FrontEndFamily())
