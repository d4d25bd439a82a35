"""benchmarks/pitch_anchors.py: the conditions it builds from an experiment, context frames whose
centre is the test frame, its tables, bad flags and a missing extra; and, where the anchors extra
is installed, CREPE tiny and PESTO on a few frames and one whole small run."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import mir_eval
import numpy as np
import pytest
import torch

from fftlearn._errors import ConfigError
from fftlearn.data import LabelledFrames, TaskConfig
from fftlearn.data._augment import NoiseSpec
from nas._experiment import load_experiment
from tests.fftlearn.data.test_data_audio import small_notes, soundfonts  # noqa: F401 (fixture)
from tests.helpers import REPO, SmallStudy, load_benchmark

pitch_anchors = load_benchmark("pitch_anchors")
anchors = sys.modules["_anchors"]  # the helper module the script imported
HARD = REPO / "experiments" / "pitch_hard.toml"
EXTRA = "the anchors extra is not installed (pip install -e '.[anchors]'): torchcrepe, pesto-pitch"
needs_extra = pytest.mark.skipif(bool(anchors.missing_packages(["crepe_tiny", "pesto"])), reason=EXTRA)


def changed(a: object, b: object) -> set[str]:
    """The config fields in which ``a`` and ``b`` differ."""
    return {f.name for f in dataclasses.fields(a) if getattr(a, f.name) != getattr(b, f.name)}


def test_each_condition_changes_one_thing_from_the_standard_notes() -> None:
    data = load_experiment(HARD, check_data=False).task.data
    chosen = {c.name: c.data for c in pitch_anchors.conditions(data)}
    assert list(chosen) == [
        "experiment", "standard", "detuned", "snr_20db", "snr_10db", "snr_0db", "other_soundfont",
    ]  # fmt: skip
    assert chosen["experiment"] == data
    standard = chosen["standard"]
    assert changed(standard, data) == {
        "test_soundfont", "detune_cents", "vibrato_cents", "noise_types", "noise_std",
    }  # fmt: skip
    assert (standard.test_soundfont, standard.detune_cents, standard.vibrato_cents) == ("", 0.0, 0.0)
    assert standard.noise_std == 0.02 and standard.noise("test").types == ()
    assert changed(chosen["detuned"], standard) == {"detune_cents", "vibrato_cents"}
    assert (chosen["detuned"].detune_cents, chosen["detuned"].vibrato_cents) == (50.0, 15.0)
    for snr in (20, 10, 0):
        noisy = chosen[f"snr_{snr}db"]
        assert changed(noisy, standard) == {"noise_std", "test_noise_types", "test_snr_db"}
        assert noisy.noise("test") == NoiseSpec(("white", "pink", "babble"), (snr, snr))
        assert noisy.noise_std == 0.0 and noisy.noise("train").types == ()
    assert changed(chosen["other_soundfont"], standard) == {"test_soundfont"}
    assert chosen["other_soundfont"].test_soundfont == data.test_soundfont
    rows = [pitch_anchors.settings_row(pitch_anchors.Condition(n, chosen[n])) for n in ("detuned", "snr_0db")]
    assert rows == [
        ["detuned", "FluidR3_GM.sf2", "50", "15 at 5.5 Hz", "-", "-", "0.02"],
        ["snr_0db", "FluidR3_GM.sf2", "0", "0", "white, pink, babble", "0 to 0", "0"],
    ]


def test_the_other_soundfont_is_debians_other_one_or_an_error() -> None:
    data = load_experiment(HARD, check_data=False).task.data
    plain = dataclasses.replace(data, test_soundfont="", noise_std=0.05)
    assert pitch_anchors.other_soundfont(plain) == "/usr/share/sounds/sf2/TimGM6mb.sf2"
    assert pitch_anchors.conditions(plain)[1].data.noise_std == 0.05  # the experiment's own, kept
    with pytest.raises(ConfigError, match="test_soundfont"):
        pitch_anchors.other_soundfont(dataclasses.replace(plain, soundfont="/elsewhere/own.sf2"))


def test_centre_cut_keeps_the_frame_at_the_centre() -> None:
    contexts = np.arange(2 * 4096).reshape(2, 4096)
    cut = anchors.centre_cut(contexts, frame_length=640, length=1024)
    assert cut.shape == (2, 1024) and cut[0, 0] == 1536  # (4096 - 640) // 2 - (1024 - 640) // 2
    assert np.array_equal(cut[:, 192:832], contexts[:, 1728:2368])  # the frame, both ways round
    assert np.array_equal(anchors.centre_cut(contexts, frame_length=640, length=640), contexts[:, 1728:2368])
    with pytest.raises(ValueError, match="cannot cut 8192"):
        anchors.centre_cut(contexts, frame_length=640, length=8192)


@pytest.mark.usefixtures("soundfonts")
def test_condition_frames_are_the_test_frames_at_the_centre_of_their_context(tmp_path: Path) -> None:
    data = small_notes(tmp_path, noise_std=0.02, gain_db=6.0, detune_cents=30.0)
    task = TaskConfig(name="pitch", data=data, pitch_bins="cents")
    condition = pitch_anchors.Condition("standard", data)
    frames = pitch_anchors.condition_frames(condition, task=task, seed=0, n=8, context_length=4096)
    plain = data.make_frames(split="test", seed=0)
    assert frames.context.shape == (8, 4096) and frames.context.dtype == np.float32
    assert np.array_equal(frames.context[:, 1728:2368], plain.frames[:8])
    assert np.array_equal(frames.test.frames, plain.frames[:8]) and np.array_equal(
        frames.test.f0_hz, plain.f0_hz[:8]
    )
    with pytest.raises(ConfigError, match="--n-frames: got 13; must be at most the experiment's n_test"):
        pitch_anchors.condition_frames(condition, task=task, seed=0, n=13, context_length=4096)


def centre_sample(contexts: np.ndarray) -> np.ndarray:
    """The sample at the centre of each row, read as a frequency (Hz)."""
    return contexts[:, contexts.shape[1] // 2].astype(np.float64)


def test_run_feeds_each_method_its_centred_cut_in_batches_and_the_tables_say_so() -> None:
    rng = np.random.default_rng(0)
    truth = {"quiet": rng.uniform(60.0, 1000.0, 5), "loud": rng.uniform(60.0, 1000.0, 5)}
    guesses = {name: f0 * 2.0 ** (rng.choice([0.0, 0.3, 1.0, -2.0], 5) / 12) for name, f0 in truth.items()}
    contexts = {name: np.zeros((5, 4096), np.float32) for name in truth}
    for name, f0 in guesses.items():
        contexts[name][:, 2048] = f0  # the centre of the 640-sample frame at 1728
    probe = anchors.Anchor("probe", 1024, centre_sample, 1.5e6, "by hand", "reads one sample")
    outcome = anchors.run(probe, contexts, frame_length=640, batch_size=2, limit=3)
    assert outcome.frames == 6 and outcome.seconds > 0 and outcome.passes == 100  # a fast method: 100
    for name in truth:
        assert np.array_equal(outcome.f0_hz[name], guesses[name][:3].astype(np.float32))
    ours = anchors.Anchor("ours", 640, centre_sample, 2.0e3, "own count", "a model")  # first: the reference
    timed = [
        anchors.Outcome(ours, {n: t for n, t in truth.items()}, 0.01, 10),
        dataclasses.replace(outcome, seconds=0.5, frames=5),
    ]
    frames = [
        pitch_anchors.ConditionFrames(
            name,
            LabelledFrames(np.zeros((5, 640), np.float32), np.zeros(5, np.int64), f0, 1, ("x",)),
            contexts[name],
        )
        for name, f0 in truth.items()
    ]
    chosen = [pitch_anchors.Condition(name, None) for name in ()]  # the settings table may be empty
    cost, accuracy, _ = pitch_anchors.tables(timed, frames, chosen).split("\n\n")
    assert cost.splitlines()[0] == (
        "| method | input (samples) | MACs per frame | MACs counted by | seconds per 1,000 frames (1 thread) "
        "| time ÷ fftnas's time |"
    )
    assert cost.splitlines()[2:] == [
        "| ours | 640 | 0.002 M | own count | 1.000 | 1.0 |",
        "| probe | 1024 | 1.500 M | by hand | 100.000 | 100.0 |",
    ]
    assert (
        accuracy.splitlines()[0] == "| method | frames per condition | quiet: RPA / RCA | loud: RPA / RCA |"
    )
    cells = accuracy.splitlines()[3].split(" | ")[2:]
    for cell, name in zip(cells, truth):
        ref_v, ref_c, est_v, est_c = mir_eval.melody.to_cent_voicing(
            np.arange(3) * 0.01, truth[name][:3], np.arange(3) * 0.01, outcome.f0_hz[name].astype(np.float64)
        )
        rpa = mir_eval.melody.raw_pitch_accuracy(ref_v, ref_c, est_v, est_c)
        rca = mir_eval.melody.raw_chroma_accuracy(ref_v, ref_c, est_v, est_c)
        assert cell.strip(" |") == f"{rpa:.3f} / {rca:.3f}"
    assert accuracy.splitlines()[3].startswith("| probe | 3 |")


def test_bad_flags_and_a_missing_extra_are_one_line_and_exit_code_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    threads = torch.get_num_threads()
    assert pitch_anchors.main(["--experiment", str(HARD), "--n-frames", "0", "--no-record"]) == 2
    assert (
        capsys.readouterr().err
        == "pitch_anchors: error: --n-frames: got 0; must be an integer in [1, 100000]\n"
    )
    monkeypatch.setitem(sys.modules, "pesto", None)  # what Python reads as "not installed"
    assert pitch_anchors.main(["--experiment", str(HARD), "--anchors", "pesto", "--no-record"]) == 2
    assert capsys.readouterr().err == (
        "pitch_anchors: error: --anchors: got ['pesto']; pesto-pitch not installed: "
        "pip install -e '.[anchors]'\n"
    )
    assert torch.get_num_threads() == threads  # main ran at 1 thread and gave the count back


def tones(f0_hz: list[float], *, length: int = 4096) -> np.ndarray:
    """Sines of amplitude 0.5 at ``f0_hz``, ``(len(f0_hz), length) float32`` at 16 kHz."""
    t = np.arange(length) / 16000
    return (0.5 * np.sin(2 * np.pi * np.array(f0_hz)[:, None] * t)).astype(np.float32)


def conv_and_linear_macs(model: torch.nn.Module, example: torch.Tensor) -> int:
    """MACs of ``model(example)``'s convolutions and dense layers, counted from their outputs."""
    total = [0]

    def count(module: torch.nn.Module, _: object, output: torch.Tensor) -> None:
        if isinstance(module, torch.nn.Conv2d):
            per_output = module.in_channels // module.groups * int(np.prod(module.kernel_size))
            total[0] += output.numel() * per_output
        elif isinstance(module, torch.nn.Linear):
            total[0] += output.numel() * module.in_features

    hooks = [m.register_forward_hook(count) for m in model.modules()]
    with torch.no_grad():
        model(example)
    for hook in hooks:
        hook.remove()
    return total[0]


