"""``fftnas budgets``: the best score of each kind within each MAC budget."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest

from nas._budgets import Point, best_within, budget_rows, pareto_front, study_points
from nas.cli import main
from tests.helpers import SmallStudy

pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")

# (kind, MACs per frame, raw pitch accuracy)
TRIALS = [
    ("stft", 8_000, 0.60),
    ("stft", 25_000, 0.70),
    ("logmel", 90_000, 0.72),
    ("multiplicative", 9_000, 0.55),
    ("multiplicative", 28_000, 0.78),
    ("multiplicative", 250_000, 0.90),
    ("conv", 2_000_000, 0.95),  # over every budget
]


def hand_made_study(storage: str, name: str = "hand") -> optuna.Study:
    study = optuna.create_study(
        study_name=name, storage=storage, directions=["maximize", "minimize"], load_if_exists=False
    )
    study.set_metric_names(["raw_pitch_accuracy", "macs"])
    for kind, macs, rpa in TRIALS:
        study.add_trial(
            optuna.trial.create_trial(
                params={"frontend": kind},
                distributions={
                    "frontend": optuna.distributions.CategoricalDistribution(
                        ["stft", "logmel", "multiplicative", "conv"]
                    )
                },
                values=[rpa, macs],
                user_attrs={"metrics": {"raw_pitch_accuracy": rpa, "macs": float(macs)}},
            )
        )
    return study


def test_best_per_kind_and_budget_and_the_margin() -> None:
    points = [Point(str(i), kind, float(macs), rpa) for i, (kind, macs, rpa) in enumerate(TRIALS)]
    budgets = (10_000.0, 30_000.0, 100_000.0, 300_000.0, 1_000_000.0)
    rows = {row["row"]: row for row in budget_rows(points, budgets)}
    assert rows["stft"]["best"] == [0.60, 0.70, 0.70, 0.70, 0.70] and rows["stft"]["learned"] is False
    assert rows["logmel"]["best"] == [None, None, 0.72, 0.72, 0.72]
    assert rows["multiplicative"]["best"] == [0.55, 0.78, 0.78, 0.90, 0.90]
    assert rows["conv"]["best"] == [None] * 5 and rows["conv"]["learned"] is True
    assert rows["best fixed"]["best"] == [0.60, 0.70, 0.72, 0.72, 0.72]
    assert rows["best learned"]["trials"] == ["3", "4", "4", "5", "5"]
    assert rows["learned - fixed (points)"]["best"] == pytest.approx([-5.0, 8.0, 6.0, 18.0, 18.0])
    assert best_within(points, 1_000.0) is None
    assert [p.number for p in pareto_front(points)] == ["0", "1", "4", "5", "6"]


def test_pareto_front_keeps_only_undominated_points() -> None:
    points = [
        Point(str(i), "k", float(m), s)
        for i, (m, s) in enumerate([(1, 0.5), (2, 0.4), (3, 0.7), (3, 0.6), (5, 0.7)])
    ]
    assert [p.number for p in pareto_front(points)] == ["0", "2"]


def test_cli_table_json_png_and_anchors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    storage = f"sqlite:///{tmp_path / 'hand.db'}"
    hand_made_study(storage)
    anchors = tmp_path / "anchors.json"
    anchors.write_text(json.dumps([{"name": "crepe full", "macs": 1.41e9, "raw_pitch_accuracy": 0.97}]))
    png = tmp_path / "fronts.png"
    argv = ["budgets", "--storage", storage, "--anchors", str(anchors), "--png", str(png)]
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert "<= 10k MACs" in table and "0.9000 (#5)" in table and "crepe full" in table and "1.41G" in table
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["budgets", "--storage", storage, "--format", "json", "--budgets", "3e4"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["metric"] == "raw_pitch_accuracy" and data["budgets_macs"] == [30000.0]
    assert data["rows"][-1]["best"] == pytest.approx([8.0])


def test_several_studies_are_pooled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    storage = f"sqlite:///{tmp_path / 'two.db'}"
    hand_made_study(storage, "a")
    hand_made_study(storage, "b")
    assert main(["budgets", "--storage", storage, "--study", "a", "--study", "b", "--format", "json"]) == 0
    rows = {row["row"]: row for row in json.loads(capsys.readouterr().out)["rows"]}
    assert rows["multiplicative"]["trials"] == ["a:3", "a:4", "a:4", "a:5", "a:5"]  # the first of equals
    assert main(["budgets", "--storage", storage]) == 2  # two studies: name them
    assert "--study" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--budgets", "3e4,1e4"], "--budgets"),
        (["--budgets", "ten"], "--budgets"),
        (["--metric", "accuracy"], "--metric"),
        (["--anchors", "/no/such.json"], "--anchors"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    storage = f"sqlite:///{tmp_path / 'hand.db'}"
    hand_made_study(storage)
    assert main(["budgets", "--storage", storage, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_real_study(small_study: SmallStudy, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["budgets", "--storage", str(small_study.storage), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    study = optuna.load_study(
        study_name=small_study.study_name,
        storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(small_study.storage))
        ),
    )
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = max(
        (t.user_attrs["metrics"][data["metric"]] for t in complete if t.user_attrs["metrics"]["macs"] <= 1e6),
        default=None,
    )
    overall = [r for r in data["rows"] if r["row"] in ("best fixed", "best learned")]
    assert max(v for r in overall for v in [r["best"][-1]] if v is not None) == best


def test_trials_with_pcen_are_a_fixed_row_of_their_own() -> None:
    study = optuna.create_study(directions=["maximize", "minimize"])
    choice = optuna.distributions.CategoricalDistribution
    for pcen, rpa in ((False, 0.6), (True, 0.9)):
        study.add_trial(
            optuna.trial.create_trial(
                params={"frontend": "logmel", "logmel.pcen": pcen},
                distributions={"frontend": choice(["logmel"]), "logmel.pcen": choice([False, True])},
                values=[rpa, 5e4],
                user_attrs={"metrics": {"raw_pitch_accuracy": rpa, "macs": 5e4}},
            )
        )
    points = study_points(study, metric="raw_pitch_accuracy")
    assert [(p.kind, p.score) for p in points] == [("logmel", 0.6), ("logmel+pcen", 0.9)]
    rows = {row["row"]: row for row in budget_rows(points, (1e5,))}
    assert rows["logmel+pcen"]["learned"] is False and rows["best fixed"]["best"] == [0.9]
    assert rows["best learned"]["best"] == [None]


def test_pcen_as_the_only_choice_is_read_from_the_stored_config() -> None:
    study = optuna.create_study(directions=["maximize", "minimize"])
    config = json.dumps(
        {"kind": "candidate", "model": {"frontend": {"kind": "multiplicative", "pcen": True}}}
    )
    study.add_trial(
        optuna.trial.create_trial(
            params={"frontend": "multiplicative"},
            distributions={"frontend": optuna.distributions.CategoricalDistribution(["multiplicative"])},
            values=[0.8, 1e5],
            user_attrs={"metrics": {"raw_pitch_accuracy": 0.8, "macs": 1e5}, "config": config},
        )
    )
    assert [p.kind for p in study_points(study, metric="raw_pitch_accuracy")] == ["multiplicative+pcen"]
