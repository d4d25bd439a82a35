"""The replay of a search against a tabular benchmark, with a simulated clock.

A real Optuna sampler (``nas._study.make_sampler``) proposes candidates through the real search
space (``suggest_for``) in an in-memory study; each proposal is looked up in the table (its
nearest tabulated configuration: the same front-end kind and categorical settings as far as
possible, then the smallest distance of the numeric params, each scaled to [0, 1] on the scale
it is sampled on). ``workers`` simulated workers train in parallel: a trial's epochs end at the
tabulated seconds, its learning curve is written to the trial as a real one is, and the real
pruner (``nas.pruners``) decides after each epoch from the study's storage. A finished trial is
told its tabulated test objectives; a stopped one is told PRUNED. Nothing sleeps: a replay of
hours of training takes seconds.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import optuna

from nas._curves import CURVE_ATTR
from nas._specs import SamplerSpec
from nas._study import make_sampler
from nas.families.frontend._evaluate import suggest_for
from nas.pruners import PrunerSpec, make_pruner


@dataclass(frozen=True)
class Method:
    """One search method: a sampler and a pruner."""

    sampler: str  # random, tpe, nsga2, gp
    pruner: str = "none"  # none or mo_asha

    @property
    def label(self) -> str:
        return self.sampler + ("+" + self.pruner.replace("_", "-").upper() if self.pruner != "none" else "")


class Table:
    """A tabular benchmark (``search_table.py``'s JSON) with nearest-configuration look-up."""

    def __init__(self, data: dict) -> None:
        self.rows = data["rows"]
        self.metric_names = data["metric_names"]
        self.directions = data["directions"]
        self.epochs = data["epochs"]
        self._by_kind: dict[str, list[dict]] = {}
        for row in self.rows:
            self._by_kind.setdefault(row["params"]["frontend"], []).append(row)

    def nearest(self, params: dict, distributions: dict) -> dict:
        """The tabulated row closest to ``params`` (drawn from ``distributions``)."""
        rows = self._by_kind[params["frontend"]]
        return min(rows, key=lambda row: _distance(params, row["params"], distributions))


def _distance(params: dict, other: dict, distributions: dict) -> float:
    total = 0.0
    for name, value in params.items():
        if name not in other:
            total += 1.0
            continue
        dist = distributions[name]
        if isinstance(dist, optuna.distributions.CategoricalDistribution):
            total += 0.0 if value == other[name] else 1.0
            continue
        scale = math.log if dist.log else float
        span = scale(dist.high) - scale(dist.low)
        if span > 0:
            total += ((scale(value) - scale(other[name])) / span) ** 2
    return total + sum(1.0 for name in other if name not in params)


def replay(
    table: Table,
    experiment,
    method: Method,
    *,
    seed: int,
    workers: int,
    horizon: float,
    pruner: PrunerSpec,
    overhead: float = 0.0,
) -> list[tuple[float, int, list[float]]]:
    """Run ``method`` for ``horizon`` simulated seconds; (completion time, trial number, test
    objectives) of every complete trial, in the order they completed. Each trial also costs
    ``overhead`` seconds (what a real trial spends outside training: storage, artifacts)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        directions=table.directions, sampler=make_sampler(SamplerSpec(name=method.sampler, seed=seed))
    )
    spec = pruner if method.pruner != "none" else PrunerSpec()
    objectives = {"metric_names": table.metric_names, "directions": table.directions}
    stopper = make_pruner(spec, epochs=table.epochs, **objectives)
    events: list[tuple[float, int, int]] = []  # (time, trial number, epoch that ends then)
    running: dict[int, tuple[optuna.Trial, dict]] = {}
    complete: list[tuple[float, int, list[float]]] = []

    def start(now: float) -> None:
        trial = study.ask()
        suggest_for(trial, experiment)
        row = table.nearest(trial.params, trial.distributions)
        running[trial.number] = (trial, row)
        heapq.heappush(events, (now + overhead + _elapsed(row, 1, table.epochs), trial.number, 1))

    for _ in range(workers):
        start(0.0)
    while events:
        now, number, epoch = heapq.heappop(events)
        if now > horizon:
            break
        trial, row = running[number]
        curve = row["curve"]
        trial.set_user_attr(CURVE_ATTR, _prefix(curve, epoch))
        if epoch < table.epochs and stopper.should_stop(study, number, epoch=epoch):
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        elif epoch < table.epochs:
            step = _elapsed(row, epoch + 1, table.epochs) - _elapsed(row, epoch, table.epochs)
            heapq.heappush(events, (now + step, number, epoch + 1))
            continue
        else:
            study.tell(trial, row["objectives"])
            complete.append((now, number, row["objectives"]))
        del running[number]
        start(now)
    return complete


def _elapsed(row: dict, epoch: int, epochs: int) -> float:
    """Seconds from a trial's start to the end of ``epoch``; the last epoch also pays the test
    pass (the row's seconds beyond its curve's)."""
    seconds = row["curve"]["seconds"]
    return row["seconds"] if epoch == epochs else seconds[epoch - 1]


def _prefix(curve: dict, epoch: int) -> dict:
    """The curve as a trial has recorded it after ``epoch`` epochs."""
    return {
        "epoch": curve["epoch"][:epoch],
        "seconds": curve["seconds"][:epoch],
        "train_loss": curve["train_loss"][:epoch],
        "validation": {name: values[:epoch] for name, values in curve["validation"].items()},
    }


def history_on_grid(
    complete: list[tuple[float, int, list[float]]], grid: np.ndarray, hypervolume_of
) -> np.ndarray:
    """Hypervolume of the trials complete by each time of ``grid`` (``hypervolume_of(points)``)."""
    values = np.zeros(len(grid))
    times = [t for t, _, _ in complete]
    last, volume = 0, 0.0
    for index, now in enumerate(grid):
        done = int(np.searchsorted(times, now, side="right"))
        if done != last:
            volume = hypervolume_of(np.array([v for _, _, v in complete[:done]]))
            last = done
        values[index] = volume
    return values


def time_to_reach(curve: np.ndarray, grid: np.ndarray, target: float) -> float:
    """The first grid time at which ``curve`` reaches ``target`` (inf if it never does)."""
    reached = np.flatnonzero(curve >= target - 1e-12)
    return float(grid[reached[0]]) if len(reached) else math.inf
