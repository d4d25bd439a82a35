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

Harder pitch (all off by default): ``detune_cents`` detunes each note by an offset uniform in
+-``detune_cents`` and ``vibrato_cents`` adds a sinusoidal vibrato at ``vibrato_hz`` (random
phase), both played on FluidSynth's pitch wheel (+-200 cents, 0.05-cent steps), so f0 is
continuous: a frame's f0 is the mean of its pitch track in cents, and ``midi`` the nearest
note. ``noise_types`` adds white, pink or babble noise (espeak-ng speech, 4 talkers) at an SNR
uniform in ``snr_db``; the test split may differ (``test_noise_types``, ``test_snr_db``).
``split_by`` holds out whole programs or GM families instead of single notes.

The default programs are two per GM family for families 0-13 whose sound has the written
pitch as its fundamental in both FluidR3_GM and TimGM6mb (checked with a YIN estimate over
C2-C6). Left out: families 14 (percussive, 112-119) and 15 (sound effects, 120-127), which have
no pitch or not the written one; and, for the same reason, 9 glockenspiel, 14 tubular bells,
16-18 drawbar/percussive/rock organ (a 16' stop puts the fundamental an octave below the key),
31 guitar harmonics (two octaves up), 47 timpani, 55 orchestra hit, 86 lead "fifths", 97-98.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np

from .._errors import ConfigError
from .._validate import check_float, check_int, check_int_list
from ._augment import NoiseSpec, cached_and_augmented, check_noise
from ._babble import babble_length, babble_speech
from ._base import DataSet, register_dataset
from ._fluidsynth import BEND_RANGE_CENTS, MAX_RENDER_RATE, pitch_track, render_note, synthesizer
from ._frameset import (
    MUSIC,
    FrameSet,
    SplitName,
    check_note_frames,
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

SPLITS_BY = ("note", "program", "family")


@dataclass(frozen=True)
class SoundfontNotesConfig(DataSet):
    """Frames of single instrument notes rendered from GM SoundFonts, labelled by pitch and family."""

    kind: ClassVar[str] = "soundfont_notes"
    FAMILY_NAMES: ClassVar[tuple[str, ...]] = GM_FAMILY_NAMES  # what the family ids mean
    NOISE_FIELDS: ClassVar[tuple[str, ...]] = ("noise_types", "snr_db", "test_noise_types", "test_snr_db")
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
    detune_cents: float = 0.0  # each note detuned by an offset uniform in +-detune_cents (cents)
    vibrato_cents: float = 0.0  # vibrato depth, cents either side (0 = none)
    vibrato_hz: float = 5.5  # vibrato rate (Hz)
    split_by: Literal["note", "program", "family"] = "note"  # what test_fraction holds out whole
    noise_types: tuple[str, ...] = ()  # additive noise, one type per frame: "white", "pink", "babble"
    snr_db: tuple[float, float] = (0.0, 20.0)  # SNR range of that noise (dB, uniform)
    test_noise_types: tuple[str, ...] | None = None  # the test split's noise; None = noise_types
    test_snr_db: tuple[float, float] | None = None  # the test split's SNR range; None = snr_db
    espeak: str = "espeak-ng"  # the espeak-ng program that speaks the babble noise
    cache_dir: str = ""  # where rendered frames are stored; "" = $FFTNAS_CACHE or ~/.cache/fftnas

    def __post_init__(self) -> None:
        for field in ("soundfont", "test_soundfont", "cache_dir", "espeak"):
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
        if (
            midi_to_hz(self.midi_high + 0.5 + (self.detune_cents + self.vibrato_cents) / 100)
            >= self.sample_rate / 2
        ):
            raise ConfigError("midi_high", self.midi_high, "must lie below Nyquist")
        check_note_frames(self, end_field="note_seconds")
        check_float("detune_cents", self.detune_cents, low=0.0, high=BEND_RANGE_CENTS)
        check_float("vibrato_cents", self.vibrato_cents, low=0.0, high=BEND_RANGE_CENTS - self.detune_cents)
        check_float("vibrato_hz", self.vibrato_hz, low=0.0, high=50.0, low_open=True)
        if self.split_by not in SPLITS_BY:
            raise ConfigError("split_by", self.split_by, f"must be one of {', '.join(SPLITS_BY)}")
        check_noise("noise_types", self.noise_types, "snr_db", self.snr_db)
        check_noise(
            "test_noise_types",
            self.noise_types if self.test_noise_types is None else self.test_noise_types,
            "test_snr_db",
            self.snr_db if self.test_snr_db is None else self.test_snr_db,
        )

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
        if "babble" in self.noise_types + (self.test_noise_types or ()) and shutil.which(self.espeak) is None:
            raise ConfigError(
                "espeak", self.espeak, "is not an installed program; babble noise needs espeak-ng"
            )

    def make_frames(self, *, split: SplitName, seed: int) -> FrameSet:
        # rendered once and cached (cached_frames), then augmented (noise, gain) by the seed
        return self.context_frames(split=split, seed=seed, context_length=self.frame_length)

    def context_frames(self, *, split: SplitName, seed: int, context_length: int) -> FrameSet:
        """The frames of ``make_frames`` with ``context_length`` samples of the same notes
        around them: ``frames (n, context_length)`` whose centre, from sample
        ``(context_length - frame_length) // 2``, is exactly ``make_frames``' frame (same
        labels). The audio around it has the same gain and noise of the same type and level."""
        check_int(
            "context_length", context_length, low=self.frame_length, high=babble_length(self.frame_length)
        )
        noise = self.noise(split)
        return cached_and_augmented(
            self,
            split=split,
            seed=seed,
            render=render_soundfont_notes,
            noise=noise,
            babble=lambda: babble_speech(
                sample_rate=self.sample_rate,
                frame_length=self.frame_length,
                split=split,
                seed=seed,
                cache_dir=self.cache_dir,
                espeak=self.espeak,
            ),
            context_length=None if context_length == self.frame_length else context_length,
        )

    def noise(self, split: SplitName) -> NoiseSpec:
        """The additive noise of ``split``."""
        if split == "test":
            types = self.noise_types if self.test_noise_types is None else self.test_noise_types
            return NoiseSpec(types, self.snr_db if self.test_snr_db is None else self.test_snr_db)
        return NoiseSpec(self.noise_types, self.snr_db)

    def pitch_range(self) -> tuple[int, int]:
        """``(midi_low, midi_high)``, widened by the semitones detuning and vibrato can reach."""
        spread = math.ceil((self.detune_cents + self.vibrato_cents) / 100.0)
        return self.midi_low - spread, self.midi_high + spread

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


def render_soundfont_notes(
    config: SoundfontNotesConfig, *, split: SplitName, seed: int, context_length: int | None = None
) -> FrameSet:
    """The ``split``'s notes rendered by FluidSynth now: no cache, no augmentation (raw levels);
    with ``context_length``, the same frames with that much audio around them (``gather``)."""
    stream = check_split(split, seed)
    config.check_sources()
    pool = note_pool(config, split=split, seed=seed)
    bends = np.random.default_rng([seed, stream, 5]).uniform(size=(len(pool), 2))  # detune, phase
    field = "test_soundfont" if split == "test" and config.test_soundfont else "soundfont"
    rate = config.sample_rate * config.oversample
    n_render = round((config.note_seconds + 0.01) * rate)  # 10 ms more: the decimator's edge
    n_keep = round(config.note_seconds * config.sample_rate)

    def cents(index: int) -> np.ndarray | None:  # the pitch track of note `index`, per rendered sample
        if config.detune_cents == 0 and config.vibrato_cents == 0:
            return None
        return pitch_track(
            detune_cents=config.detune_cents * (2.0 * bends[index, 0] - 1.0),
            vibrato_cents=config.vibrato_cents,
            vibrato_hz=config.vibrato_hz,
            phase=2.0 * np.pi * bends[index, 1],
            n_samples=n_render,
            rate=rate,
        )

    with synthesizer(getattr(config, field), rate=rate, field=field) as (synth, font):
        for program in config.programs:
            if synth.program_select(0, font, 0, program) != 0:
                raise ConfigError("programs", program, f"is not in {field} {getattr(config, field)}")

        def render(index: int) -> np.ndarray:
            audio = render_note(synth, font, *pool[index], n_samples=n_render, cents=cents(index))
            return resample(audio, rate, config.sample_rate)[:n_keep]

        frames, item, offset = gather(
            range(len(pool)),
            render,
            n=config.n_train if split == "train" else config.n_test,
            per_item=config.frames_per_note,
            frame_length=config.frame_length,
            start=round(config.attack_seconds * config.sample_rate),
            min_level_db=config.min_level_db,
            rng=np.random.default_rng([seed, stream, 1]),
            field="n_train" if split == "train" else "n_test",
            context_length=context_length,
        )
    program, midi, _ = np.array(pool, dtype=np.int64).reshape(-1, 3)[item].T  # (n,) each
    pitch = midi + frame_detune(item, offset, cents=cents, config=config) / 100.0
    return labelled(
        frames,
        sample_rate=config.sample_rate,
        family_names=GM_FAMILY_NAMES,
        f0_hz=midi_to_hz(pitch),
        midi=np.round(pitch).astype(np.int64),
        family=program // 8,
        source=MUSIC,
    )


def frame_detune(
    item: np.ndarray,
    offset: np.ndarray,
    *,
    cents: Callable[[int], np.ndarray | None],
    config: SoundfontNotesConfig,
) -> np.ndarray:
    """Each frame's mean pitch-track value (cents re its written note), ``(n,)``; 0 without a
    track. Rendered sample ``k * oversample`` lines up with sample ``k`` of the frames."""
    detune = np.zeros(len(item))
    step, length = config.oversample, config.oversample * config.frame_length
    for index in np.unique(item):  # one pitch track per note, however many frames it gave
        track = cents(int(index))
        if track is not None:
            for row in np.nonzero(item == index)[0]:
                detune[row] = track[step * offset[row] : step * offset[row] + length].mean()
    return detune


def note_pool(config: SoundfontNotesConfig, *, split: SplitName, seed: int) -> list[tuple[int, int, int]]:
    """The ``split``'s (program, MIDI note, velocity) combinations, in the seed's order: the
    held-out share is of single notes, whole programs or whole GM families (``split_by``)."""
    notes = [
        (program, midi, velocity)
        for program in config.programs
        for midi in range(config.midi_low, config.midi_high + 1)
        for velocity in config.velocities
    ]
    if config.split_by == "note":
        train, test = split_pool(notes, test_fraction=config.test_fraction, seed=seed)
        return train if split == "train" else test
    group = (lambda note: note[0]) if config.split_by == "program" else (lambda note: note[0] // 8)
    groups = sorted({group(note) for note in notes})
    if len(groups) < 2:
        raise ConfigError("split_by", config.split_by, f"needs programs from at least 2 {config.split_by}s")
    train_groups, test_groups = split_pool(groups, test_fraction=config.test_fraction, seed=seed)
    held = set(train_groups if split == "train" else test_groups)
    chosen = [note for note in notes if group(note) in held]
    return [chosen[i] for i in np.random.default_rng([seed, 8]).permutation(len(chosen))]


register_dataset(SoundfontNotesConfig)

make_soundfont_notes = (
    SoundfontNotesConfig.make_frames
)  # make_soundfont_notes(config, *, split, seed): the same, as a function
