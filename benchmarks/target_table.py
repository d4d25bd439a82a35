"""Per front-end kind, the best trial of a stored study: one Markdown table, and the goal verdict.

For every kind (``params["frontend"]``) the table gives the best complete trial by the study's
first objective: its trial number, that objective (raw pitch accuracy for pitch studies),
accuracy, MACs per example (1 MAC = 2 FLOPs), parameters, training seconds and, for experts, the
routing purity and the share of test frames each expert takes. ``--goal`` states a target for the
first objective; the verdict uses the best *learned* kind (the fixed ``stft`` and ``logmel``
baselines do not count). ``--all-trials`` adds a table of every complete trial.

    .venv/bin/python benchmarks/target_table.py --storage /tmp/targets/pitch.journal \\
        --study frontends_pitch --goal 0.95 [--all-trials] [--append --note "how it was run"]

``--study`` may be given more than once to pool studies of one storage with the same objectives
(e.g. per-kind top-up studies).
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

from nas import open_storage, resolve_storage  # noqa: E402

FIXED_KINDS = ("stft", "logmel")  # baselines; everything else is learned
KIND_ORDER = ("multiplicative", "conv", "butterfly", "dstft", "experts", "stft", "logmel")


def load_trials(storage_url: str, studies: Sequence[str]) -> tuple[list[optuna.trial.FrozenTrial], str, str]:
    """Complete trials of ``studies`` (tagged with their study), the first metric and its direction."""
    storage = open_storage(resolve_storage(storage_url), create=False)
    trials: list[optuna.trial.FrozenTrial] = []
    first: tuple[str, str] | None = None
    for name in studies:
        study = optuna.load_study(study_name=name, storage=storage)
        metric = (study.metric_names or ["value 0"])[0]
        direction = study.directions[0].name.lower()
        if first is None:
            first = (metric, direction)
        elif first != (metric, direction):
            raise SystemExit(f"--study {name}: first objective {metric} ({direction}) differs from {first}")
        for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
            trial.user_attrs.setdefault("_study", name)
            trials.append(trial)
    assert first is not None
    return trials, first[0], first[1]


def best_per_kind(
    trials: Sequence[optuna.trial.FrozenTrial], maximize: bool
) -> dict[str, optuna.trial.FrozenTrial]:
    """The best trial of each kind by the first objective (ties: the earlier trial)."""
    best: dict[str, optuna.trial.FrozenTrial] = {}
    for trial in trials:
        kind = str(trial.params.get("frontend", "?"))
        old = best.get(kind)
        better = old is None or (trial.values[0] > old.values[0] if maximize else trial.values[0] < old.values[0])
        if better:
            best[kind] = trial
    order = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return dict(sorted(best.items(), key=lambda item: order.get(item[0], len(order))))


def _shares(trial: optuna.trial.FrozenTrial) -> str:
    shares = trial.user_attrs.get("expert_share")
    return "[" + ", ".join(f"{s:.2f}" for s in shares) + "]" if shares else ""


def _purity(trial: optuna.trial.FrozenTrial) -> str:
    purity = trial.user_attrs.get("routing_purity")
    return f"{purity:.3f}" if purity is not None else ""


def _class_dependence(trial: optuna.trial.FrozenTrial) -> str:
    """Purity minus the largest expert share: 0 when routing ignores the class (purity is then
    exactly the largest share), up to 1 - max share when each class has its own expert."""
    purity, shares = trial.user_attrs.get("routing_purity"), trial.user_attrs.get("expert_share")
    return f"{purity - max(shares):+.3f}" if purity is not None and shares else ""


def _row(label: str, trial: optuna.trial.FrozenTrial, count: int | None, pooled: bool) -> str:
    metrics = trial.user_attrs.get("metrics", {})
    number = f"{trial.user_attrs['_study']}#{trial.number}" if pooled else str(trial.number)
    cells = [
        label,
        number,
        f"{trial.values[0]:.4f}",
        f"{metrics.get('accuracy', float('nan')):.4f}",
        f"{metrics.get('macs', float('nan')):,.0f}",
        f"{metrics.get('params', float('nan')):,.0f}",
        f"{metrics.get('train_seconds', float('nan')):.1f}",
        _purity(trial),
        _class_dependence(trial),
        _shares(trial),
    ]
    if count is not None:
        cells.insert(1, str(count))
    return "| " + " | ".join(cells) + " |"


def kind_table(trials: Sequence[optuna.trial.FrozenTrial], metric: str, maximize: bool, pooled: bool) -> str:
    """Markdown: the best trial of every kind, with the number of complete trials of that kind."""
    counts: dict[str, int] = {}
    for trial in trials:
        kind = str(trial.params.get("frontend", "?"))
        counts[kind] = counts.get(kind, 0) + 1
    rows = [
        f"| front-end | complete trials | best trial | {metric} | accuracy | MACs / example | params "
        "| train s | routing purity | purity - max share | expert share |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind, trial in best_per_kind(trials, maximize).items():
        label = f"{kind} (fixed)" if kind in FIXED_KINDS else kind
        rows.append(_row(label, trial, counts[kind], pooled))
    return "\n".join(rows)


def trial_table(trials: Sequence[optuna.trial.FrozenTrial], metric: str, pooled: bool) -> str:
    """Markdown: every complete trial, in trial order."""
    rows = [
        f"| front-end | trial | {metric} | accuracy | MACs / example | params | train s "
        "| routing purity | purity - max share | expert share |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for trial in sorted(trials, key=lambda t: (t.user_attrs["_study"], t.number)):
        rows.append(_row(str(trial.params.get("frontend", "?")), trial, None, pooled))
    return "\n".join(rows)


def verdict(trials: Sequence[optuna.trial.FrozenTrial], metric: str, maximize: bool, goal: float) -> str:
    """One line: is ``goal`` met by the best learned (not fixed) kind?"""
    learned = {k: t for k, t in best_per_kind(trials, maximize).items() if k not in FIXED_KINDS}
    if not learned:
        return f"Goal {metric} {'>=' if maximize else '<='} {goal:g}: no learned front-end trial to judge."
    pick = max if maximize else min
    kind, trial = pick(learned.items(), key=lambda item: item[1].values[0])
    value = trial.values[0]
    met = value >= goal if maximize else value <= goal
    return (
        f"Goal {metric} {'>=' if maximize else '<='} {goal:g} by the best learned front-end: "
        f"{'MET' if met else 'NOT met'} ({kind}, trial {trial.number}: {value:.4f})."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", required=True, help="journal file path (or any fftnas storage URL)")
    parser.add_argument("--study", action="append", required=True, help="study name; repeat to pool studies")
    parser.add_argument("--goal", type=float, help="target for the first objective")
    parser.add_argument("--all-trials", action="store_true", help="also list every complete trial")
    parser.add_argument("--title", help="section title in RESULTS.md (default: from the study names)")
    parser.add_argument("--note", action="append", default=[], help="text under the table (repeatable)")
    parser.add_argument("--append", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()

    trials, metric, direction = load_trials(args.storage, args.study)
    if not trials:
        raise SystemExit(f"no complete trials in {', '.join(args.study)}")
    maximize = direction == "maximize"
    pooled = len(args.study) > 1
    parts = [kind_table(trials, metric, maximize, pooled)]
    if args.all_trials:
        parts.append("All complete trials:\n\n" + trial_table(trials, metric, pooled))
    table = "\n\n".join(parts)
    lines = [
        f"First objective: {metric} ({direction}); MACs: 1 MAC = 2 FLOPs, per example. Routing purity: "
        "share of test frames on their class's majority expert; purity - max share is 0 when routing "
        "ignores the class (purity is then the largest expert share) and > 0 only if it depends on it."
    ]
    if args.goal is not None:
        lines.append(verdict(trials, metric, maximize, args.goal))
    notes = "\n\n".join(lines + args.note)
    print(table + "\n\n" + notes)
    if args.append:
        append_results(args.title or f"Targets: {' + '.join(args.study)}", table, notes=notes)


if __name__ == "__main__":
    main()
