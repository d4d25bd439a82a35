"""Which expert does each class go to? Router usage of a content-adaptive front-end, and its picture."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._errors import ConfigError
from .._validate import check_int


@dataclass(frozen=True)
class RouterUsage:
    counts: np.ndarray  # (C, E) int64: examples of class c routed to expert e
    fractions: np.ndarray  # (C, E) each row of counts divided by its sum (a row of zeros for an absent class)
    load: np.ndarray  # (E,) share of all examples each expert takes; sums to 1
    purity: float  # Σ_c max_e counts[c, e] / n: share of each class on its majority expert
    n_examples: int  # n


def router_usage(
    expert_of_example: np.ndarray, labels: np.ndarray, *, n_experts: int, n_classes: int
) -> RouterUsage:
    """Count how the examples of each class spread over the experts.

    ``expert_of_example`` ``(n,)`` holds the expert (``0 .. n_experts-1``) the router picked for
    each example, ``labels`` ``(n,)`` its class (``0 .. n_classes-1``); NumPy arrays or CPU
    tensors of integers. ``purity`` is 1.0 when every class goes to a single expert (several
    classes may share one), and ``1/n_experts`` when every class is spread evenly over all
    experts; it is never below ``1/n_experts``. ``load`` shows collapse: one expert near 1.0.
    """
    check_int("n_experts", n_experts, low=1)
    check_int("n_classes", n_classes, low=1)
    experts = _as_indices("expert_of_example", expert_of_example, n_experts)
    classes = _as_indices("labels", labels, n_classes)
    if experts.shape != classes.shape:
        raise ConfigError(
            "labels", classes.shape, f"must have the shape of expert_of_example {experts.shape}"
        )
    counts = np.zeros((n_classes, n_experts), dtype=np.int64)
    np.add.at(counts, (classes, experts), 1)
    per_class = counts.sum(axis=1, keepdims=True)  # (C, 1)
    fractions = counts / np.where(per_class > 0, per_class, 1)
    n = int(experts.size)
    return RouterUsage(counts, fractions, counts.sum(axis=0) / n, float(counts.max(axis=1).sum() / n), n)


def plot_router_usage(
    usage: RouterUsage, path: str | Path, *, title: str, class_names: Sequence[str] | None = None
) -> Path:
    """Write a heatmap of the per-class fractions (classes down, experts across) as a PNG image.

    The load of each expert is written under its column; the title carries the purity.
    ``class_names`` label the rows when there are at most 60 classes.
    """
    if not isinstance(usage, RouterUsage):
        raise ConfigError("usage", type(usage).__name__, "must be a RouterUsage")
    n_classes, n_experts = usage.counts.shape
    if class_names is not None and len(class_names) != n_classes:
        raise ConfigError("class_names", len(class_names), f"must name all {n_classes} classes")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    height = min(12.0, 2.0 + 0.25 * n_classes)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.0 + 0.6 * n_experts), height), dpi=100)
    image = ax.imshow(
        usage.fractions, aspect="auto", cmap="viridis", vmin=0.0, vmax=1.0, interpolation="nearest"
    )
    ax.set_xticks(range(n_experts))
    ax.set_xticklabels([f"{e}\n{load:.0%}" for e, load in enumerate(usage.load)], fontsize=8)
    ax.set_xlabel("expert (and its load)")
    if class_names is not None and n_classes <= 60:
        ax.set_yticks(range(n_classes))
        ax.set_yticklabels(list(class_names), fontsize=7)
    ax.set_ylabel("class")
    ax.set_title(f"{title} (purity {usage.purity:.2f})")
    fig.colorbar(image, ax=ax, label="share of the class")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def _as_indices(field_name: str, values: object, count: int) -> np.ndarray:
    """``values`` as a non-empty 1-D int64 array with every entry in ``[0, count)``."""
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.ndim != 1 or array.size == 0:
        raise ConfigError(field_name, array.shape, "must be a non-empty 1-D array")
    if not np.issubdtype(array.dtype, np.integer):
        raise ConfigError(field_name, str(array.dtype), "must hold integers")
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= count:
        bad = low if low < 0 else high
        raise ConfigError(field_name, bad, f"must lie in [0, {count - 1}]")
    return array.astype(np.int64)
