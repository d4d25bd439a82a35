"""optuna-dashboard on a study storage, with the artifact store bound; the hypervolume figure."""

from __future__ import annotations

import sys

import optuna_dashboard

from .engine import StorageLocation, open_artifact_store, open_storage

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
