"""Pitch units, CREPE-style decoding of pitch classes, and raw pitch and raw chroma accuracy
(mir_eval's definitions)."""

from __future__ import annotations

import numpy as np

PITCH_TOLERANCE_CENTS = 50.0  # mir_eval's raw pitch accuracy threshold (an error must be strictly below it)
DECODE_RADIUS_BINS = 4  # CREPE averages the arg-max bin and 4 bins either side


def midi_to_hz(midi: float | np.ndarray) -> float | np.ndarray:
    """Equal temperament, A4 = MIDI 69 = 440 Hz."""
    return 440.0 * 2.0 ** ((np.asarray(midi) - 69.0) / 12.0)


def hz_to_midi_note(hz: float | np.ndarray) -> np.ndarray:
    """The nearest equal-tempered MIDI note of each frequency (Hz, > 0): ``int64``, same shape."""
    return np.round(69.0 + 12.0 * np.log2(np.asarray(hz, dtype=np.float64) / 440.0)).astype(np.int64)


def hz_to_cents(hz: float | np.ndarray) -> np.ndarray:
    """Cents relative to 10 Hz, as mir_eval counts them."""
    return 1200.0 * np.log2(np.asarray(hz, dtype=np.float64) / 10.0)


def cents_to_hz(cents: float | np.ndarray) -> np.ndarray:
    """The inverse of ``hz_to_cents``: cents re 10 Hz -> Hz."""
    return 10.0 * 2.0 ** (np.asarray(cents, dtype=np.float64) / 1200.0)


def local_average_f0(
    probabilities: np.ndarray, class_f0_hz: np.ndarray, *, radius: int = DECODE_RADIUS_BINS
) -> np.ndarray:
    """CREPE's decoding of pitch-class scores to a frequency: the average, in cents, of the class
    centres from ``radius`` bins below the arg-max to ``radius`` above (clipped at the ends),
    weighted by their scores.

    ``probabilities (n, C)`` non-negative scores (softmax outputs here; CREPE's sigmoids),
    ``class_f0_hz (C,)`` the class centres in Hz, ascending -> ``(n,) float64`` Hz.
    """
    scores = np.asarray(probabilities, dtype=np.float64)
    cents = hz_to_cents(class_f0_hz)  # (C,)
    peak = scores.argmax(axis=1)  # (n,)
    offsets = np.arange(-radius, radius + 1)  # (2r + 1,)
    index = peak[:, None] + offsets[None, :]  # (n, 2r + 1)
    inside = (index >= 0) & (index < len(cents))
    index = np.clip(index, 0, len(cents) - 1)
    weights = np.take_along_axis(scores, index, axis=1) * inside
    total = weights.sum(axis=1)
    average = (weights * cents[index]).sum(axis=1) / np.where(total > 0, total, 1.0)
    return cents_to_hz(np.where(total > 0, average, cents[peak]))


def _cent_errors(predicted_f0_hz: np.ndarray, true_f0_hz: np.ndarray) -> np.ndarray | None:
    """Absolute errors in cents on the pitched frames (true f0 finite and > 0); None if none."""
    true = np.asarray(true_f0_hz, dtype=np.float64)
    voiced = np.isfinite(true) & (true > 0)
    if not voiced.any():
        return None
    predicted = np.abs(np.asarray(predicted_f0_hz, dtype=np.float64)[voiced])
    with np.errstate(divide="ignore"):  # 0 Hz -> -inf cents: an infinite error, counted wrong
        return np.abs(hz_to_cents(true[voiced]) - hz_to_cents(predicted))


def raw_pitch_accuracy(predicted_f0_hz: np.ndarray, true_f0_hz: np.ndarray) -> float:
    """Share of pitched frames whose prediction is less than 50 cents from the truth (mir_eval's RPA).

    As ``mir_eval.melody.raw_pitch_accuracy``: an error of exactly 50 cents is wrong; frames
    whose true f0 is NaN or <= 0 (unvoiced) are left out; a prediction's sign is ignored
    (mir_eval reads a negative f0 as "unvoiced, but this pitch") and a prediction of 0 Hz is
    wrong. NaN if no frame is pitched (mir_eval returns 0 there).
    """
    error = _cent_errors(predicted_f0_hz, true_f0_hz)
    return float("nan") if error is None else float(np.mean(error < PITCH_TOLERANCE_CENTS))


def raw_chroma_accuracy(predicted_f0_hz: np.ndarray, true_f0_hz: np.ndarray) -> float:
    """Raw pitch accuracy with octave errors forgiven (mir_eval's RCA): the error in cents is
    taken to the nearest whole number of octaves first. Same conventions as
    ``raw_pitch_accuracy``."""
    error = _cent_errors(predicted_f0_hz, true_f0_hz)
    if error is None:
        return float("nan")
    with np.errstate(invalid="ignore"):  # inf - inf for a 0 Hz prediction: NaN, counted wrong
        wrapped = np.abs(error - 1200.0 * np.floor(error / 1200.0 + 0.5))
    return float(np.mean(wrapped < PITCH_TOLERANCE_CENTS))
