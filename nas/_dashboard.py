"""optuna-dashboard on a study storage, with the artifact store bound; the hypervolume figure."""

from __future__ import annotations

import sys

import optuna
import optuna_dashboard
import plotly.graph_objects as go

from ._hypervolume import HypervolumeUnavailable, describe_reference, hypervolume_history, study_objectives
from .engine import StorageLocation, open_artifact_store, open_storage

HYPERVOLUME_FIGURE = "hypervolume"  # graph object id of the dashboard figure

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def dashboard_command(location: StorageLocation, *, from_env: bool = False) -> str:
    """The command a user types to open the dashboard on ``location``.

    A URL with a password is never written out: the command then reads it from
    ``$FFTNAS_STORAGE`` (as it does anyway when the run took it from there).
    """
    artifacts = "" if location.file is not None else f" --artifact-dir {location.artifact_dir}"
    if from_env:
        return f"fftnas dashboard{artifacts}"
    if location.display != location.url:
        return f"FFTNAS_STORAGE='<the URL with its password>' fftnas dashboard{artifacts}"
    return f"fftnas dashboard --storage {location.url}{artifacts}"


def serve_dashboard(location: StorageLocation, *, host: str, port: int) -> None:
    """Serve the dashboard until interrupted; warns when ``host`` is reachable from elsewhere."""
    storage = open_storage(location, create=False)
    artifacts = open_artifact_store(location, create=False) if location.artifact_dir.is_dir() else None
    if artifacts is None:
        print(
            f"fftnas: note: no artifact directory {location.artifact_dir}; serving without artifacts",
            file=sys.stderr,
        )
    if host not in LOCAL_HOSTS:
        print(
            f"fftnas: warning: the dashboard on {host}:{port} is reachable from other machines and "
            "has no authentication; anyone who can reach it can read and edit the study",
            file=sys.stderr,
        )
    print(f"dashboard for {location.display} at http://{host}:{port}/dashboard/", file=sys.stderr)
    optuna_dashboard.run_server(storage, host=host, port=port, artifact_store=artifacts)


def save_hypervolume_figure(study: optuna.Study) -> None:
    """Save (replacing the last one) the dashboard figure ``hypervolume``: the hypervolume after
    each finished trial against wall-clock seconds since the study began, the trial number on
    hover, the reference point in the title. A study without a complete reference point gets
    an empty figure whose title says why."""
    try:
        metrics, _, reference = study_objectives(study)
        rows = hypervolume_history(study)
        title = f"Hypervolume ({describe_reference(metrics, reference)})"
    except HypervolumeUnavailable as why:
        rows, title = [], f"Hypervolume: {why}"
    trace = go.Scatter(
        x=[row.seconds for row in rows],
        y=[row.hypervolume for row in rows],
        customdata=[row.trial for row in rows],
        mode="lines+markers",
        line_shape="hv",  # the hypervolume holds its value until the next trial finishes
        hovertemplate="trial %{customdata}<br>%{x:.1f} s<br>hypervolume %{y:.6g}<extra></extra>",
    )
    figure = go.Figure(trace)
    figure.update_layout(
        title=title, xaxis_title="wall-clock seconds since the study began (s)", yaxis_title="hypervolume"
    )
    optuna_dashboard.save_plotly_graph_object(study, figure, graph_object_id=HYPERVOLUME_FIGURE)
