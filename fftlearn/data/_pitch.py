"""Pitch units and raw pitch accuracy (mir_eval's definition)."""

from __future__ import annotations

import numpy as np

PITCH_TOLERANCE_CENTS = 50.0  # mir_eval's raw pitch accuracy threshold


def midi_to_hz(midi: float | np.ndarray) -> float | np.ndarray:
    """Equal temperament, A4 = MIDI 69 = 440 Hz."""
    return 440.0 * 2.0 ** ((np.asarray(midi) - 69.0) / 12.0)


def hz_to_cents(hz: float | np.ndarray) -> np.ndarray:
    """Cents relative to 10 Hz, as mir_eval counts them."""
    return 1200.0 * np.log2(np.asarray(hz, dtype=np.float64) / 10.0)


def raw_pitch_accuracy(predicted_f0_hz: np.ndarray, true_f0_hz: np.ndarray) -> float:
    """Share of pitched frames whose prediction is within 50 cents of the truth (mir_eval's RPA).

    Frames whose true f0 is NaN or <= 0 (unvoiced) are left out; NaN if no frame is pitched.
    """
    true = np.asarray(true_f0_hz, dtype=np.float64)
    voiced = np.isfinite(true) & (true > 0)
    if not voiced.any():
        return float("nan")
    error = np.abs(hz_to_cents(np.asarray(predicted_f0_hz)[voiced]) - hz_to_cents(true[voiced]))
    return float(np.mean(error <= PITCH_TOLERANCE_CENTS))
