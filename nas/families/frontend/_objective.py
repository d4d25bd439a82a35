"""One trial, end to end: suggest a candidate, evaluate it, record everything, return objectives."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import optuna
import torch

from fftlearn import NonFiniteLossError, config_to_json, count_macs, save_checkpoint
from fftlearn.training import precision_on

from ..._curve_figures import curve_picture
from ..._curves import CURVE_ATTR, PRUNED_EPOCH_ATTR
from .._trial import package_versions, seed_trial_number, trial_seed, upload
from ._analysis import analyze
from ._evaluate import Evaluation, evaluate_in, suggest_for, task_data
from ._experiment import FrontEndExperiment

WEIGHTS_ATTR = "artifact.weights"
TRAIN_STEPS_ATTR = "train_steps"  # optimizer steps the trial's training took


def figure_metric(experiment: FrontEndExperiment) -> str:
    """The validation metric the study's learning-curve figure shows: the first maximised
    objective (accuracy or raw pitch/chroma accuracy), else accuracy."""
    maximised = [o.metric for o in experiment.objectives if o.direction == "maximize"]
    return maximised[0] if maximised and maximised[0] != "train_seconds" else "accuracy"


class FrontEndObjective:
    """The callable handed to ``study.optimize``: returns the experiment's objective values."""

    def __init__(
        self,
        experiment: FrontEndExperiment,
        *,
        artifact_store: optuna.artifacts.FileSystemArtifactStore,
        device: torch.device,
    ) -> None:
        self.experiment = experiment
        self.artifact_store = artifact_store
        self.device = device
        self.pruner = experiment.make_pruner()

    def __call__(self, trial: optuna.Trial) -> tuple[float, ...]:
        experiment = self.experiment
        seed = trial_seed(experiment.study.seed, seed_trial_number(trial))
        candidate = suggest_for(trial, experiment)
        for key, value in {
            "config": config_to_json(candidate),
            "seed": seed,
            "data_seed": experiment.study.seed,
            "device": str(self.device),
            "precision": precision_on(experiment.budget.precision, device=self.device),  # what runs here
            "torch_threads": torch.get_num_threads(),
            "versions": package_versions(),
            "host": platform.node(),
            "process_id": os.getpid(),
        }.items():
            trial.set_user_attr(key, value)
        trial.set_user_attr(CURVE_ATTR, None)  # a retry starts its own curve
        start = time.perf_counter()
        try:
            evaluation = evaluate_in(
                experiment, candidate, seed=seed, device=self.device, on_curve=self._on_curve(trial)
            )
        except NonFiniteLossError as error:
            trial.set_user_attr("fail_reason", str(error))
            raise
        if evaluation.stopped_early:
            self._stop(trial, evaluation, seconds=time.perf_counter() - start)
        trial.set_user_attr("metrics", evaluation.metrics)
        # the objective's MACs are expected under the routing; the worst case is one frame's most
        trial.set_user_attr("macs_expected", evaluation.metrics["macs"])
        trial.set_user_attr("macs_worst_case", float(count_macs(evaluation.model)))
        trial.set_user_attr("stopped_by_time", bool(evaluation.train and evaluation.train.stopped_by_time))
        if evaluation.train is not None:  # reproduce retrains exactly these steps, whatever the clock
            trial.set_user_attr(TRAIN_STEPS_ATTR, evaluation.train.steps)
        self._store_artifacts(trial, evaluation.model)
        self._store_curve(trial, evaluation.curve)
        trial.set_user_attr(
            "seconds", {"train": evaluation.metrics["train_seconds"], "trial": time.perf_counter() - start}
        )
        return tuple(evaluation.metrics[name] for name in experiment.metric_names)

    def _on_curve(self, trial: optuna.Trial) -> Callable[[dict], bool]:
        """After each epoch: store the curve so far, then ask the pruner (which reads every
        trial's curve from the storage) whether to go on."""

        def on_curve(curve: dict) -> bool:
            trial.set_user_attr(CURVE_ATTR, curve)
            return not self.pruner.should_stop(trial.study, trial.number, epoch=curve["epoch"][-1])

        return on_curve

    def _stop(self, trial: optuna.Trial, evaluation: Evaluation, *, seconds: float) -> NoReturn:
        """Record a trial the pruner stopped and end it PRUNED (``optuna.TrialPruned``)."""
        epoch = evaluation.train.epochs
        trial.set_user_attr(PRUNED_EPOCH_ATTR, epoch)
        trial.set_user_attr(TRAIN_STEPS_ATTR, evaluation.train.steps)
        trial.set_user_attr("seconds", {"train": evaluation.train.seconds, "trial": seconds})
        self._store_curve(trial, evaluation.curve)
        raise optuna.TrialPruned(f"stopped by pruner {self.experiment.pruner.name!r} after epoch {epoch}")

    def _store_curve(self, trial: optuna.Trial, curve: dict | None) -> None:
        """The curve's picture as an artifact (the study figure is redrawn once the trial is
        told: ``FrontEndFamily.after_trial``)."""
        if curve is None:
            return
        with tempfile.TemporaryDirectory(prefix="fftnas-curve-") as tmp:
            picture = curve_picture(
                curve, Path(tmp) / f"trial-{trial.number}-learning-curve.png", title=f"trial {trial.number}"
            )
            store = self.artifact_store
            upload(trial, picture, name="learning_curve", mimetype="image/png", artifact_store=store)

    def _store_artifacts(self, trial: optuna.Trial, model: torch.nn.Module) -> None:
        """Weights, and what the trial learned (user attributes and pictures)."""
        task = self.experiment.task
        _, test_data = task_data(task, self.experiment.study.seed)
        with tempfile.TemporaryDirectory(prefix="fftnas-trial-") as tmp:
            weights = save_checkpoint(Path(tmp) / f"trial-{trial.number}-weights.pt", model)
            upload(
                trial,
                weights,
                name="weights",
                mimetype="application/octet-stream",
                artifact_store=self.artifact_store,
            )
            attributes, pictures = analyze(
                model,
                test_data=test_data,
                sample_rate=task.sample_rate,
                device=self.device,
                folder=Path(tmp),
                label=f"trial {trial.number}",
                precision=self.experiment.budget.precision,
            )
            for key, value in attributes.items():
                trial.set_user_attr(key, value)
            for name, picture in pictures.items():
                upload(trial, picture, name=name, mimetype="image/png", artifact_store=self.artifact_store)
