"""Learning curves as a trial records them (user attribute ``learning_curve``).

A curve is plain JSON, one list entry per completed epoch::

    {"epoch": [1, 2, ...], "seconds": [...], "train_loss": [...],
     "validation": {"loss": [...], "accuracy": [...], "macs": [...], ...}}

``seconds`` is wall-clock time since the trial's training began (validation passes
included); ``train_loss`` the epoch's mean training loss (nats); ``validation`` holds the
metrics measured on the validation split carved from the training data (never the test split),
in the units of the family's metrics table. Pruners rank trials on these points.
"""

from __future__ import annotations

from collections.abc import Sequence

CURVE_ATTR = "learning_curve"
PRUNED_EPOCH_ATTR = "pruned_at_epoch"  # the last epoch a pruned trial completed


def new_curve(metric_names: Sequence[str]) -> dict:
    """An empty curve that will record ``metric_names`` on the validation split."""
    return {"epoch": [], "seconds": [], "train_loss": [], "validation": {m: [] for m in metric_names}}


def add_point(curve: dict, *, epoch: int, seconds: float, train_loss: float, validation: dict) -> None:
    """Append one epoch's entry; ``validation`` must hold every metric the curve records."""
    curve["epoch"].append(int(epoch))
    curve["seconds"].append(float(seconds))
    curve["train_loss"].append(float(train_loss))
    for name, values in curve["validation"].items():
        values.append(float(validation[name]))


def curve_point(curve: dict, epoch: int, metric_names: Sequence[str]) -> list[float]:
    """The values of ``metric_names`` at ``epoch`` (1-based): ``train_seconds`` is the curve's
    seconds so far, every other metric its validation value."""
    index = curve["epoch"].index(epoch)
    return [
        curve["seconds"][index] if name == "train_seconds" else curve["validation"][name][index]
        for name in metric_names
    ]
