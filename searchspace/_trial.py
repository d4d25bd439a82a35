"""The part of ``optuna.trial.BaseTrial`` that the search spaces use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class TrialLike(Protocol):
    """``optuna.Trial`` and ``optuna.trial.FixedTrial`` both satisfy this."""

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int: ...

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float: ...

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...
