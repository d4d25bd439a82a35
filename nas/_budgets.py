"""``fftnas budgets``: the best score of each front-end kind within each MAC budget.

The table researchers ask for when they compare front-ends: for budgets of about 10 k, 30 k,
100 k, 300 k and 1 M MACs per frame, the best held-out score of each kind among a study's
complete trials that cost at most that much, fixed and learned kinds side by side, and the
margin of the best learned kind over the best fixed one in points (hundredths). A kind's trials
with learnable PCEN are a row of their own (``logmel+pcen``: the transform fixed, only the
compression learned; it counts as fixed). Reference
trackers measured elsewhere (``benchmarks/pitch_anchors.py --json``) can be listed beside them.
A PNG shows each kind's Pareto front (score against MACs, log scale) with the budget lines.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

import optuna

from fftlearn import ConfigError
from fftlearn.frontends import FRONTENDS

from ._report import format_table, metric_names

DEFAULT_BUDGETS = (10_000, 30_000, 100_000, 300_000, 1_000_000)  # MACs per frame
PCEN_SUFFIX = "+pcen"  # a kind's trials with learnable PCEN are listed apart


@dataclass(frozen=True)
class Point:
    """One complete trial: its front-end kind, MACs per frame and score; ``number`` names the
    trial (``"12"``, or ``"study:12"`` when several studies are pooled)."""

    number: str
    kind: str
    macs: float
    score: float


def study_points(study: optuna.Study, *, metric: str, prefix: str = "") -> list[Point]:
    """Every complete trial that recorded ``metric`` and ``macs`` (user attribute ``metrics``)."""
    points = []
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        metrics = trial.user_attrs.get("metrics", {})
        if metric in metrics and "macs" in metrics and "frontend" in trial.params:
            name, kind = f"{prefix}{trial.number}", str(trial.params["frontend"])
            kind += PCEN_SUFFIX if uses_pcen(trial, kind) else ""
            points.append(Point(name, kind, metrics["macs"], metrics[metric]))
    return points


def uses_pcen(trial: optuna.trial.FrozenTrial, kind: str) -> bool:
    """Whether the trial's front-end has learnable PCEN: its ``<kind>.pcen`` param, or its stored
    config when the space offered PCEN as the only choice (then it is no param)."""
    if f"{kind}.pcen" in trial.params:
        return trial.params[f"{kind}.pcen"] is True
    try:
        frontend = json.loads(trial.user_attrs.get("config", "{}")).get("model", {}).get("frontend", {})
    except (ValueError, AttributeError):
        return False
    return isinstance(frontend, dict) and frontend.get("pcen") is True


def best_within(points: list[Point], budget: float) -> Point | None:
    """The highest-scoring point costing at most ``budget`` MACs (the cheaper one on a tie)."""
    inside = [p for p in points if p.macs <= budget and math.isfinite(p.score)]
    return max(inside, key=lambda p: (p.score, -p.macs), default=None)


def pareto_front(points: list[Point]) -> list[Point]:
    """The points no other point beats on both MACs (fewer) and score (higher), by MACs."""
    front: list[Point] = []
    for point in sorted(points, key=lambda p: (p.macs, -p.score)):
        if not front or point.score > front[-1].score:
            front.append(point)
    return front


def is_learned(kind: str) -> bool:
    """Whether a kind learns its transform (a registered kind's ``learnable``; a fixed transform
    with learnable PCEN, ``"stft+pcen"``, counts as fixed); unknown kinds (a plugin no longer
    installed) count as learned."""
    frontend = FRONTENDS.find(kind.removesuffix(PCEN_SUFFIX))
    return True if frontend is None else bool(frontend.learnable)


def budget_rows(points: list[Point], budgets: tuple[float, ...]) -> list[dict[str, object]]:
    """One record per kind (fixed kinds first) and the best fixed / best learned / margin rows:
    ``{"row", "learned", "best": [score or None per budget], "trials": [...]}``."""
    kinds = sorted({p.kind for p in points}, key=lambda k: (is_learned(k), k))
    rows: list[dict[str, object]] = []
    for label, members in [(k, [p for p in points if p.kind == k]) for k in kinds] + [
        ("best fixed", [p for p in points if not is_learned(p.kind)]),
        ("best learned", [p for p in points if is_learned(p.kind)]),
    ]:
        best = [best_within(members, b) for b in budgets]
        rows.append(
            {
                "row": label,
                "learned": is_learned(label) if label in kinds else label == "best learned",
                "best": [None if p is None else p.score for p in best],
                "trials": [None if p is None else p.number for p in best],
                "macs": [None if p is None else p.macs for p in best],
            }
        )
    fixed, learned = rows[-2]["best"], rows[-1]["best"]
    margin = [None if f is None or g is None else 100.0 * (g - f) for f, g in zip(fixed, learned)]  # type: ignore[arg-type]
    rows.append(
        {"row": "learned - fixed (points)", "learned": None, "best": margin, "trials": None, "macs": None}
    )
    return rows


def read_anchors(path: str, *, metric: str) -> list[dict[str, object]]:
    """Reference trackers from a JSON file: a list of ``{"name", "macs", metric: score}`` (the
    output of ``benchmarks/pitch_anchors.py --json``); ``ConfigError`` on ``--anchors`` otherwise."""
    try:
        records = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise ConfigError("--anchors", path, f"must be a readable JSON file ({error})") from None
    if not isinstance(records, list) or not all(
        isinstance(r, dict) and "name" in r and metric in r for r in records
    ):
        raise ConfigError("--anchors", path, f'must be a JSON list of {{"name", "macs", "{metric}"}} objects')
    return records


def format_budgets(
    rows: list[dict[str, object]],
    budgets: tuple[float, ...],
    *,
    metric: str,
    anchors: list[dict[str, object]],
    fmt: str,
) -> str:
    """The budget table as ``table``, ``csv`` or ``json`` text."""
    if fmt == "json":
        return json.dumps(
            {"metric": metric, "budgets_macs": list(budgets), "rows": rows, "anchors": anchors}, indent=2
        )
    headers = ["kind", "learns"] + [f"<= {_si(b)} MACs" for b in budgets]
    lines = []
    for row in rows:
        margin = str(row["row"]).endswith("(points)")
        cells = [
            "-" if v is None else (f"{v:+.1f}" if margin else f"{v:.4f} (#{row['trials'][i]})")  # type: ignore[index]
            for i, v in enumerate(row["best"])  # type: ignore[arg-type]
        ]
        learns = "" if row["learned"] is None else ("yes" if row["learned"] else "no")
        learns = "PCEN" if learns == "no" and str(row["row"]).endswith(PCEN_SUFFIX) else learns
        lines.append([str(row["row"]), learns, *cells])
    for anchor in anchors:
        macs = anchor.get("macs")
        cost = f"at {_si(float(macs))} MACs" if isinstance(macs, (int, float)) else "not a network"
        lines.append(
            [str(anchor["name"]), "anchor", f"{float(anchor[metric]):.4f} {cost}"] + [""] * (len(budgets) - 1)
        )
    if fmt == "csv":
        return "\n".join(",".join(cell.replace(",", ";") for cell in line) for line in [headers, *lines])
    return f"best {metric} within each MAC budget (MACs per frame; #trial)\n" + format_table(headers, lines)


def _si(value: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:g}"


def budget_metric(study: optuna.Study, metric: str | None) -> str:
    """``metric``, or the study's first objective that is not ``macs``; checked to exist."""
    names = metric_names(study)
    chosen = metric or next((n for n in names if n != "macs"), None)
    if chosen is None:
        raise ConfigError("--metric", metric, "is needed: the study has no objective besides macs")
    return chosen


