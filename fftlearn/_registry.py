"""Registries of kinds by name, and the entry points through which other packages add kinds.

Every list of kinds (type unions, CLI choices, search-space method lists) is read from a
``Registry``, never restated. A third-party package adds kinds without editing fftlearn by
naming, in its own ``pyproject.toml``, an object under one of the entry-point groups::

    [project.entry-points."fftnas.frontends"]
    sinc = "my_package.sinc:SincFrontEnd"      # a FrontEnd subclass, registered on load

A registry loads its group's entry points at its first lookup; one that fails to load is an
error naming it.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import types
from collections.abc import Callable, Iterable, Iterator
from importlib import metadata
from typing import Generic, TypeVar

from ._config import _KINDS
from ._errors import ConfigError

T = TypeVar("T")

GROUPS = ("fftnas.frontends", "fftnas.datasets", "fftnas.fitters")


class Registry(Generic[T]):
    """Kinds of one sort (front-ends, data sets, fitters) by name, in registration order.

    ``register_loaded(obj)`` registers what an entry point of ``group`` names (a module that
    registered its kinds on import is left alone). The group's entry points are loaded at the
    first lookup.
    """

    def __init__(self, *, what: str, group: str, register_loaded: Callable[[object], object]) -> None:
        if group not in GROUPS:
            raise ValueError(f"unknown entry-point group {group!r}")
        self.what = what  # "front-end", "data set", "fitter": used in error messages
        self.group = group
        self._register_loaded = register_loaded
        self._entries: dict[str, T] = {}
        self._plugins = "not loaded"  # -> "loading" -> "loaded"

    def add(self, name: str, entry: T) -> T:
        """Register ``entry`` under ``name``; a second, different entry of one name is an error."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(f"{self.what} name", name, "must be a Python identifier")
        known = self._entries.get(name)
        if known is not None and known is not entry:
            raise ConfigError(f"{self.what} name", name, f"is already registered ({known!r})")
        self._entries[name] = entry
        return entry

    def find(self, name: object) -> T | None:
        """The entry called ``name``, or None."""
        self.load_plugins()
        return self._entries.get(name) if isinstance(name, str) else None

    def get(self, name: object, *, field: str) -> T:
        """The entry called ``name``; else ``ConfigError(field, name, 'must be one of ...')``."""
        entry = self.find(name)
        if entry is None:
            raise ConfigError(field, name, f"must be one of {', '.join(self._entries)}")
        return entry

    def names(self) -> tuple[str, ...]:
        self.load_plugins()
        return tuple(self._entries)

    def entries(self) -> tuple[T, ...]:
        self.load_plugins()
        return tuple(self._entries.values())

    def peek(self) -> dict[str, T]:
        """The entries registered so far, without loading plugins (for registering functions)."""
        return dict(self._entries)

    def __contains__(self, name: object) -> bool:
        self.load_plugins()
        return name in self._entries

    @contextlib.contextmanager
    def scratch(self, *, reload_plugins: bool = False) -> Iterator[Registry[T]]:
        """For tests: kinds registered inside are forgotten after (entries, config kinds and
        the plugin state restored); ``reload_plugins`` loads the entry points again inside."""
        entries, plugins, kinds = dict(self._entries), self._plugins, dict(_KINDS)
        if reload_plugins:
            self._plugins = "not loaded"
        try:
            yield self
        finally:
            self._entries.clear()
            self._entries.update(entries)
            self._plugins = plugins
            _KINDS.clear()
            _KINDS.update(kinds)

    def load_plugins(self) -> None:
        """Import this group's installed entry points once and register what each names."""
        if self._plugins != "not loaded":
            return
        self._plugins = "loading"
        try:
            for point in metadata.entry_points(group=self.group):
                where = f"{point.name} = {point.value}"
                try:
                    loaded = point.load()
                except Exception as error:  # noqa: BLE001 (any failure of a plugin: one line naming it)
                    raise ConfigError(self.group, where, f"failed to import ({error})") from None
                if isinstance(loaded, types.ModuleType):  # a module registered its kinds on import
                    continue
                try:
                    self._register_loaded(loaded)
                except (TypeError, ConfigError) as error:
                    raise ConfigError(self.group, where, str(error)) from None
            self._plugins = "loaded"
        finally:
            if self._plugins == "loading":
                self._plugins = "not loaded"


def import_modules(package: str, path: Iterable[str]) -> None:
    """Import every module in the folder(s) ``path`` of ``package``, by name order, so that an
    in-tree kind registers by being there: a new kind is one new module and no other edit."""
    for module in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
        importlib.import_module(f"{package}.{module.name}")
