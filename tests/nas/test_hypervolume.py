"""Hypervolume: the values against Optuna's own computation, the reference point each study
stores (and its derivation from the search space), the history, the CLI and the dashboard figure."""

from __future__ import annotations

import datetime
import json
import math
import shutil
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import numpy as np
import optuna
import optuna_dashboard
import pytest
import scipy.sparse
from optuna._hypervolume import compute_hypervolume
from optuna_dashboard._custom_plot_data import get_plotly_graph_objects

import fftlearn
from fftlearn import ConfigError
from fftlearn.factorize import SparseFactorization, TargetConfig, make_target, operation_count
from nas._experiment import experiment_to_dict, load_experiment
from nas._hypervolume import (
    LOG_FLOOR,
    hypervolume,
    hypervolume_history,
    save_hypervolume_figure,
    study_hypervolume,
)
from nas._study import EXPERIMENT_ATTR, REFERENCE_ATTR, create_or_resume_study, study_reference_point
from nas.cli import main
from nas.engine import open_storage, resolve_storage
from nas.families import reference_point_of
from nas.families.frontend._evaluate import suggest_for
from nas.families.frontend._reference import corner_models, largest_corner_counts
from searchspace import corners
from tests.helpers import SmallStudy, edit_experiment, write_tiny_experiment

COMPLETE = optuna.trial.TrialState.COMPLETE
LOGGED = {"macs", "params", "nnz", "ops", "relative_error", "rmse"}


def _oracle(values: np.ndarray, metrics: list[str], directions: list[str], reference: list[float]) -> float:
    """Optuna's hypervolume of the points transformed as documented, written out independently."""
    columns, bound = [], []
    for j, (metric, direction) in enumerate(zip(metrics, directions)):
        column, limit = values[:, j], reference[j]
        if metric in LOGGED:
            column, limit = np.log10(np.maximum(column, LOG_FLOOR)), math.log10(limit)
        sign = -1.0 if direction == "maximize" else 1.0
        columns.append(sign * column)
        bound.append(sign * limit)
    points, bound = np.stack(columns, axis=1), np.array(bound)
    return compute_hypervolume(points[np.all(points < bound, axis=1)], bound)


@pytest.mark.parametrize(
    ("metrics", "directions"),
    [
        (["accuracy", "macs"], ["maximize", "minimize"]),
        (["relative_error", "nnz"], ["minimize", "minimize"]),
        (["raw_pitch_accuracy", "params", "loss"], ["maximize", "minimize", "minimize"]),
        (["relative_error", "ops", "recovered_fft_structure"], ["minimize", "minimize", "maximize"]),
    ],
)
def test_values_agree_with_optuna(metrics: list[str], directions: list[str]) -> None:
    rng = np.random.default_rng(len(metrics) + len(directions[0]))
    scales = {
        m: 10.0 ** rng.uniform(0, 7, size=40) if m in LOGGED else rng.uniform(0, 1.2, size=40)
        for m in metrics
    }
    values = np.stack([scales[m] for m in metrics], axis=1)
    reference = [
        1e5 if m in LOGGED else (0.1 if d == "maximize" else 1.0) for m, d in zip(metrics, directions)
    ]
    expected = _oracle(values, metrics, directions, reference)
    assert expected > 0
    got = hypervolume(values, metrics=metrics, directions=directions, reference=reference)
    assert got == pytest.approx(expected, rel=1e-12)


