"""Search-space primitives: ranges and choices as they appear in experiment files, and how a
trial samples them. A kind's subspace (declared next to the kind) is built from these.

Nothing here imports Optuna: a trial is anything with Optuna's three ``suggest_*`` methods
(``TrialLike``); ``optuna.Trial`` and ``optuna.trial.FixedTrial`` both are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ._errors import ConfigError


class TrialLike(Protocol):
    """The part of ``optuna.trial.BaseTrial`` that the search spaces use."""

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int: ...

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float: ...

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...


@dataclass(frozen=True)
class IntRange:
    """Integers in ``[low, high]``, sampled on a log scale when ``log``."""

    low: int
    high: int
    log: bool = False

    def __post_init__(self) -> None:
        for name in ("low", "high"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(name, value, "must be an integer")
        if self.high < self.low:
            raise ConfigError("high", self.high, f"must be >= low ({self.low})")
        if self.log and self.low < 1:
            raise ConfigError("low", self.low, "must be >= 1 on a log scale")

    def check_within(self, low: int, high: int) -> None:
        """Raise unless the whole range lies in ``[low, high]``."""
        if self.low < low:
            raise ConfigError("low", self.low, f"must be >= {low}")
        if self.high > high:
            raise ConfigError("high", self.high, f"must be <= {high}")

    def suggest(self, trial: TrialLike, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, log=self.log)


@dataclass(frozen=True)
class FloatRange:
    """Numbers in ``[low, high]``, sampled on a log scale when ``log``."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        if self.high < self.low:
            raise ConfigError("high", self.high, f"must be >= low ({self.low:g})")
        if self.log and self.low <= 0:
            raise ConfigError("low", self.low, "must be > 0 on a log scale")

    def check_within(self, low: float, high: float) -> None:
        if self.low < low:
            raise ConfigError("low", self.low, f"must be >= {low:g}")
        if self.high > high:
            raise ConfigError("high", self.high, f"must be <= {high:g}")

    def suggest(self, trial: TrialLike, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, log=self.log)


def check_choices(field: str, choices: tuple[Any, ...], allowed: tuple[Any, ...]) -> None:
    """``choices`` is a non-empty list drawn from ``allowed``, without repeats."""
    check_unique(field, choices)
    for index, choice in enumerate(choices):
        if choice not in allowed or isinstance(choice, bool) != isinstance(allowed[0], bool):
            shown = ", ".join(repr(a) for a in allowed)
            raise ConfigError(f"{field}[{index}]", choice, f"must be one of {shown}")


def check_unique(field: str, choices: tuple[Any, ...]) -> None:
    """``choices`` is a non-empty list without repeats."""
    if not choices:
        raise ConfigError(field, list(choices), "must list at least one choice")
    if len(set(choices)) != len(choices):
        raise ConfigError(field, list(choices), "must not repeat a choice")


def check_within(field: str, range_: IntRange | FloatRange, low: float, high: float) -> None:
    """Raise (naming ``field.low`` or ``field.high``) unless ``range_`` lies in ``[low, high]``."""
    try:
        range_.check_within(low, high)  # type: ignore[arg-type]
    except ConfigError as error:
        raise error.under(field) from None


def check_fractions(field: str, values: tuple[float, ...]) -> None:
    """``values`` is a non-empty list of distinct numbers in (0, 1]."""
    check_unique(field, values)
    for index, value in enumerate(values):
        if not 0 < value <= 1:
            raise ConfigError(f"{field}[{index}]", value, "must be in (0, 1]")
