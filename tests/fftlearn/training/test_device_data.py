"""Each split copied to the device once per process (fftlearn/training/_device_data.py)."""

from __future__ import annotations

import gc
from dataclasses import replace

import numpy as np
import torch

import fftlearn
from fftlearn import HeadConfig, ModelConfig, OptimizerConfig, TrainConfig
from fftlearn.data import HarmonicTonesConfig
from fftlearn.frontends import MultiplicativeConfig
from fftlearn.training import device_cache_info, evaluate_classifier, on_device, train_classifier

TASK = fftlearn.TaskConfig(
    name="pitch", data=HarmonicTonesConfig(n_train=96, n_test=48, frame_length=128, midi_low=60, midi_high=62)
)


def test_a_split_is_copied_once_and_its_copy_goes_with_it(device_under_test: torch.device) -> None:
    train, _ = fftlearn.make_task_data(TASK, seed=0)
    data = replace(train)  # a split of this test's own
    before = device_cache_info()
    first = on_device(data, device=device_under_test)
    again = on_device(data, device=device_under_test)
    assert again is first and first.frames.device.type == device_under_test.type
    np.testing.assert_array_equal(first.frames.cpu().numpy(), data.frames)
    np.testing.assert_array_equal(first.labels.cpu().numpy(), data.labels)
    after = device_cache_info()
    assert (after.copies - before.copies, after.hits - before.hits, after.held - before.held) == (1, 1, 1)
    other = replace(data)  # equal arrays, another split: a copy of its own
    assert on_device(other, device=device_under_test) is not first
    del data, other, first, again
    gc.collect()
    assert device_cache_info().held == before.held  # both copies went with their splits


def test_trials_on_one_split_copy_it_once(device_under_test: torch.device) -> None:
    train, test = (replace(split) for split in fftlearn.make_task_data(TASK, seed=0))
    config = ModelConfig(
        frontend=MultiplicativeConfig(frame_length=128, n_kernels=8), head=HeadConfig(depth=0), n_classes=3
    )
    before = device_cache_info()
    for seed in range(3):  # three trials, each trained then scored twice
        model = fftlearn.build(config, seed=seed)
        train_classifier(
            model,
            train,
            optimizer=OptimizerConfig(),
            budget=TrainConfig(epochs=1, batch_size=32),
            seed=seed,
            device=device_under_test,
        )
        for precision in ("float32", "bfloat16"):
            evaluate_classifier(model, test, device=device_under_test, precision=precision)
    after = device_cache_info()
    assert after.copies - before.copies == 2  # the training split and the test split, once each
    assert after.hits - before.hits == 3 * 3 - 2
