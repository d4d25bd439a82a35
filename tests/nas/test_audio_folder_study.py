"""A folder of real recordings written on the fly (FluidSynth notes and espeak-ng speech, wav and
flac, a manifest, a broken file) searched by ``fftnas run``: a 2-trial study on its classes, a
pitch study on its manifest's f0, both studies' fronts put side by side by ``fftnas compare``, every
front-end kind trained on it and exported in both formats (or refused as the kind declares), and
the broken file refused in one line before anything is stored."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import optuna
import pytest

from fftlearn import ConfigError
from fftlearn.data import write_audio_folder
from fftlearn.frontends import FRONTENDS
from nas.cli import main
from tests.helpers import snapshot

STUDY = """
[study]
name = "{name}"
trials = 2
seed = 0

[sampler]
name = "random"
seed = 0

[[objectives]]
metric = "accuracy"
direction = "maximize"

[[objectives]]
metric = "macs"
direction = "minimize"

[task]
name = "{task}"

[task.data]
kind = "audio_folder"
root = "{root}"
{data}
frame_length = 512
hop_length = 256
max_frames_per_file = 6

[space]
frontends = ["multiplicative", "stft"]

[space.multiplicative]
n_kernels = {{ low = 4, high = 32, log = true }}

[space.stft]
n_fft = [64, 128]

[space.head]
width = {{ low = 8, high = 16, log = true }}
depth = {{ low = 0, high = 1 }}

[budget]
epochs = 2
batch_size = 32
"""


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """16 recordings: 12 notes of piano, violin and flute, 4 sentences, half wav, half flac."""
    root = tmp_path_factory.mktemp("recordings") / "audio"
    try:
        return write_audio_folder(root, n_files=16, seed=0)
    except ConfigError as error:  # no SoundFont or no espeak-ng on this machine
        if os.environ.get("FFTNAS_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{error}, and FFTNAS_REQUIRE_SERVICES=1 requires it")
        pytest.skip(str(error))


def run_study(workdir: Path, *, name: str, root: Path, task: str, data: str) -> int:
    experiment = workdir / f"{name}.toml"
    experiment.write_text(STUDY.format(name=name, task=task, root=root, data=data))
    storage = workdir / "studies.journal"
    return main(["run", str(experiment), "--storage", str(storage), "--no-progress", "--devices", "cpu"])


@pytest.fixture(scope="module")
def studies(recordings: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two 2-trial studies in one journal: the classes by manifest (its split column), and pitch
    from the manifest's f0 (the notes only)."""
    workdir = tmp_path_factory.mktemp("studies")
    classes = 'manifest = "{}"\nsplit_column = "split"'.format(recordings / "manifest.csv")
    assert run_study(workdir, name="classes", root=recordings, task="label", data=classes) == 0
    pitch = 'manifest = "{}"\nlabel_column = "f0_hz"\nlabel_type = "f0_hz"'.format(recordings / "pitch.csv")
    assert run_study(workdir, name="pitch", root=recordings, task="pitch", data=pitch) == 0
    return workdir


def test_the_folder_holds_real_wav_and_flac_recordings(recordings: Path) -> None:
    files = sorted(
        p.relative_to(recordings).as_posix() for p in recordings.rglob("*.*") if p.suffix != ".csv"
    )
    assert {Path(f).parts[0] for f in files} == {"piano", "violin", "flute", "speech"}
    assert {Path(f).suffix for f in files} == {".wav", ".flac"} and len(files) == 16
    manifest = (recordings / "manifest.csv").read_text().splitlines()
    assert manifest[0] == "path,label,split" and len(manifest) == 17
    assert {line.split(",")[2] for line in manifest[1:]} == {"train", "test"}


def test_a_two_trial_study_on_the_folder_classes(studies: Path, recordings: Path) -> None:
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(studies / "studies.journal"))
    )
    trials = optuna.load_study(study_name="classes", storage=storage).get_trials(
        states=(optuna.trial.TrialState.COMPLETE,)
    )
    assert len(trials) == 2
    rows = (recordings / "manifest.csv").read_text().splitlines()[1:]
    n_test = 6 * sum(row.endswith(",test") for row in rows)  # max_frames_per_file of each test file
    for trial in trials:
        accuracy, macs = trial.values
        assert macs > 0 and 0.0 <= accuracy <= 1.0
        assert abs(accuracy * n_test - round(accuracy * n_test)) < 1e-9  # scored on the test files' frames
        model = json.loads(trial.user_attrs["config"])["model"]
        assert model["n_classes"] == 4 and model["frontend"]["frame_length"] == 512


def test_a_pitch_study_from_the_manifest_f0(studies: Path) -> None:
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(studies / "studies.journal"))
    )
    trials = optuna.load_study(study_name="pitch", storage=storage).get_trials(
        states=(optuna.trial.TrialState.COMPLETE,)
    )
    assert len(trials) == 2 and all(0.0 <= t.values[0] <= 1.0 for t in trials)


