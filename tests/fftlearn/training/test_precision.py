"""The trainer's precision option (fftlearn/training/_precision.py, _train.py): validated, float32
the unchanged default (the trainer is a plain seeded loop, compared with one written here), and
bfloat16 autocast where it runs (a GPU); on the CPU it is off and float32 runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import fftlearn
from fftlearn import ConfigError, HeadConfig, ModelConfig, OptimizerConfig, TrainConfig
from fftlearn.data import HarmonicTonesConfig, LabelledFrames
from fftlearn.frontends import MultiplicativeConfig
from fftlearn.training import PRECISIONS, evaluate_classifier, precision_on, train_classifier

TASK = fftlearn.TaskConfig(
    name="pitch",
    data=HarmonicTonesConfig(n_train=240, n_test=120, frame_length=256, midi_low=60, midi_high=65),
)
MODEL = ModelConfig(
    frontend=MultiplicativeConfig(frame_length=256, n_kernels=32), head=HeadConfig(width=16), n_classes=6
)


def test_precision_is_validated_in_one_line() -> None:
    assert TrainConfig().precision == "float32" and PRECISIONS == ("float32", "bfloat16")
    allowed = "must be one of 'float32', 'bfloat16'"
    with pytest.raises(ConfigError, match=f"^precision: got 'float16'; {allowed}$"):
        TrainConfig(precision="float16")
    with pytest.raises(ConfigError, match=f"^budget.precision: got 'bf16'; {allowed}$"):
        fftlearn.from_mapping(TrainConfig, {"precision": "bf16"}, path="budget")
    train, _ = fftlearn.make_task_data(TASK, seed=0)
    with pytest.raises(ConfigError, match=f"^precision: got 'half'; {allowed}$"):
        evaluate_classifier(fftlearn.build(MODEL), train, device=torch.device("cpu"), precision="half")


def test_bfloat16_runs_on_cuda_only() -> None:
    cpu, gpu = torch.device("cpu"), torch.device("cuda:0")  # a device name needs no GPU
    assert precision_on("bfloat16", device=gpu) == "bfloat16"
    assert precision_on("bfloat16", device=cpu) == "float32"
    assert precision_on("float32", device=gpu) == "float32"


def plain_loop(
    data: LabelledFrames,
    *,
    seed: int,
    epochs: int,
    batch: int,
    optimizer: str,
    lr: float,
    device: torch.device,
) -> tuple[torch.nn.Module, list[float]]:
    """Seeded mini-batch training written out plainly: the trainer's float32 twin. Stops at the
    first non-finite loss; returns the model and every step's loss."""
    model = fftlearn.build(MODEL, seed=seed).to(device).train()
    torch.manual_seed(seed)
    make = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
    opt = make(model.parameters(), lr=lr, **({"momentum": 0.9} if optimizer == "sgd" else {}))
    frames, labels = torch.from_numpy(data.frames).to(device), torch.from_numpy(data.labels).to(device)
    shuffle, losses = torch.Generator().manual_seed(seed), []
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=shuffle).to(device)
        for first in range(0, len(order), batch):
            rows = order[first : first + batch]
            loss = torch.nn.functional.cross_entropy(model(frames[rows]), labels[rows])
            losses.append(float(loss.detach()))
            if not np.isfinite(losses[-1]):
                return model, losses
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model, losses


def _train(data: LabelledFrames, budget: TrainConfig, optimizer: OptimizerConfig, device: torch.device):
    model = fftlearn.build(MODEL, seed=3)
    seen: list[float] = []
    result = train_classifier(
        model,
        data,
        optimizer=optimizer,
        budget=budget,
        seed=3,
        device=device,
        on_epoch=lambda end: seen.append(end.train_loss) or True,
    )
    return model, result, seen


def test_float32_training_is_the_plain_seeded_loop(device_under_test: torch.device) -> None:
    train, _ = fftlearn.make_task_data(TASK, seed=0)
    model, result, epoch_losses = _train(
        train, TrainConfig(epochs=3, batch_size=32), OptimizerConfig(lr=3e-3), device_under_test
    )
    twin, losses = plain_loop(
        train, seed=3, epochs=3, batch=32, optimizer="adam", lr=3e-3, device=device_under_test
    )
    assert result.precision == "float32" and result.steps == len(losses) == 3 * 8
    exact = {"rtol": 0, "atol": 0} if device_under_test.type == "cpu" else {}
    for ours, theirs in zip(model.parameters(), twin.parameters(), strict=True):
        torch.testing.assert_close(ours, theirs, **exact)
    expected = [float(np.mean(losses[8 * e : 8 * e + 8])) for e in range(3)]
    torch.testing.assert_close(epoch_losses, expected, **exact)
    assert result.final_loss == epoch_losses[-1]


def test_a_diverging_run_names_its_first_non_finite_step(device_under_test: torch.device) -> None:
    train, _ = fftlearn.make_task_data(TASK, seed=0)
    _, losses = plain_loop(
        train, seed=3, epochs=5, batch=32, optimizer="sgd", lr=1e8, device=device_under_test
    )
    assert not np.isfinite(losses[-1]) and np.isfinite(losses[:-1]).all()
    with pytest.raises(fftlearn.NonFiniteLossError) as raised:
        _train(
            train,
            TrainConfig(epochs=5, batch_size=32),
            OptimizerConfig(name="sgd", lr=1e8),
            device_under_test,
        )
    assert raised.value.step == len(losses) - 1  # read one step late, reported for its own step


def test_bfloat16_autocast_where_it_runs_and_float32_elsewhere(device_under_test: torch.device) -> None:
    train, test = fftlearn.make_task_data(TASK, seed=0)
    optimizer = OptimizerConfig(lr=3e-3)
    single, _, _ = _train(train, TrainConfig(epochs=4, batch_size=32), optimizer, device_under_test)
    half, result, _ = _train(
        train, TrainConfig(epochs=4, batch_size=32, precision="bfloat16"), optimizer, device_under_test
    )
    ran = precision_on("bfloat16", device=device_under_test)
    assert result.precision == ran
    assert all(p.dtype == torch.float32 for p in half.parameters())  # weights stay float32
    reference = evaluate_classifier(half, test, device=device_under_test)
    scored = evaluate_classifier(half, test, device=device_under_test, precision="bfloat16")
    same_weights = all(torch.equal(a, b) for a, b in zip(single.parameters(), half.parameters(), strict=True))
    if ran == "float32":  # the option is off: exactly the float32 run
        assert same_weights and scored.loss == reference.loss
        assert np.array_equal(scored.predictions, reference.predictions)
    else:  # bfloat16 products: other rounding, the same model
        assert not same_weights and scored.loss != reference.loss
        assert abs(scored.accuracy - reference.accuracy) <= 0.1
    assert scored.accuracy > 0.5  # chance is 1/6
