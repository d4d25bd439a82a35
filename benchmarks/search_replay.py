"""Samplers and pruners compared on the replayable search benchmark, with a simulated clock.

Runs each method (random, TPE, NSGA-II, GP, and TPE / NSGA-II with MO-ASHA) for ``--seeds``
sampler seeds against the table that ``search_table.py`` built (``_replay.py``: real samplers,
the real search space and the real pruner, simulated workers and clock), and reports the
hypervolume of the complete trials' test objectives against simulated wall-clock seconds: its
median and quartiles over seeds, as a table (printed and appended to RESULTS.md) and a PNG.
The hypervolume is fftnas's (``nas._hypervolume``: the study's reference point rule, log10 of
MACs). Two targets of issue 11 are checked on the median curves:
TPE+MO-ASHA reaches full-training TPE's final hypervolume in <= 1/3 of the horizon, and TPE
reaches random search's final hypervolume in <= 1/2 of it.

    .venv/bin/python benchmarks/search_replay.py [--table benchmarks/search_table.json.gz]
        [--seeds 10] [--workers 4] [--horizon-trials 100] [--overhead 0]
        [--methods random,tpe,nsga2,gp,tpe+mo_asha,nsga2+mo_asha] [--png benchmarks/search_replay.png]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _replay import Method, Table, history_on_grid, replay, time_to_reach  # noqa: E402
from _results import append_results, markdown_table  # noqa: E402
from search_table import DEFAULT_TABLE, read_table  # noqa: E402

from nas import load_experiment  # noqa: E402
from nas._hypervolume import hypervolume  # noqa: E402
from nas.families import reference_point_of  # noqa: E402
from nas.pruners import PrunerSpec  # noqa: E402

DEFAULT_METHODS = "random,tpe,nsga2,gp,tpe+mo_asha,nsga2+mo_asha"
MO_ASHA = PrunerSpec(name="mo_asha", min_epochs=1, reduction_factor=3)


def parse_methods(text: str) -> list[Method]:
    methods = []
    for item in text.split(","):
        sampler, _, pruner = item.strip().partition("+")
        methods.append(Method(sampler, pruner or "none"))
    return methods


def run_methods(table: Table, experiment, methods: list[Method], *, seeds: int, workers: int,
                horizon: float, overhead: float, grid: np.ndarray, hypervolume_of) -> dict:
    """method label -> (seeds, grid) hypervolume curves, trials complete/pruned, seconds."""
    results = {}
    for method in methods:
        start = time.perf_counter()
        curves, complete = [], []
        for seed in range(seeds):
            done = replay(table, experiment, method, seed=seed, workers=workers, horizon=horizon,
                          pruner=MO_ASHA, overhead=overhead)
            curves.append(history_on_grid(done, grid, hypervolume_of))
            complete.append(len(done))
        results[method.label] = {
            "curves": np.array(curves),
            "complete": float(np.median(complete)),
            "seconds": time.perf_counter() - start,
        }
        print(f"{method.label}: {results[method.label]['seconds']:.1f} s for {seeds} seeds", file=sys.stderr)
    return results


def picture(results: dict, grid: np.ndarray, path: Path, *, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for label, result in results.items():
        low, mid, high = np.percentile(result["curves"], [25, 50, 75], axis=0)
        ax.plot(grid, mid, label=label, linestyle="--" if "MO-ASHA" not in label else "-")
        ax.fill_between(grid, low, high, alpha=0.15)
    ax.set_xlabel("simulated wall-clock (s)")
    ax.set_ylabel("hypervolume (accuracy x log10 MACs)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def summary_rows(results: dict, grid: np.ndarray) -> tuple[list[list[str]], dict[str, float]]:
    horizon = grid[-1]
    medians = {label: np.median(r["curves"], axis=0) for label, r in results.items()}
    rows = []
    for label, result in results.items():
        final = result["curves"][:, -1]
        q1, q2, q3 = np.percentile(final, [25, 50, 75])
        half = time_to_reach(medians[label], grid, 0.99 * q2)
        rows.append([label, f"{q2:.4f}", f"{q1:.4f} - {q3:.4f}", f"{result['complete']:.0f}",
                     f"{half / horizon:.2f}", f"{result['seconds']:.1f}"])
    ratios = {}
    pairs = [("tpe+MO-ASHA", "tpe"), ("nsga2+MO-ASHA", "nsga2"), ("tpe", "random"), ("gp", "random"),
             ("nsga2", "random")]
    for fast, slow in pairs:
        if fast in medians and slow in medians:
            reach = time_to_reach(medians[fast], grid, medians[slow][-1])
            ratios[f"{fast} reaches {slow}'s final"] = reach / horizon
    return rows, ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE)
    parser.add_argument("--experiment", type=Path, default=REPO / "experiments" / "search_replay.toml")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--horizon-trials", type=float, default=100.0,
                        help="horizon = this many mean full trainings spread over the workers")
    parser.add_argument(
        "--overhead", type=float, default=0.0, help="seconds each trial costs beyond training"
    )
    parser.add_argument("--methods", default=DEFAULT_METHODS)
    parser.add_argument("--png", type=Path, default=REPO / "benchmarks" / "search_replay.png")
    parser.add_argument("--no-results", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    table = Table(read_table(args.table))
    experiment = load_experiment(args.experiment, check_data=False)
    reference = reference_point_of(experiment)
    mean_cost = float(np.mean([row["seconds"] for row in table.rows])) + args.overhead
    horizon = args.horizon_trials * mean_cost / args.workers
    grid = np.linspace(0.0, horizon, 241)

    def hypervolume_of(points: np.ndarray) -> float:
        return hypervolume(points, metrics=table.metric_names, directions=table.directions,
                           reference=[reference[m] for m in table.metric_names])

    methods = parse_methods(args.methods)
    results = run_methods(table, experiment, methods, seeds=args.seeds, workers=args.workers, horizon=horizon,
                          overhead=args.overhead, grid=grid, hypervolume_of=hypervolume_of)
    rows, ratios = summary_rows(results, grid)
    header = ["method", "final HV (median)", "final HV (IQR)", "trials complete (median)",
              "time to 99% of own final (fraction of horizon)", "replay seconds (all seeds)"]
    text = markdown_table(header, rows)
    ratio_lines = [f"- {name}: {value:.2f} of the horizon" for name, value in ratios.items()]
    print(text + "\n\n" + "\n".join(ratio_lines))
    title = f"{len(table.rows)} configurations, {args.workers} workers, quartiles of {args.seeds} seeds"
    picture(results, grid, args.png, title=title)
    if not args.no_results:
        notes = (f"Table: {len(table.rows)} configurations of {args.experiment.name} "
                 f"({table.epochs} epochs), "
                 f"horizon {horizon:.1f} simulated s ({args.horizon_trials:g} mean full trainings over "
                 f"{args.workers} workers), reference point {reference}, MO-ASHA min_epochs 1, "
                 f"reduction_factor 3. Times to reach another method's final median hypervolume, on the "
                 f"median curves:\n" + "\n".join(ratio_lines) + f"\n\nPicture: {args.png.name}")
        append_results("Search replay: hypervolume against simulated wall-clock", text, notes=notes)


if __name__ == "__main__":
    main()
