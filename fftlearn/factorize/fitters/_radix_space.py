"""The radix order and per-stage pattern a trial picks for the hierarchical fitter
(``HierarchicalSpace.radices`` / ``.patterns``).

Digit by digit: stage ``i`` draws ``hierarchical.radix.<i>`` from the allowed radices (one
fixed choice list, as Optuna needs); a radix that does not divide what is left of ``N`` becomes
the largest allowed one that does (else the smallest prime factor left). A stage of radix
``2^m``, ``m >= 2``, then draws ``hierarchical.pattern.<i>``: ``"dense"`` (one factor of dense
``r × r`` blocks) or ``"layers"`` (``m`` radix-2 factors, one stage for the operation count's
rescaling: ``_rescale``'s ``stages``). The fit's radices are the order with every layered stage
written as its 2s; the digit reversal of those radices is its input permutation.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..._errors import ConfigError
from ..._space import TrialLike
from ...butterfly._radix import prime_factors

PATTERNS = ("dense", "layers")


def check_patterns(patterns: Sequence[str]) -> tuple[str, ...]:
    values = tuple(patterns) if isinstance(patterns, (list, tuple)) else ()
    if not values or any(p not in PATTERNS for p in values) or len(set(values)) != len(values):
        raise ConfigError("patterns", patterns, f"must be distinct choices among {', '.join(PATTERNS)}")
    return values


def check_allowed_radices(radices: Sequence[int]) -> tuple[int, ...]:
    values = tuple(radices) if isinstance(radices, (list, tuple)) else None
    if values is None or not all(isinstance(r, int) and not isinstance(r, bool) and r >= 2 for r in values):
        raise ConfigError(
            "radices", radices, "must be a list of distinct ints >= 2 (empty: the default order)"
        )
    if len(set(values)) != len(values):
        raise ConfigError(
            "radices", radices, "must be a list of distinct ints >= 2 (empty: the default order)"
        )
    return values


def layered_power(radix: int) -> int:
    """``m`` when ``radix = 2^m`` with ``m >= 2`` (a stage that may be radix-2 layers), else 0."""
    return radix.bit_length() - 1 if radix >= 4 and not radix & (radix - 1) else 0


def suggest_radix_order(
    trial: TrialLike, *, n: int, allowed: tuple[int, ...], patterns: tuple[str, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(radices of the fit, factors per stage)`` drawn digit by digit (module docstring)."""
    radices: list[int] = []
    stages: list[int] = []
    left, stage = n, 0
    while left > 1:
        radix = _dividing(
            int(trial.suggest_categorical(f"hierarchical.radix.{stage}", list(allowed))), left, allowed
        )
        power = layered_power(radix)
        pattern = (
            trial.suggest_categorical(f"hierarchical.pattern.{stage}", list(patterns)) if power else "dense"
        )
        if pattern == "layers":
            radices.extend([2] * power)
            stages.append(power)
        else:
            radices.append(radix)
            stages.append(1)
        left //= radix
        stage += 1
    return tuple(radices), tuple(stages)


def _dividing(radix: int, left: int, allowed: tuple[int, ...]) -> int:
    if left % radix == 0:
        return radix
    fitting = [r for r in allowed if left % r == 0 and r < radix] or [r for r in allowed if left % r == 0]
    return max(fitting) if fitting else prime_factors(left)[0]