@needs_extra
def test_crepe_tiny_reads_the_centre_1024_samples_and_its_macs_are_its_layers() -> None:
    crepe = anchors.make_anchor("crepe_tiny", sample_rate=16000, fmin_hz=50.0, fmax_hz=2000.0)
    f0 = [82.4, 110.0, 196.0, 261.6, 440.0, 659.3, 987.8]
    outcome = anchors.run(crepe, {"tones": tones(f0)}, frame_length=640, batch_size=4, min_seconds=0.0)
    assert np.abs(1200 * np.log2(outcome.f0_hz["tones"] / f0)).max() < 10.0  # cents
    mixed = tones([220.0, 220.0])
    mixed[:, 1536:2560] = tones([440.0, 330.0], length=1024)  # what CREPE's 1024 centred samples hold
    centre = crepe.predict(anchors.centre_cut(mixed, frame_length=640, length=1024))
    assert np.abs(1200 * np.log2(centre / [440.0, 330.0])).max() < 10.0
    model = sys.modules["torchcrepe"].infer.model
    assert crepe.macs == conv_and_linear_macs(model, torch.zeros(1, 1024)) == 36_792_320


@needs_extra
def test_pesto_tracks_tones_from_one_cqt_frame() -> None:
    pesto = anchors.make_anchor("pesto", sample_rate=16000, fmin_hz=50.0, fmax_hz=2000.0)
    assert pesto.context_length == 4096 and 30e6 < pesto.macs < 31e6
    f0 = [261.6, 440.0, 659.3, 987.8]  # below ~200 Hz PESTO reads sines sharp, in its own predict too
    outcome = anchors.run(pesto, {"tones": tones(f0)}, frame_length=640, batch_size=3, min_seconds=0.0)
    assert np.abs(1200 * np.log2(outcome.f0_hz["tones"] / f0)).max() < 5.0


