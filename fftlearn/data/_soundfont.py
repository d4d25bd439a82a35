"""Real instrument notes rendered from General MIDI SoundFonts with FluidSynth (pyfluidsynth).

Every (program, MIDI note, velocity) combination in the configured ranges is one possible note.
The seed shuffles them and holds ``test_fraction`` of them out for the test split, so no test
note (same program, pitch and velocity) is ever heard in training; the test split can also be
rendered from another SoundFont (``test_soundfont``). Each note is held for ``note_seconds``
with reverb and chorus off, rendered at ``oversample * sample_rate`` and decimated with an
anti-aliasing filter (FluidSynth's own resampling does not band-limit, and bright patches alias
audibly when rendered at 16 kHz directly). ``frames_per_note`` frames are cut at random loud
offsets after ``attack_seconds``; notes are drawn in the shuffled order until ``n_train`` (or
``n_test``) frames are collected. Labels: f0 = 440 * 2 ** ((midi - 69) / 12), the MIDI note,
and the GM family = program // 8.

The default programs are two per GM family for families 0-13 whose sound has the written
pitch as its fundamental in both FluidR3_GM and TimGM6mb (checked with a YIN estimate over
C2-C6). Left out: families 14 (percussive, 112-119) and 15 (sound effects, 120-127), which have
no pitch or not the written one; and, for the same reason, 9 glockenspiel, 14 tubular bells,
16-18 drawbar/percussive/rock organ (a 16' stop puts the fundamental an octave below the key),
31 guitar harmonics (two octaves up), 47 timpani, 55 orchestra hit, 86 lead "fifths", 97-98.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .._errors import ConfigError
from .._validate import check_float, check_fraction, check_int, check_int_list
from ._base import DataSet, register_dataset
from ._frameset import (
    MUSIC,
    FrameSet,
    SplitName,
    cached_and_augmented,
    check_split,
    gather,
    labelled,
    resample,
    split_pool,
)
from ._pitch import midi_to_hz

GM_FAMILY_NAMES = (
    "piano",
    "chromatic_percussion",
    "organ",
    "guitar",
    "bass",
    "strings",
    "ensemble",
    "brass",
    "reed",
    "pipe",
    "synth_lead",
    "synth_pad",
    "synth_effects",
    "ethnic",
    "percussive",
    "sound_effects",
)

# Two GM programs (0-based) per pitched family; see the module docstring for what is left out.
DEFAULT_PROGRAMS = (
    0, 4,  # acoustic grand piano, electric piano 1
    10, 11,  # music box, vibraphone
    20, 22,  # reed organ, harmonica
    24, 27,  # nylon guitar, clean electric guitar
    32, 33,  # acoustic bass, fingered electric bass
    40, 42,  # violin, cello
    48, 53,  # string ensemble 1, voice oohs
    56, 60,  # trumpet, french horn
    65, 71,  # alto sax, clarinet
    73, 75,  # flute, pan flute
    80, 81,  # square lead, sawtooth lead
    89, 90,  # warm pad, polysynth pad
    99, 100,  # atmosphere, brightness
    107, 110,  # koto, fiddle
)  # fmt: skip

SYNTH_GAIN = 0.5  # FluidSynth's master gain: no clipping at velocity 127 for the default programs
MAX_RENDER_RATE = 96_000  # Hz, FluidSynth's highest sample rate


@dataclass(frozen=True)
class SoundfontNotesConfig(DataSet):
    """Frames of single instrument notes rendered from GM SoundFonts, labelled by pitch and family."""

    kind: ClassVar[str] = "soundfont_notes"
    FAMILY_NAMES: ClassVar[tuple[str, ...]] = GM_FAMILY_NAMES  # what the family ids mean
    soundfont: str = "/usr/share/sounds/sf2/FluidR3_GM.sf2"  # .sf2 file for the train split
    test_soundfont: str = ""  # .sf2 file for the test split; "" = the same as soundfont
    programs: tuple[int, ...] = DEFAULT_PROGRAMS  # GM programs (0-127, bank 0) to play
    midi_low: int = 36  # lowest MIDI note; 36 = C2, 65.4 Hz
    midi_high: int = 84  # highest MIDI note; 84 = C6, 1046.5 Hz
    velocities: tuple[int, ...] = (60, 90, 120)  # MIDI velocities (1-127) to play
    n_train: int = 4000  # training frames
    n_test: int = 1000  # test frames
    frames_per_note: int = 4  # frames cut from one note, at random loud offsets
    test_fraction: float = 0.2  # share of the (program, note, velocity) combinations kept for test
    note_seconds: float = 1.0  # how long each note is held and rendered (s)
    attack_seconds: float = 0.1  # start of each note never used for frames (s)
    min_level_db: float = 30.0  # frames more than this many dB below the note's loudest are dropped
    frame_length: int = 640  # samples per frame (640 = 40 ms at 16 kHz)
    sample_rate: int = 16000  # Hz of the frames
    oversample: int = 3  # render at oversample * sample_rate, then low-pass and decimate
    noise_std: float = 0.05  # std of white noise added to each peak-1 frame
    gain_db: float = 12.0  # frames are scaled by a gain uniform in [-gain_db, 0] dB
    cache_dir: str = ""  # where rendered frames are stored; "" = $FFTNAS_CACHE or ~/.cache/fftnas

    def __post_init__(self) -> None:
        for field in ("soundfont", "test_soundfont", "cache_dir"):
            if not isinstance(getattr(self, field), str):
                raise ConfigError(field, getattr(self, field), "must be a string (a path)")
        if not self.soundfont:
            raise ConfigError("soundfont", self.soundfont, "must be the path of a .sf2 SoundFont")
        check_int_list("programs", self.programs, low=0, high=127)
        check_int_list("velocities", self.velocities, low=1, high=127)
        check_int("sample_rate", self.sample_rate, low=8000, high=MAX_RENDER_RATE)
        check_int("oversample", self.oversample, low=1, high=12)
        if self.sample_rate * self.oversample > MAX_RENDER_RATE:
            raise ConfigError(
                "oversample", self.oversample, f"sample_rate * oversample must be <= {MAX_RENDER_RATE} Hz"
            )
        check_int("midi_low", self.midi_low, low=0, high=127)
        check_int("midi_high", self.midi_high, low=self.midi_low, high=127)
        if midi_to_hz(self.midi_high + 0.5) >= self.sample_rate / 2:
            raise ConfigError("midi_high", self.midi_high, "must lie below Nyquist")
        check_note_frames(self, end_field="note_seconds")

    def check_sources(self) -> None:
        """Raise ``ConfigError`` naming the field if a SoundFont file is missing."""
        for field in ("soundfont", "test_soundfont"):
            path = getattr(self, field)
            if path and not Path(path).is_file():
                raise ConfigError(
                    field,
                    path,
                    "is not a file; give a .sf2 SoundFont (Debian: fluid-soundfont-gm, "
                    "timgm6mb-soundfont; scripts/setup.sh installs them)",
                )

    def make_frames(self, *, split: SplitName, seed: int) -> FrameSet:
        # rendered once and cached (cached_frames), then augmented (noise, gain) by the seed
        return cached_and_augmented(self, split=split, seed=seed, render=render_soundfont_notes)

    def pitch_range(self) -> tuple[int, int]:
        return self.midi_low, self.midi_high

    @classmethod
    def example(cls, *, root: Path) -> SoundfontNotesConfig:
        """Piano, violin and flute over C3-C5 at one velocity: 24 training and 12 test frames."""
        return cls(
            programs=(0, 40, 73),
            midi_low=48,
            midi_high=72,
            velocities=(90,),
            n_train=24,
            n_test=12,
            frames_per_note=2,
        )


def render_soundfont_notes(config: SoundfontNotesConfig, *, split: SplitName, seed: int) -> FrameSet:
    """The ``split``'s notes rendered by FluidSynth now: no cache, no augmentation (raw levels)."""
    stream = check_split(split, seed)
    config.check_sources()
    notes = [
        (program, midi, velocity)
        for program in config.programs
        for midi in range(config.midi_low, config.midi_high + 1)
        for velocity in config.velocities
    ]
    train, test = split_pool(notes, test_fraction=config.test_fraction, seed=seed)
    pool = train if split == "train" else test
    field = "test_soundfont" if split == "test" and config.test_soundfont else "soundfont"
    rate = config.sample_rate * config.oversample
    n_render = round((config.note_seconds + 0.01) * rate)  # 10 ms more: the decimator's edge
    n_keep = round(config.note_seconds * config.sample_rate)
    with _synth(getattr(config, field), rate=rate, field=field) as (synth, font):
        for program in config.programs:
            if synth.program_select(0, font, 0, program) != 0:
                raise ConfigError("programs", program, f"is not in {field} {getattr(config, field)}")

        def render(note: tuple[int, int, int]) -> np.ndarray:
            audio = render_note(synth, font, *note, n_samples=n_render)
            return resample(audio, rate, config.sample_rate)[:n_keep]

        frames, item = gather(
            pool,
            render,
            n=config.n_train if split == "train" else config.n_test,
            per_item=config.frames_per_note,
            frame_length=config.frame_length,
            start=round(config.attack_seconds * config.sample_rate),
            min_level_db=config.min_level_db,
            rng=np.random.default_rng([seed, stream, 1]),
            field="n_train" if split == "train" else "n_test",
        )
    program, midi, _ = np.array(pool, dtype=np.int64).reshape(-1, 3)[item].T  # (n,) each
    return labelled(
        frames,
        sample_rate=config.sample_rate,
        family_names=GM_FAMILY_NAMES,
        f0_hz=midi_to_hz(midi.astype(np.float64)),
        midi=midi,
        family=program // 8,
        source=MUSIC,
    )


