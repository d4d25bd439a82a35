"""Small checks shared by every config's ``__post_init__``; each raises ``ConfigError``."""

from __future__ import annotations

from collections.abc import Iterable

from ._errors import ConfigError


def check_int(field: str, value: object, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` is an int (not a bool) within ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(field, value, "must be an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(field, value, _range_text("an integer", low, high))
    return value


def check_float(
    field: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """``value`` is a finite number within ``[low, high]`` (``(low, high]`` if ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(field, value, "must be a number")
    number = float(value)
    too_low = low is not None and (number <= low if low_open else number < low)
    if (
        number != number
        or number in (float("inf"), float("-inf"))
        or too_low
        or (high is not None and number > high)
    ):
        kind = "a finite number"
        if low_open and low is not None:
            kind = f"a finite number > {low:g}"
            low = None
        raise ConfigError(field, value, _range_text(kind, low, high))
    return number


def check_choice(field: str, value: object, choices: Iterable[object]) -> object:
    """``value`` is one of ``choices``."""
    options = tuple(choices)
    if value not in options or isinstance(value, bool) != isinstance(options[0], bool):
        raise ConfigError(field, value, f"must be one of {', '.join(repr(c) for c in options)}")
    return value


def check_bool(field: str, value: object) -> bool:
    """``value`` is ``true`` or ``false``."""
    if not isinstance(value, bool):
        raise ConfigError(field, value, "must be true or false")
    return value


def _range_text(kind: str, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"must be {kind} in [{low:g}, {high:g}]"
    if low is not None:
        return f"must be {kind} >= {low:g}"
    if high is not None:
        return f"must be {kind} <= {high:g}"
    return f"must be {kind}"


def check_int_list(field: str, values: object, *, low: int, high: int) -> tuple[int, ...]:
    """``values`` is a non-empty list of distinct integers in ``[low, high]``."""
    if not isinstance(values, tuple) or not values:
        raise ConfigError(field, values, f"must be a non-empty list of integers in [{low}, {high}]")
    for index, value in enumerate(values):
        check_int(f"{field}[{index}]", value, low=low, high=high)
    if len(set(values)) != len(values):
        raise ConfigError(field, values, "must not repeat a value")
    return values


def check_fraction(field: str, value: object) -> float:
    """``value`` is a number strictly between 0 and 1."""
    number = check_float(field, value, low=0.0, high=1.0, low_open=True)
    if number >= 1.0:
        raise ConfigError(field, value, "must be a number in (0, 1)")
    return number
