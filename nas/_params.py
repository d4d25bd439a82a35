"""Params as a trial holds them (``trial.params``), given by a user to ``fftnas evaluate``:
read from JSON, every value checked against the experiment's space, and a param the space
never asks for is an error."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import optuna

from fftlearn import ConfigError
from fftlearn._space import TrialLike

T = TypeVar("T")


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


def config_from_params(params: dict[str, Any], suggest: Callable[[TrialLike], T], *, what: str) -> T:
    """``suggest(trial)`` run on ``params`` with every value checked; a param it never asks
    for is an error too (``what`` names the candidate in that message, e.g. "fitter")."""
    trial = CheckedParams(params)
    config = suggest(trial)
    unused = sorted(set(params) - trial.used)
    if unused:
        raise ConfigError(
            f"--params.{unused[0]}", params[unused[0]], f"is not a param of this {what} in the space"
        )
    return config
