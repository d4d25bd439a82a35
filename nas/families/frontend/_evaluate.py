"""The evaluator: train one candidate on the task and measure it.

``evaluate_candidate`` is the same code for a search trial, ``fftnas evaluate`` and
``fftnas reproduce``: data from ``data_seed``, initial weights and batch order from ``seed``.
The training split loses ``budget.validation_fraction`` of its frames to a validation split
(drawn by ``data_seed``, the same for every trial), scored after every epoch into the learning
curve (``nas._curves``); the held-out test split is scored once, at the end.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from fftlearn import (
    CandidateConfig,
    FrontEndClassifier,
    TaskConfig,
    TrainConfig,
    build,
    evaluate_classifier,
    make_task_data,
    train_classifier,
)
from fftlearn.data import LabelledFrames, raw_chroma_accuracy, raw_pitch_accuracy, split_validation
from fftlearn.training import EpochEnd, EvalResult, TrainResult, on_device, precision_context
from searchspace import TrialLike, suggest_candidate

from ..._curves import add_point, new_curve
from ._experiment import FrontEndExperiment

BATCH = 1024  # test frames run through the model at a time (routing, expected MACs)


@dataclass(frozen=True)
class Evaluation:
    """A trained candidate and what was measured."""

    model: FrontEndClassifier
    train: TrainResult | None  # None when the weights were loaded, not trained
    test: EvalResult | None  # None when training was stopped early (never scored on test)
    metrics: dict[str, float]  # see FRONTEND_METRICS for names and units; {} when stopped early
    curve: dict | None = None  # the learning curve (``nas._curves``); None without validation

    @property
    def stopped_early(self) -> bool:
        return self.train is not None and self.train.stopped_early


def suggest_for(trial: TrialLike, experiment: FrontEndExperiment) -> CandidateConfig:
    """The candidate ``trial`` picks from the experiment's space, shaped for its task."""
    task = experiment.task
    return suggest_candidate(
        trial,
        space=experiment.space,
        frame_length=task.frame_length,
        n_classes=task.n_classes,
        sample_rate=task.sample_rate,
    )


@functools.lru_cache(maxsize=4)
def task_data(task: TaskConfig, data_seed: int) -> tuple[LabelledFrames, LabelledFrames]:
    """Train and test splits (cached per process: every trial of a study uses the same)."""
    return make_task_data(task, seed=data_seed)


@functools.lru_cache(maxsize=4)
def task_splits(
    task: TaskConfig, data_seed: int, validation_fraction: float
) -> tuple[LabelledFrames, LabelledFrames, LabelledFrames]:
    """(training, validation, test): the training split less a validation share drawn by
    ``data_seed`` (empty when ``validation_fraction`` is 0), and the test split."""
    train, test = task_data(task, data_seed)
    train, validation = split_validation(train, fraction=validation_fraction, seed=data_seed)
    return train, validation, test


def curve_metrics(objectives: Sequence[str]) -> list[str]:
    """What a learning curve records on the validation split: accuracy, loss and every other
    objective but ``train_seconds`` (the curve's own clock)."""
    return ["accuracy", "loss"] + [m for m in objectives if m not in ("train_seconds", "accuracy", "loss")]


def device_batches(frames: np.ndarray | torch.Tensor, *, device: torch.device) -> Iterator[torch.Tensor]:
    """``frames`` ``(n, N)`` on ``device``, ``BATCH`` at a time (an array is moved a batch at a
    time; give a split's ``on_device`` frames to move nothing)."""
    for first in range(0, len(frames), BATCH):
        batch = frames[first : first + BATCH]
        yield (torch.from_numpy(batch) if isinstance(batch, np.ndarray) else batch).to(device)


def expected_macs(
    model: FrontEndClassifier,
    frames: np.ndarray | torch.Tensor,
    *,
    device: torch.device,
    precision: str = "float32",
) -> float:
    """MACs per example averaged over ``frames`` ``(n, N)``: the front-end's expected MACs under
    its routing of them (``FrontEnd.expected_macs_per_example``, routed in ``precision`` as
    the model runs; its fixed count for a kind that does not route) plus the head's. Equals
    ``count_macs(model)`` exactly when every frame costs the same (integer counts below 2**53
    add up exactly in float64)."""
    model.to(device).eval()
    with torch.no_grad(), precision_context(precision, device=device):
        total = sum(
            model.frontend.expected_macs_per_example(batch) * len(batch)
            for batch in device_batches(frames, device=device)
        )
    return total / len(frames) + model.head.macs_per_example()