def render_note(
    synth: Any, font: int, program: int, midi: int, velocity: int, *, n_samples: int
) -> np.ndarray:
    """One note held for ``n_samples`` at the synth's rate -> ``(n_samples,) float64``, mono
    (mean of left and right), full scale 1.0. The synth is silent again afterwards."""
    synth.program_select(0, font, 0, program)
    synth.noteon(0, midi, velocity)
    stereo = synth.get_samples(n_samples)  # (2 * n_samples,) int16, interleaved L R
    synth.noteoff(0, midi)
    synth.all_sounds_off(0)
    synth.get_samples(64)  # one block, so the stopped voices are freed before the next note
    return stereo.reshape(-1, 2).astype(np.float64).mean(axis=1) / 32768.0


@contextmanager
def _synth(path: str, *, rate: int, field: str) -> Iterator[tuple[Any, int]]:
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


def check_note_frames(config: object, *, end_field: str) -> None:
    """The frame settings every note data set shares (soundfont, NSynth): counts, the window
    of each note frames are cut from (``attack_seconds`` .. ``end_field``), levels, augmentation."""
    c = config
    check_int("n_train", c.n_train, low=1, high=10_000_000)  # type: ignore[attr-defined]
    check_int("n_test", c.n_test, low=1, high=10_000_000)  # type: ignore[attr-defined]
    check_int("frames_per_note", c.frames_per_note, low=1, high=10_000)  # type: ignore[attr-defined]
    check_fraction("test_fraction", c.test_fraction)  # type: ignore[attr-defined]
    check_int("frame_length", c.frame_length, low=8, high=1 << 16)  # type: ignore[attr-defined]
    check_float("attack_seconds", c.attack_seconds, low=0.0, high=60.0)  # type: ignore[attr-defined]
    end = getattr(c, end_field)
    check_float(end_field, end, low=0.0, high=60.0, low_open=True)
    if (end - c.attack_seconds) * c.sample_rate < c.frame_length:  # type: ignore[attr-defined]
        raise ConfigError(end_field, end, "must leave one frame_length after attack_seconds")
    check_float("min_level_db", c.min_level_db, low=0.0, high=120.0, low_open=True)  # type: ignore[attr-defined]
    check_float("noise_std", c.noise_std, low=0.0, high=10.0)  # type: ignore[attr-defined]
    check_float("gain_db", c.gain_db, low=0.0, high=120.0)  # type: ignore[attr-defined]


register_dataset(SoundfontNotesConfig)

make_soundfont_notes = (
    SoundfontNotesConfig.make_frames
)  # make_soundfont_notes(config, *, split, seed): the same, as a function
