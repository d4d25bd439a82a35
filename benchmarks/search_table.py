"""Build the table of the replayable search benchmark: a few hundred configurations of one
front-end search space, each trained to its last epoch with its full learning curve and cost.

The configurations are the first ``--configs`` draws of Optuna's RandomSampler (seed 0) from
the experiment's space (``searchspace.suggest_candidate``, as a study draws them). Each one is
trained and measured by the evaluator every trial uses (``evaluate_candidate``: validation split,
learning curve, held-out test metrics), with one torch thread, seed ``trial_seed(data seed, i)``.
The table (gzip JSON, ``benchmarks/search_table.json.gz``) holds per configuration: its params,
the learning curve (validation metrics and seconds per epoch), the test objectives, and seconds.
``benchmarks/search_replay.py`` runs samplers and pruners against it with a simulated clock.

    .venv/bin/python benchmarks/search_table.py [--experiment experiments/search_replay.toml]
        [--configs 300] [--workers 2] [--out benchmarks/search_table.json.gz]

Rebuilding the default 300-configuration table took 337 s of training, 174 s wall-clock with 2
workers on this machine (RESULTS.md, "Search replay"); the table (97 KiB) stays in the repository.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

import optuna

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEFAULT_EXPERIMENT = REPO / "experiments" / "search_replay.toml"
DEFAULT_TABLE = REPO / "benchmarks" / "search_table.json.gz"


def draw_configs(experiment, count: int) -> list[dict]:
    """The first ``count`` params the seeded RandomSampler draws from the experiment's space."""
    from nas.families.frontend._evaluate import suggest_for

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.RandomSampler(seed=0)
    study = optuna.create_study(directions=experiment.directions, sampler=sampler)
    drawn = []
    for _ in range(count):
        trial = study.ask()
        suggest_for(trial, experiment)
        drawn.append(dict(trial.params))
        study.tell(trial, [0.0] * len(experiment.directions))
    return drawn


def train_one(job: tuple[str, int, dict]) -> dict:
    """Train configuration ``index`` (params) to its last epoch; its row of the table."""
    import torch

    path, index, params = job
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train_row(experiment_path=path, index=index, params=params)
    finally:
        torch.set_num_threads(previous_threads)


@functools.lru_cache(maxsize=2)
def _experiment(path: str):
    """The experiment file, read and checked once per process (not once per configuration)."""
    from nas import load_experiment

    return load_experiment(path)


def _train_row(*, experiment_path: str, index: int, params: dict) -> dict:
    import torch

    from nas.families._trial import trial_seed
    from nas.families.frontend._evaluate import evaluate_in, suggest_for, task_splits

    experiment = _experiment(experiment_path)
    candidate = suggest_for(optuna.trial.FixedTrial(params), experiment)
    task_splits(experiment.task, experiment.study.seed, experiment.budget.validation_fraction)  # made once
    start = time.perf_counter()
    evaluation = evaluate_in(
        experiment, candidate, seed=trial_seed(experiment.study.seed, index), device=torch.device("cpu")
    )
    return {
        "index": index,
        "params": params,
        "curve": evaluation.curve,
        "objectives": [evaluation.metrics[m] for m in experiment.metric_names],
        "seconds": time.perf_counter() - start,  # training, validation passes and the test pass
    }


def build_table(experiment_path: Path, *, configs: int, workers: int) -> dict:
    from nas import load_experiment

    experiment = load_experiment(experiment_path)
    jobs = [(str(experiment_path), i, p) for i, p in enumerate(draw_configs(experiment, configs))]
    os.environ["OMP_NUM_THREADS"] = "1"
    rows = []
    if workers == 1:  # in this process (what the tests use)
        for job in jobs:
            rows.append(train_one(job))
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for row in pool.imap_unordered(train_one, jobs):
                rows.append(row)
                print(f"{len(rows)}/{len(jobs)} configurations trained", file=sys.stderr, flush=True)
    rows.sort(key=lambda r: r["index"])
    return {
        "experiment": experiment_path.name,
        "metric_names": experiment.metric_names,
        "directions": experiment.directions,
        "epochs": experiment.budget.epochs,
        "rows": rows,
    }


def write_table(table: dict, path: Path) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as out:
        json.dump(table, out, separators=(",", ":"))


def read_table(path: Path) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as source:
        return json.load(source)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experiment", type=Path, default=DEFAULT_EXPERIMENT)
    parser.add_argument("--configs", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=DEFAULT_TABLE)
    args = parser.parse_args()
    start = time.perf_counter()
    table = build_table(args.experiment, configs=args.configs, workers=args.workers)
    write_table(table, args.out)
    seconds = sum(row["seconds"] for row in table["rows"])
    print(
        f"{len(table['rows'])} configurations, {seconds:.0f} s of training in all, "
        f"{time.perf_counter() - start:.0f} s wall-clock with {args.workers} workers; "
        f"{args.out} ({args.out.stat().st_size / 1024:.0f} KiB)"
    )


if __name__ == "__main__":
    main()
