"""The replayable search benchmark: a tiny table built by the real evaluator, replayed with a
simulated clock by real samplers and the real MO-ASHA pruner."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from nas import load_experiment
from nas.pruners import PrunerSpec
from tests.helpers import load_benchmark, write_tiny_experiment

search_table = load_benchmark("search_table")
replay_module = load_benchmark("_replay")
EPOCHS = 3


@pytest.fixture(scope="module")
def tiny_table(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("replay")
    path = write_tiny_experiment(root / "tiny.toml", name="replay")
    text = path.read_text(encoding="utf-8").replace("epochs = 2", f"epochs = {EPOCHS}")
    path.write_text(text, encoding="utf-8")
    table = search_table.build_table(path, configs=10, workers=1)
    search_table.write_table(table, root / "table.json.gz")
    return path, search_table.read_table(root / "table.json.gz")


def test_the_table_holds_curves_costs_and_objectives(tiny_table) -> None:
    path, table = tiny_table
    experiment = load_experiment(path)
    assert table["metric_names"] == ["accuracy", "macs"] and table["epochs"] == EPOCHS
    drawn = search_table.draw_configs(experiment, 10)
    assert [row["params"] for row in table["rows"]] == drawn  # the seeded random draws, in order
    for row in table["rows"]:
        assert row["curve"]["epoch"] == [1, 2, 3]
        assert row["seconds"] >= row["curve"]["seconds"][-1] > 0
        assert 0 <= row["objectives"][0] <= 1
        assert row["objectives"][1] == row["curve"]["validation"]["macs"][-1]


def test_one_worker_without_pruning_runs_trials_back_to_back(tiny_table) -> None:
    path, data = tiny_table
    table = replay_module.Table(data)
    experiment = load_experiment(path)
    method = replay_module.Method("random")
    horizon = 3 * max(row["seconds"] for row in data["rows"])
    done = replay_module.replay(
        table, experiment, method, seed=0, workers=1, horizon=horizon, pruner=PrunerSpec()
    )
    # each trial starts when the last one ended: completion times are the running sums of the
    # looked-up rows' seconds (plus 0.5 s of overhead each here)
    again = replay_module.replay(
        table, experiment, method, seed=0, workers=1, horizon=horizon + 10, pruner=PrunerSpec(), overhead=0.5
    )
    assert done and len(again) >= 1
    rows = {tuple(sorted(r["params"].items())): r for r in data["rows"]}
    assert all(any(list(r["objectives"]) == values for r in rows.values()) for _, _, values in done)
    clock, expected = 0.0, []
    for _, _, values in again:
        row = next(r for r in data["rows"] if r["objectives"] == values)
        clock += 0.5 + row["seconds"]
        expected.append(clock)
    assert np.allclose([t for t, _, _ in again], expected)
    assert all(t <= horizon for t, _, _ in done)


def test_mo_asha_stops_trials_and_the_history_never_falls(tiny_table) -> None:
    path, data = tiny_table
    table = replay_module.Table(data)
    experiment = load_experiment(path)
    horizon = 20 * float(np.mean([row["seconds"] for row in data["rows"]]))
    spec = PrunerSpec(name="mo_asha", min_epochs=1, reduction_factor=3)
    settings = {"seed": 1, "workers": 2, "horizon": horizon, "pruner": spec}
    full = replay_module.replay(table, experiment, replay_module.Method("tpe"), **settings)
    pruned = replay_module.replay(table, experiment, replay_module.Method("tpe", "mo_asha"), **settings)
    assert len(pruned) >= 1 and len(full) >= 1
    grid = np.linspace(0, horizon, 11)
    history = replay_module.history_on_grid(pruned, grid, lambda points: float(points[:, 0].max()))
    assert history[0] == 0 and (np.diff(history) >= 0).all()
    assert replay_module.time_to_reach(history, grid, history[-1]) <= horizon
    assert math.isinf(replay_module.time_to_reach(history, grid, 2.0))
    assert replay_module.Method("tpe", "mo_asha").label == "tpe+MO-ASHA"
