"""How long one MO-ASHA decision takes in a PostgreSQL study of 1,000 trials (issue 11 target:
at most 50 ms).

Fills a fresh PostgreSQL study with ``--trials`` finished trials, each with a ``--epochs``-epoch
learning curve (user attribute ``learning_curve``, as real trials store it; half of them pruned
at a rung), then times ``MOASHA.should_stop`` for a running trial at the first rung, the way a
worker calls it: a new process view of the study (cold: the first decision reads every trial)
and then repeated decisions from the same process (warm: Optuna's cached storage re-reads only
unfinished trials). Prints the median and 95th percentile (milliseconds) and appends them to
RESULTS.md. The study is deleted afterwards.

    .venv/bin/python benchmarks/pruning_decision_time.py
        [--storage postgresql://postgres@127.0.0.1:5432/test] [--trials 1000] [--epochs 9] [--repeats 50]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import optuna

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _results import append_results, markdown_table  # noqa: E402

from nas import open_storage, resolve_storage  # noqa: E402
from nas._curves import CURVE_ATTR, add_point, new_curve  # noqa: E402
from nas.pruners import PrunerSpec, make_pruner  # noqa: E402

DEFAULT_STORAGE = "postgresql://postgres@127.0.0.1:5432/test"
OBJECTIVES = {"metric_names": ["accuracy", "macs"], "directions": ["maximize", "minimize"]}


def curve(rng: np.random.Generator, epochs: int) -> dict:
    recorded = new_curve(["accuracy", "loss", "macs"])
    final, macs = rng.uniform(0.2, 0.99), float(rng.integers(1_000, 3_000_000))
    for epoch in range(1, epochs + 1):
        accuracy = final * (1 - 0.5 ** epoch)
        add_point(recorded, epoch=epoch, seconds=0.5 * epoch, train_loss=1 / epoch,
                  validation={"accuracy": accuracy, "loss": 1 / epoch, "macs": macs})
    return recorded


def fill(study: optuna.Study, *, trials: int, epochs: int) -> None:
    rng = np.random.default_rng(0)
    for number in range(trials):
        recorded = curve(rng, epochs)
        pruned = number % 2 == 1
        if pruned:
            recorded = {**recorded, "epoch": recorded["epoch"][:1], "seconds": recorded["seconds"][:1],
                        "train_loss": recorded["train_loss"][:1],
                        "validation": {k: v[:1] for k, v in recorded["validation"].items()}}
        state = optuna.trial.TrialState.PRUNED if pruned else optuna.trial.TrialState.COMPLETE
        scores = recorded["validation"]
        values = None if pruned else [scores["accuracy"][-1], scores["macs"][-1]]
        trial = optuna.trial.create_trial(state=state, values=values, user_attrs={CURVE_ATTR: recorded})
        study.add_trial(trial)


def time_decisions(url: str, name: str, *, epochs: int, repeats: int) -> tuple[float, list[float]]:
    """(cold decision ms, warm decisions ms) from a fresh process view of the study."""
    study = optuna.load_study(study_name=name, storage=open_storage(resolve_storage(url), create=False))
    trial = study.ask()
    trial.set_user_attr(CURVE_ATTR, curve(np.random.default_rng(1), 1))
    pruner = make_pruner(PrunerSpec(name="mo_asha"), epochs=epochs, **OBJECTIVES)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        pruner.should_stop(study, trial.number, epoch=1)
        times.append(1000 * (time.perf_counter() - start))
    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    return times[0], times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", default=DEFAULT_STORAGE)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=9)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    name = f"pruning-time-{uuid.uuid4().hex[:8]}"
    storage = open_storage(resolve_storage(args.storage), create=True)
    study = optuna.create_study(study_name=name, storage=storage, directions=OBJECTIVES["directions"])
    try:
        fill(study, trials=args.trials, epochs=args.epochs)
        cold, warm = time_decisions(args.storage, name, epochs=args.epochs, repeats=args.repeats)
    finally:
        optuna.delete_study(study_name=name, storage=storage)
    rows = [[f"{args.trials}", f"{cold:.1f}", f"{np.median(warm):.1f}", f"{np.percentile(warm, 95):.1f}"]]
    table = markdown_table(
        ["trials in the study", "first decision of a process (ms)", "median (ms)", "95th percentile (ms)"],
        rows,
    )
    print(table)
    append_results("MO-ASHA decision time in a PostgreSQL study", table,
                   notes=f"{args.repeats} decisions at the first rung (all {args.trials} trials reached it); "
                         "target: at most 50 ms.")


if __name__ == "__main__":
    main()
