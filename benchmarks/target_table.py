"""Per front-end kind, the best trial of a stored study: one Markdown table, and the goal verdict.

For every kind (``params["frontend"]``) the table gives the best complete trial by the study's
first objective: its trial number, that objective (raw pitch accuracy for pitch studies),
accuracy, MACs per example (1 MAC = 2 FLOPs), parameters, training seconds and, for experts, the
routing purity and the share of test frames each expert takes. ``--goal`` states a target for the
first objective, judged on the best *learned* kind (the fixed ``stft`` and ``logmel`` baselines
do not count); with ``--goal-on routing_purity`` it is a target for the routing purity instead,
judged on trials whose router really uses two or more experts. ``--all-trials`` adds a table of
every complete trial.

    .venv/bin/python benchmarks/target_table.py --storage /tmp/targets/pitch.journal \\
        --study frontends_pitch --goal 0.95 [--all-trials] [--append --notes-file NOTES.md]

``--study`` may be given more than once to pool studies of one storage with the same first
objective (e.g. per-kind top-up studies); trials are then named ``study#number``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import optuna

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO))
from _results import append_results  # noqa: E402

from fftlearn import ConfigError
from nas import open_storage, resolve_storage  # noqa: E402

Trial = optuna.trial.FrozenTrial
FIXED_KINDS = ("stft", "logmel")  # baselines; every other kind is learned
KIND_ORDER = ("multiplicative", "conv", "butterfly", "dstft", "experts", "stft", "logmel")
USED_SHARE = 0.10  # an expert counts as used when it takes at least this share of test frames


def load_trials(storage_url: str, studies: Sequence[str]) -> tuple[list[Trial], str, str]:
    """Complete trials of ``studies`` (study name in ``user_attrs["_study"]``), and the first
    objective's metric name and direction."""
    storage = open_storage(resolve_storage(storage_url), create=False)
    trials: list[Trial] = []
    first: tuple[str, str] | None = None
    known = {summary.study_name for summary in optuna.get_all_study_summaries(storage)}
    for name in studies:
        if name not in known:
            have = ", ".join(sorted(known)) or "none"
            raise SystemExit(f"--study {name}: no such study in {storage_url} (it has: {have})")
        study = optuna.load_study(study_name=name, storage=storage)
        objective = ((study.metric_names or ["value 0"])[0], study.directions[0].name.lower())
        if first is not None and objective != first:
            raise SystemExit(f"--study {name}: first objective {objective} differs from {first}")
        first = objective
        for trial in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
            trial.user_attrs["_study"] = name
            trials.append(trial)
    assert first is not None
    return trials, *first


def kind_of(trial: Trial) -> str:
    return str(trial.params.get("frontend", "?"))


def best_per_kind(trials: Sequence[Trial], maximize: bool) -> dict[str, Trial]:
    """The best trial of each kind by the first objective (ties: the first one seen)."""
    best: dict[str, Trial] = {}
    for trial in trials:
        old = best.get(kind_of(trial))
        if old is None or (trial.values[0] > old.values[0] if maximize else trial.values[0] < old.values[0]):
            best[kind_of(trial)] = trial
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return dict(sorted(best.items(), key=lambda item: rank.get(item[0], len(rank))))


def label(trial: Trial, pooled: bool) -> str:
    """The trial's number, prefixed by its study when studies are pooled."""
    return f"{trial.user_attrs['_study']}#{trial.number}" if pooled else str(trial.number)


def experts_used(trial: Trial) -> int:
    return sum(share >= USED_SHARE for share in trial.user_attrs.get("expert_share", []))


def header(first_cells: Sequence[str], metric: str) -> str:
    cells = [*first_cells, metric]
    if metric != "accuracy":
        cells.append("accuracy")
    cells += ["MACs / example", "params", "train s", "routing purity", "purity - max share", "expert share"]
    return "| " + " | ".join(cells) + " |\n|" + " --- |" * len(cells)


def row(first_cells: Sequence[str], trial: Trial, metric: str, pooled: bool) -> str:
    metrics = trial.user_attrs.get("metrics", {})
    purity, shares = trial.user_attrs.get("routing_purity"), trial.user_attrs.get("expert_share")
    cells = [*first_cells, label(trial, pooled), f"{trial.values[0]:.4f}"]
    if metric != "accuracy":
        cells.append(f"{metrics.get('accuracy', float('nan')):.4f}")
    cells += [
        f"{metrics.get('macs', float('nan')):,.0f}",
        f"{metrics.get('params', float('nan')):,.0f}",
        f"{metrics.get('train_seconds', float('nan')):.1f}",
        f"{purity:.3f}" if purity is not None else "",
        f"{purity - max(shares):+.3f}" if purity is not None and shares else "",
        "[" + ", ".join(f"{s:.2f}" for s in shares) + "]" if shares else "",
    ]
    return "| " + " | ".join(cells) + " |"


