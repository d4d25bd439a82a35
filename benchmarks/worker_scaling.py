"""Trials per minute with 1, 2 and 4 workers on one study: how well fftnas's workers scale.

``--objective fixed`` (the default): each worker is a process of its own running fftnas's real
worker (``nas.engine._runner._work``: its sampler seed, the study lock, the global budget,
heartbeats, ask/tell) with a fixed-cost objective: it draws a real candidate from the
experiment's space (``suggest_for``), then waits ``--cost`` seconds and returns synthetic
objective values. The wait stands for a GPU training: the host core is idle meanwhile, so K
workers on this 2-core machine can scale as K workers on K GPUs would, and what is measured is
fftnas's own overhead per trial (storage, lock, sampler). The goal (issue 5): 4 workers >= 3.5x
the trials per minute of 1 worker over PostgreSQL.

``--objective experiment``: the experiment's own trials (training, measuring, pictures), run by
``fftnas run EXPERIMENT --devices D,D,...`` with K workers on the one device ``--device`` (K
processes sharing it and splitting the cores). The goal (issue 11): on one GPU, 4 workers give
>= 2.5x the trials per hour of 1 on the quick start.

Trials per minute (hour) = complete trials / (last trial's completion - first trial's start),
read from the storage, so process start-up is excluded. Efficiency = rate(K) / (K * rate(1)).

    .venv/bin/python benchmarks/worker_scaling.py [--backends postgresql,redis,journal,mysql]
        [--budget 40] [--cost 1.0] [--workers 1,2,4]
    .venv/bin/python benchmarks/worker_scaling.py --objective experiment --device cuda:0
        --backends journal --workers 1,4 --budget 40 [--experiment experiments/quickstart.toml]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import optuna

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _results import append_results, markdown_table  # noqa: E402

from nas import load_experiment, open_storage, resolve_storage  # noqa: E402
from nas._study import create_or_resume_study  # noqa: E402
from nas.engine._heartbeat import HeartbeatSettings  # noqa: E402
from nas.engine._runner import WorkerJob, _work  # noqa: E402
from nas.engine._worker import SignalGuard  # noqa: E402
from nas.families.frontend._evaluate import suggest_for  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
EXPERIMENT = REPO / "experiments" / "quickstart.toml"
URLS = {
    "postgresql": "postgresql://postgres@127.0.0.1:5432/test",
    "mysql": "mysql://root@127.0.0.1:3306/test",
    "redis": "redis://127.0.0.1:6379/0",
}
HEARTBEAT = HeartbeatSettings(interval=10, grace_period=30)


class FixedCost:
    """Draw a real candidate, wait ``seconds``, return (accuracy-like, MACs-like) values."""

    def __init__(self, *, experiment, seconds: float) -> None:
        self.experiment = experiment
        self.seconds = seconds

    def __call__(self, trial: optuna.Trial) -> tuple[float, float]:
        candidate = suggest_for(trial, self.experiment)
        time.sleep(self.seconds)
        lr = trial.params["optimizer.lr"]
        return 1.0 / (1.0 + abs(lr - 3e-3) * 100), float(len(str(candidate)))


def _worker(url: str, study_name: str, budget: int, cost: float) -> None:
    """One worker process: fftnas's own worker (``nas.engine._runner._work``) with the fixed-cost objective."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    experiment = load_experiment(EXPERIMENT, check_data=False)
    location = resolve_storage(url)
    study = optuna.load_study(
        study_name=study_name, storage=open_storage(location, create=False, heartbeat=HEARTBEAT)
    )
    job = WorkerJob(experiment, location, study_name, "cpu", budget, 0, 1, HEARTBEAT, False)
    guard = SignalGuard()
    guard.install()
    _work(job, study=study, guard=guard, objective=FixedCost(experiment=experiment, seconds=cost))


def one_run(url: str, *, workers: int, budget: int, cost: float) -> dict[str, float]:
    """Run ``budget`` trials with ``workers`` processes on a new study; its figures."""
    experiment = load_experiment(EXPERIMENT, check_data=False)
    location = resolve_storage(url)
    storage = open_storage(location, create=True)
    name = f"scaling-{uuid.uuid4().hex[:8]}"
    create_or_resume_study(experiment, storage=storage, study_name=name)
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker, args=(url, name, budget, cost)) for _ in range(workers)]
    start = time.perf_counter()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    wall = time.perf_counter() - start
    trials = optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    span = (
        max(t.datetime_complete for t in complete) - min(t.datetime_start for t in complete)
    ).total_seconds()
    if location.file is None:
        optuna.delete_study(study_name=name, storage=storage)
    return {
        "complete": len(complete),
        "trials": len(trials),
        "span": span,
        "wall": wall,
        "per_minute": 60.0 * len(complete) / span,
        "overhead": span * workers / len(complete) - cost,
    }


def experiment_run(url: str, *, experiment: Path, device: str, workers: int, budget: int, tmp: Path) -> dict:
    """``budget`` of the experiment's own trials by ``fftnas run`` with ``workers`` workers on
    ``device``, on a new study in ``url``; its figures."""
    name = f"scaling-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "nas.cli", "run", str(experiment), "--storage", url]
    command += ["--study-name", name, "--trials", str(budget), "--no-progress"]
    command += ["--devices", ",".join([device] * workers)]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{result.stderr}")
    storage = open_storage(resolve_storage(url), create=False)
    trials = optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    span = (
        max(t.datetime_complete for t in complete) - min(t.datetime_start for t in complete)
    ).total_seconds()
    if resolve_storage(url).file is None:
        optuna.delete_study(study_name=name, storage=storage)
    return {"complete": len(complete), "trials": len(trials), "span": span, "wall": wall}


