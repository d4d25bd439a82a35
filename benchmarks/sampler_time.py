"""The sampler's own time per trial as a study grows to 100, 500 and 1000 trials (tpe, nsga2, gp).

For each sampler and each size S, an in-memory study with the experiment's directions is given S
complete trials, then R trials are timed; one timed unit is ``study.ask()`` plus
``suggest_for(trial, experiment)`` (nas/families/frontend/_evaluate.py): the sampler's work to propose one candidate
of the real, conditional fftnas space (``study.tell`` is timed apart). The S trials stand in for a study that
grew to S trials: their params are drawn once by ``suggest_for`` under a seeded RandomSampler and
are the same for every sampler; each carries NSGA-II's generation attribute (trial i is in
generation i // 50), so NSGA-II breeds from real parent populations instead of starting afresh.
Objective values are synthetic (a deterministic function of the params: an accuracy-like
fraction in [0, 1] for a maximized objective, a MACs-like count for a minimized one) because only
the sampler's time is measured, never a model. The first ask after the fill is a warm-up, shown
apart: NSGA-II selects and caches the parents of every earlier generation there (a live study
does that once per generation), GPSampler fits its kernel hyperparameters from scratch there (it
warm-starts every later fit from the previous one, as in a live run of one process), and first
calls pay import and setup costs.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sampler_time.py [--sizes 100 500 1000] \\
        [--samplers tpe nsga2 gp] [--repeats 5] [--gp-repeats 5] \\
        [--experiment experiments/frontends_pitch.toml] [--seed 0] [--no-record]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import zlib
from pathlib import Path

import optuna

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO))
from _results import append_results  # noqa: E402

from nas import load_experiment, make_sampler  # noqa: E402
from nas._specs import SamplerSpec
from nas.families import FrontEndExperiment as Experiment  # noqa: E402
from nas.families.frontend._evaluate import suggest_for  # noqa: E402

GENERATION_KEY = "NSGAIISampler:generation"  # optuna.samplers.NSGAIISampler's trial system attr
POPULATION = 50  # NSGAIISampler's default population size (make_sampler keeps it)


def synthetic_values(*, params: dict[str, object], directions: list[str]) -> list[float]:
    """Per objective: an accuracy-like fraction in [0, 1] (maximize) or a MACs-like count (minimize),
    deterministic in ``params`` (numeric params make the candidate 'bigger')."""
    size = sum(math.log1p(abs(v)) for v in params.values() if isinstance(v, int | float))
    noise = zlib.crc32(repr(sorted(params.items())).encode()) / 2**32  # in [0, 1)
    accuracy = (1.0 - math.exp(-size / 10.0)) * (0.7 + 0.3 * noise)
    macs = 1e4 * math.exp(size / 3.0) * (1.0 + noise)
    return [accuracy if d == "maximize" else macs for d in directions]


def filler_trials(*, experiment: Experiment, count: int, seed: int) -> list[optuna.trial.FrozenTrial]:
    """``count`` complete trials of the real space, drawn by a seeded RandomSampler."""
    study = optuna.create_study(
        directions=experiment.directions, sampler=optuna.samplers.RandomSampler(seed=seed)
    )
    for _ in range(count):
        trial = study.ask()
        suggest_for(trial, experiment)
        study.tell(trial, synthetic_values(params=trial.params, directions=experiment.directions))
    return [
        optuna.trial.create_trial(
            params=t.params,
            distributions=t.distributions,
            values=t.values,
            system_attrs={GENERATION_KEY: index // POPULATION},
        )
        for index, t in enumerate(study.get_trials(deepcopy=False))
    ]


def time_sampler(
    *, name: str, experiment: Experiment, filler: list[optuna.trial.FrozenTrial], repeats: int, seed: int
) -> dict[str, float]:
    """Seconds of the warm-up ask, of each timed ask + suggest and of each tell, after ``len(filler)``
    complete trials (the timed trials are told, so ask r sees len(filler) + 1 + r trials)."""
    study = optuna.create_study(
        directions=experiment.directions, sampler=make_sampler(SamplerSpec(name=name, seed=seed))
    )
    study.add_trials(filler)
    asks, tells = [], []
    for index in range(repeats + 1):
        start = time.perf_counter()
        trial = study.ask()
        suggest_for(trial, experiment)
        asked = time.perf_counter() - start
        values = synthetic_values(params=trial.params, directions=experiment.directions)
        start = time.perf_counter()
        study.tell(trial, values)
        tells.append(time.perf_counter() - start)
        asks.append(asked)
        if asked > 1.0:
            print(f"  {name} S={len(filler)} ask {index}: {asked:.2f} s", file=sys.stderr, flush=True)
    timed = asks[1:]
    return {
        "warmup": asks[0],
        "median": statistics.median(timed),
        "max": max(timed),
        "tell": statistics.median(tells[1:]),
        "repeats": repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default=str(REPO / "experiments" / "frontends_pitch.toml"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--samplers", nargs="+", default=["tpe", "nsga2", "gp"])
    parser.add_argument("--repeats", type=int, default=5, help="timed asks per sampler and size")
    parser.add_argument("--gp-repeats", type=int, default=None, help="timed asks for gp (default --repeats)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fill and of the samplers")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    begin = time.perf_counter()
    experiment = load_experiment(args.experiment, check_data=False)  # only the space is used
    filler = filler_trials(experiment=experiment, count=max(args.sizes), seed=args.seed)
    counts = [len(t.params) for t in filler]
    names = {p for t in filler for p in t.params}
    shared = set.intersection(*(set(t.params) for t in filler))
    print(f"filled {len(filler)} trials in {time.perf_counter() - begin:.1f} s", file=sys.stderr)
    header = [
        "sampler",
        "trials in study",
        "median ask+suggest (s/trial)",
        "max ask+suggest (s/trial)",
        "warm-up ask (s)",
        "median tell (s/trial)",
        "repeats",
    ]
    rows = []
    for name in args.samplers:
        repeats = args.gp_repeats if name == "gp" and args.gp_repeats else args.repeats
        for size in sorted(args.sizes):
            start = time.perf_counter()
            r = time_sampler(
                name=name, experiment=experiment, filler=filler[:size], repeats=repeats, seed=args.seed
            )
            print(
                f"{name} S={size}: median {r['median']:.3f} s, max {r['max']:.3f} s "
                f"({time.perf_counter() - start:.1f} s in all)",
                file=sys.stderr,
                flush=True,
            )
            rows.append(
                [name, str(size), f"{r['median']:.4f}", f"{r['max']:.4f}", f"{r['warmup']:.4f}"]
                + [f"{r['tell']:.4f}", str(r["repeats"])]
            )
    table = "\n".join(
        ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        + ["| " + " | ".join(r) + " |" for r in rows]
    )
    print(table)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    notes = (
        f"Experiment {Path(args.experiment).name} ({len(experiment.space.frontends)} front-end kinds, "
        f"objectives {', '.join(experiment.metric_names)}): {min(counts)}-{max(counts)} params per "
        f"trial (mean {statistics.mean(counts):.1f}), {len(names)} distinct param names, "
        f"{len(shared)} in every trial ({', '.join(sorted(shared))}: the joint space of nsga2 and gp; "
        "the others are sampled independently). In-memory storage; the S trials "
        f"are random (seed {args.seed}) with synthetic objective values (only the sampler's time is "
        "measured); one timed unit = study.ask() + suggest_for (the warm-up ask is excluded from "
        "median and max). Samplers built by nas.make_sampler (defaults, seed "
        f"{args.seed}); OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}. Total wall time "
        f"{(time.perf_counter() - begin) / 60:.1f} min; load average (1, 5, 15 min) at the end: {load} "
        f"on {os.cpu_count()} cores."
    )
    print(notes)
    if not args.no_record:
        append_results("Sampler time per trial vs. study size", table, notes=notes)


if __name__ == "__main__":
    main()
