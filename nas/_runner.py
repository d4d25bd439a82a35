"""Run a study: add N trials from K local worker processes that share one storage.

The N trials of one ``fftnas run`` are split across the workers up front (worker i runs
``N // K`` trials, one more for the first ``N % K``), so exactly N trials are added however the
workers race. Each worker gets 1/K of torch's thread count (the cores, or ``OMP_NUM_THREADS``)
and its own sampler seed.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass

import optuna
import torch
from tqdm import tqdm

from fftlearn import NonFiniteLossError, resolve_device
from fftlearn._validate import check_int

from ._experiment import AnyExperiment, FactorizationExperiment
from ._factorization import FactorizationObjective
from ._objective import TrialObjective
from ._storage import StorageLocation, open_artifact_store, open_storage
from ._study import create_or_resume_study, make_sampler

FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL, optuna.trial.TrialState.PRUNED)


@dataclass(frozen=True)
class WorkerJob:
    """What one worker process needs (picklable)."""

    experiment: AnyExperiment
    location: StorageLocation
    study_name: str
    device: str
    n_trials: int
    worker_index: int
    threads: int


def split_trials(n_trials: int, workers: int) -> list[int]:
    """Trials per worker: as even as possible, summing to ``n_trials``; idle workers dropped."""
    shares = [n_trials // workers + (1 if i < n_trials % workers else 0) for i in range(workers)]
    return [share for share in shares if share > 0]


def run_study(
    experiment: AnyExperiment,
    *,
    location: StorageLocation,
    study_name: str | None,
    n_trials: int,
    device: str,
    workers: int,
    progress: bool = True,
) -> optuna.Study:
    """Create or resume the study and add ``n_trials`` trials; returns the study."""
    resolve_device(device)  # bad arguments fail here, before anything is stored
    check_int("n_trials", n_trials, low=1, high=1_000_000)
    check_int("workers", workers, low=1, high=256)
    storage = open_storage(location, create=True)
    study = create_or_resume_study(experiment, storage=storage, study_name=study_name)
    shares = split_trials(n_trials, workers)
    threads = max(1, torch.get_num_threads() // len(shares))  # honours OMP_NUM_THREADS
    jobs = [
        WorkerJob(experiment, location, study.study_name, device, share, index, threads)
        for index, share in enumerate(shares)
    ]
    if len(jobs) == 1:
        bar = tqdm(total=n_trials, desc=study.study_name, unit="trial", disable=not progress)
        with bar:
            _optimize(jobs[0], study=study, callback=lambda _study, _trial: bar.update(1))
        return study
    _run_processes(jobs, study=study, n_trials=n_trials, progress=progress)
    return study


def _optimize(job: WorkerJob, *, study: optuna.Study, callback=None) -> None:
    torch.set_num_threads(job.threads)
    study.sampler = make_sampler(job.experiment.sampler, worker_index=job.worker_index)
    objective_class = (
        FactorizationObjective if isinstance(job.experiment, FactorizationExperiment) else TrialObjective
    )
    objective = objective_class(
        job.experiment,
        artifact_store=open_artifact_store(job.location, create=True),
        device=resolve_device(job.device),
    )
    study.optimize(
        objective,
        n_trials=job.n_trials,
        catch=(NonFiniteLossError,),
        callbacks=[callback] if callback else None,
    )


def _worker_main(job: WorkerJob) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(job.location, create=False)  # the parent made it
    study = optuna.load_study(study_name=job.study_name, storage=storage)
    _optimize(job, study=study)


def _count_finished(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=FINISHED))


def _run_processes(jobs: list[WorkerJob], *, study: optuna.Study, n_trials: int, progress: bool) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_worker_main, args=(job,), name=f"fftnas-worker-{job.worker_index}")
        for job in jobs
    ]
    before = _count_finished(study)
    for process in processes:
        process.start()
    bar = tqdm(total=n_trials, desc=study.study_name, unit="trial", disable=not progress)
    try:
        while any(p.is_alive() for p in processes):
            bar.n = min(n_trials, _count_finished(study) - before)
            bar.refresh()
            time.sleep(0.5)
        bar.n = min(n_trials, _count_finished(study) - before)
        bar.refresh()
    finally:
        bar.close()
        for process in processes:
            process.join()
    failed = [p.name for p in processes if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"worker process(es) {', '.join(failed)} exited with an error (see above)")
