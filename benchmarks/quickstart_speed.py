"""How long the main job takes: `fftnas run experiments/quickstart.toml` on a fresh storage.

Times the whole command as a user runs it (process start, imports, data, every trial, the
Pareto table), `--repeats` times, each in a new temporary directory, and appends the figures to
benchmarks/RESULTS.md. The goal (issue 2): at least 8 trials in under 3 minutes on a 2-core CPU.

    .venv/bin/python benchmarks/quickstart_speed.py [--repeats 3] [--workers 1]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import append_results  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
EXPERIMENT = REPO / "experiments" / "quickstart.toml"


def one_run(workers: int) -> tuple[float, int, float]:
    """Wall seconds, complete trials and best accuracy of one fresh quick-start run."""
    with tempfile.TemporaryDirectory(prefix="fftnas-bench-") as tmp:
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "nas.cli",
                "run",
                str(EXPERIMENT),
                "--no-progress",
                "--device",
                "cpu",
                "--workers",
                str(workers),
            ],
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - start
        backend = optuna.storages.journal.JournalFileBackend(str(Path(tmp) / "fftnas.journal"))
        study = optuna.load_study(study_name="quickstart", storage=optuna.storages.JournalStorage(backend))
        complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        return seconds, len(complete), max(t.values[0] for t in complete)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    runs = [one_run(args.workers) for _ in range(args.repeats)]
    rows = [
        "| run | wall time (s) | complete trials | seconds per trial | best accuracy (fraction) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for index, (seconds, trials, best) in enumerate(runs, 1):
        rows.append(f"| {index} | {seconds:.1f} | {trials} | {seconds / trials:.2f} | {best:.4f} |")
    walls = [r[0] for r in runs]
    rows.append(f"| median | {statistics.median(walls):.1f} | | | |")
    table = "\n".join(rows)
    print(table)
    verdict = "met" if max(walls) < 180 and min(r[1] for r in runs) >= 8 else "NOT met"
    notes = (
        f"Quick start with --workers {args.workers}: goal >= 8 trials in < 180 s wall: {verdict} "
        f"(slowest run {max(walls):.1f} s)."
    )
    print(notes)
    if not args.no_record:
        append_results("Quick-start study, wall time", table, notes=notes)


if __name__ == "__main__":
    main()