def test_compare_the_two_studies(studies: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figure = studies / "compare.png"
    argv = [
        "compare",
        "classes",
        "pitch",
        "--storage",
        str(studies / "studies.journal"),
        "--figure",
        str(figure),
    ]
    capsys.readouterr()
    assert main([*argv, "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["metrics"] == ["accuracy", "macs"]
    assert figure.is_file() and figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    volumes = [study["hypervolume"] for study in record["studies"]]
    assert len(volumes) == 2 and all(np.isfinite(v) and v >= 0 for v in volumes)


def test_a_broken_file_is_refused_in_one_line_and_nothing_is_stored(
    recordings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = shutil.copytree(recordings, tmp_path / "audio")
    (copy / "flute" / "broken.flac").write_bytes(b"fLaC but nothing else of a flac file")
    capsys.readouterr()
    assert run_study(tmp_path, name="broken", root=copy, task="label", data="") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "broken.flac" in err and "root" in err
    assert not (tmp_path / "studies.journal").exists()
    # a stored study stays untouched when a later run meets the broken file
    (copy / "flute" / "broken.flac").unlink()
    assert run_study(tmp_path, name="broken", root=copy, task="label", data="") == 0
    before = snapshot(tmp_path / "studies.journal")
    (copy / "violin" / "broken.wav").write_bytes(b"RIFF....WAVEfmt nonsense")
    assert run_study(tmp_path, name="broken", root=copy, task="label", data="") == 2
    assert "broken.wav" in capsys.readouterr().err and snapshot(tmp_path / "studies.journal") == before


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
@pytest.mark.parametrize("frontend_only", [False, True])
def test_the_trained_trials_export_and_agree(
    studies: Path, fmt: str, frontend_only: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every trial of the classes study, trained on the recordings, written as ``fmt`` and run
    back: the printed max abs difference is within 1e-5 of PyTorch (float32)."""
    storage = str(studies / "studies.journal")
    before = snapshot(studies / "studies.journal", studies / "studies-artifacts")
    for number in (0, 1):
        out = studies / f"trial{number}-{fmt}-{int(frontend_only)}.{'pt' if fmt == 'torchscript' else 'onnx'}"
        argv = ["export", "--study", "classes", "--trial", str(number), "--format", fmt, "-o", str(out)]
        capsys.readouterr()
        assert main(argv + (["--frontend-only"] if frontend_only else []) + ["--storage", storage]) == 0
        printed = capsys.readouterr().out
        line = next(row for row in printed.splitlines() if row.startswith("max abs difference:"))
        assert float(line.split()[3]) <= 1e-5 and out.is_file() and out.stat().st_size > 0
    assert snapshot(studies / "studies.journal", studies / "studies-artifacts") == before


KIND_STUDY = """
[study]
name = "{kind}"
trials = 1
seed = 0

[[objectives]]
metric = "accuracy"
direction = "maximize"

[[objectives]]
metric = "macs"
direction = "minimize"

[task]
name = "label"

[task.data]
kind = "audio_folder"
root = "{root}"
frame_length = 512
hop_length = 512
max_frames_per_file = 4

[space]
frontends = ["{kind}"]

[budget]
epochs = 1
batch_size = 32
"""


@pytest.fixture(scope="module")
def every_kind(recordings: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 1-trial study per registered front-end kind (its default search space), trained on
    the recordings' classes (sub-folders, split by the seed), all in one journal."""
    workdir = tmp_path_factory.mktemp("kinds")
    storage = workdir / "kinds.journal"
    for kind in FRONTENDS.names():
        experiment = workdir / f"{kind}.toml"
        experiment.write_text(KIND_STUDY.format(kind=kind, root=recordings))
        assert (
            main(["run", str(experiment), "--storage", str(storage), "--no-progress", "--devices", "cpu"])
            == 0
        )
    return workdir


@pytest.mark.parametrize("kind", FRONTENDS.names())
def test_every_kind_trained_on_the_recordings_exports_or_is_refused(
    every_kind: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each kind's trained model in both formats: written and within 1e-5 of PyTorch (with the
    kind's export note printed, if it has one), or refused in one line with the reason its kind
    declares and no file."""
    refusals = FRONTENDS.get(kind, field="kind").export_refusals
    for fmt in ("torchscript", "onnx"):
        out = every_kind / f"{kind}.{fmt}"
        argv = ["export", "--study", kind, "--trial", "0", "--format", fmt, "-o", str(out)]
        capsys.readouterr()
        code = main([*argv, "--storage", str(every_kind / "kinds.journal")])
        printed = capsys.readouterr()
        if fmt in refusals:
            assert code == 2 and not out.exists()
            assert len(printed.err.strip().splitlines()) == 1 and refusals[fmt] in printed.err
            continue
        assert code == 0, printed.err
        line = next(row for row in printed.out.splitlines() if row.startswith("max abs difference:"))
        assert float(line.split()[3]) <= 1e-5 and out.stat().st_size > 0
        note = FRONTENDS.get(kind, field="kind").export_note
        assert (f"note: {note}" in printed.out) if note else "note:" not in printed.out
