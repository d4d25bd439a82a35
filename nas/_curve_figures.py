"""Pictures of learning curves: one PNG per trial (an artifact) and one study-level plotly
figure for optuna-dashboard, rebuilt from the storage after every finished trial."""

from __future__ import annotations

from pathlib import Path

import optuna
import optuna_dashboard

from ._curves import CURVE_ATTR

CURVES_FIGURE_ID = "learning_curves"  # the dashboard figure's id (saving again overwrites it)


def curve_picture(curve: dict, path: str | Path, *, title: str) -> Path:
    """A PNG of one trial's curve: each validation metric (top) and the training and validation
    loss (bottom) against epochs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5), dpi=100, sharex=True)
    epochs = curve["epoch"]
    for name, values in curve["validation"].items():
        if name not in ("loss", "macs", "params", "latency_us"):
            top.plot(epochs, values, marker="o", label=f"validation {name}")
    top.set_ylabel("fraction of frames")
    top.legend(loc="lower right", fontsize=8)
    bottom.plot(epochs, curve["train_loss"], marker="o", label="training loss")
    bottom.plot(epochs, curve["validation"]["loss"], marker="o", label="validation loss")
    bottom.set_xlabel(f"epoch ({curve['seconds'][-1]:.1f} s in all)" if epochs else "epoch")
    bottom.set_ylabel("cross-entropy (nats)")
    bottom.legend(loc="upper right", fontsize=8)
    top.set_title(title)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def curves_figure(study: optuna.Study, *, metric: str) -> object:
    """A plotly figure: ``metric`` on the validation split against training seconds, one line
    per trial that recorded a curve (complete ones solid, pruned ones dotted)."""
    import plotly.graph_objects as go

    figure = go.Figure()
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    for trial in study.get_trials(deepcopy=False, states=states):
        curve = trial.user_attrs.get(CURVE_ATTR)
        if not curve or metric not in curve["validation"]:
            continue
        pruned = trial.state == optuna.trial.TrialState.PRUNED
        figure.add_trace(
            go.Scatter(
                x=curve["seconds"],
                y=curve["validation"][metric],
                mode="lines+markers",
                name=f"trial {trial.number}" + (" (pruned)" if pruned else ""),
                line={"dash": "dot" if pruned else "solid"},
                hovertemplate="epoch %{text}<br>%{x:.1f} s<br>%{y:.4f}",
                text=curve["epoch"],
            )
        )
    figure.update_layout(
        title=f"Learning curves: validation {metric} against training time",
        xaxis_title="training time (s, validation passes included)",
        yaxis_title=f"validation {metric}",
    )
    return figure


def save_curves_figure(study: optuna.Study, *, metric: str) -> None:
    """Save (overwrite) the study's learning-curve figure for optuna-dashboard."""
    optuna_dashboard.save_plotly_graph_object(
        study, curves_figure(study, metric=metric), graph_object_id=CURVES_FIGURE_ID
    )
