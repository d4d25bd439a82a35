"""``--set KEY=VALUE``: one field of an experiment file overridden by its dotted TOML path.

The overrides are applied to the file's plain data before it is validated, so an overridden
value is checked exactly as if it were written in the file, and the study stores the experiment
as overridden (a resume with the same ``--set`` finds the same experiment; one with a different
search is refused like an edited file). ``KEY`` is a dotted path of bare TOML keys
(``task.data.root``); a number steps into an array of tables (``objectives.1.direction``), and a
table the path names that the file lacks is created (the schema then says whether it may be
there). ``VALUE`` (spaces around it dropped) is read as a TOML value when it parses as one
(numbers, booleans, quoted strings, arrays, inline tables), else it is the plain string
(``/data/my audio`` needs no quotes); a TOML date or time is kept as its text too, since no
field holds one. When several ``--set`` name one key, the last wins.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import re
import sys
from collections.abc import Sequence
from typing import Any

from fftlearn import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

FLAG = "--set"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_FORM = "must be KEY=VALUE with KEY a dotted path of the experiment file such as task.data.root"


def add_set_argument(parser: argparse.ArgumentParser) -> None:
    """Add the repeatable ``--set KEY=VALUE`` flag (collected in ``args.set``) to ``parser``."""
    parser.add_argument(
        FLAG,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one field of the experiment file by its dotted TOML path before validation, "
        "e.g. --set task.data.root=DIR --set study.trials=10 (repeatable; VALUE is read as TOML when "
        "it parses, else as a plain string)",
    )


def parse_override(text: str) -> tuple[tuple[str, ...], object]:
    """``"a.b.c=VALUE"`` -> (``("a", "b", "c")``, the value); ``ConfigError`` naming ``--set``
    when there is no ``=`` or a part of the key is empty or not a bare TOML key."""
    key, equals, raw = text.partition("=")
    parts = tuple(key.strip().split("."))
    if not equals or not all(_BARE_KEY.fullmatch(part) for part in parts):
        raise ConfigError(FLAG, text, _FORM)
    return parts, parse_value(raw.strip())


def parse_value(raw: str) -> object:
    """A TOML value when ``raw`` is one (``10``, ``true``, ``"x"``, ``[1, 2]``, ``{low = 1}``),
    else ``raw`` itself as a string (dates and times are kept as their text)."""
    try:
        parsed = tomllib.loads(f"value = {raw}")
    except tomllib.TOMLDecodeError:
        return raw
    value = parsed.get("value")
    if set(parsed) != {"value"} or isinstance(value, (datetime.date, datetime.time)):
        return raw
    return value


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """A copy of the experiment file's ``data`` with each ``--set`` applied in order (a later one
    wins); ``data`` is left as it was. Raises ``ConfigError`` naming ``--set`` for a malformed
    override or a path that runs through a value that is not a table."""
    result = copy.deepcopy(data)
    for text in overrides:
        parts, value = parse_override(text)
        container: Any = result
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if isinstance(container, list):
                index = _index(container, part, text=text, where=".".join(parts[:depth]))
                if index == len(container):
                    container.append({})
                if last:
                    container[index] = value
                container = container[index]
            elif isinstance(container, dict):
                if last:
                    container[part] = value
                container = container.setdefault(part, {})
            else:
                where = ".".join(parts[:depth])
                raise ConfigError(FLAG, text, f"{where} is a value, not a table; {_FORM}")
    return result


def _index(array: list[Any], part: str, *, text: str, where: str) -> int:
    if not part.isdigit() or int(part) > len(array):
        raise ConfigError(
            FLAG, text, f"{where} is an array of {len(array)}: step into it by an index 0 to {len(array)}"
        )
    return int(part)


def blame(error: ConfigError, overrides: Sequence[str]) -> ConfigError:
    """``error`` told as the fault of the last ``--set`` whose key is the error's field, a table
    above it or a path below it (``--set: got 'study.trials=-1'; study.trials: must be ...``);
    else ``error`` itself."""
    field = re.sub(r"\[(\d+)\]", r".\1", error.field)
    for text in reversed(overrides):
        key = ".".join(parse_override(text)[0])
        if field == key:
            return ConfigError(FLAG, text, f"{key}: {error.allowed}")
        if field.startswith(key + ".") or key.startswith(field + "."):
            return ConfigError(FLAG, text, str(error))
    return error