def test_a_worked_example_and_points_that_add_nothing() -> None:
    metrics, directions, reference = ["accuracy", "macs"], ["maximize", "minimize"], [0.0, 1e6]

    def volume(*points: tuple[float, float]) -> float:
        return hypervolume(np.array(points), metrics=metrics, directions=directions, reference=reference)

    assert volume((0.5, 1e4)) == pytest.approx(0.5 * 2)  # 0.5 of accuracy x 2 decades of MACs
    assert volume((0.5, 1e4), (0.8, 1e5)) == pytest.approx(0.5 * 2 + 0.3 * 1)
    base = volume((0.5, 1e4), (0.8, 1e5))
    # dominated, equal to the reference in one objective, worse than it, or exactly repeated
    for extra in [(0.4, 1e5), (0.0, 10.0), (0.9, 1e6), (0.9, 2e6), (-0.1, 10.0), (0.5, 1e4)]:
        assert volume((0.5, 1e4), (0.8, 1e5), extra) == pytest.approx(base)
    assert volume((0.0, 10.0)) == 0.0
    assert hypervolume(np.empty((0, 2)), metrics=metrics, directions=directions, reference=reference) == 0.0
    # an exact 0 error stays finite (log10 floor), single objectives work
    zero = hypervolume(
        np.array([[0.0]]), metrics=["relative_error"], directions=["minimize"], reference=[1.0]
    )
    assert zero == pytest.approx(-math.log10(LOG_FLOOR))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"directions": ["maximize", "up"]}, "directions[1]"),
        ({"reference": [0.0, float("inf")]}, "reference"),
        ({"reference": [0.0]}, "reference"),
        ({"values": np.zeros((3, 3))}, "values"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict, field: str) -> None:
    arguments = {
        "values": np.ones((2, 2)),
        "metrics": ["accuracy", "macs"],
        "directions": ["maximize", "minimize"],
        "reference": [0.0, 1e6],
        **kwargs,
    }
    values = arguments.pop("values")
    with pytest.raises(ConfigError) as error:
        hypervolume(values, **arguments)
    assert error.value.field == field


def _frozen(number: int, state, values, start: float, end: float | None) -> optuna.trial.FrozenTrial:
    origin = datetime.datetime(2026, 1, 1, 12, 0, 0)
    return optuna.trial.FrozenTrial(
        number=number, state=state, value=None, values=values,
        datetime_start=origin + datetime.timedelta(seconds=start),
        datetime_complete=None if end is None else origin + datetime.timedelta(seconds=end),
        params={}, distributions={}, user_attrs={}, system_attrs={}, intermediate_values={}, trial_id=number,
    )  # fmt: skip


def test_history_follows_completion_order_and_wall_clock() -> None:
    study = optuna.create_study(directions=["maximize", "minimize"])
    study.set_metric_names(["accuracy", "macs"])
    study.set_user_attr(REFERENCE_ATTR, {"accuracy": 0.0, "macs": 1e6})
    trials = [  # (number, state, values, start s, complete s): trial 2 finishes before trial 1
        (0, optuna.trial.TrialState.FAIL, None, 0.0, 1.0),  # the earliest start: the study began
        (1, COMPLETE, [0.5, 1e4], 2.0, 30.0),
        (2, COMPLETE, [0.8, 1e5], 3.0, 12.5),
        (3, optuna.trial.TrialState.PRUNED, None, 4.0, 13.0),
        (4, COMPLETE, [0.4, 2e5], 5.0, 40.25),  # dominated: the hypervolume stays
    ]
    for number, state, values, start, end in trials:
        study.add_trial(_frozen(number, state, values, start, end))
    rows = hypervolume_history(study)
    assert [(r.trial, r.seconds) for r in rows] == [(2, 12.5), (1, 30.0), (4, 40.25)]
    points = [[0.8, 1e5], [0.5, 1e4], [0.4, 2e5]]
    for k, row in enumerate(rows):
        expected = _oracle(
            np.array(points[: k + 1]), ["accuracy", "macs"], ["maximize", "minimize"], [0, 1e6]
        )
        assert row.hypervolume == pytest.approx(expected, rel=1e-12)
    assert rows[-1].hypervolume == rows[-2].hypervolume == pytest.approx(0.8 * 1 + 0.5 * 1)
    assert study_hypervolume(study) == rows[-1].hypervolume


def test_corners_branch_on_every_call() -> None:
    def suggest(trial) -> tuple:
        kind = trial.suggest_categorical("kind", ["x", "y"])
        size = trial.suggest_int("size", 1, 4 if kind == "x" else 1)
        return kind, size, trial.suggest_float("rate", 0.5, 2.0), trial.suggest_int("step", 0, 10, step=3)

    assert list(corners(suggest)) == [
        (kind, size, rate, step)
        for kind, sizes in (("x", (1, 4)), ("y", (1,)))
        for size in sizes
        for rate in (0.5, 2.0)
        for step in (0, 9)
    ]
    assert len(list(corners(suggest, limit=3))) == 3


