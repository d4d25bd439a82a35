"""The trainer's per-epoch hook (learning curves, early stopping) and the validation split."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import fftlearn
from fftlearn import TrainConfig
from fftlearn.data import split_validation
from fftlearn.training import EpochEnd
from tests.fftlearn.test_fftlearn import TASK, _trained


def _train(budget: TrainConfig, *, on_epoch=None, max_steps=None):
    return _trained(budget, on_epoch=on_epoch, max_steps=max_steps)


def test_on_epoch_sees_every_epoch_and_changes_nothing() -> None:
    seen: list[EpochEnd] = []
    plain_model, plain = _train(TrainConfig(epochs=3, batch_size=64))
    budget = TrainConfig(epochs=3, batch_size=64)
    hooked_model, hooked = _train(budget, on_epoch=lambda e: seen.append(e) or True)
    assert [e.epoch for e in seen] == [1, 2, 3] and hooked.epochs == plain.epochs == 3
    steps_per_epoch = -(-300 // 64)
    assert [e.steps for e in seen] == [steps_per_epoch, 2 * steps_per_epoch, 3 * steps_per_epoch]
    assert seen[0].seconds <= seen[1].seconds <= seen[2].seconds
    assert seen[-1].train_loss == hooked.final_loss == plain.final_loss
    assert not hooked.stopped_early
    for name, weight in plain_model.state_dict().items():
        assert torch.equal(weight, hooked_model.state_dict()[name]), name


def test_on_epoch_returning_false_stops_after_that_epoch() -> None:
    _, stopped = _train(TrainConfig(epochs=5, batch_size=64), on_epoch=lambda e: e.epoch < 2)
    assert stopped.stopped_early and stopped.epochs == 2 and stopped.steps == 2 * -(-300 // 64)
    # the first two epochs of the full run are the stopped run: same steps, same weights
    stopped_model, _ = _train(TrainConfig(epochs=5, batch_size=64), on_epoch=lambda e: e.epoch < 2)
    capped_model, capped = _train(TrainConfig(epochs=5, batch_size=64), max_steps=stopped.steps)
    assert capped.epochs == 2 and not capped.stopped_early
    for name, weight in stopped_model.state_dict().items():
        assert torch.equal(weight, capped_model.state_dict()[name]), name


def test_a_partial_epoch_gives_no_point() -> None:
    seen = []
    budget = TrainConfig(epochs=5, batch_size=64)
    _, result = _train(budget, on_epoch=lambda e: seen.append(e.epoch) or True, max_steps=7)
    assert seen == [1] and result.epochs == 1 and result.steps == 7


def test_validation_split_is_seeded_disjoint_and_sized() -> None:
    train, _ = fftlearn.make_task_data(TASK, seed=0)
    kept, held = split_validation(train, fraction=0.1, seed=3)
    assert len(held.labels) == 30 and len(kept.labels) == 270
    rows = {row.tobytes() for row in train.frames}
    assert {r.tobytes() for r in kept.frames} | {r.tobytes() for r in held.frames} == rows
    assert not {r.tobytes() for r in kept.frames} & {r.tobytes() for r in held.frames}
    again, held_again = split_validation(train, fraction=0.1, seed=3)
    assert np.array_equal(held.frames, held_again.frames) and np.array_equal(again.labels, kept.labels)
    _, other = split_validation(train, fraction=0.1, seed=4)
    assert not np.array_equal(other.frames, held.frames)
    assert np.array_equal(held.f0_hz, train.f0_hz[np.isin(np.arange(300), _rows_of(train, held))])
    whole, empty = split_validation(train, fraction=0.0, seed=3)
    assert len(whole.labels) == 300 and len(empty.labels) == 0
    for bad in (0.6, -0.1, True):
        allowed = r"^validation_fraction: .*must be a number in \[0, 0.5\]"
        with pytest.raises(fftlearn.ConfigError, match=allowed):
            split_validation(train, fraction=bad, seed=0)
    with pytest.raises(fftlearn.ConfigError, match="validation_fraction"):
        TrainConfig(validation_fraction=0.7)


def _rows_of(data, subset) -> np.ndarray:
    index = {row.tobytes(): i for i, row in enumerate(data.frames)}
    return np.array([index[row.tobytes()] for row in subset.frames])