def measure(
    model: FrontEndClassifier,
    test_data: LabelledFrames,
    *,
    device: torch.device,
    precision: str = "float32",
) -> tuple[EvalResult, dict[str, float]]:
    """Held-out accuracy and loss (and raw pitch and raw chroma accuracy for pitch classes), MACs
    per example (expected under the routing of the test frames for a content-adaptive kind: the
    router plus each expert's MACs weighted by its share), parameters, inference latency; the
    model runs in ``precision`` (``TrainConfig.precision``) on frames copied to ``device`` once."""
    result = evaluate_classifier(model, test_data, device=device, precision=precision)
    frames = on_device(test_data, device=device).frames  # (n, N)
    metrics = {
        "accuracy": result.accuracy,
        "loss": result.loss,
        "macs": expected_macs(model, frames, device=device, precision=precision),
        "params": float(model.n_parameters()),
        "latency_us": 1e6 * result.seconds / len(test_data.labels),
    }
    if result.predicted_f0_hz is not None:
        metrics["raw_pitch_accuracy"] = raw_pitch_accuracy(result.predicted_f0_hz, test_data.f0_hz)
        metrics["raw_chroma_accuracy"] = raw_chroma_accuracy(result.predicted_f0_hz, test_data.f0_hz)
    return result, metrics


def evaluate_candidate(
    candidate: CandidateConfig,
    *,
    task: TaskConfig,
    budget: TrainConfig,
    seed: int,
    data_seed: int,
    device: torch.device,
    max_steps: int | None = None,
    objectives: Sequence[str] = (),
    on_curve: Callable[[dict], bool] | None = None,
) -> Evaluation:
    """Build ``candidate`` with ``seed``, train it within ``budget`` (and at most ``max_steps``
    optimizer steps when given), measure it on held-out data.

    With ``budget.validation_fraction > 0`` every epoch is scored on the validation split into
    a learning curve (accuracy, loss and ``objectives``); ``on_curve(curve)`` is then called
    with it and returns False to stop training there (the evaluation then has no test score).

    Raises ``fftlearn.NonFiniteLossError`` when training diverges.
    """
    train_data, validation, test_data = task_splits(task, data_seed, budget.validation_fraction)
    model = build(candidate.model, seed=seed)
    curve = new_curve(curve_metrics(objectives)) if len(validation.labels) else None

    def on_epoch(end: EpochEnd) -> bool:
        _, scores = measure(model, validation, device=device, precision=budget.precision)
        add_point(curve, epoch=end.epoch, seconds=end.seconds, train_loss=end.train_loss, validation=scores)
        return True if on_curve is None else on_curve(curve)

    trained = train_classifier(
        model,
        train_data,
        optimizer=candidate.optimizer,
        budget=budget,
        seed=seed,
        device=device,
        max_steps=max_steps,
        on_epoch=None if curve is None else on_epoch,
    )
    if trained.stopped_early:
        return Evaluation(model=model, train=trained, test=None, metrics={}, curve=curve)
    test, metrics = measure(model, test_data, device=device, precision=budget.precision)
    metrics["train_seconds"] = trained.seconds
    return Evaluation(model=model, train=trained, test=test, metrics=metrics, curve=curve)


def evaluate_in(
    experiment: FrontEndExperiment,
    candidate: CandidateConfig,
    *,
    seed: int,
    device: torch.device,
    on_curve: Callable[[dict], bool] | None = None,
) -> Evaluation:
    """``evaluate_candidate`` on the experiment's task, budget, data seed and objectives."""
    return evaluate_candidate(
        candidate,
        task=experiment.task,
        budget=experiment.budget,
        seed=seed,
        data_seed=experiment.study.seed,
        device=device,
        objectives=experiment.metric_names,
        on_curve=on_curve,
    )