def parse_budgets(text: str) -> tuple[float, ...]:
    """``"10000,30000,1e5"`` -> ascending MAC budgets; ``ConfigError`` on ``--budgets``."""
    try:
        budgets = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(
            "--budgets", text, "must be comma-separated numbers of MACs, e.g. 1e4,3e4,1e5"
        ) from None
    if (
        not budgets
        or any(not math.isfinite(b) or b <= 0 for b in budgets)
        or list(budgets) != sorted(set(budgets))
    ):
        raise ConfigError("--budgets", text, "must be positive MAC counts in ascending order, none repeated")
    return budgets


def add_budgets_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--study",
        action="append",
        help="study name (optional when the storage holds one); repeat it to pool several studies",
    )
    parser.add_argument("--metric", help="the score (default: the study's first objective besides macs)")
    parser.add_argument(
        "--budgets",
        default=",".join(str(b) for b in DEFAULT_BUDGETS),
        help="MACs per frame, comma-separated (default: 10k, 30k, 100k, 300k, 1M)",
    )
    parser.add_argument("--anchors", help="JSON of reference trackers (benchmarks/pitch_anchors.py --json)")
    parser.add_argument("--png", help="write each kind's Pareto front (score vs MACs) to this PNG")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")


def plot_fronts(
    points: list[Point],
    budgets: tuple[float, ...],
    *,
    metric: str,
    anchors: list[dict[str, object]],
    path: str,
) -> None:
    """Each kind's Pareto front as a step line (solid: learned kinds, dashed: fixed), the budget
    lines, and the anchors as stars, to a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(10, 5.5))
    colours = plt.get_cmap("tab20").colors
    for index, kind in enumerate(sorted({p.kind for p in points})):
        front = pareto_front([p for p in points if p.kind == kind])
        axes.step(
            [p.macs for p in front],
            [p.score for p in front],
            where="post",
            marker="o",
            linestyle="-" if is_learned(kind) else "--",
            color=colours[index % len(colours)],
            label=kind + ("" if is_learned(kind) else " (fixed)"),
        )
    for budget in budgets:
        axes.axvline(budget, color="0.8", linewidth=0.8, zorder=0)
    for anchor in anchors:
        if isinstance(anchor.get("macs"), (int, float)):
            axes.plot(
                float(anchor["macs"]), float(anchor[metric]), "*", markersize=12, label=str(anchor["name"])
            )
    axes.set_xscale("log")
    axes.set_xlabel("MACs per frame")
    axes.set_ylabel(metric)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes.grid(True, which="major", alpha=0.3)
    figure.tight_layout()
    try:
        figure.savefig(path, dpi=120)
    except OSError as error:
        raise ConfigError("--png", path, f"cannot be written ({error.strerror})") from None
    finally:
        plt.close(figure)


def run_budgets(studies: list[optuna.Study], args: argparse.Namespace) -> str:
    """What ``fftnas budgets`` prints for ``studies`` (their trials pooled; the PNG it writes)."""
    metric = budget_metric(studies[0], args.metric)
    budgets = parse_budgets(args.budgets)
    anchors = read_anchors(args.anchors, metric=metric) if args.anchors else []
    points = [
        point
        for study in studies
        for point in study_points(
            study, metric=metric, prefix=f"{study.study_name}:" if len(studies) > 1 else ""
        )
    ]
    if not points:
        raise ConfigError("--metric", metric, "is recorded by no complete trial of these studies")
    if args.png:
        plot_fronts(points, budgets, metric=metric, anchors=anchors, path=args.png)
    return format_budgets(
        budget_rows(points, budgets), budgets, metric=metric, anchors=anchors, fmt=args.format
    )
