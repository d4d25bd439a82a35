"""Speech frames synthesised with espeak-ng, over several voices, pitches and speaking rates.

Every (sentence, voice, pitch, speed) combination is one possible utterance. The seed shuffles
the built-in sentences and keeps ``test_fraction`` of them for the test split, so test frames
are words never heard in training (spoken by the same voices). Each utterance is written by
``espeak-ng -w`` (22,050 Hz for the built-in voices), resampled to ``sample_rate`` with a
polyphase anti-aliasing filter, and ``frames_per_utterance`` frames are cut at random offsets
whose level is within ``min_level_db`` of the utterance's loudest frame (this skips pauses and
silence). Labels: source = 1 (speech), no f0 (NaN), no MIDI note (-1), no family (-1).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
from scipy.io import wavfile

from .._errors import ConfigError
from .._validate import check_float, check_fraction, check_int, check_int_list
from ._augment import cached_and_augmented
from ._base import DataSet, register_dataset
from ._frameset import (
    SPEECH,
    FrameSet,
    SplitName,
    check_split,
    gather,
    labelled,
    resample,
    split_pool,
)

# Plain sentences, written for this data set; the seed splits them into train and test.
SENTENCES = (
    "The morning train was late again, so we walked to the old bridge instead.",
    "Please put the blue cups on the second shelf next to the plates.",
    "A small dog barked at the postman and then ran back into the garden.",
    "We need three more chairs before the guests arrive this evening.",
    "The river rose quickly after two days of heavy rain in the hills.",
    "She wrote the numbers on a card and handed it to the driver.",
    "Turn left at the bakery and the library is just around the corner.",
    "My brother fixed the bicycle with a piece of wire and some tape.",
    "The children laughed when the clown dropped all of his oranges.",
    "It takes about twenty minutes to boil the potatoes until they are soft.",
    "Our neighbours painted their front door a bright shade of yellow.",
    "The meeting starts at nine, but most people come a little early.",
    "He opened the window to let the cool air into the crowded room.",
    "A flock of geese flew low over the field just before sunset.",
    "Could you read the last page aloud so that everyone can hear it?",
    "The baker sells fresh bread every morning except on Sundays.",
    "We found an old map of the town hidden inside a wooden box.",
    "The wind blew the leaves across the road and into the pond.",
    "Remember to switch off the lights when you leave the office.",
    "Her grandmother grew tomatoes, beans and onions behind the house.",
    "The museum opens a new exhibition about ships and sailors next week.",
    "Two cats sat on the warm roof and watched the birds in the tree.",
    "I would like a cup of tea with milk and a slice of lemon cake.",
    "The path through the forest was muddy after the long winter.",
    "They played music in the square until well after midnight.",
    "The teacher asked us to count the stones in the glass jar.",
    "A loud bell rang from the tower to announce the start of the fair.",
    "Every summer we rent a small cabin by the lake for a week.",
    "The doctor said he should rest and drink plenty of water.",
    "Snow covered the mountains, but the valley stayed green and wet.",
    "The farmer counted his sheep twice because one seemed to be missing.",
    "We waited at the station while the rain drummed on the glass roof.",
)

DEFAULT_VOICES = (
    "en",
    "en+f2",
    "en+m3",
    "en-us+f4",
    "en-us+m3",
    "en-gb-scotland+f3",
    "en-gb-x-rp+f2",
    "en-029+m5",
)  # "en-gb+VARIANT" ignores the variant in espeak-ng 1.51; "en+VARIANT" does not


@dataclass(frozen=True)
class EspeakSpeechConfig(DataSet):
    """Frames of synthetic speech (espeak-ng), labelled as speech."""

    kind: ClassVar[str] = "espeak_speech"
    FAMILY_NAMES: ClassVar[tuple[str, ...]] = ()  # speech has no instrument family
    voices: tuple[str, ...] = DEFAULT_VOICES  # espeak-ng voices (`-v`), with +variant if any
    pitches: tuple[int, ...] = (20, 50, 80)  # espeak-ng base pitches (`-p`, 0-99)
    speeds: tuple[int, ...] = (140, 175, 210)  # speaking rates in words per minute (`-s`, 80-450)
    n_train: int = 4000  # training frames
    n_test: int = 1000  # test frames
    frames_per_utterance: int = 8  # frames cut from one utterance, at random loud offsets
    test_fraction: float = 0.25  # share of the built-in sentences kept for test
    min_level_db: float = 25.0  # frames more than this many dB below the loudest are dropped
    frame_length: int = 640  # samples per frame (640 = 40 ms at 16 kHz)
    sample_rate: int = 16000  # Hz of the frames
    noise_std: float = 0.05  # std of white noise added to each peak-1 frame
    gain_db: float = 12.0  # frames are scaled by a gain uniform in [-gain_db, 0] dB
    espeak: str = "espeak-ng"  # the espeak-ng program: a name on PATH or a path
    cache_dir: str = ""  # where rendered frames are stored; "" = $FFTNAS_CACHE or ~/.cache/fftnas

    def __post_init__(self) -> None:
        for field in ("espeak", "cache_dir"):
            if not isinstance(getattr(self, field), str):
                raise ConfigError(field, getattr(self, field), "must be a string")
        if not self.espeak:
            raise ConfigError("espeak", self.espeak, "must name the espeak-ng program")
        if not isinstance(self.voices, tuple) or not self.voices:
            raise ConfigError("voices", self.voices, "must be a non-empty list of espeak-ng voice names")
        for i, voice in enumerate(self.voices):
            if not isinstance(voice, str) or not voice or voice.startswith("-") or " " in voice:
                raise ConfigError(f"voices[{i}]", voice, "must be an espeak-ng voice name such as 'en+f2'")
        if len(set(self.voices)) != len(self.voices):
            raise ConfigError("voices", self.voices, "must not repeat a voice")
        check_int_list("pitches", self.pitches, low=0, high=99)
        check_int_list("speeds", self.speeds, low=80, high=450)
        check_int("n_train", self.n_train, low=1, high=10_000_000)
        check_int("n_test", self.n_test, low=1, high=10_000_000)
        check_int("frames_per_utterance", self.frames_per_utterance, low=1, high=10_000)
        check_fraction("test_fraction", self.test_fraction)
        check_float("min_level_db", self.min_level_db, low=0.0, high=120.0, low_open=True)
        check_int("frame_length", self.frame_length, low=8, high=1 << 16)
        check_int("sample_rate", self.sample_rate, low=1000, high=384_000)
        check_float("noise_std", self.noise_std, low=0.0, high=10.0)
        check_float("gain_db", self.gain_db, low=0.0, high=120.0)

    def check_sources(self) -> None:
        """Raise ``ConfigError`` naming ``espeak`` if the program is not installed."""
        if shutil.which(self.espeak) is None:
            raise ConfigError(
                "espeak",
                self.espeak,
                "is not an installed program; install espeak-ng "
                "(apt-get install espeak-ng; scripts/setup.sh does)",
            )

    def make_frames(self, *, split: SplitName, seed: int) -> FrameSet:
        # rendered once and cached (cached_frames), then augmented (noise, gain) by the seed
        return cached_and_augmented(self, split=split, seed=seed, render=render_espeak_speech)

    @classmethod
    def example(cls, *, root: Path) -> EspeakSpeechConfig:
        """Two voices at two pitches: 16 training and 8 test frames."""
        return cls(
            voices=("en", "en-us+f4"),
            pitches=(30, 70),
            speeds=(175,),
            n_train=16,
            n_test=8,
            frames_per_utterance=4,
        )


def render_espeak_speech(config: EspeakSpeechConfig, *, split: SplitName, seed: int) -> FrameSet:
    """The ``split``'s utterances spoken by espeak-ng now: no cache, no augmentation (raw levels)."""
    stream = check_split(split, seed)
    config.check_sources()
    train_texts, test_texts = split_pool(SENTENCES, test_fraction=config.test_fraction, seed=seed)
    texts = train_texts if split == "train" else test_texts
    utterances = [
        (text, voice, pitch, speed)
        for text in texts
        for voice in config.voices
        for pitch in config.pitches
        for speed in config.speeds
    ]
    order = np.random.default_rng([seed, stream, 3]).permutation(len(utterances))
    pool = [utterances[i] for i in order]
    with tempfile.TemporaryDirectory(prefix="fftnas-espeak-") as folder:
        wav = Path(folder) / "utterance.wav"
        for voice in config.voices:  # fail on a bad voice now, not after minutes of rendering
            speak(config.espeak, "a", voice=voice, pitch=50, speed=175, wav=wav)

        def render(utterance: tuple[str, str, int, int]) -> np.ndarray:
            text, voice, pitch, speed = utterance
            audio, rate = speak(config.espeak, text, voice=voice, pitch=pitch, speed=speed, wav=wav)
            return resample(audio, rate, config.sample_rate)

        frames, _, _ = gather(
            pool,
            render,
            n=config.n_train if split == "train" else config.n_test,
            per_item=config.frames_per_utterance,
            frame_length=config.frame_length,
            start=0,
            min_level_db=config.min_level_db,
            rng=np.random.default_rng([seed, stream, 1]),
            field="n_train" if split == "train" else "n_test",
        )
    return labelled(frames, sample_rate=config.sample_rate, family_names=(), source=SPEECH)


def speak(
    program: str, text: str, *, voice: str, pitch: int, speed: int, wav: Path
) -> tuple[np.ndarray, int]:
    """``text`` spoken by espeak-ng -> ``(audio (t,) float64 in [-1, 1], sample rate in Hz)``."""
    command = [program, "-w", str(wav), "-v", voice, "-p", str(pitch), "-s", str(speed), "--", text]
    try:
        result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise ConfigError("espeak", program, "is not an installed program; install espeak-ng") from None
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        detail = message[-1] if message else f"exit code {result.returncode}"
        raise ConfigError("voices", voice, f"espeak-ng could not speak with it: {detail}")
    rate, samples = wavfile.read(wav)
    audio = samples.astype(np.float64) / 32768.0 if samples.dtype == np.int16 else samples.astype(np.float64)
    return (audio.mean(axis=1) if audio.ndim == 2 else audio), int(rate)


register_dataset(EspeakSpeechConfig)

make_espeak_speech = (
    EspeakSpeechConfig.make_frames
)  # make_espeak_speech(config, *, split, seed): the same, as a function
