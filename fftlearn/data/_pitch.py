"""Pitch units and raw pitch accuracy (mir_eval's definition)."""

from __future__ import annotations

import numpy as np

PITCH_TOLERANCE_CENTS = 50.0  # mir_eval's raw pitch accuracy threshold (an error must be strictly below it)


def midi_to_hz(midi: float | np.ndarray) -> float | np.ndarray:
    """Equal temperament, A4 = MIDI 69 = 440 Hz."""
    return 440.0 * 2.0 ** ((np.asarray(midi) - 69.0) / 12.0)


def hz_to_cents(hz: float | np.ndarray) -> np.ndarray:
    """Cents relative to 10 Hz, as mir_eval counts them."""
    return 1200.0 * np.log2(np.asarray(hz, dtype=np.float64) / 10.0)


def raw_pitch_accuracy(predicted_f0_hz: np.ndarray, true_f0_hz: np.ndarray) -> float:
    """Share of pitched frames whose prediction is less than 50 cents from the truth (mir_eval's RPA).

    As ``mir_eval.melody.raw_pitch_accuracy``: an error of exactly 50 cents is wrong; frames
    whose true f0 is NaN or <= 0 (unvoiced) are left out; a prediction's sign is ignored
    (mir_eval reads a negative f0 as "unvoiced, but this pitch") and a prediction of 0 Hz is
    wrong. NaN if no frame is pitched (mir_eval returns 0 there).
    """
    true = np.asarray(true_f0_hz, dtype=np.float64)
    voiced = np.isfinite(true) & (true > 0)
    if not voiced.any():
        return float("nan")
    predicted = np.abs(np.asarray(predicted_f0_hz, dtype=np.float64)[voiced])
    with np.errstate(divide="ignore"):  # 0 Hz -> -inf cents: an infinite error, counted wrong
        error = np.abs(hz_to_cents(true[voiced]) - hz_to_cents(predicted))
    return float(np.mean(error < PITCH_TOLERANCE_CENTS))
