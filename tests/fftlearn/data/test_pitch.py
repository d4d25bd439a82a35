"""Raw pitch accuracy against mir_eval's definition (fftlearn/data/_pitch.py)."""

from __future__ import annotations

import mir_eval.melody
import numpy as np
import pytest

import fftlearn
from fftlearn.data._tasks import pitch_class_centres


def mir_eval_rpa(predicted_f0_hz: np.ndarray, true_f0_hz: np.ndarray) -> float:
    """mir_eval's raw pitch accuracy of two f0 tracks on one 10 ms time base (0 Hz = unvoiced)."""
    times = np.arange(len(true_f0_hz)) * 0.01
    ref_v, ref_c, est_v, est_c = mir_eval.melody.to_cent_voicing(
        times, np.asarray(true_f0_hz, dtype=np.float64), times, np.asarray(predicted_f0_hz, dtype=np.float64)
    )
    return float(mir_eval.melody.raw_pitch_accuracy(ref_v, ref_c, est_v, est_c))


def test_random_f0_pairs_agree_with_mir_eval() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 200))
        true = 60.0 * 2.0 ** rng.uniform(0, 5, n)
        true[rng.random(n) < 0.2] = 0.0  # unvoiced reference frames: left out by both
        true[0] = max(true[0], 100.0)  # at least one voiced frame (mir_eval says 0 without one)
        predicted = true * 2.0 ** (rng.normal(0, 60, n) / 1200.0)  # errors around the 50-cent edge
        predicted[rng.random(n) < 0.05] = 0.0  # a 0 Hz prediction is wrong in both
        predicted[rng.random(n) < 0.05] *= -1.0  # mir_eval reads -f as "unvoiced, pitch f"
        ours = fftlearn.data.raw_pitch_accuracy(predicted, true)
        assert ours == mir_eval_rpa(predicted, true)
        assert 0.0 < ours < 1.0 or n < 10


@pytest.mark.parametrize("error_cents", [50.0, -50.0, 50.0 - 1e-9, -(50.0 - 1e-9), 50.0 + 1e-9, 0.0])
def test_errors_at_the_50_cent_edge_agree_with_mir_eval(error_cents: float) -> None:
    true_cents = np.arange(3000.0, 8000.0, 1.0 / 16.0)  # 80 Hz .. 1 kHz
    true = 10.0 * 2.0 ** (true_cents / 1200.0)
    predicted = 10.0 * 2.0 ** ((true_cents + error_cents) / 1200.0)
    computed = np.abs(fftlearn.data.hz_to_cents(predicted) - fftlearn.data.hz_to_cents(true))
    assert fftlearn.data.raw_pitch_accuracy(predicted, true) == mir_eval_rpa(predicted, true)
    exactly_50 = computed == 50.0
    if abs(error_cents) == 50.0:
        assert exactly_50.sum() > 1000  # most errors come out exactly 50 cents in floating point
        for frames in (exactly_50, ~exactly_50):  # each part alone: exactly 50 is always wrong
            ours = fftlearn.data.raw_pitch_accuracy(predicted[frames], true[frames])
            assert ours == mir_eval_rpa(predicted[frames], true[frames])
        assert fftlearn.data.raw_pitch_accuracy(predicted[exactly_50], true[exactly_50]) == 0.0
    else:
        assert not exactly_50.any()


def test_unvoiced_reference_frames_are_left_out_as_in_mir_eval() -> None:
    true = np.array([0.0, 220.0, 0.0, 440.0, 0.0])
    predicted = np.array([220.0, 220.0, 0.0, 500.0, 300.0])  # predictions on unvoiced frames ignored
    assert fftlearn.data.raw_pitch_accuracy(predicted, true) == mir_eval_rpa(predicted, true) == 0.5
    # NaN marks unvoiced in fftlearn's data sets; it is 0 Hz to mir_eval
    with_nan = np.where(true > 0, true, np.nan)
    assert fftlearn.data.raw_pitch_accuracy(predicted, with_nan) == 0.5


def test_neighbouring_40_cent_bin_is_wrong_when_50_cents_away() -> None:
    task = fftlearn.TaskConfig(
        name="pitch", pitch_bins="cents", cents_per_bin=40, data=fftlearn.data.HarmonicTonesConfig()
    )
    centres_cents = fftlearn.data.hz_to_cents(pitch_class_centres(task))
    k = len(centres_cents) // 2
    # the truth lies 10 cents above bin k's centre (inside bin k); bin k-1's centre is then 50
    # cents away, bin k+1's 30 cents; cents re 10 Hz rounded to a multiple of 1/64 so that the
    # differences are exact in floating point
    truth_cents = np.round((centres_cents[k] + 10.0) * 64) / 64
    true_cents = np.array([truth_cents, truth_cents])
    predicted_cents = np.array([truth_cents - 50.0, truth_cents + 30.0])
    true = 10.0 * 2.0 ** (true_cents / 1200.0)
    predicted = 10.0 * 2.0 ** (predicted_cents / 1200.0)
    errors = np.abs(fftlearn.data.hz_to_cents(predicted) - fftlearn.data.hz_to_cents(true))
    if errors[0] != 50.0:
        pytest.fail(f"test set-up: the first error is {errors[0]!r} cents, not exactly 50")
    assert fftlearn.data.raw_pitch_accuracy(predicted, true) == mir_eval_rpa(predicted, true) == 0.5


def test_raw_chroma_accuracy_agrees_with_mir_eval() -> None:
    rng = np.random.default_rng(1)
    for _ in range(30):
        n = int(rng.integers(10, 200))
        true = 60.0 * 2.0 ** rng.uniform(0, 5, n)
        predicted = true * 2.0 ** (rng.integers(-2, 3, n) + rng.normal(0, 60, n) / 1200.0)  # octave errors
        predicted[rng.random(n) < 0.05] = 0.0
        times = np.arange(n) * 0.01
        ref_v, ref_c, est_v, est_c = mir_eval.melody.to_cent_voicing(times, true, times, predicted)
        expected = float(mir_eval.melody.raw_chroma_accuracy(ref_v, ref_c, est_v, est_c))
        assert fftlearn.data.raw_chroma_accuracy(predicted, true) == expected
        assert fftlearn.data.raw_chroma_accuracy(predicted, true) >= fftlearn.data.raw_pitch_accuracy(predicted, true)


def test_local_average_decoding_is_crepes() -> None:
    """CREPE's to_local_average_cents: the arg-max bin and 4 either side, weighted by score."""
    centres_cents = 1997.3 + 20.0 * np.arange(30)
    centres = fftlearn.data._pitch.cents_to_hz(centres_cents)
    rng = np.random.default_rng(2)
    scores = rng.random((40, 30)) ** 8
    scores[0] = 0.0
    scores[0, 0], scores[0, 1] = 1.0, 0.5  # the arg-max at the edge: the window is clipped
    decoded = fftlearn.data.local_average_f0(scores, centres)
    for row, f0 in zip(scores, decoded):
        peak = int(row.argmax())
        window = slice(max(0, peak - 4), min(30, peak + 5))
        expected = np.sum(row[window] * centres_cents[window]) / np.sum(row[window])
        assert fftlearn.data.hz_to_cents(f0) == pytest.approx(expected, abs=1e-9)
    assert fftlearn.data.hz_to_cents(decoded[0]) == pytest.approx(1997.3 + 20.0 / 3.0)
