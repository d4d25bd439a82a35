"""The factorization search space: which fitters compete (``methods``) and, per fitter, its
subspace (the ``[space.<method>]`` table), both read from the fitter registry
(``fftlearn.factorize.registered_fitters``). ``suggest_fitter`` is pure in the trial's params,
so ``FixedTrial(trial.params)`` rebuilds a stored trial's fitter config exactly.

Params: ``method`` (the fitter), then the fitter's own, each named ``<method>.<field>``
(``gradient.lr``, ``hierarchical.permutation``, ``baseline.which``, ``patterns.0.log2_b``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from fftlearn import ConfigError, from_mapping, to_dict
from fftlearn._config import join_field
from fftlearn._space import TrialLike, check_choices
from fftlearn.factorize import registered_fitters

# Earlier spellings of a [space] key, still read (stored studies keep their experiment file):
# old key -> (fitter method, field of its subspace)
LEGACY_KEYS = {
    "hierarchical_permutation": ("hierarchical", "permutation"),
    "baselines": ("baseline", "which"),
}
RENAMED_METHODS = {"search": "recover"}  # old method name -> its name now


def fitter_methods() -> tuple[str, ...]:
    """Every registered fitter's method name, in registration order."""
    return tuple(registered_fitters())


@dataclass(frozen=True)
class FactorizationSpace:
    """The ``[space]`` table of a factorization experiment: ``methods`` and one table per fitter,
    named by its method (a competing fitter without a table gets its subspace's defaults)."""

    kind: ClassVar[str] = "factorization_space"
    methods: tuple[str, ...] = field(default_factory=fitter_methods)  # which fitters compete
    subspaces: Mapping[str, Any] = field(default_factory=dict)  # method -> its subspace

    def __post_init__(self) -> None:
        fitters = registered_fitters()
        for index, method in enumerate(self.methods):
            if method in RENAMED_METHODS and method not in fitters:
                allowed = f"was renamed {RENAMED_METHODS[method]!r}; must be one of {', '.join(fitters)}"
                raise ConfigError(f"methods[{index}]", method, allowed)
        check_choices("methods", self.methods, tuple(fitters))
        for method, subspace in self.subspaces.items():
            if method not in fitters:
                raise ConfigError(f"subspaces.{method}", subspace, f"must be a fitter: {', '.join(fitters)}")
            if not isinstance(subspace, fitters[method].space_type):
                allowed = f"must be a {fitters[method].space_type.__name__}"
                raise ConfigError(f"subspaces.{method}", type(subspace).__name__, allowed)
        defaults = {m: fitters[m].space_type() for m in self.methods if m not in self.subspaces}
        object.__setattr__(self, "subspaces", MappingProxyType({**self.subspaces, **defaults}))

    def subspace(self, method: str) -> Any:
        """The subspace of ``method`` (one of ``methods``)."""
        if method not in self.methods:
            raise ConfigError("method", method, f"must be one of {', '.join(self.methods)}")
        return self.subspaces[method]

    def to_plain(self) -> dict[str, Any]:
        """Plain data: ``kind``, ``methods`` and one table per subspace (defaults written out)."""
        tables = {method: to_dict(subspace) for method, subspace in self.subspaces.items()}
        return {"kind": self.kind, "methods": list(self.methods), **tables}

    @classmethod
    def from_plain(cls, data: Mapping[str, Any], *, path: str = "") -> FactorizationSpace:
        """Read a ``[space]`` table strictly (errors name ``space.<method>.<field>``); the
        ``LEGACY_KEYS`` spellings are read into their fitter's table."""
        if data.get("kind", cls.kind) != cls.kind:
            raise ConfigError(join_field(path, "kind"), data["kind"], f"must be {cls.kind!r}")
        tables = {key: value for key, value in data.items() if key not in ("kind", "methods", *LEGACY_KEYS)}
        for key, (method, name) in LEGACY_KEYS.items():
            if key in data:
                table = dict(tables.get(method, {}))
                if name in table:
                    raise ConfigError(
                        join_field(path, key), data[key], f"give only one of {key} and {method}.{name}"
                    )
                tables[method] = {**table, name: data[key]}
        fitters = registered_fitters()
        subspaces = {}
        for method, table in tables.items():
            if method not in fitters:
                allowed = f"unknown key; allowed: methods and a table per fitter: {', '.join(fitters)}"
                raise ConfigError(join_field(path, method), table, allowed)
            subspaces[method] = from_mapping(fitters[method].space_type, table, path=join_field(path, method))
        methods = data.get("methods", tuple(fitters))
        if not isinstance(methods, (list, tuple)) or not all(isinstance(m, str) for m in methods):
            raise ConfigError(join_field(path, "methods"), methods, "must be a list of fitter names")
        try:
            return cls(methods=tuple(methods), subspaces=subspaces)
        except ConfigError as error:
            raise error.under(path) from None


def suggest_fitter(trial: TrialLike, *, space: FactorizationSpace, n: int, seed: int) -> object:
    """The fitter config ``trial`` picks for an ``n x n`` target: the param ``method`` picks the
    fitter, its subspace the rest; ``seed`` seeds every random step of the fit."""
    method = trial.suggest_categorical("method", list(space.methods))
    return space.subspace(method).suggest(trial, n=n, seed=seed)
