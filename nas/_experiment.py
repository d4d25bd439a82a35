"""Experiment files (TOML) -> a validated, frozen experiment of its family.

An experiment says what to search (``[space]``), on what (a front-end family's ``[task]`` or a
factorization family's ``[target]``), for which objectives (``[[objectives]]``), with which
sampler (``[sampler]``) and how many trials (``[study]``). The top-level ``family`` (default
"frontend") picks the family (``nas.families``). Unknown keys, wrong types, values out of range
and unknown names raise ``ConfigError`` naming the dotted field.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fftlearn import ConfigError, from_mapping, to_dict

from ._overrides import apply_overrides, blame
from .families import FAMILIES, family_named, family_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def metric_units() -> dict[str, tuple[str, str]]:
    """Every family's metrics: name -> (unit shown in tables, better direction)."""
    return {name: unit for family in FAMILIES.values() for name, unit in family.metrics.items()}


def load_experiment(path: str | Path, *, check_data: bool = True, overrides: Sequence[str] = ()) -> Any:
    """Read and validate an experiment file, its fields first overridden by ``overrides``
    (``--set KEY=VALUE`` texts, ``nas._overrides``); with ``check_data`` also that the soundfonts,
    espeak-ng, NSynth copy or audio folder its data set needs are there. A mistake in an
    overridden field is told as the ``--set``'s."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("experiment", str(path), "must be an existing TOML file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError("experiment", str(path), f"is not valid TOML ({error})") from None
    data = apply_overrides(data, overrides)
    try:
        experiment = experiment_from_dict(data)
        if check_data:
            family_of(experiment).check_sources(experiment)
    except ConfigError as error:
        raise blame(error, overrides) from None
    return experiment


def experiment_to_dict(experiment: Any) -> dict[str, object]:
    """Plain data of an experiment, with its ``family`` (as stored with every study)."""
    return {"family": experiment.family, **to_dict(experiment)}


def experiment_from_dict(data: dict[str, object]) -> Any:
    """An experiment from plain data (a TOML file's or ``experiment_to_dict``'s)."""
    family = family_named(data.get("family", "frontend"))
    return from_mapping(family.experiment_class, {k: v for k, v in data.items() if k != "family"})
