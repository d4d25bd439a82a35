"""``fftnas evaluate``: train and measure one architecture outside any study.

The params are what a search trial would hold (``trial.params``); every value is checked
against the experiment's space, and a param the space never asks for is an error.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
import torch

from fftlearn import CandidateConfig, ConfigError

from ._analysis import analyze
from ._evaluate import Evaluation, evaluate_candidate, suggest_for, task_data
from ._experiment import Experiment, FactorizationExperiment
from ._fit_trial import fit_metrics, fitter_for, run_fit


class CheckedParams:
    """A ``FixedTrial`` over ``params`` that rejects missing, out-of-range and unused params."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.used: set[str] = set()
        self._trial = optuna.trial.FixedTrial(params)

    def _value(self, name: str) -> Any:
        if name not in self.params:
            raise ConfigError(f"--params.{name}", None, "is missing; the experiment's space asks for it")
        self.used.add(name)
        return self.params[name]

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        value = self._value(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"--params.{name}", value, f"must be an integer in [{low}, {high}]")
        return self._trial.suggest_int(name, low, high, step=step, log=log)

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        value = self._value(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ConfigError(f"--params.{name}", value, f"must be a number in [{low:g}, {high:g}]")
        return self._trial.suggest_float(name, low, high, step=step, log=log)

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        value = self._value(name)
        if value not in choices or any(isinstance(value, bool) != isinstance(c, bool) for c in choices[:1]):
            raise ConfigError(
                f"--params.{name}", value, f"must be one of {', '.join(repr(c) for c in choices)}"
            )
        return self._trial.suggest_categorical(name, choices)


def parse_params(text: str) -> dict[str, Any]:
    """A JSON object given inline, or ``@PATH`` of a file holding one."""
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.is_file():
            raise ConfigError("--params", text, "names no file; use @PATH of a JSON file or inline JSON")
        text = path.read_text(encoding="utf-8")
    try:
        params = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError("--params", text[:60], f"is not valid JSON ({error.msg})") from None
    if not isinstance(params, dict):
        raise ConfigError("--params", params, "must be a JSON object of param name -> value")
    return params


def candidate_from_params(experiment: Experiment, params: dict[str, Any]) -> CandidateConfig:
    """The config these params select in the experiment's space (all checked)."""
    trial = CheckedParams(params)
    candidate = suggest_for(trial, experiment)
    unused = sorted(set(params) - trial.used)
    if unused:
        raise ConfigError(
            f"--params.{unused[0]}", params[unused[0]], "is not a param of this candidate in the space"
        )
    return candidate


def fit_params(
    experiment: FactorizationExperiment, params: dict[str, Any], *, seed: int
) -> tuple[object, dict[str, float]]:
    """Fit the experiment's target with the fitter ``params`` select (all checked)."""
    trial = CheckedParams(params)
    fitter = fitter_for(trial, experiment, seed=seed)
    unused = sorted(set(params) - trial.used)
    if unused:
        raise ConfigError(
            f"--params.{unused[0]}", params[unused[0]], "is not a param of this fitter in the space"
        )
    return fitter, fit_metrics(run_fit(experiment, fitter))


def evaluate_params(
    experiment: Experiment, params: dict[str, Any], *, seed: int, device: torch.device
) -> tuple[CandidateConfig, Evaluation]:
    """Train and measure the candidate ``params`` select, on the experiment's task and budget."""
    candidate = candidate_from_params(experiment, params)
    evaluation = evaluate_candidate(
        candidate,
        task=experiment.task,
        budget=experiment.budget,
        seed=seed,
        data_seed=experiment.study.seed,
        device=device,
    )
    return candidate, evaluation


def learned(experiment: Experiment, evaluation: Evaluation, *, device: torch.device) -> dict[str, object]:
    """What a trial records about what it learned (harmonic scores, frame bounds, and for
    experts the expert shares and routing purity), for a one-off evaluation."""
    _, test_data = task_data(experiment.task, experiment.study.seed)
    with tempfile.TemporaryDirectory(prefix="fftnas-evaluate-") as tmp:
        attributes, _ = analyze(
            evaluation.model,
            test_data=test_data,
            sample_rate=experiment.task.sample_rate,
            device=device,
            folder=Path(tmp),
            label="evaluate",
        )
    return attributes
