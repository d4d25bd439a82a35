"""``corners``: the "corner" configs of a search space, what ``suggest`` returns when every range
sits at its low or its high end and every choice list takes each of its values.

A corner trial answers each ``suggest_*`` call from a path of branch indices and records how
many branches the call had; the paths are walked like an odometer (the last call turns
fastest), so a suggest function whose later ranges depend on earlier answers is enumerated as
it really branches. Nothing is trained or built here: the caller measures the configs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from fftlearn import ConfigError

T = TypeVar("T")

MAX_CORNERS = 1 << 16  # paths walked at most; a space with more is cut (deterministically) there


class _CornerTrial:
    """A ``TrialLike`` that takes branch ``path[i]`` at its ``i``-th new parameter (0 past the
    path's end) and remembers each call's number of branches."""

    def __init__(self, path: list[int]) -> None:
        self.path = path
        self.widths: list[int] = []  # branches of each parameter asked, in order
        self.answers: dict[str, Any] = {}  # Optuna answers a repeated name with its first value

    def _pick(self, name: str, options: Sequence[Any]) -> Any:
        if name not in self.answers:
            depth = len(self.widths)
            index = self.path[depth] if depth < len(self.path) else 0
            self.widths.append(len(options))
            self.answers[name] = options[index]
        return self.answers[name]

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        top = low + (high - low) // step * step  # the highest value on the grid
        return self._pick(name, [low] if top == low else [low, top])

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        top = high if step is None else low + (high - low) // step * step
        return self._pick(name, [low] if top == low else [low, top])

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self._pick(name, list(choices))


def corners(suggest: Callable[[Any], T], *, limit: int = MAX_CORNERS) -> Iterator[T]:
    """``suggest(trial)`` for every corner trial, in odometer order; at most ``limit`` of them.

    ``suggest`` takes a ``TrialLike`` (e.g. ``lambda t: suggest_candidate(t, space=...)``). The
    first result has every range at its low end and every choice at its first value.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigError("limit", limit, "must be a positive integer")
    path: list[int] = []
    for _ in range(limit):
        trial = _CornerTrial(path)
        yield suggest(trial)
        path = [trial.path[i] if i < len(trial.path) else 0 for i in range(len(trial.widths))]
        while path and path[-1] + 1 >= trial.widths[len(path) - 1]:
            path.pop()
        if not path:
            return
        path[-1] += 1
