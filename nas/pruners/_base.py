"""The early-stopping contract and its registry.

A pruner is asked once per completed epoch of a trial whether to go on. It decides from the
learning curves recorded in the study's storage (user attribute ``learning_curve``, see
``nas._curves``), never from one process's memory, so workers on many machines agree. A stopped
trial ends PRUNED: it counts against the study's budget and never reaches the Pareto front.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import ClassVar

import optuna

from fftlearn import ConfigError
from fftlearn._validate import check_choice, check_int

from .._curves import CURVE_ATTR, curve_point
from ._pareto import TIE_BREAKS


@dataclass(frozen=True)
class PrunerSpec:
    """``[pruner]``: which early stopping a study uses, and its settings.

    ``none`` trains every trial to its last epoch. ``mo_asha`` is multi-objective asynchronous
    successive halving (Schmucker et al., arXiv 2106.12639): at epochs ``min_epochs * η^k``
    (η = ``reduction_factor``) a trial goes on only if it ranks in the top ``ceil(n / η)`` of
    the ``n`` trials that reached that epoch, ranked by non-dominated sorting of the objectives
    on the validation split, ties within a front broken by ``tie_break``.
    """

    name: str = "none"  # none or mo_asha
    min_epochs: int = 1  # the first rung: epochs every trial trains before it can be stopped
    reduction_factor: int = 3  # η: one in η trials goes on at each rung
    tie_break: str = "crowding"  # crowding (distance) or hypervolume (contribution)

    def __post_init__(self) -> None:
        check_choice("name", self.name, ("none", *sorted(set(PRUNERS) - {"none"})))
        check_int("min_epochs", self.min_epochs, low=1, high=100_000)
        check_int("reduction_factor", self.reduction_factor, low=2, high=1_000)
        check_choice("tie_break", self.tie_break, TIE_BREAKS)


class EpochPruner(abc.ABC):
    """Decides after each epoch whether a trial goes on."""

    name: ClassVar[str]

    def __init__(
        self, spec: PrunerSpec, *, metric_names: list[str], directions: list[str], epochs: int
    ) -> None:
        self.spec = spec
        self.metric_names = list(metric_names)
        self.directions = list(directions)
        self.epochs = epochs  # every trial's full training, in epochs

    @abc.abstractmethod
    def should_stop(self, study: optuna.Study, trial_number: int, *, epoch: int) -> bool:
        """True when trial ``trial_number``, which has just recorded ``epoch`` in its learning
        curve in ``study``'s storage, should stop there."""

    def check(self, *, validation_fraction: float) -> None:
        """Raise ``ConfigError`` when the budget leaves this pruner nothing to do (no-op here)."""

    def minimised_point(self, curve: dict, epoch: int) -> list[float]:
        """The objectives at ``epoch`` of ``curve``, each oriented so that smaller is better."""
        point = curve_point(curve, epoch, self.metric_names)
        return [v if d == "minimize" else -v for v, d in zip(point, self.directions)]

    def rung_points(self, study: optuna.Study, epoch: int) -> dict[int, list[float]]:
        """Trial number -> minimised objectives at ``epoch``, for every running, complete or
        pruned trial whose stored curve reached it."""
        states = (
            optuna.trial.TrialState.RUNNING,
            optuna.trial.TrialState.COMPLETE,
            optuna.trial.TrialState.PRUNED,
        )
        points = {}
        for trial in study.get_trials(deepcopy=False, states=states):
            curve = trial.user_attrs.get(CURVE_ATTR)
            if curve and len(curve["epoch"]) >= epoch:
                points[trial.number] = self.minimised_point(curve, epoch)
        return points


PRUNERS: dict[str, type[EpochPruner]] = {}


def register_pruner(cls: type[EpochPruner]) -> type[EpochPruner]:
    """Register a pruner class under its ``name`` (the ``[pruner] name`` of experiment files)."""
    if PRUNERS.get(cls.name, cls) is not cls:
        raise ConfigError("pruner", cls.name, "is registered twice")
    PRUNERS[cls.name] = cls
    return cls


def make_pruner(
    spec: PrunerSpec, *, metric_names: list[str], directions: list[str], epochs: int
) -> EpochPruner:
    """The pruner ``spec`` names, for a study with these objectives and trials of ``epochs``."""
    return PRUNERS[spec.name](spec, metric_names=metric_names, directions=directions, epochs=epochs)
