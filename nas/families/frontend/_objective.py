"""One trial, end to end: suggest a candidate, evaluate it, record everything, return objectives."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

import optuna
import torch

from fftlearn import NonFiniteLossError, config_to_json, count_macs, save_checkpoint

from .._trial import package_versions, seed_trial_number, trial_seed, upload
from ._analysis import analyze
from ._evaluate import evaluate_in, suggest_for, task_data
from ._experiment import FrontEndExperiment

WEIGHTS_ATTR = "artifact.weights"
TRAIN_STEPS_ATTR = "train_steps"  # optimizer steps the trial's training took


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

    def __call__(self, trial: optuna.Trial) -> tuple[float, ...]:
        experiment = self.experiment
        seed = trial_seed(experiment.study.seed, seed_trial_number(trial))
        candidate = suggest_for(trial, experiment)
        for key, value in {
            "config": config_to_json(candidate),
            "seed": seed,
            "data_seed": experiment.study.seed,
            "device": str(self.device),
            "torch_threads": torch.get_num_threads(),
            "versions": package_versions(),
            "host": platform.node(),
            "process_id": os.getpid(),
        }.items():
            trial.set_user_attr(key, value)
        start = time.perf_counter()
        try:
            evaluation = evaluate_in(experiment, candidate, seed=seed, device=self.device)
        except NonFiniteLossError as error:
            trial.set_user_attr("fail_reason", str(error))
            raise
        trial.set_user_attr("metrics", evaluation.metrics)
        # the objective's MACs are expected under the routing; the worst case is one frame's most
        trial.set_user_attr("macs_expected", evaluation.metrics["macs"])
        trial.set_user_attr("macs_worst_case", float(count_macs(evaluation.model)))
        trial.set_user_attr("stopped_by_time", bool(evaluation.train and evaluation.train.stopped_by_time))
        if evaluation.train is not None:  # reproduce retrains exactly these steps, whatever the clock
            trial.set_user_attr(TRAIN_STEPS_ATTR, evaluation.train.steps)
        self._store_artifacts(trial, evaluation.model)
        trial.set_user_attr(
            "seconds", {"train": evaluation.metrics["train_seconds"], "trial": time.perf_counter() - start}
        )
        return tuple(evaluation.metrics[name] for name in experiment.metric_names)

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
            )
            for key, value in attributes.items():
                trial.set_user_attr(key, value)
            for name, picture in pictures.items():
                upload(trial, picture, name=name, mimetype="image/png", artifact_store=self.artifact_store)
