"""Factorization trials: fit the experiment's target with the fitter a trial picks, measure it,
record it, and draw each factor's support and the error."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import optuna

from fftlearn import config_to_json
from fftlearn.analysis import plot_error_matrix, plot_factor_supports
from fftlearn.factorize import (
    FitResult,
    dense_flops,
    fewest_operation_counts,
    fit_factorization,
    make_target,
    radix2_flops,
    radix4_flops,
    split_radix_flops,
)
from searchspace import TrialLike, suggest_fitter

from .._trial import package_versions, seed_trial_number, trial_seed, upload
from ._experiment import FactorizationExperiment


def fit_metrics(result: FitResult) -> dict[str, float]:
    """The metrics of one fit (see FACTORIZATION_METRICS for units). ``ops`` is the real
    operation count at the best diagonal scaling found (``fewest_operation_count``, with the
    fitter's stages of the radix order when it reports them), ``ops_cheap_eighth_roots`` the
    same with ``a·(±1 ± i)`` counted as 4, ``ops_as_fitted`` the count of the factors as fitted."""
    stages = result.details.get("stages")
    stages = tuple(stages) if isinstance(stages, (list, tuple)) else None
    ops, ops_cheap = fewest_operation_counts(result.factorization, stages=stages)  # one search
    return {
        "relative_error": result.relative_error,
        "rmse": result.rmse,
        "nnz": float(result.nnz),
        "ops": float(ops),
        "ops_cheap_eighth_roots": float(ops_cheap),
        "ops_as_fitted": float(result.ops),
        "seconds": result.seconds,
        "recovered_fft_structure": float(result.recovered_fft_structure),
    }


def reference_counts(n: int) -> dict[str, int | None]:
    """Real flops of the dense product and of the radix-2, radix-4 (``n`` a power of four only)
    and split-radix FFTs of size ``n`` (the FFT counts None when ``n`` is not a power of two)."""
    power_of_two = not n & (n - 1)
    counts: dict[str, int | None] = {
        "dense_flops": dense_flops(n),
        "radix2_flops": radix2_flops(n) if power_of_two else None,
    }
    if power_of_two and (n.bit_length() - 1) % 2 == 0:
        counts["radix4_flops"] = radix4_flops(n)
    return {**counts, "split_radix_flops": split_radix_flops(n) if power_of_two else None}


def fitter_for(trial: TrialLike, experiment: FactorizationExperiment, *, seed: int) -> object:
    """The fitter config ``trial`` picks from the experiment's space."""
    return suggest_fitter(trial, space=experiment.space, n=experiment.target.n, seed=seed)


def run_fit(experiment: FactorizationExperiment, fitter: object) -> FitResult:
    """Fit the experiment's target with ``fitter``."""
    return fit_factorization(make_target(experiment.target).matrix, fitter)


class FactorizationObjective:
    """The callable handed to ``study.optimize`` for a factorization experiment."""

    def __init__(self, experiment: FactorizationExperiment, *, artifact_store, device) -> None:
        self.experiment = experiment
        self.artifact_store = artifact_store

    def __call__(self, trial: optuna.Trial) -> tuple[float, ...]:
        experiment = self.experiment
        seed = trial_seed(experiment.study.seed, seed_trial_number(trial))
        fitter = fitter_for(trial, experiment, seed=seed)
        trial.set_user_attr("config", config_to_json(fitter))
        trial.set_user_attr("seed", seed)
        trial.set_user_attr("versions", package_versions())
        start = time.perf_counter()
        target = make_target(experiment.target).matrix  # built once: fitted, then drawn against
        result = fit_factorization(target, fitter)
        metrics = fit_metrics(result)
        trial.set_user_attr("metrics", metrics)
        radices = result.fft_radices
        trial.set_user_attr("fft_radices", list(radices) if radices is not None else None)
        trial.set_user_attr("reference_counts", reference_counts(experiment.target.n))
        trial.set_user_attr("seconds", {"fit": result.seconds, "trial": time.perf_counter() - start})
        self._pictures(trial, result, target)
        return tuple(metrics[name] for name in experiment.metric_names)

    def _pictures(self, trial: optuna.Trial, result: FitResult, target: np.ndarray) -> None:
        label = f"trial {trial.number}: {result.details.get('method', '')}"
        with tempfile.TemporaryDirectory(prefix="fftnas-fit-") as tmp:
            pictures = {
                "factor_supports": plot_factor_supports(
                    result.factorization, Path(tmp) / "supports.png", title=label
                ),
                "error": plot_error_matrix(
                    result.factorization.to_dense(), target, Path(tmp) / "error.png", title=label
                ),
            }
            for name, path in pictures.items():
                upload(trial, path, name=name, mimetype="image/png", artifact_store=self.artifact_store)
