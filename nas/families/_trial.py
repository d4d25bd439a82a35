"""What every family's trial records: its seed, package versions, and uploaded artifacts."""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path

import optuna


def trial_seed(study_seed: int, trial_number: int) -> int:
    """The seed of a trial's initial weights and batch order (recorded with the trial)."""
    return (study_seed * 1_000_003 + trial_number) % (2**31 - 1)


def seed_trial_number(trial: optuna.Trial) -> int:
    """The trial number a trial's seed comes from: its own, or for a retry of a trial whose
    worker died (user attribute ``retry_of``) the original's, so the retry gives its result."""
    return int(trial.user_attrs.get("retry_of", trial.number))


def package_versions() -> dict[str, str]:
    """Python's and the key packages' versions, as a trial records them."""
    versions = {"python": platform.python_version()}
    for name in ("fftnas", "torch", "optuna", "numpy", "scipy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def upload(
    trial: optuna.Trial,
    path: Path,
    *,
    name: str,
    mimetype: str,
    artifact_store: optuna.artifacts.FileSystemArtifactStore,
) -> None:
    """Upload ``path`` as an artifact of ``trial`` and record its id as ``artifact.<name>``."""
    artifact_id = optuna.artifacts.upload_artifact(
        artifact_store=artifact_store, file_path=str(path), study_or_trial=trial, mimetype=mimetype
    )
    trial.set_user_attr(f"artifact.{name}", artifact_id)
