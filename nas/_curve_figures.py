"""Pictures of learning curves: one PNG per trial (an artifact) and one study-level plotly
figure for optuna-dashboard, rebuilt from the storage after every finished trial."""

from __future__ import annotations

from pathlib import Path

import optuna
import optuna_dashboard

from ._curves import CURVE_ATTR

CURVES_FIGURE_ID = "learning_curves"  # the dashboard figure's id (saving again overwrites it)
# optuna-dashboard stores a figure as study attributes of 2,045 characters each, rewritten at
# every refresh: the figure shows the Pareto-optimal trials and the most recent ones only.
MAX_FRONT_CURVES = 20
MAX_RECENT_CURVES = 20


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


def shown_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The trials the study figure draws: up to ``MAX_FRONT_CURVES`` of the Pareto front and
    the ``MAX_RECENT_CURVES`` most recently finished complete or pruned trials, by number."""
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    finished = [t for t in study.get_trials(deepcopy=False, states=states) if t.user_attrs.get(CURVE_ATTR)]
    recent = sorted(finished, key=lambda t: t.datetime_complete)[-MAX_RECENT_CURVES:]
    front = study.best_trials[:MAX_FRONT_CURVES] if finished else []
    chosen = {t.number: t for t in [*front, *recent] if t.user_attrs.get(CURVE_ATTR)}
    return [chosen[n] for n in sorted(chosen)]


def curves_figure(study: optuna.Study, *, metric: str) -> object:
    """A plotly figure: ``metric`` on the validation split against training seconds, one line
    per trial shown (``shown_trials``; Pareto-optimal ones solid and named so, pruned ones
    dotted), values rounded to 5 significant digits to keep the stored figure small."""
    import plotly.graph_objects as go

    figure = go.Figure()
    front = {t.number for t in study.best_trials}
    for trial in shown_trials(study):
        curve = trial.user_attrs[CURVE_ATTR]
        if metric not in curve["validation"]:
            continue
        pruned = trial.state == optuna.trial.TrialState.PRUNED
        label = " (pruned)" if pruned else (" (Pareto)" if trial.number in front else "")
        figure.add_trace(
            go.Scatter(
                x=[float(f"{v:.5g}") for v in curve["seconds"]],
                y=[float(f"{v:.5g}") for v in curve["validation"][metric]],
                mode="lines+markers",
                name=f"trial {trial.number}{label}",
                line={"dash": "dot" if pruned else "solid", "width": 2 if trial.number in front else 1},
            )
        )
    figure.update_layout(
        template="none",
        title=f"Validation {metric} against training time (Pareto-optimal and recent trials)",
        xaxis_title="training time (s, validation passes included)",
        yaxis_title=f"validation {metric}",
    )
    return figure


def save_curves_figure(study: optuna.Study, *, metric: str) -> None:
    """Save (overwrite) the study's learning-curve figure for optuna-dashboard."""
    optuna_dashboard.save_plotly_graph_object(
        study, curves_figure(study, metric=metric), graph_object_id=CURVES_FIGURE_ID
    )
