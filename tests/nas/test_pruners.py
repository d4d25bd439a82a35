"""Multi-objective early stopping: Pareto ranking against Optuna's own, MO-ASHA's rule, and its
decisions read from a shared storage."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import optuna
import pytest
from optuna._hypervolume import compute_hypervolume
from optuna.samplers.nsgaii._elite_population_selection_strategy import _calc_crowding_distance

from fftlearn import ConfigError
from nas import load_experiment
from nas._curves import CURVE_ATTR, add_point, new_curve
from nas.pruners import (
    PrunerSpec,
    crowding_distance,
    goes_on,
    hypervolume_contribution,
    make_pruner,
    non_dominated_fronts,
    promotion_order,
    rung_epochs,
)
from tests.helpers import write_tiny_experiment


@pytest.mark.parametrize("m", [2, 3])
def test_fronts_are_nested_non_dominated_sets(m: int) -> None:
    rng = np.random.default_rng(m)
    for n in (1, 2, 7, 40):
        points = rng.integers(0, 6, size=(n, m)).astype(float)  # ties and duplicates on purpose
        fronts = non_dominated_fronts(points)
        assert sorted(np.concatenate(fronts).tolist()) == list(range(n))

        def dominated_by(i: int, others: np.ndarray) -> bool:
            return any((points[j] <= points[i]).all() and (points[j] < points[i]).any() for j in others)

        for rank, front in enumerate(fronts):
            later = np.concatenate(fronts[rank:])
            assert not any(dominated_by(i, later) for i in front)  # nothing at or after it dominates it
            if rank:
                assert all(dominated_by(i, fronts[rank - 1]) for i in front)


def test_crowding_distance_agrees_with_optunas_nsga2() -> None:
    rng = np.random.default_rng(0)
    for k in (1, 2, 3, 9):
        points = rng.normal(size=(k, 3))
        trials = [
            optuna.trial.create_trial(values=list(p), state=optuna.trial.TrialState.COMPLETE) for p in points
        ]
        for number, trial in enumerate(trials):
            trial.number = number
        expected = _calc_crowding_distance(list(trials))
        assert np.allclose(crowding_distance(points), [expected[i] for i in range(k)])
    # an objective on which all are equal adds nothing
    assert crowding_distance(np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])).tolist() == [np.inf, 1.0, np.inf]


def test_hypervolume_contribution_is_what_each_point_adds() -> None:
    front = np.array([[0.0, 3.0], [1.0, 1.0], [3.0, 0.0]])
    contribution = hypervolume_contribution(front)
    reference = np.array([3.3, 3.3])  # 10 % of the range beyond the worst point
    total = compute_hypervolume(front, reference)
    for i in range(3):
        assert math.isclose(contribution[i], total - compute_hypervolume(np.delete(front, i, 0), reference))
    assert math.isclose(contribution[1], 2.0 * 2.0)  # the middle point's own rectangle


def test_promotion_order_ranks_fronts_then_spread() -> None:
    points = np.array([[1.0, 1.0], [0.0, 2.0], [2.0, 2.0], [2.0, 0.0], [0.9, 1.2]])
    order = promotion_order(points, tie_break="crowding").tolist()
    assert set(order[:4]) == {0, 1, 3, 4} and order[4] == 2  # point 2 is dominated
    assert order[:2] == [1, 3]  # the extremes of the first front first (infinite crowding)
    assert promotion_order(points, tie_break="hypervolume")[-1] == 2


def test_mo_asha_keeps_the_top_ceil_n_over_eta() -> None:
    assert rung_epochs(min_epochs=1, reduction_factor=3, epochs=12) == (1, 3, 9)
    assert rung_epochs(min_epochs=2, reduction_factor=2, epochs=8) == (2, 4)
    assert goes_on({5: [0.0, 0.0]}, 5, reduction_factor=3, tie_break="crowding")  # the first always goes on
    points = {0: [-0.9, 10.0], 1: [-0.5, 10.0], 2: [-0.1, 10.0]}  # 1 and 2 dominated by 0
    for eta, expected in ((3, [True, False, False]), (2, [True, True, False])):
        assert [goes_on(points, n, reduction_factor=eta, tie_break="crowding") for n in points] == expected
    trade_off = {0: [-0.9, 100.0], 1: [-0.5, 10.0], 2: [-0.6, 200.0], 3: [-0.4, 50.0]}
    kept = [n for n in trade_off if goes_on(trade_off, n, reduction_factor=2, tie_break="crowding")]
    assert kept == [0, 1]  # the front's two extremes; 2 and 3 are dominated


def _one_epoch(accuracy: float) -> dict:
    curve = new_curve(["accuracy", "loss", "macs"])
    scores = {"accuracy": accuracy, "loss": 1.0, "macs": 100.0}
    add_point(curve, epoch=1, seconds=1.0, train_loss=1.0, validation=scores)
    return curve


def _journal(path: str) -> optuna.storages.JournalStorage:
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))


def _study_with_curves(storage: optuna.storages.BaseStorage) -> optuna.Study:
    """Three finished trials with 3-epoch curves of (accuracy, macs) on the validation split."""
    study = optuna.create_study(directions=["maximize", "minimize"], storage=storage, study_name="curves")
    for accuracy, macs, state in [(0.9, 100.0, "COMPLETE"), (0.5, 100.0, "PRUNED"), (0.4, 100.0, "COMPLETE")]:
        curve = new_curve(["accuracy", "loss", "macs"])
        for epoch in (1, 2, 3):
            add_point(curve, epoch=epoch, seconds=epoch, train_loss=1.0, validation={
                "accuracy": accuracy * epoch / 3, "loss": 1.0, "macs": macs})
        study.add_trial(
            optuna.trial.create_trial(
                state=optuna.trial.TrialState[state],
                values=[accuracy, macs] if state == "COMPLETE" else None,
                user_attrs={CURVE_ATTR: curve},
            )
        )
    return study


def test_decisions_come_from_the_storage(tmp_path: Path) -> None:
    path = str(tmp_path / "curves.journal")
    study = _study_with_curves(_journal(path))
    pruner = make_pruner(
        PrunerSpec(name="mo_asha", min_epochs=1, reduction_factor=2),
        metric_names=["accuracy", "macs"],
        directions=["maximize", "minimize"],
        epochs=4,
    )
    trial = study.ask()
    trial.set_user_attr(CURVE_ATTR, _one_epoch(0.15))  # the others: 0.3, 0.167, 0.133 at epoch 1
    # another process's view of the same file decides the same: 4 at rung 1, keep 2, it ranks 3rd
    other = optuna.load_study(study_name="curves", storage=_journal(path))
    assert pruner.should_stop(study, trial.number, epoch=1)
    assert pruner.should_stop(other, trial.number, epoch=1)
    assert not pruner.should_stop(study, trial.number, epoch=3)  # not a rung (1, 2 are)
    best = study.ask()
    best.set_user_attr(CURVE_ATTR, _one_epoch(0.95))
    assert not pruner.should_stop(other, best.number, epoch=1)
    objectives = {"metric_names": ["accuracy", "macs"], "directions": ["maximize", "minimize"]}
    assert not make_pruner(PrunerSpec(), epochs=4, **objectives).should_stop(study, trial.number, epoch=1)


def test_pruner_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^name: got 'hyperband'; must be one of 'none', 'mo_asha'"):
        PrunerSpec(name="hyperband")
    with pytest.raises(ConfigError, match=r"^reduction_factor: got 1"):
        PrunerSpec(name="mo_asha", reduction_factor=1)
    with pytest.raises(ConfigError, match=r"^tie_break: got 'random'"):
        PrunerSpec(tie_break="random")
    base = write_tiny_experiment(tmp_path / "tiny.toml").read_text(encoding="utf-8")
    mo_asha = '[pruner]\nname = "mo_asha"\n'
    cases = {
        mo_asha + "min_epochs = 2\n": r"pruner.min_epochs: got 2; must be below budget.epochs \(2\)",
        "validation_fraction = 0.0\n" + mo_asha: r"budget.validation_fraction: got 0.0; must be > 0",
        '[pruner]\nname = "asha"\n': r"pruner.name: got 'asha'",
        '[pruner]\nnam = "mo_asha"\n': r"pruner.nam",
    }
    for extra, message in cases.items():
        path = tmp_path / "bad.toml"
        path.write_text(base + extra, encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_experiment(path, check_data=False)
