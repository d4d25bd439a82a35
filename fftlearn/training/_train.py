"""Training and held-out evaluation of a frame classifier, deterministic from a seed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import torch
from torch import nn

from .._config import register_kind
from .._validate import check_choice, check_float, check_int
from ..data._tasks import LabelledFrames
from ..model._model import FrontEndClassifier, OptimizerConfig
from ._device_data import on_device
from ._precision import PRECISIONS, precision_context, precision_on


@register_kind
@dataclass(frozen=True)
class TrainConfig:
    """The training budget of one candidate."""

    kind: ClassVar[str] = "train_budget"
    epochs: int = 5  # passes over the training set
    batch_size: int = 64  # frames per step
    max_seconds: float = 0.0  # stop after the step that crosses this many seconds; 0: no cap
    # share of the training frames held out to score after every epoch (learning curve, early
    # stopping); 0: train on all of them and record no curve
    validation_fraction: float = 0.1
    # "bfloat16": the forward pass and loss under bfloat16 autocast on a GPU (matrix products at
    # its bfloat16 rate); on the CPU float32 runs (``_precision.py`` says why); trials record which
    precision: Literal["float32", "bfloat16"] = "float32"

    def __post_init__(self) -> None:
        check_int("epochs", self.epochs, low=1, high=100_000)
        check_int("batch_size", self.batch_size, low=1, high=1 << 20)
        check_float("max_seconds", self.max_seconds, low=0.0, high=1e7)
        check_float("validation_fraction", self.validation_fraction, low=0.0, high=0.5)
        check_choice("precision", self.precision, PRECISIONS)


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite; the candidate cannot be scored."""

    def __init__(self, step: int, loss: float) -> None:
        self.step = step
        self.loss = loss
        super().__init__(f"training loss is {loss} at step {step} (non-finite)")


@dataclass(frozen=True)
class TrainResult:
    steps: int  # optimizer steps taken
    seconds: float  # wall-clock training time
    final_loss: float  # mean cross-entropy of the last epoch (nats)
    stopped_by_time: bool  # True when max_seconds ended training early
    epochs: int = 0  # epochs completed
    stopped_early: bool = False  # True when ``on_epoch`` asked to stop
    precision: str = "float32"  # the precision training ran in (``precision_on``)


@dataclass(frozen=True)
class EpochEnd:
    """What ``train_classifier`` hands to ``on_epoch`` after each complete epoch."""

    epoch: int  # 1-based number of the epoch just completed
    steps: int  # optimizer steps so far
    seconds: float  # wall-clock seconds since training began (earlier callbacks included)
    train_loss: float  # mean training loss of this epoch (nats, auxiliary loss included)


@dataclass(frozen=True)
class EvalResult:
    accuracy: float  # share of frames whose arg-max class is the label, in [0, 1]
    loss: float  # mean cross-entropy (nats)
    seconds: float  # wall-clock time of the whole evaluation pass
    predictions: np.ndarray  # (n,) int64 arg-max class of each frame
    predicted_f0_hz: np.ndarray | None = None  # (n,) decoded f0 (Hz) when the classes are pitches


def make_optimizer(model: FrontEndClassifier, config: OptimizerConfig) -> torch.optim.Optimizer:
    """Adam or SGD over the front-end's own parameter groups (``FrontEnd.parameter_groups``)
    and the head's parameters at ``config.lr``."""
    groups = model.frontend.parameter_groups(config)
    head = [p for p in model.head.parameters() if p.requires_grad]
    if head:
        groups.append({"params": head, "lr": config.lr})
    if config.name == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=0.9)
    return torch.optim.Adam(groups, lr=config.lr)


def train_classifier(
    model: nn.Module,
    data: LabelledFrames,
    *,
    optimizer: OptimizerConfig,
    budget: TrainConfig,
    seed: int,
    device: torch.device,
    max_steps: int | None = None,
    on_epoch: Callable[[EpochEnd], bool] | None = None,
) -> TrainResult:
    """Minimise cross-entropy (plus the model's auxiliary loss) with mini-batches shuffled by
    ``seed``; torch's RNG is seeded with ``seed`` inside (and restored after), so training is
    deterministic on the CPU. ``budget.precision`` picks float32 or, on a GPU, bfloat16 autocast
    (``precision_on``); the split is copied to ``device`` once per process (``on_device``).

    ``max_steps`` (optional) stops training after that many optimizer steps, wherever in an
    epoch they end; ``budget.max_seconds`` still applies too (give a budget with
    ``max_seconds = 0`` to make the steps alone decide, as reproducing a time-capped run does:
    the first k steps of a run are the same whatever stopped it).

    ``on_epoch(end)`` (optional) is called after every complete epoch, with the model in
    training mode afterwards; it returns False to stop training there (early stopping).

    Raises ``NonFiniteLossError`` when a step's loss is NaN or infinite, once the next step is
    queued (each loss is read one step late so that a GPU is never idle waiting for it).
    """
    if max_steps is not None:
        check_int("max_steps", max_steps, low=1)
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):  # stochastic layers (Gumbel) draw from `seed` too
        torch.manual_seed(seed)
        model.to(device).train()
        split = on_device(data, device=device)  # frames (n, N), labels (n,)
        opt = make_optimizer(model, optimizer)
        shuffle = torch.Generator().manual_seed(seed)  # the batch order
        return _run_epochs(
            model,
            split.frames,
            split.labels,
            opt=opt,
            shuffle=shuffle,
            budget=budget,
            max_steps=max_steps,
            on_epoch=on_epoch,
        )