def kind_table(trials: Sequence[Trial], metric: str, maximize: bool, pooled: bool) -> str:
    """Markdown: the best trial of every kind, with the kind's number of complete trials."""
    counts: dict[str, int] = {}
    for trial in trials:
        counts[kind_of(trial)] = counts.get(kind_of(trial), 0) + 1
    lines = [header(["front-end", "complete trials", "best trial"], metric)]
    for kind, trial in best_per_kind(trials, maximize).items():
        name = f"{kind} (fixed)" if kind in FIXED_KINDS else kind
        lines.append(row([name, str(counts[kind])], trial, metric, pooled))
    return "\n".join(lines)


def trial_table(trials: Sequence[Trial], metric: str, pooled: bool) -> str:
    """Markdown: every complete trial, in study and trial order."""
    lines = [header(["front-end", "trial"], metric)]
    for trial in sorted(trials, key=lambda t: (t.user_attrs["_study"], t.number)):
        lines.append(row([kind_of(trial)], trial, metric, pooled))
    return "\n".join(lines)


def objective_verdict(trials: Sequence[Trial], metric: str, maximize: bool, goal: float, pooled: bool) -> str:
    """One line: does the best learned (not fixed) kind reach ``goal`` on the first objective?"""
    sign = ">=" if maximize else "<="
    learned = [t for t in trials if kind_of(t) not in FIXED_KINDS]
    if not learned:
        return f"Goal {metric} {sign} {goal:g}: no learned front-end trial to judge."
    best = (max if maximize else min)(learned, key=lambda t: t.values[0])
    met = best.values[0] >= goal if maximize else best.values[0] <= goal
    return (
        f"Goal {metric} {sign} {goal:g} by the best learned front-end: {'MET' if met else 'NOT met'} "
        f"({kind_of(best)}, trial {label(best, pooled)}: {best.values[0]:.4f})."
    )


def purity_verdict(trials: Sequence[Trial], goal: float, pooled: bool) -> str:
    """One line: best routing purity overall, and among routers that use >= 2 experts."""
    routed = [t for t in trials if t.user_attrs.get("routing_purity") is not None]
    if not routed:
        return f"Goal routing purity >= {goal:g}: no trial has a router."
    best = max(routed, key=lambda t: t.user_attrs["routing_purity"])
    text = (
        f"Best routing purity: {best.user_attrs['routing_purity']:.3f} "
        f"(trial {label(best, pooled)}, {experts_used(best)} experts used)"
    )
    real = [t for t in routed if experts_used(t) >= 2]
    if not real:
        return f"{text}; no trial uses 2 or more experts (share >= {USED_SHARE:g}): goal >= {goal:g} NOT met."
    top = max(real, key=lambda t: t.user_attrs["routing_purity"])
    purity = top.user_attrs["routing_purity"]
    accuracy = top.user_attrs.get("metrics", {}).get("accuracy", float("nan"))
    return (
        f"{text}. Goal routing purity >= {goal:g} with >= 2 experts each taking >= {USED_SHARE:g} of the "
        f"frames: {'MET' if purity >= goal else 'NOT met'} (best such: trial {label(top, pooled)}, "
        f"purity {purity:.3f}, accuracy {accuracy:.4f})."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", required=True, help="journal file path (or any fftnas storage URL)")
    parser.add_argument("--study", action="append", required=True, help="study name; repeat to pool studies")
    parser.add_argument("--goal", type=float, help="target value (see --goal-on)")
    parser.add_argument("--goal-on", choices=("objective", "routing_purity"), default="objective")
    parser.add_argument("--all-trials", action="store_true", help="also list every complete trial")
    parser.add_argument("--title", help="section title in RESULTS.md (default: from the study names)")
    parser.add_argument("--notes-file", type=Path, help="Markdown put under the table (how it was run)")
    parser.add_argument("--append", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()

    try:
        trials, metric, direction = load_trials(args.storage, args.study)
    except ConfigError as error:
        raise SystemExit(f"target_table: {error}") from None
    if not trials:
        raise SystemExit(f"no complete trials in {', '.join(args.study)}")
    maximize = direction == "maximize"
    pooled = len(args.study) > 1
    table = kind_table(trials, metric, maximize, pooled)
    if args.all_trials:
        table += "\n\nAll complete trials:\n\n" + trial_table(trials, metric, pooled)
    lines = [
        f"First objective: {metric} ({direction}). MACs per example, 1 MAC = 2 FLOPs. Routing purity: "
        "share of test frames on their class's majority expert; purity - max share is 0 when routing "
        "ignores the class (purity then equals the largest expert share)."
    ]
    if args.goal is not None:
        if args.goal_on == "routing_purity":
            lines.append(purity_verdict(trials, args.goal, pooled))
        else:
            lines.append(objective_verdict(trials, metric, maximize, args.goal, pooled))
    if args.notes_file is not None:
        lines.append(args.notes_file.read_text(encoding="utf-8").strip())
    notes = "\n\n".join(lines)
    print(f"{table}\n\n{notes}")
    if args.append:
        append_results(args.title or f"Targets: {' + '.join(args.study)}", table, notes=notes)


if __name__ == "__main__":
    main()
