"""``fftnas compare``: the Pareto fronts of several studies, one table, one PNG, a dashboard figure
per study, hypervolumes at one common reference point (checked against Optuna's hypervolume)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna
import pytest
from optuna._hypervolume import compute_hypervolume
from optuna_dashboard._custom_plot_data import get_plotly_graph_objects

from nas._study import REFERENCE_ATTR
from nas.cli import main

STUDY = """family = "factorization"
[study]
name = "{name}"
trials = {trials}
seed = 0
[sampler]
name = "random"
seed = 0
[[objectives]]
metric = "relative_error"
direction = "minimize"
[[objectives]]
metric = "{second}"
direction = "minimize"
[target]
name = "{target}"
n = 16
[space]
methods = {methods}
"""


def _run(tmp_path: Path, storage: Path, *, name: str, methods: str, second: str = "nnz") -> None:
    path = tmp_path / f"{name}.toml"
    path.write_text(STUDY.format(name=name, trials=3, methods=methods, target="dft", second=second))
    assert main(["run", str(path), "--storage", str(storage), "--no-progress", "--devices", "cpu"]) == 0


@pytest.fixture
def two_studies(tmp_path: Path) -> Path:
    storage = tmp_path / "studies.journal"
    _run(tmp_path, storage, name="exact", methods='["hierarchical"]')
    _run(tmp_path, storage, name="baselines", methods='["baseline"]')
    return storage


def test_compare_two_studies(two_studies: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figure = tmp_path / "out" / "fronts.png"
    argv = ["compare", "exact", "baselines", "--storage", str(two_studies), "--figure", str(figure)]
    capsys.readouterr()
    assert main([*argv, "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["metrics"] == ["relative_error", "nnz"] and record["figure"] == str(figure)
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(two_studies)))
    reference = record["reference_point"]
    names = ("exact", "baselines")
    own = [optuna.load_study(study_name=n, storage=storage).user_attrs[REFERENCE_ATTR] for n in names]
    assert reference == {m: max(point[m] for point in own) for m in ("relative_error", "nnz")}  # the worst
    bound = np.log10([reference["relative_error"], reference["nnz"]])
    for entry in record["studies"]:
        study = optuna.load_study(study_name=entry["study"], storage=storage)
        assert [p["number"] for p in entry["front"]] == sorted(t.number for t in study.best_trials)
        points = np.log10(np.maximum([p["values"] for p in entry["front"]], 1e-300))
        inside = points[(points < bound).all(axis=1)]
        assert entry["hypervolume"] == pytest.approx(compute_hypervolume(inside, bound))
        figures = get_plotly_graph_objects(storage.get_study_system_attrs(study._study_id))
        traces = json.loads(figures["compare"])["data"]  # the dashboard figure, saved to each study
        assert [trace["name"].split()[0] for trace in traces] == ["exact", "baselines"]
    exact, baselines = record["studies"]
    assert exact["hypervolume"] > baselines["hypervolume"] > 0  # exact fits reach 1e-16
    assert main(argv) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].split()[:4] == ["study", "trial", "relative_error", "nnz"]
    assert any(line.startswith("  exact: ") for line in text) and text[-1] == f"figure: {figure}"


def test_compare_refuses_what_cannot_be_compared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    storage = tmp_path / "studies.journal"
    _run(tmp_path, storage, name="exact", methods='["hierarchical"]')
    _run(tmp_path, storage, name="counted", methods='["hierarchical"]', second="ops")
    capsys.readouterr()
    cases = [
        (
            ["exact", "counted"],
            "STUDY: got 'counted'; has objectives relative_error (minimize), ops (minimize); "
            "the first study has relative_error (minimize), nnz (minimize)",
        ),
        (["exact", "nowhere"], "--study: got 'nowhere'; no such study"),
        (["exact", "exact"], "STUDY: got ['exact', 'exact']; must name each study once"),
    ]
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cases.append((["exact", "--figure", str(blocker / "f.png")], "--figure: got"))
    before = storage.read_bytes()
    for studies, expected in cases:
        figure = [] if "--figure" in studies else ["--figure", str(tmp_path / "f.png")]
        assert main(["compare", *studies, "--storage", str(storage), *figure]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"fftnas: error: {expected}") and len(err.splitlines()) == 1, err
    assert storage.read_bytes() == before  # nothing written to a study when the comparison is refused
