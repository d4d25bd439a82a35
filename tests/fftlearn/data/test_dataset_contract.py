"""The data-set contract, run over every kind registered when the tests are collected: each
kind's small instance (``DataSet.example``) is made four times (train twice from two empty
caches, train with another seed, test) and checked for determinism, distinct splits, shapes
and label ranges.

Kinds that render from installed sources (soundfonts, espeak-ng) are skipped when
``check_sources`` says they are missing, or fail when ``FFTNAS_REQUIRE_SERVICES=1``; kinds that
read a downloaded copy get a small one written in the published layout (``SOURCES``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

import fftlearn
from fftlearn import ConfigError, DataSet
from fftlearn.data import DATASETS, FrameSet, make_frames, midi_to_hz
from tests.helpers import write_nsynth_splits, write_tone_folder

# Kinds that read files a user downloads: the test writes a small copy into the example's root.
SOURCES: dict[str, Callable[[Path], object]] = {
    "nsynth": write_nsynth_splits,
    "audio_folder": write_tone_folder,
}
LABELS = ("frames", "f0_hz", "midi", "family", "source")


class Made(NamedTuple):
    """One kind's example and the frame sets made from it."""

    config: DataSet
    train: FrameSet  # split "train", seed 0
    again: FrameSet  # the same, made again from an empty cache
    other_seed: FrameSet  # split "train", seed 1
    test: FrameSet  # split "test", seed 0


@pytest.fixture(scope="module", params=DATASETS.names())
def made(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Made]:
    kind = request.param
    root = tmp_path_factory.mktemp(kind)
    if kind in SOURCES:
        SOURCES[kind](root)
    config = DATASETS.get(kind, field="kind").example(root=root)
    try:
        config.check_sources()
    except ConfigError as error:
        if os.environ.get("FFTNAS_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{kind}: {error}, and FFTNAS_REQUIRE_SERVICES=1 requires it")
        pytest.skip(f"{kind}: {error}")
    with pytest.MonkeyPatch.context() as patch:

        def make(cache: str, split: str, seed: int) -> FrameSet:
            patch.setenv("FFTNAS_CACHE", str(root / cache))  # where kinds with a cache keep it
            return make_frames(config, split=split, seed=seed)

        yield Made(
            config=config,
            train=make("cache-a", "train", 0),
            again=make("cache-b", "train", 0),
            other_seed=make("cache-b", "train", 1),
            test=make("cache-b", "test", 0),
        )


def frame_sets(made: Made) -> list[FrameSet]:
    return [made.train, made.other_seed, made.test]


def test_example_is_registered_and_round_trips_through_json(made: Made) -> None:
    config = made.config
    assert isinstance(config, DATASETS.get(config.kind, field="kind"))
    assert fftlearn.config_from_json(fftlearn.config_to_json(config)) == config


def test_the_same_seed_gives_the_same_arrays(made: Made) -> None:
    for name in LABELS:
        np.testing.assert_array_equal(getattr(made.train, name), getattr(made.again, name), err_msg=name)
    assert made.train.family_names == made.again.family_names


def test_another_seed_and_the_test_split_give_other_frames(made: Made) -> None:
    for other in (made.other_seed, made.test):
        n = min(len(made.train), len(other))
        assert not np.array_equal(made.train.frames[:n], other.frames[:n])


def test_frames_are_finite_float32_of_the_frame_length(made: Made) -> None:
    for frame_set in frame_sets(made):
        assert len(frame_set) > 0 and frame_set.frames.dtype == np.float32
        assert frame_set.frames.shape == (len(frame_set), made.config.frame_length)
        assert np.isfinite(frame_set.frames).all() and np.abs(frame_set.frames).max() > 0
        assert frame_set.sample_rate == made.config.sample_rate


def test_labels_lie_in_their_ranges(made: Made) -> None:
    config = made.config
    pitch_range = config.pitch_range()
    for frame_set in frame_sets(made):
        assert set(np.unique(frame_set.source).tolist()) <= {0, 1}
        assert frame_set.family_names == type(config).FAMILY_NAMES
        assert ((frame_set.family >= -1) & (frame_set.family < len(config.FAMILY_NAMES))).all()
        noted = frame_set.midi != -1
        if pitch_range is None:
            assert not noted.any()
        else:
            low, high = pitch_range
            assert ((frame_set.midi[noted] >= low) & (frame_set.midi[noted] <= high)).all()
            assert noted[frame_set.source == 0].all()  # every music frame of a pitched set has a note
        names = config.label_names()
        assert frame_set.label_names == (names or ())
        labelled = frame_set.label != -1
        assert labelled.all() if names else not labelled.any()
        assert (frame_set.label < len(frame_set.label_names)).all()
        pitched = np.isfinite(frame_set.f0_hz)
        assert (pitched == noted).all()  # an f0 exactly where there is a note, within 50 cents of it
        f0, note_hz = frame_set.f0_hz[pitched], midi_to_hz(frame_set.midi[pitched])
        assert (np.abs(1200 * np.log2(f0 / note_hz)) <= 50 + 1e-9).all()
        assert (f0 < frame_set.sample_rate / 2).all()


def test_bad_split_and_seed_name_the_argument(made: Made) -> None:
    for split, seed, field in (("valid", 0, "split"), ("train", -1, "seed")):
        with pytest.raises(ConfigError) as error:
            make_frames(made.config, split=split, seed=seed)  # type: ignore[arg-type]
        assert error.value.field == field