FOUR_OBJECTIVES = """
[[objectives]]
metric = "accuracy"
direction = "maximize"

[[objectives]]
metric = "loss"
direction = "minimize"

[[objectives]]
metric = "params"
direction = "minimize"

[[objectives]]
metric = "macs"
direction = "minimize"
"""


def test_the_frontend_rule_bounds_the_space(tmp_path: Path) -> None:
    tiny = write_tiny_experiment(tmp_path / "tiny.toml")
    pattern = r'^\[\[objectives\]\]\nmetric = "accuracy"\n(.*\n)*?metric = "macs"\ndirection = "minimize"\n'
    experiment = load_experiment(edit_experiment(tiny, tmp_path / "four.toml", pattern, FOUR_OBJECTIVES))
    reference = reference_point_of(experiment)
    largest = largest_corner_counts(experiment)
    assert reference == {
        "accuracy": 0.0,
        "loss": math.log(experiment.task.n_classes),
        "params": 1.1 * largest["params"],
        "macs": 1.1 * largest["macs"],
    }
    task = experiment.task
    models = corner_models(
        experiment.space,
        frame_length=task.frame_length,
        n_classes=task.n_classes,
        sample_rate=task.sample_rate,
    )
    kinds = {model.frontend.kind for model in models}
    assert kinds == set(experiment.space.frontends) and len(models) > 4
    counts = [(fftlearn.count_macs(m), m.n_parameters()) for m in map(fftlearn.build, models)]
    assert max(c[0] for c in counts) == largest["macs"] and max(c[1] for c in counts) == largest["params"]
    sampler = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(6):  # candidates of the space, not corners, stay under the reference too
        model = fftlearn.build(suggest_for(sampler.ask(), experiment).model)
        assert fftlearn.count_macs(model) <= reference["macs"] and model.n_parameters() <= reference["params"]


FACTORIZATION = """
family = "factorization"

[study]
name = "fz"
trials = 3

[sampler]
name = "random"

{objectives}

[target]
name = "{target}"
n = 16

[space]
methods = ["hierarchical"]
"""


def _factorization(tmp_path: Path, target: str, *pairs: tuple[str, str]) -> object:
    objectives = "\n".join(f'[[objectives]]\nmetric = "{m}"\ndirection = "{d}"\n' for m, d in pairs)
    path = tmp_path / f"{target}.toml"
    path.write_text(FACTORIZATION.format(objectives=objectives, target=target))
    return load_experiment(path)


def test_the_factorization_rule_is_what_the_trivial_answers_cost(tmp_path: Path) -> None:
    experiment = _factorization(
        tmp_path,
        "dft",
        ("relative_error", "minimize"),
        ("rmse", "minimize"),
        ("ops", "minimize"),
        ("nnz", "minimize"),
    )
    assert reference_point_of(experiment) == {
        "relative_error": 1.0,
        "rmse": pytest.approx(math.sqrt(1 / (2 * 16))),  # unitary DFT: |entries|² = 1/16, two real parts
        "ops": 8 * 16 * 16 - 2 * 16,
        "nnz": 16 * 16,
    }
    for name, pairs in [("dft", ()), ("hadamard", ())]:
        matrix = make_target(TargetConfig(name=name, n=16)).matrix
        dense = SparseFactorization(
            factors=(scipy.sparse.csr_matrix(matrix),),
            input_permutation=np.arange(16),
            output_permutation=np.arange(16),
        )
        bound = reference_point_of(_factorization(tmp_path, name, ("ops", "minimize")))["ops"]
        assert operation_count(dense) <= bound  # the dense matrix, counted like every fit
    seconds = _factorization(
        tmp_path,
        "hadamard",
        ("seconds", "minimize"),
        ("recovered_fft_structure", "maximize"),
        ("nnz", "maximize"),
    )
    assert reference_point_of(seconds) == {"seconds": None, "recovered_fft_structure": 0.0, "nnz": None}


def _with_table(source: Path, target: Path, line: str) -> Path:
    """``source`` copied to ``target`` with a ``[hypervolume]`` table holding ``line``."""
    return edit_experiment(source, target, r"^\[budget\]", f"[hypervolume]\n{line}\n\n[budget]")