def experiment_rows(args: argparse.Namespace, tmp: Path) -> tuple[list[list[str]], list[str]]:
    """Rows of the ``--objective experiment`` table, and the issue's verdict when it applies."""
    rows, verdicts, counts = [], [], [int(k) for k in args.workers.split(",")]
    for backend in args.backends.split(","):
        url = URLS.get(backend) or str(tmp / f"{backend}-{{}}.journal")
        per_hour = {}
        for workers in counts:
            result = experiment_run(
                url.format(workers),
                experiment=Path(args.experiment).resolve(),
                device=args.device,
                workers=workers,
                budget=args.budget,
                tmp=tmp,
            )
            per_hour[workers] = 3600.0 * result["complete"] / result["span"]
            speedup = per_hour[workers] / per_hour[counts[0]]
            rows.append(
                [
                    backend,
                    args.device,
                    str(workers),
                    f"{result['complete']}/{result['trials']}",
                    f"{result['span']:.1f}",
                    f"{per_hour[workers]:,.0f}",
                    f"{speedup:.2f}x",
                    f"{speedup / workers * counts[0] * 100:.0f}%",
                    f"{result['wall']:.1f}",
                ]
            )
            print(" | ".join(rows[-1]), flush=True)
        if args.device.startswith("cuda") and {1, 4} <= set(per_hour):
            ratio = per_hour[4] / per_hour[1]
            verdicts.append(
                f"Target ({backend}): 4 workers on one GPU give {ratio:.2f}x the trials per hour of 1 "
                f"(goal >= 2.5x): {'met' if ratio >= 2.5 else 'NOT met'}."
            )
    return rows, verdicts


EXPERIMENT_HEADER = [
    "storage",
    "device",
    "workers",
    "complete/all trials",
    "first start to last end (s)",
    "trials per hour",
    "speed-up",
    "efficiency",
    "wall incl. start-up (s)",
]


def main(argv: list[str] | None = None) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--backends", default="postgresql,redis,journal,mysql")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--budget", type=int, default=40)
    parser.add_argument("--cost", type=float, default=1.0, help="seconds per trial")
    parser.add_argument("--objective", choices=["fixed", "experiment"], default="fixed")
    parser.add_argument("--experiment", default=str(EXPERIMENT), help="with --objective experiment")
    parser.add_argument("--device", default="cpu", help="with --objective experiment: every worker's device")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    if args.objective == "experiment":
        with tempfile.TemporaryDirectory(prefix="fftnas-scaling-") as tmp:
            rows, verdicts = experiment_rows(args, Path(tmp))
        table = markdown_table(EXPERIMENT_HEADER, rows)
        notes = (
            f"The experiment's own trials ({Path(args.experiment).name}, budget {args.budget} per run) by "
            f"`fftnas run --devices` with K workers on {args.device}, {os.cpu_count()} cores split between "
            "them. Trials per hour = complete trials / (first start to last end). " + " ".join(verdicts)
        )
        print(table, notes, sep="\n")
        if not args.no_record:
            append_results(f"Workers sharing one device ({args.device}): trials per hour", table, notes=notes)
        return
    counts = [int(k) for k in args.workers.split(",")]
    rows, verdicts = [], []
    with tempfile.TemporaryDirectory(prefix="fftnas-scaling-") as tmp:
        for backend in args.backends.split(","):
            url = URLS.get(backend) or str(Path(tmp) / f"{backend}.journal")
            base = None
            for workers in counts:
                result = one_run(url, workers=workers, budget=args.budget, cost=args.cost)
                base = base or result["per_minute"]
                speedup = result["per_minute"] / base
                row = [
                    backend,
                    str(workers),
                    f"{result['complete']:.0f}/{result['trials']:.0f}",
                    f"{result['span']:.1f}",
                    f"{result['per_minute']:.1f}",
                    f"{speedup:.2f}x",
                    f"{speedup / workers * 100:.0f}%",
                    f"{result['overhead'] * 1000:.0f}",
                    f"{result['wall']:.1f}",
                ]
                rows.append(row)
                print(" | ".join(row), flush=True)
            if backend == "postgresql" and 4 in counts:
                four = float(rows[-1][5].rstrip("x")) if counts[-1] == 4 else None
                verdicts.append(
                    f"PostgreSQL, 4 workers: {four:.2f}x one worker (goal >= 3.5x): "
                    f"{'met' if four >= 3.5 else 'NOT met'}."
                )
    header = [
        "storage",
        "workers",
        "complete/all trials",
        "first start to last end (s)",
        "trials per minute",
        "speed-up",
        "efficiency",
        "overhead per trial (ms)",
        "wall incl. start-up (s)",
    ]
    table = markdown_table(header, rows)
    print(table)
    notes = (
        f"Fixed-cost objective: a real candidate from {EXPERIMENT.name}'s space (tpe sampler), then "
        f"{args.cost:g} s of waiting; budget {args.budget} trials per run; heartbeats every "
        f"{HEARTBEAT.interval} s. Overhead per trial = span x workers / trials - cost. " + " ".join(verdicts)
    )
    print(notes)
    if not args.no_record:
        append_results("Worker scaling on one study (trials per minute)", table, notes=notes)


if __name__ == "__main__":
    main()
