"""Strict conversion between config dataclasses and plain mappings (JSON, TOML).

Every config in fftnas is a frozen dataclass. ``to_dict`` writes it as plain data with a
``kind`` key for each dataclass that declares one; ``from_mapping`` reads it back, rejecting
unknown keys, wrong types and (through each class's ``__post_init__``) out-of-range values with
a ``ConfigError`` that names the full dotted field. The same two functions serve the JSON
round trip of architecture configs and the loading of experiment files.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, Union

from ._errors import ConfigError

T = TypeVar("T")

_KINDS: dict[str, type] = {}


def register_kind(cls: type[T]) -> type[T]:
    """Class decorator: make ``config_from_json`` able to read ``cls`` by its ``kind``."""
    kind = getattr(cls, "kind", None)
    if not isinstance(kind, str) or _KINDS.get(kind, cls) is not cls:
        raise TypeError(f"{cls.__name__} needs a unique ClassVar `kind`, got {kind!r}")
    _KINDS[kind] = cls
    return cls


@dataclass(frozen=True)
class OneOf:
    """Annotation metadata for a field that holds a config of any kind in a registry:
    ``frontend: Annotated[Any, OneOf(FRONTENDS, "config_class")]``. The kinds are looked up
    when a mapping is read, so kinds registered later (plugins) are accepted too."""

    registry: Any  # has .names() and .get(name, field=...)
    config_attribute: str = ""  # attribute of the registry's entry that is the config class ("" = the entry)

    def config_class(self, kind: object, path: str) -> type:
        entry = self.registry.get(kind, field=join_field(path, "kind"))
        return getattr(entry, self.config_attribute) if self.config_attribute else entry


def to_dict(config: object) -> dict[str, Any]:
    """Plain-data form of a config dataclass (tuples become lists, nested configs dicts).

    A class whose keys come from a registry (the front-end space: one table per registered
    kind) defines ``to_plain()`` and the classmethod ``from_plain(data, *, path)`` instead."""
    to_plain = getattr(config, "to_plain", None)
    if to_plain is not None:  # a config whose fields come from a registry writes itself
        return to_plain()
    out: dict[str, Any] = {}
    kind = getattr(type(config), "kind", None)
    if isinstance(kind, str):
        out["kind"] = kind
    for field in dataclasses.fields(config):  # type: ignore[arg-type]
        out[field.name] = _plain(getattr(config, field.name))
    return out


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def config_to_json(config: object) -> str:
    """Compact, key-sorted JSON of a config: equal configs give equal strings."""
    return json.dumps(to_dict(config), sort_keys=True, separators=(",", ":"))


def config_from_json(text: str) -> Any:
    """Read back any registered config from ``config_to_json``'s output (dispatch on ``kind``)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError("config", text[:40], f"must be JSON ({error.msg})") from None
    if not isinstance(data, dict) or data.get("kind") not in _KINDS:
        kind = data.get("kind") if isinstance(data, dict) else None
        raise ConfigError("config.kind", kind, f"must be one of {', '.join(sorted(_KINDS))}")
    return from_mapping(_KINDS[data["kind"]], data)


def from_mapping(cls: type[T], data: object, *, path: str = "") -> T:
    """Build dataclass ``cls`` from a mapping, strictly; errors name ``path.field``."""
    if not isinstance(data, Mapping):
        raise ConfigError(path or cls.__name__, data, "must be a table of settings")
    from_plain = getattr(cls, "from_plain", None)
    if from_plain is not None:  # a config whose fields come from a registry reads itself
        return from_plain(data, path=path)
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    kind = getattr(cls, "kind", None)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "kind" and isinstance(kind, str):
            if value != kind:
                raise ConfigError(join_field(path, "kind"), value, f"must be {kind!r}")
            continue
        if key not in fields:
            allowed = ", ".join(sorted(fields))
            raise ConfigError(join_field(path, str(key)), value, f"unknown key; allowed: {allowed}")
        kwargs[key] = _convert(hints[key], value, join_field(path, key))
    missing = [
        name
        for name, f in fields.items()
        if name not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(join_field(path, missing[0]), None, "is required")
    try:
        return cls(**kwargs)
    except ConfigError as error:
        raise error.under(path) from None


def join_field(path: str, key: str) -> str:
    """``path.key``, or ``key`` at the top (the dotted field names of error messages)."""
    return f"{path}.{key}" if path else key


def _convert(hint: Any, value: object, path: str) -> object:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Annotated:
        one_of = next((m for m in hint.__metadata__ if isinstance(m, OneOf)), None)
        if one_of is None:
            return _convert(args[0], value, path)
        kind = value.get("kind") if isinstance(value, Mapping) else None
        return from_mapping(one_of.config_class(kind, path), value, path=path)
    if origin in (Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if value is None and len(members) < len(args):
            return None
        if all(dataclasses.is_dataclass(m) for m in members):
            return _convert_kind_union(members, value, path)
        if len(members) == 1:
            return _convert(members[0], value, path)
        raise TypeError(f"unsupported annotation {hint!r} at {path}")
    if origin is Literal:
        if value not in args or isinstance(value, bool) != isinstance(args[0], bool):
            raise ConfigError(path, value, f"must be one of {', '.join(repr(a) for a in args)}")
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(path, value, "must be a list")
        item = args[0]
        return tuple(_convert(item, v, f"{path}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(hint):
        return from_mapping(hint, value, path=path)
    return _convert_scalar(hint, value, path)


def _convert_kind_union(members: list[type], value: object, path: str) -> object:
    by_kind = {m.kind: m for m in members}  # type: ignore[attr-defined]
    kind = value.get("kind") if isinstance(value, Mapping) else None
    if kind not in by_kind:
        raise ConfigError(join_field(path, "kind"), kind, f"must be one of {', '.join(by_kind)}")
    return from_mapping(by_kind[kind], value, path=path)


def _convert_scalar(hint: Any, value: object, path: str) -> object:
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(path, value, "must be true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(path, value, "must be an integer")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(path, value, "must be a number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(path, value, "must be a string")
        return value
    raise TypeError(f"unsupported annotation {hint!r} at {path}")