def _run_epochs(
    model: nn.Module,
    frames: torch.Tensor,
    labels: torch.Tensor,
    *,
    opt: torch.optim.Optimizer,
    shuffle: torch.Generator,
    budget: TrainConfig,
    max_steps: int | None,
    on_epoch: Callable[[EpochEnd], bool] | None,
) -> TrainResult:
    """Mini-batch steps over ``frames`` ``(n, N)`` / ``labels`` ``(n,)`` until the budget ends
    (or ``on_epoch`` stops it)."""
    device, ran = frames.device, precision_on(budget.precision, device=frames.device)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    steps, epoch_loss, stopped, epochs = 0, float("nan"), False, 0
    for _ in range(budget.epochs):
        order = torch.randperm(len(labels), generator=shuffle).to(device)
        losses = _LossLog(-(-len(order) // budget.batch_size), device=device)
        for first in range(0, len(order), budget.batch_size):
            batch = order[first : first + budget.batch_size]
            with precision_context(ran, device=device):
                loss = loss_fn(model(frames[batch]), labels[batch]) + model.auxiliary_loss()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.add(loss)
            if losses.count > 1:
                _check_finite(losses.read(losses.count - 2), step=steps - 1)
            steps += 1
            if budget.max_seconds and time.perf_counter() - start > budget.max_seconds:
                stopped = True
                break
            if steps == max_steps:
                break
        values = losses.values()
        _check_finite(values[-1], step=steps - 1)
        epoch_loss = float(np.mean(values))
        if stopped or (steps == max_steps and first + budget.batch_size < len(order)):
            break  # a partial epoch: no learning-curve point
        epochs += 1
        if on_epoch is not None:
            end = EpochEnd(epochs, steps, time.perf_counter() - start, epoch_loss)
            goes_on = on_epoch(end)
            model.train()
            if not goes_on:
                seconds = time.perf_counter() - start
                return TrainResult(steps, seconds, epoch_loss, False, epochs, True, precision=ran)
        if steps == max_steps:
            break
    return TrainResult(steps, time.perf_counter() - start, epoch_loss, stopped, epochs, precision=ran)


class _LossLog:
    """One epoch's step losses, copied to the host behind each step's work and read one step
    late: a GPU has the next step queued while the CPU waits for a loss (on the CPU, a list)."""

    def __init__(self, n_steps: int, *, device: torch.device) -> None:
        self.device = device
        cuda = device.type == "cuda"
        self.host = torch.empty(n_steps, pin_memory=cuda)  # (n_steps,) float32
        self.events: list[torch.cuda.Event] | None = [] if cuda else None
        self.count = 0  # losses added

    def add(self, loss: torch.Tensor) -> None:
        self.host[self.count].copy_(loss.detach(), non_blocking=True)
        if self.events is not None:  # on the stream that ran the step and the copy
            self.events.append(torch.cuda.Event())
            self.events[-1].record(torch.cuda.current_stream(self.device))
        self.count += 1

    def read(self, index: int) -> float:
        """The loss of the epoch's step ``index`` (waits for that step's work only)."""
        if self.events is not None:
            self.events[index].synchronize()
        return float(self.host[index])

    def values(self) -> list[float]:
        """Every loss added so far."""
        if self.events:
            self.events[-1].synchronize()
        return self.host[: self.count].tolist()


def _check_finite(loss: float, *, step: int) -> None:
    if not np.isfinite(loss):
        raise NonFiniteLossError(step, loss)


@torch.no_grad()
def evaluate_classifier(
    model: nn.Module,
    data: LabelledFrames,
    *,
    device: torch.device,
    batch_size: int = 1024,
    precision: str = "float32",
) -> EvalResult:
    """Accuracy and mean cross-entropy of ``model`` on ``data``, and the decoded f0 of each frame
    when its classes are pitches (``LabelledFrames.decode_f0``); the forward pass runs in
    ``precision`` as training does (``precision_context``), the loss and scores in float32."""
    model.to(device).eval()
    start = time.perf_counter()
    split = on_device(data, device=device)
    loss_sum, predictions, f0 = 0.0, [], []
    for first in range(0, len(data.labels), batch_size):
        frames = split.frames[first : first + batch_size]  # (b, N)
        labels = split.labels[first : first + batch_size]  # (b,)
        with precision_context(precision, device=device):
            logits = model(frames).float()  # (b, n_classes); float32 logits are returned as they are
        loss_sum += float(nn.functional.cross_entropy(logits, labels, reduction="sum"))
        predictions.append(logits.argmax(-1).cpu().numpy())
        if data.class_f0_hz is not None:
            f0.append(data.decode_f0(torch.softmax(logits.double(), -1).cpu().numpy()))
    predicted = np.concatenate(predictions).astype(np.int64)
    n = len(data.labels)
    accuracy = float(np.mean(predicted == data.labels))
    predicted_f0 = np.concatenate(f0) if f0 else None
    return EvalResult(accuracy, loss_sum / n, time.perf_counter() - start, predicted, predicted_f0)
