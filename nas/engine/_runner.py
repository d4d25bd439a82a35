"""Run a study: local worker processes, one per device, against one shared storage.

``n_trials`` is the study's global budget: the study ends with that many original trials,
however many workers and machines run ``fftnas run`` on it (``_worker``). One device means one
worker in this process; several mean one spawned process each, pinned to its device, with
``1/K`` of torch's thread count (the cores, or ``OMP_NUM_THREADS``) and its own sampler seed.
SIGTERM to this process is passed on to the workers, which fail and re-queue their running
trials before they exit.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import optuna
import torch
from tqdm import tqdm

from fftlearn import ConfigError, resolve_device
from fftlearn._validate import check_int

from .._hypervolume import save_hypervolume_figure
from .._study import create_or_resume_study, make_sampler, register_worker
from ..families import family_of
from ._heartbeat import HeartbeatSettings
from ._storage import StorageLocation, open_artifact_store, open_storage, storage_errors, study_lock
from ._worker import SignalGuard, SignalInterrupt, finished_count, run_worker


@dataclass(frozen=True)
class WorkerJob:
    """What one worker process needs (picklable)."""

    experiment: Any
    location: StorageLocation
    study_name: str
    device: str
    budget: int
    worker_index: int
    threads: int
    heartbeat: HeartbeatSettings
    announce: bool  # this worker says when it waits for trials running elsewhere


class StudyInterrupted(Exception):
    """The workers were stopped by SIGTERM/SIGINT (their running trials were re-queued)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def run_study(
    experiment: Any,
    *,
    location: StorageLocation,
    study_name: str | None = None,
    n_trials: int | None = None,
    devices: Sequence[str] = ("auto",),
    heartbeat: HeartbeatSettings | None = None,
    progress: bool = True,
    on_ready: Callable[[optuna.Study], None] | None = None,
) -> optuna.Study:
    """Create or resume the study and work on it until it holds ``n_trials`` trials in all.

    ``n_trials`` defaults to the experiment's ``study.trials``; ``devices`` has one entry per
    worker (``auto``, ``cpu``, ``cuda:N``); ``on_ready(study)`` is called once the study is
    created or resumed, before any trial. Raises ``StudyInterrupted`` on SIGTERM/SIGINT.
    """
    budget = experiment.study.trials if n_trials is None else n_trials
    check_int("n_trials", budget, low=1, high=1_000_000)
    if not devices:
        raise ConfigError("devices", [], "give at least one device (auto, cpu or cuda:N)")
    check_int("workers", len(devices), low=1, high=256)
    devices = [str(resolve_device(device)) for device in devices]  # bad ones fail before storing
    heartbeat = heartbeat or HeartbeatSettings()
    storage = open_storage(location, create=True, heartbeat=heartbeat)
    name = study_name or experiment.study.name
    lock = study_lock(location, name)
    try:
        with storage_errors(location), lock:
            study = create_or_resume_study(experiment, storage=storage, study_name=name)
    finally:
        lock.close()
    if on_ready is not None:
        on_ready(study)
    threads = max(1, torch.get_num_threads() // len(devices))  # honours OMP_NUM_THREADS
    jobs = [
        WorkerJob(experiment, location, name, device, budget, index, threads, heartbeat, index == 0)
        for index, device in enumerate(devices)
    ]
    with storage_errors(location):
        done = finished_count(study.get_trials(deepcopy=False))
    bar = tqdm(total=budget, initial=min(done, budget), desc=name, unit="trial", disable=not progress)
    with bar:
        if len(jobs) == 1:
            guard = SignalGuard()
            guard.install()
            try:
                _work(jobs[0], study=study, guard=guard, on_trial=lambda: bar.update(1))
            except SignalInterrupt as stop:
                raise StudyInterrupted(stop.signum) from None
            finally:
                guard.restore()
        else:
            _run_processes(jobs, study=study, bar=bar, location=location)
    return study


def _work(
    job: WorkerJob,
    *,
    study: optuna.Study,
    guard: SignalGuard,
    on_trial: Callable[[], None] | None = None,
    objective: Callable[[optuna.Trial], tuple[float, ...]] | None = None,
) -> None:
    """One worker on ``study`` (opened with heartbeats): pinned, seeded, until the budget is done.

    ``objective`` replaces the experiment's own (the scaling benchmark's fixed-cost objective).
    """
    torch.set_num_threads(job.threads)
    device = resolve_device(job.device)
    if device.type == "cuda":
        torch.cuda.set_device(device)  # pin: this worker's kernels and caches stay on its GPU
    family = family_of(job.experiment)
    if objective is None:
        objective = family.objective(
            job.experiment, artifact_store=open_artifact_store(job.location, create=True), device=device
        )
    said = False

    def after_trial() -> None:  # the dashboard's figures, redrawn from the storage
        family.after_trial(job.experiment, study)
        save_hypervolume_figure(study)
        if on_trial is not None:
            on_trial()

    def on_wait(running: int) -> None:
        nonlocal said
        if job.announce and not said:
            said = True
            print(
                f"fftnas: the budget of {job.budget} trials is claimed; waiting for {running} trial(s) "
                f"running on other workers (one whose worker died is re-run here after the "
                f"{job.heartbeat.grace_period} s grace period)",
                file=sys.stderr,
            )

    lock = study_lock(job.location, job.study_name)
    try:
        with storage_errors(job.location):
            with lock:
                index = register_worker(study)
            study.sampler = make_sampler(job.experiment.sampler, worker_index=index)
            run_worker(
                study,
                objective,
                budget=job.budget,
                lock=lock,
                guard=guard,
                device=str(device),
                heartbeat_interval=job.heartbeat.interval,
                on_trial=after_trial,
                on_wait=on_wait,
            )
    finally:
        lock.close()


def _worker_main(job: WorkerJob) -> None:
    """Entry point of a spawned worker: exit 0 when done, 128+signal when stopped."""
    guard = SignalGuard()
    guard.install()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    try:
        storage = open_storage(job.location, create=False, heartbeat=job.heartbeat)
        study = optuna.load_study(study_name=job.study_name, storage=storage)
        _work(job, study=study, guard=guard)
    except SignalInterrupt as stop:
        sys.exit(128 + stop.signum)


def _run_processes(
    jobs: list[WorkerJob], *, study: optuna.Study, bar: tqdm, location: StorageLocation
) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_worker_main, args=(job,), name=f"fftnas-worker-{job.worker_index}")
        for job in jobs
    ]
    received: list[int] = []

    def forward(signum: int, frame: object) -> None:
        received.append(signum)
        for process in processes:
            if process.is_alive() and process.pid is not None:
                try:
                    os.kill(process.pid, signum)
                except ProcessLookupError:
                    pass

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for process in processes:
            process.start()
        while any(p.is_alive() for p in processes):
            _refresh(bar, study, location)
            time.sleep(0.5)
        for process in processes:
            process.join()
        _refresh(bar, study, location)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        raise StudyInterrupted(received[0])
    failed = [p.name for p in processes if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"worker process(es) {', '.join(failed)} exited with an error (see above)")


def _refresh(bar: tqdm, study: optuna.Study, location: StorageLocation) -> None:
    with storage_errors(location):
        bar.n = min(bar.total, finished_count(study.get_trials(deepcopy=False)))
    bar.refresh()
