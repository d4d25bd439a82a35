"""The factorization family: products of sparse factors fitted to a target matrix."""

from __future__ import annotations

import json
from typing import Any

import optuna
import torch

from fftlearn import ConfigError, config_to_json, to_dict

from ..._params import config_from_params
from .._base import ExperimentFamily, OneOff, Reproduction, check_same_config, register_family
from ._experiment import FACTORIZATION_METRICS, FactorizationExperiment
from ._objective import FactorizationObjective, fit_metrics, fitter_for, run_fit
from ._reference import factorization_reference_point


class FactorizationFamily(ExperimentFamily):
    """Trials fit the experiment's target with the fitter they pick; fits are deterministic
    from the trial's seed, so reproducing a trial refits it."""

    name = "factorization"
    experiment_class = FactorizationExperiment
    metrics = FACTORIZATION_METRICS

    def objective(
        self, experiment: FactorizationExperiment, *, artifact_store, device
    ) -> FactorizationObjective:
        return FactorizationObjective(experiment, artifact_store=artifact_store, device=device)

    def evaluate(
        self, experiment: FactorizationExperiment, params: dict[str, Any], *, seed: int, device: torch.device
    ) -> OneOff:
        fitter = config_from_params(
            params, lambda trial: fitter_for(trial, experiment, seed=seed), what="fitter"
        )
        metrics = fit_metrics(run_fit(experiment, fitter))
        return OneOff(fitter, metrics, f"{experiment.target.name}, N = {experiment.target.n}")

    def reproduce(
        self,
        trial: optuna.trial.FrozenTrial,
        experiment: FactorizationExperiment,
        *,
        device: str,
        artifact_store: optuna.artifacts.FileSystemArtifactStore | None,
        from_weights: bool,
    ) -> Reproduction:
        if from_weights:
            raise ConfigError(
                "--from-weights", trial.number, "applies to front-end studies only; a fit is refitted"
            )
        fixed = optuna.trial.FixedTrial(trial.params)
        fitter = fitter_for(fixed, experiment, seed=int(trial.user_attrs["seed"]))
        config = config_to_json(fitter)
        check_same_config(trial, config)
        reproduced = fit_metrics(run_fit(experiment, fitter))
        return Reproduction(trial.number, dict(trial.user_attrs["metrics"]), reproduced, config, "refit")

    def reference_point(self, experiment: FactorizationExperiment) -> dict[str, float | None]:
        """The rule of ``_reference``: the trivial answers' figures (the zero matrix's errors,
        the dense matrix's nonzeros and operations)."""
        return factorization_reference_point(experiment)

    def study_note(self, experiment: FactorizationExperiment) -> list[str]:
        target = experiment.target
        hidden = " behind hidden row/column permutations" if target.hidden_permutation else ""
        return [
            f"Target: {target.name}, N = {target.n}{hidden}",
            f"Sampler: {experiment.sampler.name} (seed {experiment.sampler.seed})",
            "",
            f"Space: `{json.dumps(to_dict(experiment)['space'])}`",
        ]


FACTORIZATION_FAMILY = register_family(FactorizationFamily())
