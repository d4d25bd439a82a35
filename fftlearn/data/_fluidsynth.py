"""FluidSynth (pyfluidsynth) rendering of single notes, optionally detuned and with vibrato
through the pitch wheel."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import ConfigError

SYNTH_GAIN = 0.5  # FluidSynth's master gain: no clipping at velocity 127 for the default programs
MAX_RENDER_RATE = 96_000  # Hz, FluidSynth's highest sample rate
BEND_RANGE_CENTS = 200.0  # the pitch wheel's default sensitivity: +-2 semitones (measured: 8191 = +200.5)
BEND_STEPS = 8192  # pitch-wheel steps from centre to either end
BEND_BLOCK = 128  # samples (at the render rate) between pitch-wheel updates; FluidSynth works in 64


def bend_steps(cents: np.ndarray) -> np.ndarray:
    """Pitch-wheel values (``-8192 .. 8191``) nearest to ``cents`` of detuning."""
    return np.clip(np.round(np.asarray(cents) / BEND_RANGE_CENTS * BEND_STEPS), -BEND_STEPS, BEND_STEPS - 1)


def pitch_track(
    *, detune_cents: float, vibrato_cents: float, vibrato_hz: float, phase: float, n_samples: int, rate: int
) -> np.ndarray:
    """Cents re the written note, per rendered sample ``(n_samples,)``, as the pitch wheel plays
    it: ``detune + vibrato * sin(2 pi vibrato_hz t + phase)``, set at the middle of each
    ``BEND_BLOCK`` and held over the block, rounded to pitch-wheel steps."""
    n_blocks = -(-n_samples // BEND_BLOCK)
    middle = (np.arange(n_blocks) + 0.5) * BEND_BLOCK / rate  # seconds
    cents = detune_cents + vibrato_cents * np.sin(2.0 * np.pi * vibrato_hz * middle + phase)
    played = bend_steps(cents) * BEND_RANGE_CENTS / BEND_STEPS
    return np.repeat(played, BEND_BLOCK)[:n_samples]


def render_note(
    synth: Any,
    font: int,
    program: int,
    midi: int,
    velocity: int,
    *,
    n_samples: int,
    cents: np.ndarray | None = None,
) -> np.ndarray:
    """One note held for ``n_samples`` at the synth's rate -> ``(n_samples,) float64``, mono
    (mean of left and right), full scale 1.0. ``cents (n_samples,)``: a pitch track from
    ``pitch_track`` played on the pitch wheel, block by block. The synth is silent and its
    wheel centred again afterwards."""
    synth.program_select(0, font, 0, program)
    if cents is None:
        synth.noteon(0, midi, velocity)
        stereo = synth.get_samples(n_samples)  # (2 * n_samples,) int16, interleaved L R
    else:
        steps = bend_steps(cents[::BEND_BLOCK]).astype(int)
        synth.pitch_bend(0, int(steps[0]))
        synth.noteon(0, midi, velocity)
        blocks = []
        for index, step in enumerate(steps):
            synth.pitch_bend(0, int(step))
            blocks.append(synth.get_samples(min(BEND_BLOCK, n_samples - index * BEND_BLOCK)))
        stereo = np.concatenate(blocks)
        synth.pitch_bend(0, 0)
    synth.noteoff(0, midi)
    synth.all_sounds_off(0)
    synth.get_samples(64)  # one block, so the stopped voices are freed before the next note
    return stereo.reshape(-1, 2).astype(np.float64).mean(axis=1) / 32768.0


@contextmanager
def synthesizer(path: str, *, rate: int, field: str) -> Iterator[tuple[Any, int]]:
    """A FluidSynth synthesizer at ``rate`` Hz (reverb and chorus off) with ``path`` loaded."""
    if not Path(path).is_file():
        raise ConfigError(field, path, "is not a file; give a .sf2 SoundFont")
    try:
        import fluidsynth
    except (ImportError, OSError) as error:
        raise ConfigError(
            field, path, f"rendering needs pyfluidsynth and Debian's libfluidsynth3 ({error})"
        ) from None
    synth = fluidsynth.Synth(gain=SYNTH_GAIN, samplerate=float(rate))
    try:
        synth.setting("synth.reverb.active", 0)
        synth.setting("synth.chorus.active", 0)
        font = synth.sfload(path)
        if font < 0:
            raise ConfigError(field, path, "is not a SoundFont that FluidSynth can load")
        yield synth, font
    finally:
        synth.delete()