TINY = """
[study]
name = "tiny_anchors"
trials = 1
seed = 0

[[objectives]]
metric = "raw_pitch_accuracy"
direction = "maximize"

[task]
name = "pitch"
pitch_bins = "cents"

[task.data]
kind = "soundfont_notes"
programs = [0, 40, 73]
midi_low = 48
midi_high = 72
velocities = [90]
n_train = 24
n_test = 12
frames_per_note = 2
detune_cents = 30.0
cache_dir = "{cache}"

[space]
frontends = ["stft"]

[space.stft]
n_fft = [256, 640]

[budget]
epochs = 1
batch_size = 8
"""


@needs_extra
@pytest.mark.usefixtures("soundfonts")
def test_a_small_run_prints_the_three_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    experiment = tmp_path / "tiny.toml"
    experiment.write_text(TINY.format(cache=tmp_path / "cache"), encoding="utf-8")
    flags = ["--experiment", str(experiment), "--anchors", "crepe_tiny", "--n-frames", "6", "--no-record"]
    assert pitch_anchors.main([*flags, "--conditions", "standard", "detuned", "other_soundfont"]) == 0
    out = capsys.readouterr().out
    assert "| fftnas (STFT baseline) | 640 |" in out and "| crepe_tiny | 1024 | 36.792 M |" in out
    assert (
        "| method | frames per condition | standard: RPA / RCA | detuned: RPA / RCA | other_soundfont:" in out
    )
    assert "| detuned | FluidR3_GM.sf2 | 30 | 0 | - | - | 0.05 |" in out
    assert "| other_soundfont | TimGM6mb.sf2 | 0 | 0 | - | - | 0.05 |" in out
    assert "the fixed STFT baseline (n_fft 640, hop 320, hann" in out


@needs_extra
def test_a_stored_trial_is_loaded_and_a_task_without_context_frames_refused(
    small_study: SmallStudy, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = ["--storage", str(small_study.storage), "--artifact-dir", str(small_study.artifact_dir)]
    assert pitch_anchors.main([*storage, "--trial", "0", "--anchors", "pyin", "--no-record"]) == 2
    assert capsys.readouterr().err == (
        "pitch_anchors: error: task: got 'harmonic_tones'; "
        "must be pitch on soundfont_notes (context frames)\n"
    )
    assert pitch_anchors.main([*storage, "--anchors", "pyin", "--no-record"]) == 2
    assert "--trial: got None; give the trial whose model" in capsys.readouterr().err
