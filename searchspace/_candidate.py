"""The whole front-end search space, and ``suggest_candidate``: trial -> ``CandidateConfig``.

``suggest_candidate`` is pure in the trial's params, so ``optuna.trial.FixedTrial(trial.params)``
rebuilds a stored trial's config exactly. The first parameter is ``frontend`` (the kind); each
kind's settings come from its own subspace (declared next to the kind, in
``fftlearn.frontends``), are conditional on it and are named ``<kind>.<field>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fftlearn import CandidateConfig, ConfigError, HeadConfig, ModelConfig, OptimizerConfig
from fftlearn._config import from_mapping, join_field, to_dict
from fftlearn._space import FloatRange, IntRange, TrialLike, check_choices, check_within
from fftlearn.frontends import FRONTENDS, FrameShape
from fftlearn.model._head import MAX_DEPTH, MAX_WIDTH


@dataclass(frozen=True)
class HeadSpace:
    """The classifier head."""

    width: IntRange = IntRange(16, 512, log=True)  # hidden units (asked only when depth > 0)
    depth: IntRange = IntRange(0, 2)  # hidden layers

    def __post_init__(self) -> None:
        check_within("width", self.width, 1, MAX_WIDTH)
        check_within("depth", self.depth, 0, MAX_DEPTH)


@dataclass(frozen=True)
class OptimizerSpace:
    """The optimizer and its learning rate."""

    name: tuple[str, ...] = ("adam",)  # choices among "adam", "sgd"
    lr: FloatRange = FloatRange(1e-4, 1e-2, log=True)  # learning rate

    def __post_init__(self) -> None:
        check_choices("name", self.name, ("adam", "sgd"))
        check_within("lr", self.lr, 1e-12, 1e9)


@dataclass(frozen=True)
class FrontEndSpace:
    """The ``[space]`` table of an experiment file: ``frontends`` (the kinds that compete), one
    table per registered kind (its subspace; omitted tables take the kind's defaults),
    ``head`` and ``optimizer``."""

    kind: ClassVar[str] = "frontend_space"
    frontends: tuple[str, ...] = ("multiplicative", "stft")  # which front-end kinds compete
    subspaces: tuple[tuple[str, Any], ...] = ()  # (kind, subspace) given in the file
    head: HeadSpace = field(default_factory=HeadSpace)
    optimizer: OptimizerSpace = field(default_factory=OptimizerSpace)

    def __post_init__(self) -> None:
        check_choices("frontends", self.frontends, FRONTENDS.names())
        for kind, subspace in self.subspaces:
            if not isinstance(subspace, FRONTENDS.get(kind, field="space").space_class):
                raise ConfigError(kind, subspace, f"must be a {kind} subspace")

    def subspace(self, kind: str) -> Any:
        """The subspace of front-end ``kind``: the file's table, else the kind's defaults."""
        given = dict(self.subspaces).get(kind)
        return given if given is not None else FRONTENDS.get(kind, field="frontend").space_class()

    def check_frame_length(self, frame_length: int) -> None:
        """Raise unless every searched kind fits frames of ``frame_length`` samples."""
        for kind in self.frontends:
            check = getattr(self.subspace(kind), "check_frame_length", None)
            if check is not None:
                try:
                    check(frame_length)
                except ConfigError as error:
                    raise error.under(kind) from None

    def to_plain(self) -> dict[str, Any]:
        """The table as plain data, every registered kind's subspace included."""
        out: dict[str, Any] = {"kind": self.kind, "frontends": list(self.frontends)}
        out.update({kind: to_dict(self.subspace(kind)) for kind in FRONTENDS.names()})
        out.update(head=to_dict(self.head), optimizer=to_dict(self.optimizer))
        return out

    @classmethod
    def from_plain(cls, data: Mapping[str, Any], *, path: str = "") -> FrontEndSpace:
        """Read the table strictly: an unknown key is an error that lists the allowed ones."""
        allowed = ("frontends", *FRONTENDS.names(), "head", "optimizer")
        settings: dict[str, Any] = {}
        subspaces = []
        if data.get("kind", cls.kind) != cls.kind:
            raise ConfigError(join_field(path, "kind"), data["kind"], f"must be {cls.kind!r}")
        for key, value in data.items():
            if key == "kind":
                continue
            if key not in allowed:
                raise ConfigError(
                    join_field(path, key), value, f"unknown key; allowed: {', '.join(sorted(allowed))}"
                )
            if key in ("head", "optimizer"):
                space_class = HeadSpace if key == "head" else OptimizerSpace
                settings[key] = from_mapping(space_class, value, path=join_field(path, key))
            elif key == "frontends":
                settings[key] = _choices(value, join_field(path, "frontends"))
            else:
                space_class = FRONTENDS.get(key, field=join_field(path, key)).space_class
                subspaces.append((key, from_mapping(space_class, value, path=join_field(path, key))))
        try:
            return cls(subspaces=tuple(subspaces), **settings)
        except ConfigError as error:
            raise error.under(path) from None


def _choices(value: object, path: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(path, value, "must be a list of front-end kinds")
    return tuple(value)


def suggest_candidate(
    trial: TrialLike, *, space: FrontEndSpace, frame_length: int, n_classes: int, sample_rate: int = 16000
) -> CandidateConfig:
    """Sample one candidate from ``space`` for frames of ``frame_length`` and ``n_classes``."""
    kind = trial.suggest_categorical("frontend", list(space.frontends))
    shape = FrameShape(frame_length=frame_length, sample_rate=sample_rate)
    frontend = space.subspace(kind).suggest(trial, prefix=f"{kind}.", shape=shape)
    depth = space.head.depth.suggest(trial, "head.depth")
    width = space.head.width.suggest(trial, "head.width") if depth > 0 else space.head.width.low
    optimizer = OptimizerConfig(
        name=trial.suggest_categorical("optimizer.name", list(space.optimizer.name)),
        lr=space.optimizer.lr.suggest(trial, "optimizer.lr"),
    )
    model = ModelConfig(frontend=frontend, head=HeadConfig(width=width, depth=depth), n_classes=n_classes)
    return CandidateConfig(model=model, optimizer=optimizer)
