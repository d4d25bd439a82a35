"""The fitter contract, the fitter registry, and ``fit_factorization``: the one place that times
and scores a fit.

A fitter *kind* is a ``Fitter`` subclass: its short ``method`` name (``fftnas fit --method``,
``[space].methods``, the trial param ``method`` and the prefix of its other params), its frozen
config dataclass (``config_type``, a ClassVar ``kind``, JSON round trip), its search subspace
(``space_type``: a frozen dataclass whose ``suggest(trial, *, n, seed)`` returns a config; its
TOML table is ``[space.<method>]``), and ``fit(matrix)``. ``register_fitter(cls)`` adds it (and
registers its config kind for ``config_from_json``); every list of fitters (the search space's
method choices, the CLI's ``--method`` choices, the contract tests) is read from here.

Third-party fitters come through the entry-point group ``fftnas.fitters``, loaded once, on the
first look at the registry. An entry point names either a ``Fitter`` subclass (registered
here) or a module (or any other object) whose import calls ``register_fitter`` itself::

    [project.entry-points."fftnas.fitters"]
    identity = "my_package.fitters:IdentityFitter"   # a class: registered by the loader
    others = "my_package.more_fitters"                # a module: registers on import
"""

from __future__ import annotations

import abc
import dataclasses
import re
import time
from typing import ClassVar

import numpy as np

from .._config import register_kind
from .._errors import ConfigError
from .._registry import Registry
from ._product import SparseFactorization
from ._score import FitResult, make_fit_result

ENTRY_POINT_GROUP = "fftnas.fitters"
_METHOD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Fitter(abc.ABC):
    """One kind of fitter. Subclass it, set the four class attributes, implement ``fit`` and
    ``nnz_budget``, and call ``register_fitter``; the hooks have working defaults.

    An instance holds one config (``self.config``, an instance of ``config_type``); ``fit``
    reads it. Timing and scoring are ``fit_factorization``'s, never the fitter's.
    """

    method: ClassVar[str]  # short name: --method, [space].methods, trial param prefix
    config_type: ClassVar[type]  # frozen config dataclass with a ClassVar `kind`
    space_type: ClassVar[type]  # frozen subspace dataclass: suggest(trial, *, n, seed) -> config
    summary: ClassVar[str]  # one line: what the fitter does (printed by `fftnas fit`)

    def __init__(self, config: object) -> None:
        if not isinstance(config, self.config_type):
            allowed = f"must be a {self.config_type.__name__} for method {self.method!r}"
            raise ConfigError("config", type(config).__name__, allowed)
        self.config = config

    @abc.abstractmethod
    def fit(self, matrix: np.ndarray) -> SparseFactorization | tuple[SparseFactorization, dict[str, object]]:
        """Factorize ``matrix`` ``(N, N)``: a ``SparseFactorization``, or one and a dict of
        fitter-specific details (JSON-ready; an ``"outcome"`` entry is one line saying what
        happened, printed by ``fftnas fit``). Bad input raises ``ConfigError``."""

    @abc.abstractmethod
    def nnz_budget(self, n: int) -> int:
        """The most nonzeros a fit of an ``(n, n)`` matrix with this config has."""

    @classmethod
    def default_config(cls, *, n: int, seed: int) -> object:
        """The config ``fftnas fit --method NAME`` runs for an ``(n, n)`` target (hook; default:
        ``config_type()``, given ``seed`` when it has a ``seed`` field)."""
        fields = {f.name for f in dataclasses.fields(cls.config_type)}
        return cls.config_type(seed=seed) if "seed" in fields else cls.config_type()

    @classmethod
    def quick_config(cls, *, n: int, seed: int) -> object:
        """A cheap config on the same code paths (fewer steps), for the contract tests and
        smoke runs (hook; default: ``default_config``)."""
        return cls.default_config(n=n, seed=seed)

    def oracle(self, n: int) -> np.ndarray | None:
        """An ``(n, n)`` target this fitter, with this config, fits exactly (relative error
        <= 1e-8; the contract tests check it with ``quick_config``), or None when it makes no
        exactness claim (hook; default: None)."""
        return None