def _storage(path: Path) -> optuna.storages.BaseStorage:
    return open_storage(resolve_storage(str(path)), create=True)


def test_the_reference_is_stored_at_creation_and_kept_on_resume(tmp_path: Path, capsys) -> None:
    tiny = write_tiny_experiment(tmp_path / "tiny.toml", trials=1)
    experiment = load_experiment(tiny)
    first = create_or_resume_study(experiment, storage=_storage(tmp_path / "s.journal"))
    stored = first.user_attrs[REFERENCE_ATTR]
    assert stored == reference_point_of(experiment) and list(stored) == ["accuracy", "macs"]
    changed = _with_table(tiny, tmp_path / "changed.toml", "reference_point = { macs = 1e9 }")
    # a second worker (another storage object) with a changed [hypervolume] runs one more trial
    run = ["run", str(changed), "--storage", str(tmp_path / "s.journal"), "--trials", "1", "--device", "cpu"]
    assert main([*run, "--no-progress"]) == 0
    assert "keeps the hypervolume reference point" in capsys.readouterr().err
    second = optuna.load_study(study_name="tiny", storage=_storage(tmp_path / "s.journal"))
    assert second.user_attrs[REFERENCE_ATTR] == stored and study_reference_point(second) == stored
    assert len(hypervolume_history(second)) == 1


