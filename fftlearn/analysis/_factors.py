"""Pictures of a factorization: each factor's sparsity pattern, and the error against the target."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..factorize import SparseFactorization


def plot_factor_supports(factorization: SparseFactorization, path: str | Path, *, title: str) -> Path:
    """One panel per factor (``F[0]`` first): its nonzeros as black dots, with their count."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    count = len(factorization.factors)
    columns = min(count, 6)
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.4 * rows), dpi=100, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if index >= count:
            ax.axis("off")
            continue
        factor = factorization.factors[index]
        ax.spy(factor, markersize=max(0.3, 60 / factorization.n), color="black")
        ax.set_title(f"F[{index}]: {np.count_nonzero(factor.data)} nnz", fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def plot_error_matrix(approximation: np.ndarray, target: np.ndarray, path: str | Path, *, title: str) -> Path:
    """``|approximation - target|`` per entry on a log colour scale, with the relative error."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    path = Path(path)
    error = np.abs(np.asarray(approximation) - np.asarray(target))
    relative = np.linalg.norm(error) / np.linalg.norm(target)
    floor = max(float(error.max()) * 1e-16, 1e-300)
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    image = ax.imshow(
        np.maximum(error, floor), cmap="viridis", norm=LogNorm(vmin=floor, vmax=max(error.max(), floor * 10))
    )
    ax.set_title(f"{title}\nrelative Frobenius error {relative:.2e}", fontsize=9)
    fig.colorbar(image, ax=ax, label="|error| per entry")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
