"""Pareto fronts, study lists and trial summaries as tables, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json

import optuna

from ._experiment import metric_units
from ._hypervolume import HypervolumeUnavailable, hypervolume_summary, study_hypervolume

UNIT_HEADER = {
    "accuracy": "accuracy (fraction)",
    "loss": "loss (nats)",
    "macs": "MACs/example",
    "params": "params",
    "train_seconds": "train (s)",
    "latency_us": "latency (us/example)",
    "relative_error": "relative error (Frobenius)",
    "rmse": "RMSE (per real entry)",
    "nnz": "nonzeros",
    "ops": "real ops",
    "ops_cheap_eighth_roots": "real ops (a(1+i) as 4)",
    "ops_as_fitted": "real ops as fitted",
    "seconds": "fit (s)",
    "recovered_fft_structure": "FFT graph (1 = yes)",
}


def pareto_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The Pareto-optimal complete trials, best first on the first objective."""
    trials = study.best_trials
    sign = -1 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else 1
    return sorted(trials, key=lambda t: (sign * t.values[0], t.number))


def metric_names(study: optuna.Study) -> list[str]:
    return study.metric_names or [f"objective_{i}" for i in range(len(study.directions))]


def summarize_params(params: dict[str, object]) -> str:
    """A short description of a candidate, e.g. ``multiplicative K=256, head 1x128``."""
    if "method" in params:
        settings = ", ".join(
            f"{k.split('.', 1)[1]}={v:.3g}" if isinstance(v, float) else f"{k.split('.', 1)[1]}={v}"
            for k, v in params.items()
            if "." in k
        )
        return f"{params['method']}" + (f" ({settings})" if settings else "")
    kind = params.get("frontend", "?")
    if kind == "multiplicative":
        text = f"multiplicative K={params.get('multiplicative.n_kernels')}"
    elif kind == "stft":
        text = f"stft n_fft={params.get('stft.n_fft')}"
    else:
        text = str(kind)
    depth = params.get("head.depth", 0)
    head = f"head {depth}x{params['head.width']}" if depth else "linear head"
    return f"{text}, {head}, lr={params.get('optimizer.lr', float('nan')):.2g}"


def pareto_records(study: optuna.Study) -> list[dict[str, object]]:
    names = metric_names(study)
    return [
        {
            "number": t.number,
            "values": list(t.values),
            "metrics": dict(zip(names, t.values)),
            "params": t.params,
            "config": json.loads(t.user_attrs["config"]) if "config" in t.user_attrs else None,
        }
        for t in pareto_trials(study)
    ]


def _format_value(name: str, value: float) -> str:
    if name in ("macs", "params", "nnz") or name.startswith("ops"):
        return f"{value:,.0f}"
    if name == "accuracy":
        return f"{value:.4f}"
    return f"{value:.4g}"


def format_pareto(study: optuna.Study, fmt: str) -> str:
    """The Pareto front as ``table``, ``csv`` or ``json`` text; a table ends with the study's
    hypervolume line (CSV and JSON keep their rows: ``fftnas hypervolume`` has the figure)."""
    records = pareto_records(study)
    if fmt == "json":
        return json.dumps(records, indent=2)
    names = metric_names(study)
    headers = ["trial"] + [UNIT_HEADER.get(n, n) for n in names] + ["candidate"]
    rows = [
        [str(r["number"])]
        + [_format_value(n, v) for n, v in zip(names, r["values"])]
        + [summarize_params(r["params"])]
        for r in records
    ]
    if fmt == "csv":
        buffer, units = io.StringIO(), metric_units()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(
            ["trial"] + [f"{n} ({units[n][0]})" if n in units else n for n in names] + ["candidate"]
        )
        for r in records:
            writer.writerow([r["number"], *r["values"], summarize_params(r["params"])])
        return buffer.getvalue().rstrip("\n")
    table = format_table(headers, rows) + reference_line(study)
    return table + f"\nhypervolume: {hypervolume_summary(study)}"


REFERENCE_NAMES = {
    "dense_flops": "dense",
    "radix2_flops": "radix-2",
    "radix4_flops": "radix-4",
    "split_radix_flops": "split-radix",
}


def format_reference_counts(counts: dict) -> str:
    """``dense 32,640, radix-2 1,356, ...`` from ``reference_counts``; the FFT counts, None for a
    size that is not a power of two, are left out."""
    return ", ".join(f"{REFERENCE_NAMES.get(k, k)} {v:,}" for k, v in counts.items() if v is not None)


def reference_line(study: optuna.Study) -> str:
    """``\nreference real ops: dense ..., radix-2 ..., ...`` from the trials' ``reference_counts``
    (factorization trials record them), or "" when no trial has them."""
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        counts = trial.user_attrs.get("reference_counts")
        if isinstance(counts, dict):
            return f"\nreference real ops (one vector): {format_reference_counts(counts)}"
    return ""


def format_studies(storage: optuna.storages.BaseStorage) -> str | None:
    """A table of the storage's studies: trial counts by state, Pareto-front size, current
    hypervolume (``nas._hypervolume``) and objectives; None when it holds none."""
    rows = []
    for summary in storage.get_all_studies():
        study = optuna.load_study(study_name=summary.study_name, storage=storage)
        counts = {state: 0 for state in optuna.trial.TrialState}
        for trial in study.get_trials(deepcopy=False):
            counts[trial.state] += 1
        objectives = ", ".join(
            f"{name} ({'max' if d == optuna.study.StudyDirection.MAXIMIZE else 'min'})"
            for name, d in zip(metric_names(study), study.directions)
        )
        complete = counts[optuna.trial.TrialState.COMPLETE]
        try:
            hypervolume = f"{study_hypervolume(study):.6g}"
        except HypervolumeUnavailable:
            hypervolume = "n/a"
        rows.append(
            [
                study.study_name,
                str(complete),
                str(counts[optuna.trial.TrialState.PRUNED]),
                str(counts[optuna.trial.TrialState.FAIL]),
                str(counts[optuna.trial.TrialState.RUNNING]),
                str(len(study.best_trials)) if complete else "0",
                hypervolume,
                objectives,
            ]
        )
    headers = ["study", "complete", "pruned", "failed", "running", "pareto", "hypervolume", "objectives"]
    return format_table(headers, rows) if rows else None


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """Plain-text table: right-aligned columns, the last one left-aligned."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        last = len(cells) - 1
        return "  ".join(c if i == last else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])
