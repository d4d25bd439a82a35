"""Babble noise material: frames of espeak-ng speech (``EspeakSpeechConfig``), several of which
``_augment.add_noise`` sums into one babble frame. Train and test use the speech data set's own
split, so test babble is made of sentences never heard in training."""

from __future__ import annotations

import numpy as np

from ._frameset import SplitName
from ._speech import EspeakSpeechConfig

BABBLE_FRAMES = 256  # speech frames per split that babble is drawn from
MIN_BABBLE_LENGTH = 8192  # samples of each speech frame; context frames may be this long at most


def babble_length(frame_length: int) -> int:
    """Samples of each speech frame for frames of ``frame_length``: enough for context frames
    of up to this length around them."""
    return max(MIN_BABBLE_LENGTH, 2 * frame_length)


def babble_speech(
    *, sample_rate: int, frame_length: int, split: SplitName, seed: int, cache_dir: str, espeak: str
) -> np.ndarray:
    """``(BABBLE_FRAMES, babble_length(frame_length)) float64`` peak-1 speech frames at
    ``sample_rate`` Hz, from the ``split`` of an espeak-ng speech data set for ``seed``."""
    speech = EspeakSpeechConfig(
        n_train=BABBLE_FRAMES,
        n_test=BABBLE_FRAMES,
        frames_per_utterance=4,
        frame_length=babble_length(frame_length),
        sample_rate=sample_rate,
        noise_std=0.0,
        gain_db=0.0,
        espeak=espeak,
        cache_dir=cache_dir,
    )
    return speech.make_frames(split=split, seed=seed).frames.astype(np.float64)
