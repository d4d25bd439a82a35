"""``fftnas compare STUDY... [--storage URL]``: the Pareto fronts of several studies with the same
objectives in one table and one figure, each study's hypervolume at one common reference point.

The common reference point is, per objective, the worst of the studies' stored reference points
(``fftnas.hypervolume_reference``: the largest value of a minimised objective, the smallest of a
maximised one), so every point that counts in one study's own hypervolume counts here too and the
figures can be compared. The PNG (``--figure``, default ``compare.png``) plots the first two
objectives of every front; the same picture is saved to each study as the plotly figure
``compare`` for optuna-dashboard (adding a figure changes no trial).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import optuna

from fftlearn import ConfigError

from ._hypervolume import (
    LOG_METRICS,
    HypervolumeUnavailable,
    describe_reference,
    hypervolume,
    study_objectives,
)
from ._report import format_table
from ._study import load_study
from .engine import open_storage, resolve_storage

COMPARE_FIGURE = "compare"  # graph object id of the dashboard figure saved to each study


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("studies", nargs="+", metavar="STUDY", help="study names (same objectives)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--figure", default="compare.png", help="PNG of the fronts (default: compare.png)")


def cmd_compare(args: argparse.Namespace) -> int:
    location = resolve_storage(args.storage, artifact_dir=args.artifact_dir)
    storage = open_storage(location, create=False)
    if len(set(args.studies)) != len(args.studies):
        raise ConfigError("STUDY", args.studies, "must name each study once")
    studies = [load_study(storage, name) for name in args.studies]
    comparison = compare_studies(studies)
    figure = Path(args.figure)
    save_compare_png(comparison, figure)
    for study in studies:
        save_compare_plotly(study, comparison)
    print(format_comparison(comparison, args.format, figure=figure))
    return 0


def compare_studies(studies: list[optuna.Study]) -> dict:
    """Objectives, common reference point, and per study its Pareto front (trial numbers and
    values) and hypervolume at that point; ``ConfigError`` when the objectives differ or a study
    has no reference point."""
    metrics, directions, references = None, None, []
    for study in studies:
        try:
            own_metrics, own_directions, reference = study_objectives(study)
        except HypervolumeUnavailable as why:
            why_line = f"has no hypervolume reference point: {why}"
            raise ConfigError("STUDY", study.study_name, why_line) from None
        if metrics is None:
            metrics, directions = own_metrics, own_directions
        elif (own_metrics, own_directions) != (metrics, directions):
            shown = ", ".join(f"{m} ({d})" for m, d in zip(own_metrics, own_directions))
            first = ", ".join(f"{m} ({d})" for m, d in zip(metrics, directions))
            message = f"has objectives {shown}; the first study has {first}"
            raise ConfigError("STUDY", study.study_name, message)
        references.append(reference)
    common = [
        (max if direction == "minimize" else min)(reference[j] for reference in references)
        for j, direction in enumerate(directions)
    ]
    fronts = []
    for study in studies:
        best = sorted(study.best_trials, key=lambda t: t.number)
        values = [list(t.values) for t in best]
        volume = 0.0
        if values:
            volume = hypervolume(values, metrics=metrics, directions=directions, reference=common)
        fronts.append({"study": study.study_name, "hypervolume": volume, "front": best})
    return {"metrics": metrics, "directions": directions, "reference_point": common, "studies": fronts}


def format_comparison(comparison: dict, fmt: str, *, figure: Path) -> str:
    """The comparison as a table (one row per Pareto-optimal trial, then each study's
    hypervolume) or as JSON."""
    metrics = comparison["metrics"]
    if fmt == "json":
        record = {
            "metrics": metrics,
            "directions": comparison["directions"],
            "reference_point": dict(zip(metrics, comparison["reference_point"])),
            "log10_metrics": [m for m in metrics if m in LOG_METRICS],
            "figure": str(figure),
            "studies": [
                {
                    "study": entry["study"],
                    "hypervolume": entry["hypervolume"],
                    "front": [{"number": t.number, "values": list(t.values)} for t in entry["front"]],
                }
                for entry in comparison["studies"]
            ],
        }
        return json.dumps(record, indent=2)
    rows = [
        [entry["study"], str(t.number), *(f"{v:.6g}" for v in t.values)]
        for entry in comparison["studies"]
        for t in entry["front"]
    ]
    table = format_table(["study", "trial", *metrics], rows)
    unit = " x ".join(f"log10({m})" if m in LOG_METRICS else m for m in metrics)
    reference = describe_reference(metrics, comparison["reference_point"])
    lines = [f"hypervolume at the common {reference}, in {unit}:"]
    lines += [f"  {entry['study']}: {entry['hypervolume']:.6g}" for entry in comparison["studies"]]
    return table + "\n" + "\n".join(lines) + f"\nfigure: {figure}"


def save_compare_png(comparison: dict, path: Path) -> None:
    """The fronts on the first two objectives (log scale for ``LOG_METRICS``), one colour per study."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = comparison["metrics"]
    x_metric, y_metric = metrics[0], metrics[1 if len(metrics) > 1 else 0]
    figure, axes = plt.subplots(figsize=(6.4, 4.8))
    for entry in comparison["studies"]:
        points = sorted((t.values[0], t.values[1 if len(metrics) > 1 else 0]) for t in entry["front"])
        label = f"{entry['study']} (hypervolume {entry['hypervolume']:.4g})"
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        axes.plot(xs, ys, marker="o", drawstyle="steps-post", label=label)
    axes.set_xscale("log" if x_metric in LOG_METRICS else "linear")
    axes.set_yscale("log" if y_metric in LOG_METRICS else "linear")
    axes.set_xlabel(x_metric)
    axes.set_ylabel(y_metric)
    axes.set_title("Pareto fronts")
    axes.legend(fontsize="small")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=100, bbox_inches="tight")
    except OSError as error:
        raise ConfigError("--figure", str(path), f"could not be written ({error.strerror})") from None
    finally:
        plt.close(figure)


def save_compare_plotly(study: optuna.Study, comparison: dict) -> None:
    """The same fronts as a plotly figure saved to ``study`` for optuna-dashboard."""
    import optuna_dashboard
    import plotly.graph_objects as go

    metrics = comparison["metrics"]
    y_index = 1 if len(metrics) > 1 else 0
    figure = go.Figure()
    for entry in comparison["studies"]:
        front = sorted(entry["front"], key=lambda t: t.values[0])
        figure.add_trace(
            go.Scatter(
                x=[t.values[0] for t in front],
                y=[t.values[y_index] for t in front],
                customdata=[t.number for t in front],
                mode="lines+markers",
                line_shape="hv",
                name=f"{entry['study']} (hypervolume {entry['hypervolume']:.4g})",
                hovertemplate="trial %{customdata}<extra></extra>",
            )
        )
    figure.update_layout(
        template="none",
        title="Pareto fronts compared",
        xaxis={"title": metrics[0], "type": "log" if metrics[0] in LOG_METRICS else "linear"},
        yaxis={"title": metrics[y_index], "type": "log" if metrics[y_index] in LOG_METRICS else "linear"},
    )
    optuna_dashboard.save_plotly_graph_object(study, figure, graph_object_id=COMPARE_FIGURE)
