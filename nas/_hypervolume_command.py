"""``fftnas hypervolume``: a study's hypervolume after each finished trial, against the trial
number and the wall-clock seconds since the study began, as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys

import optuna

from ._hypervolume import (
    LOG_METRICS,
    HypervolumeUnavailable,
    describe_reference,
    hypervolume_history,
    study_objectives,
)
from ._report import format_table
from ._study import load_study
from .engine import open_storage, resolve_storage

HEADERS = ["trial", "seconds since start (s)", "hypervolume"]


def add_hypervolume_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", help="study name (optional when the storage holds one)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")


def cmd_hypervolume(args: argparse.Namespace) -> int:
    location = resolve_storage(args.storage, artifact_dir=args.artifact_dir)
    study = load_study(open_storage(location, create=False), args.study)
    print(format_history(study, args.format))
    return 0


def format_history(study: optuna.Study, fmt: str) -> str:
    """The hypervolume history of ``study`` as ``table`` (a header line with the reference
    point first), ``csv`` (rows only) or ``json`` (reference point, log10 metrics, rows). When the
    study has no complete reference point the table says ``n/a (why)``, the JSON holds it in
    ``unavailable`` with ``hypervolume`` null, and the CSV has its header only (why: on stderr)."""
    try:
        metrics, directions, reference = study_objectives(study)
        rows = hypervolume_history(study)
    except HypervolumeUnavailable as why:
        if fmt == "json":
            record = {"study": study.study_name, "hypervolume": None, "unavailable": str(why), "history": []}
            return json.dumps(record, indent=2)
        if fmt == "csv":
            print(f"fftnas: note: hypervolume {why}", file=sys.stderr)
            return ",".join(HEADERS)
        return f"study {study.study_name!r}: hypervolume {why}"
    if fmt == "json":
        record = {
            "study": study.study_name,
            "metrics": metrics,
            "directions": directions,
            "reference_point": dict(zip(metrics, reference)),
            "log10_metrics": [m for m in metrics if m in LOG_METRICS],
            "hypervolume": rows[-1].hypervolume if rows else 0.0,
            "history": [row._asdict() for row in rows],
        }
        return json.dumps(record, indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(HEADERS)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    unit = " x ".join(f"log10({m})" if m in LOG_METRICS else m for m in metrics)
    header = f"study {study.study_name!r}: {describe_reference(metrics, reference)}; hypervolume in {unit}"
    lines = [[str(r.trial), f"{r.seconds:.3f}", f"{r.hypervolume:.6g}"] for r in rows]
    return header + "\n" + format_table(HEADERS, lines)
