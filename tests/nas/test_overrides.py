"""``fftnas run EXPERIMENT --set KEY=VALUE``: values read as TOML or as plain strings, applied by
dotted path before validation, mistakes told in one line naming ``--set`` with nothing stored
touched, and the overridden experiment stored with the study (a resume with the same ``--set``
adds trials; one with another search is refused like an edited file)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna
import pytest
import soundfile

from fftlearn import ConfigError
from nas._experiment import load_experiment
from nas._overrides import apply_overrides, parse_override, parse_value
from nas._study import EXPERIMENT_ATTR
from nas.cli import main
from nas.engine import open_storage, resolve_storage
from tests.helpers import REPO, snapshot, write_tiny_experiment

AUDIO_FOLDER = REPO / "experiments" / "audio_folder.toml"


@pytest.mark.parametrize(
    "raw,value",
    [
        ("10", 10),
        ("-2.5e3", -2500.0),
        ("true", True),
        ('"quoted"', "quoted"),
        ("'it''s'", "'it''s'"),  # not TOML (a literal string has no '' escape): the plain text
        ("[64, 128]", [64, 128]),
        ("{ low = 4, high = 64, log = true }", {"low": 4, "high": 64, "log": True}),
        ("/data/my audio", "/data/my audio"),
        ("my_audio", "my_audio"),
        ("", ""),
        ("2026-12-01", "2026-12-01"),  # a TOML date, but no field holds one
        ("1\nother = 2", "1\nother = 2"),  # a second key is not a value
    ],
)
def test_values_are_toml_when_they_parse_else_plain_strings(raw: str, value: object) -> None:
    assert parse_value(raw) == value and type(parse_value(raw)) is type(value)


def test_the_key_is_split_at_dots_and_the_value_at_the_first_equals_sign() -> None:
    assert parse_override("task.data.root=/a=b") == (("task", "data", "root"), "/a=b")
    assert parse_override("objectives.1.direction = maximize") == (
        ("objectives", "1", "direction"),
        "maximize",
    )
    for bad in ("task.data.root", "=1", "task..root=1", "task.data.=1", "task data=1", 'task."x"=1'):
        with pytest.raises(ConfigError, match=r"^--set: got .*must be KEY=VALUE"):
            parse_override(bad)


def test_overrides_apply_in_order_to_a_copy_creating_missing_tables() -> None:
    data = {"study": {"name": "a", "trials": 4}, "objectives": [{"metric": "accuracy"}, {"metric": "macs"}]}
    before = json.dumps(data, sort_keys=True)
    result = apply_overrides(
        data,
        [
            "study.trials=10",
            "study.trials=12",
            "pruner.name=mo_asha",
            "objectives.1.metric=params",
            "objectives.2={ metric = 'loss' }",
            "study.seed=3",
        ],
    )
    assert json.dumps(data, sort_keys=True) == before  # the file's data is not changed
    assert result["study"] == {"name": "a", "trials": 12, "seed": 3}
    assert result["pruner"] == {"name": "mo_asha"}
    assert [o["metric"] for o in result["objectives"]] == ["accuracy", "params", "loss"]


@pytest.mark.parametrize(
    "override,expected",
    [
        ("study.name.x=1", "study.name is a value, not a table"),
        ("objectives.3.metric=loss", "objectives is an array of 2: step into it by an index 0 to 2"),
        ("objectives.first.metric=loss", "objectives is an array of 2"),
    ],
)
def test_a_path_through_a_value_or_past_an_array_is_refused(override: str, expected: str) -> None:
    data = {"study": {"name": "a"}, "objectives": [{"metric": "accuracy"}, {"metric": "macs"}]}
    with pytest.raises(ConfigError, match=rf"^--set: got {override!r}; {expected}"):
        apply_overrides(data, [override])


def write_class_folder(root: Path, *, labels: tuple[str, ...] = ("piano", "speech")) -> Path:
    """``root/<label>/<label>-<i>.wav``: two 1 s noise recordings at 22.05 kHz per class."""
    rng = np.random.default_rng(0)
    for label in labels:
        (root / label).mkdir(parents=True)
        for index in range(2):
            soundfile.write(root / label / f"{label}-{index}.wav", 0.3 * rng.standard_normal(22050), 22050)
    return root


def test_the_shipped_audio_folder_experiment_takes_its_root_from_set(tmp_path: Path) -> None:
    folder = write_class_folder(tmp_path / "my audio")
    experiment = load_experiment(AUDIO_FOLDER, overrides=[f"task.data.root={folder}"])
    assert experiment.task.name == "label" and experiment.task.data.kind == "audio_folder"
    assert experiment.task.data.root == str(folder) and experiment.task.n_classes == 2
    assert experiment.study.trials == 10 and experiment.metric_names == ["accuracy", "macs"]
    with pytest.raises(ConfigError, match=r"^task\.data\.root: got '/.*/my_audio'; must be an existing directory"):
        load_experiment(AUDIO_FOLDER)  # the placeholder, not overridden


SET_MISTAKES = [
    ("no equals sign", ["--set", "study.trials"], "--set: got 'study.trials'; must be KEY=VALUE"),
    (
        "unknown key",
        ["--set", "task.data.rot=1"],
        "--set: got 'task.data.rot=1'; task.data.rot: unknown key; allowed: ",
    ),
    (
        "unknown table",
        ["--set", "studdy.trials=3"],
        "--set: got 'studdy.trials=3'; studdy: got {'trials': 3}; unknown key",
    ),
    (
        "out of range",
        ["--set", "study.trials=-1"],
        "--set: got 'study.trials=-1'; study.trials: must be an integer in [1, 1e+06]",
    ),
    (
        "wrong type",
        ["--set", "budget.epochs=two"],
        "--set: got 'budget.epochs=two'; budget.epochs: must be an integer",
    ),
    (
        "whole table",
        ["--set", "space.head={ width = { low = 8, high = 4 } }"],
        "space.head.width.high: got 4; must be >= low (8)",
    ),
    (
        "missing folder",
        ["--set", "task.data.root=/no/such/folder"],
        "--set: got 'task.data.root=/no/such/folder'; task.data.root: must be an existing directory",
    ),
    ("through a value", ["--set", "budget.epochs.low=1"], "budget.epochs is a value, not a table"),
    ("the last one blamed", ["--set", "study.trials=0", "--set", "study.trials=-3"], "'study.trials=-3'"),
]


@pytest.mark.parametrize("argv,expected", [c[1:] for c in SET_MISTAKES], ids=[c[0] for c in SET_MISTAKES])
def test_a_bad_set_exits_2_in_one_line_and_stores_nothing(
    tmp_path: Path, argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    experiment = (
        AUDIO_FOLDER if "task.data.root" in " ".join(argv) else write_tiny_experiment(tmp_path / "t.toml")
    )
    storage = tmp_path / "study.journal"
    code = main(["run", str(experiment), *argv, "--storage", str(storage), "--no-progress"])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("fftnas: error: "), captured.err
    assert expected in lines[0] and "Traceback" not in captured.err + captured.out
    assert not storage.exists() and not (tmp_path / "study-artifacts").exists()


def _stored(storage: Path) -> tuple[dict, int]:
    study = optuna.load_study(
        study_name="tiny", storage=open_storage(resolve_storage(str(storage)), create=False)
    )
    return study.user_attrs[EXPERIMENT_ATTR], len(study.trials)


def test_the_study_stores_the_overridden_experiment_and_resumes_only_with_the_same_search(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", trials=4)
    storage = tmp_path / "study.journal"
    base = ["run", str(experiment), "--storage", str(storage), "--no-progress", "--device", "cpu"]
    same = ["--set", "budget.epochs=1", "--set", "space.frontends=['stft']"]
    assert main([*base, *same, "--set", "study.trials=1"]) == 0
    stored, n_trials = _stored(storage)
    assert n_trials == 1 and stored["study"]["trials"] == 1
    assert stored["budget"]["epochs"] == 1 and stored["space"]["frontends"] == ["stft"]

    assert main([*base, *same, "--set", "study.trials=2"]) == 0  # same search: resumed, to 2 trials
    assert _stored(storage)[1] == 2
    capsys.readouterr()

    before = snapshot(storage, tmp_path / "study-artifacts")
    for other in ([*same, "--set", "budget.epochs=2"], []):  # another --set, or the file as it is
        assert main([*base, *other]) == 2
        line = capsys.readouterr().err.strip()
        assert line.startswith("fftnas: error: ") and "differs from study 'tiny'" in line, line
        assert line.startswith(("fftnas: error: budget: got", "fftnas: error: space: got")), line
    assert snapshot(storage, tmp_path / "study-artifacts") == before