def test_a_study_made_before_the_reference_gets_it_on_resume_only(tmp_path: Path, capsys) -> None:
    experiment = load_experiment(write_tiny_experiment(tmp_path / "tiny.toml"))
    storage = _storage(tmp_path / "old.journal")
    old = optuna.create_study(study_name="tiny", storage=storage, directions=experiment.directions)
    old.set_metric_names(experiment.metric_names)
    old.set_user_attr(EXPERIMENT_ATTR, experiment_to_dict(experiment))
    old.add_trial(optuna.trial.create_trial(values=[0.5, 100.0]))
    assert main(["hypervolume", "--storage", str(tmp_path / "old.journal"), "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["reference_point"] == reference_point_of(experiment)
    assert REFERENCE_ATTR not in optuna.load_study(study_name="tiny", storage=storage).user_attrs  # read only
    resumed = create_or_resume_study(experiment, storage=storage)
    assert resumed.user_attrs[REFERENCE_ATTR] == reference_point_of(experiment)


def test_a_metric_without_a_rule_reports_na_until_the_file_sets_it(tmp_path: Path, capsys) -> None:
    tiny = write_tiny_experiment(tmp_path / "tiny.toml")
    latency = edit_experiment(tiny, tmp_path / "latency.toml", r'^metric = "macs"', 'metric = "latency_us"')
    for name, path, expected in [("plain", latency, None), ("set", None, 0.5 * (100.0 - 10.0))]:
        if path is None:
            path = _with_table(latency, tmp_path / "set.toml", "reference_point = { latency_us = 100 }")
        study = create_or_resume_study(
            load_experiment(path), storage=_storage(tmp_path / "l.journal"), study_name=name
        )
        study.add_trial(optuna.trial.create_trial(values=[0.5, 10.0]))
    storage = ["--storage", str(tmp_path / "l.journal")]
    na = "n/a (no reference point for latency_us: set [hypervolume] reference_point)"
    assert main(["hypervolume", *storage, "--study", "plain"]) == 0
    assert capsys.readouterr().out.strip() == f"study 'plain': hypervolume {na}"
    assert main(["hypervolume", *storage, "--study", "plain", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["unavailable"] == na
    assert main(["pareto", *storage, "--study", "plain"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"hypervolume: {na}"
    assert main(["pareto", *storage, "--study", "set"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == f"hypervolume: {expected:.6g} (reference accuracy=0, latency_us=100)"
    assert main(["studies", *storage]) == 0
    rows = {line.split()[0]: line.split()[6] for line in capsys.readouterr().out.splitlines()[2:]}
    assert rows == {"plain": "n/a", "set": f"{expected:.6g}"}


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ("reference_point = { loss = 1.0 }", "hypervolume.reference_point.loss"),
        ("reference_point = { macs = inf }", "hypervolume.reference_point.macs"),
        ("reference_point = { macs = nan }", "hypervolume.reference_point.macs"),
        ("point = { macs = 1.0 }", "hypervolume.point"),
    ],
)
def test_bad_hypervolume_tables_exit_2(tmp_path: Path, capsys, table: str, field: str) -> None:
    tiny = write_tiny_experiment(tmp_path / "tiny.toml")
    bad = _with_table(tiny, tmp_path / "bad.toml", table)
    assert main(["run", str(bad), "--storage", str(tmp_path / "s.journal"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"fftnas: error: {field}: got ") and "\n" not in err
    assert not (tmp_path / "s.journal").exists()


def test_cli_formats_on_a_run_study(small_study: SmallStudy, capsys) -> None:
    storage = ["--storage", str(small_study.storage)]
    study = optuna.load_study(study_name=small_study.study_name, storage=_storage(small_study.storage))
    rows = hypervolume_history(study)
    assert [r.trial for r in rows] == sorted(
        (t.number for t in study.trials if t.state == COMPLETE),
        key=lambda n: study.trials[n].datetime_complete,
    )
    assert rows[-1].hypervolume == pytest.approx(study_hypervolume(study)) and rows[-1].hypervolume > 0
    assert all(a.seconds <= b.seconds and a.hypervolume <= b.hypervolume for a, b in zip(rows, rows[1:]))
    assert main(["hypervolume", *storage, "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["history"] == [r._asdict() for r in rows] and record["hypervolume"] == rows[-1].hypervolume
    assert record["reference_point"] == study.user_attrs[REFERENCE_ATTR] and record["log10_metrics"] == [
        "macs"
    ]
    assert main(["hypervolume", *storage, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "trial,seconds since start (s),hypervolume"
    assert [[float(x) for x in line.split(",")] for line in lines[1:]] == [list(r) for r in rows]
    assert main(["hypervolume", *storage, "--study", "tiny"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("study 'tiny': reference accuracy=0, macs=") and "log10 for macs" in table[0]
    assert table[1].split() == ["trial", "seconds", "since", "start", "(s)", "hypervolume"]
    assert [line.split()[0] for line in table[3:]] == [str(r.trial) for r in rows]
    assert main(["pareto", *storage]) == 0
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith(f"hypervolume: {rows[-1].hypervolume:.6g} (reference")
    )
    assert main(["hypervolume", *storage, "--study", "nope"]) == 2
    assert capsys.readouterr().err.startswith("fftnas: error: --study: got 'nope'; no such study")
    assert main(["hypervolume", *storage, "--format", "xml"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_the_dashboard_figure(small_study: SmallStudy, tmp_path: Path) -> None:
    shutil.copy(small_study.storage, tmp_path / "copy.journal")  # the shared study stays untouched
    storage = _storage(tmp_path / "copy.journal")
    study = optuna.load_study(study_name=small_study.study_name, storage=storage)
    rows = hypervolume_history(study)
    save_hypervolume_figure(study)
    save_hypervolume_figure(study)  # after the next trial: replaced, not added
    figures = get_plotly_graph_objects(storage.get_study_system_attrs(study._study_id))
    assert sorted(figures) == ["hypervolume", "learning_curves"]  # the workers drew both
    trace = json.loads(figures["hypervolume"])["data"][0]
    assert trace["x"] == [float(f"{r.seconds:.6g}") for r in rows]
    assert trace["y"] == [float(f"{r.hypervolume:.6g}") for r in rows]
    assert trace["customdata"] == [r.trial for r in rows]
    app = optuna_dashboard.wsgi(storage)
    environ: dict = {"PATH_INFO": f"/api/studies/{study._study_id}", "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    status: list[str] = []
    body = b"".join(app(environ, lambda s, headers, *exc_info: status.append(s)))
    assert status == ["200 OK"]
    served = json.loads(body)["plotly_graph_objects"]
    served_figures = {g["id"]: g["graph_object"] for g in served}
    assert sorted(served_figures) == ["hypervolume", "learning_curves"]
    assert json.loads(served_figures["hypervolume"])["data"][0]["y"] == trace["y"]
