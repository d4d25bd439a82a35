"""Bad input exits 2 with one line naming the field, and never touches the stored study."""

from __future__ import annotations

import io
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nas.cli import main
from tests.helpers import edit_experiment, snapshot, write_tiny_experiment


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a small stored study on the default storage, and its experiment."""
    workdir = tmp_path_factory.mktemp("stored")
    experiment = write_tiny_experiment(workdir / "tiny.toml", trials=2)
    assert (
        main(
            [
                "run",
                str(experiment),
                "--storage",
                str(workdir / "fftnas.journal"),
                "--no-progress",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    return workdir


def _experiment_edit(pattern: str, replacement: str):
    def make(workdir: Path) -> list[str]:
        bad = edit_experiment(workdir / "tiny.toml", workdir / "bad.toml", pattern, replacement)
        return ["run", str(bad)]

    return make


def _command_line(line: str):
    return lambda workdir: [a.replace("{dir}", str(workdir)) for a in line.split()]


def _missing_file(workdir: Path) -> list[str]:
    return ["run", str(workdir / "no-such-experiment.toml")]


def _broken_toml(workdir: Path) -> list[str]:
    (workdir / "broken.toml").write_text("[study\nname = 'x'\n", encoding="utf-8")
    return ["run", str(workdir / "broken.toml")]


# (case id, regex for one line of the stored experiment, its replacement, text in the one error line)
EXPERIMENT_EDITS = [
    ("unknown top-level key", r"^\[budget\]$", "[budgett]", "budgett: got"),
    ("unknown nested key", r"^depth = ", "dept = ", "space.head.dept: got"),
    ("wrong type", r"^trials = 2$", 'trials = "two"', "study.trials: got 'two'; must be an integer"),
    ("out of range", r"^frame_length = 256$", "frame_length = 4", "task.data.frame_length: got 4"),
    ("unknown sampler", r'^name = "tpe"$', 'name = "cmaes"', "sampler.name: got 'cmaes'; must be one of"),
    ("unknown metric", r'^metric = "macs"$', 'metric = "flops"', "objectives[1].metric: got 'flops'"),
    (
        "inverted range",
        r"^n_kernels = .*$",
        "n_kernels = { low = 64, high = 4 }",
        "space.multiplicative.n_kernels.high: got 4; must be >= low (64)",
    ),
    (
        "window longer than frame",
        r"^n_fft = .*$",
        "n_fft = [64, 512]",
        "space.stft.n_fft[1]: got 512; must be <= the frame length 256",
    ),
    (
        "unknown front-end",
        r"^frontends = .*$",
        'frontends = ["wavelet"]',
        "space.frontends[0]: got 'wavelet'",
    ),
    (
        "same metric twice",
        r'^metric = "macs"$',
        'metric = "accuracy"',
        "objectives: got ['accuracy', 'accuracy']",
    ),
    ("resume with another space", r"^epochs = 2$", "epochs = 3", "budget: got"),
    (
        "unknown precision",
        r"^epochs = 2$",
        'epochs = 2\nprecision = "float16"',
        "budget.precision: got 'float16'; must be one of 'float32', 'bfloat16'",
    ),
]

# (case id, command line split at spaces, {dir} standing for the study's directory, text in the one error line)
COMMAND_LINES = [
    ("zero trials", "run {dir}/tiny.toml --trials 0", "--trials: got 0"),
    ("zero workers", "run {dir}/tiny.toml --workers 0", "--workers: got 0"),
    (
        "non-integer trials",
        "run {dir}/tiny.toml --trials many",
        "argument --trials: invalid int value: 'many'",
    ),
    ("unknown device", "run {dir}/tiny.toml --device gpu", "--devices: got 'gpu'"),
    ("missing CUDA device", "run {dir}/tiny.toml --device cuda:7", "--devices: got 'cuda:7'"),
    ("storage scheme", "run {dir}/tiny.toml --storage ftp://host/x", "storage: got 'ftp://host/x'"),
    ("bare sqlite path", "pareto --storage {dir}/study.db", "write sqlite:///"),
    ("missing storage file", "pareto --storage {dir}/nothing.journal", "no such file"),
    ("unknown study", "pareto --study nope", "--study: got 'nope'; no such study; known: tiny"),
    ("unknown format", "pareto --format xml", "argument --format: invalid choice: 'xml'"),
    ("unknown trial", "reproduce --trial 99", "--trial: got 99; no such trial"),
    ("bad port", "dashboard --port 70000", "--port: got 70000"),
    ("unknown command", "train", "invalid choice: 'train'"),
]

# (case id, argv maker, text that must appear in the one error line)
CASES = [
    ("missing experiment file", _missing_file, "experiment: got"),
    ("invalid TOML", _broken_toml, "is not valid TOML"),
    *((name, _experiment_edit(regex, text), expected) for name, regex, text, expected in EXPERIMENT_EDITS),
    *((name, _command_line(line), expected) for name, line, expected in COMMAND_LINES),
]


@pytest.mark.parametrize("make_argv,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_exits_2_and_leaves_the_study_untouched(
    stored: Path, make_argv, expected: str, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.chdir(stored)
    argv = make_argv(stored)
    before = snapshot(stored / "fftnas.journal", stored / "fftnas-artifacts")
    code = main(argv)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("fftnas: error: "), captured.err
    assert expected in lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert snapshot(stored / "fftnas.journal", stored / "fftnas-artifacts") == before
    assert not (stored / "nothing.journal").exists() and not (stored / "study.db").exists()


def test_console_exit_code_and_password_never_printed(tmp_path: Path) -> None:
    experiment = write_tiny_experiment(tmp_path / "tiny.toml")
    url = "postgresql://fftnas:s3cret-pw@127.0.0.1:1/nodb"
    result = subprocess.run(
        [sys.executable, "-m", "nas.cli", "run", str(experiment), "--storage", url],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("fftnas: error: storage: got 'postgresql://fftnas:***@127.0.0.1:1/nodb'")
    assert "s3cret-pw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_python_api_validates_its_arguments(tmp_path: Path) -> None:
    from fftlearn import ConfigError
    from nas import load_experiment, resolve_storage, run_study

    experiment = load_experiment(write_tiny_experiment(tmp_path / "tiny.toml"))
    location = resolve_storage(str(tmp_path / "api.journal"))
    for kwargs, field in (
        ({"n_trials": 0, "devices": ["cpu"]}, "n_trials: got 0"),
        ({"n_trials": 1, "devices": ["cpu"] * 257}, "workers: got 257"),
        ({"n_trials": 1, "devices": ["tpu"]}, "device: got 'tpu'"),
        ({"n_trials": 1, "devices": []}, r"devices: got \[\]"),
    ):
        with pytest.raises(ConfigError, match=rf"^{field}"):
            run_study(experiment, location=location, study_name=None, **kwargs)
    assert not (tmp_path / "api.journal").exists()


def test_missing_soundfont_exits_2_before_anything_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    experiment = edit_experiment(
        write_tiny_experiment(tmp_path / "tiny.toml"),
        tmp_path / "sf.toml",
        r'^kind = "harmonic_tones"$',
        'kind = "soundfont_notes"\nsoundfont = "/no/such/font.sf2"',
    )
    storage = tmp_path / "sf.journal"
    assert main(["run", str(experiment), "--storage", str(storage)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fftnas: error: task.data.soundfont: got '/no/such/font.sf2'")
    assert not storage.exists()


class _Unpickled:
    """Unpickling this creates the directory ``marker``: proof that a pickle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def _npy(header: dict[str, object], payload: bytes = b"") -> bytes:
    """A .npy file with ``header`` (descr, fortran_order, shape) written by numpy, then ``payload``."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + payload


def _valid_npy() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.eye(4))
    return buffer.getvalue()


def _raw_header(text: str) -> bytes:
    """The .npy magic (format 1.0) and a header of ``text``, unchecked."""
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


BAD_MATRIX_FILES = {
    "empty": (lambda marker: b"", "must be a .npy file numpy can read (it is empty: 0 bytes)"),
    "truncated header": (
        lambda marker: _valid_npy()[:20],
        "must be a .npy file numpy can read (its header is malformed)",
    ),
    "garbage header": (
        lambda marker: _raw_header("{'descr': '<f8', 'fortran_order': False, 'shape': (4,\n"),
        "must be a .npy file numpy can read (its header is malformed)",
    ),
    "not npy at all": (
        lambda marker: b"PK\x03\x04 a zip file",
        "must be a .npy file numpy can read (it does not start with the .npy magic)",
    ),
    "huge declared shape": (
        lambda marker: _npy({"descr": "<f8", "fortran_order": False, "shape": (2**22, 2**22)}, bytes(64)),
        "must hold an (n, n) matrix with n in [2, 8192]; n is 4194304",
    ),
    "data shorter than declared": (
        lambda marker: _npy({"descr": "<f8", "fortran_order": False, "shape": (8192, 8192)}, bytes(64)),
        "is truncated: its header declares a 8192x8192 float64 matrix (536870912 bytes of data)",
    ),
    "non-square": (
        lambda marker: _npy({"descr": "<f8", "fortran_order": False, "shape": (4, 8)}, bytes(256)),
        "must hold a square 2-D matrix; its shape is (4, 8)",
    ),
    "non-numeric dtype": (
        lambda marker: _npy({"descr": "<U1", "fortran_order": False, "shape": (2, 2)}, bytes(16)),
        "must hold a numeric matrix",
    ),
    "object dtype (pickle)": (
        lambda marker: _npy(
            {"descr": "|O", "fortran_order": False, "shape": (2, 2)},
            pickle.dumps(np.array([[_Unpickled(marker)] * 2] * 2, dtype=object)),
        ),
        "must hold a numeric matrix",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_MATRIX_FILES))
def test_fit_refuses_bad_matrix_files_in_one_line(tmp_path: Path, case: str) -> None:
    make, expected = BAD_MATRIX_FILES[case]
    marker = tmp_path / "unpickled"
    path = tmp_path / "m.npy"
    path.write_bytes(make(marker))
    result = subprocess.run(
        [sys.executable, "-m", "nas.cli", "fit", "--target-file", str(path), "--method", "hierarchical"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith(f"fftnas: error: path: got '{path}'; "), result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not marker.exists()  # the pickle was never loaded
    if case == "object dtype (pickle)":  # control: loading that pickle would have left the marker
        np.load(path, allow_pickle=True)
        assert marker.is_dir()