FITTERS: Registry[type[Fitter]] = Registry(
    what="fitter",
    group=ENTRY_POINT_GROUP,
    register_loaded=lambda obj: register_fitter(obj),  # type: ignore[arg-type]
)


def register_fitter(cls: type[Fitter]) -> type[Fitter]:
    """Add the fitter kind ``cls`` (usable as a class decorator); registers its config kind for
    ``config_from_json`` too. ``TypeError`` for a class that breaks the contract or a method
    name or config kind already taken by another class (registering the same class again is a
    no-op)."""
    if not (isinstance(cls, type) and issubclass(cls, Fitter)) or getattr(cls, "__abstractmethods__", None):
        raise TypeError(f"{cls!r} must be a concrete subclass of fftlearn.factorize.Fitter")
    method = getattr(cls, "method", None)
    if not isinstance(method, str) or not _METHOD_NAME.match(method):
        raise TypeError(f"{cls.__name__}.method must be a lowercase name like 'gradient', got {method!r}")
    known = FITTERS.peek()
    if known.get(method) is cls:
        return cls
    if method in known:
        raise TypeError(f"fitter method {method!r} is taken by {known[method].__name__}")
    for name in ("config_type", "space_type"):
        value = getattr(cls, name, None)
        if not (isinstance(value, type) and dataclasses.is_dataclass(value)):
            raise TypeError(f"{cls.__name__}.{name} must be a dataclass, got {value!r}")
    if not callable(getattr(cls.space_type, "suggest", None)):
        raise TypeError(f"{cls.__name__}.space_type must have suggest(trial, *, n, seed)")
    if not isinstance(getattr(cls, "summary", None), str) or not cls.summary:
        raise TypeError(f"{cls.__name__}.summary must be a one-line description")
    taken = [other for other in known.values() if other.config_type is cls.config_type]
    if taken:
        raise TypeError(f"{cls.config_type.__name__} is the config of fitter {taken[0].method!r} already")
    register_kind(cls.config_type)  # TypeError when the kind is missing or another class's
    FITTERS.add(method, cls)
    return cls


def registered_fitters() -> dict[str, type[Fitter]]:
    """Every fitter kind by method name, in registration order (built-ins alphabetically,
    then entry points). A copy: registering goes through ``register_fitter``."""
    return dict(zip(FITTERS.names(), FITTERS.entries()))


def get_fitter(method: str) -> type[Fitter]:
    """The fitter kind named ``method``; ``ConfigError`` listing the registered names if none."""
    fitters = registered_fitters()
    if method not in fitters:
        raise ConfigError("method", method, f"must be one of {', '.join(fitters)}")
    return fitters[method]


def fitter_of(config: object) -> type[Fitter]:
    """The fitter kind whose config ``config`` is; ``ConfigError`` listing the kinds if none."""
    fitters = registered_fitters().values()
    for fitter in fitters:
        if type(config) is fitter.config_type:
            return fitter
    kinds = ", ".join(f.config_type.kind for f in fitters)  # type: ignore[attr-defined]
    raise ConfigError("fitter", type(config).__name__, f"must be the config of a registered fitter: {kinds}")


def fit_factorization(matrix: np.ndarray, config: object) -> FitResult:
    """Fit ``matrix`` ``(N, N)`` with the fitter whose config ``config`` is; time and score it.

    ``seconds`` is the wall time of the fit alone; ``details`` holds ``method`` (the fitter's
    short name), the fitter's own details and ``radix2_graph`` (``make_fit_result``).
    """
    fitter = fitter_of(config)(config)
    target = np.asarray(matrix)
    start = time.perf_counter()
    fitted = fitter.fit(target)
    seconds = time.perf_counter() - start
    factorization, details = fitted if isinstance(fitted, tuple) else (fitted, {})
    return make_fit_result(
        factorization, target, seconds=seconds, details={"method": fitter.method, **details}
    )
