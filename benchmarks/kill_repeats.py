"""Repeated kill tests: 4 workers, a 40-trial budget, one worker SIGKILLed mid-trial, N times.

The same harness as tests/nas/engine/test_distributed.py (tests/kill_harness.py): each worker is its own
`fftnas run` process with 1 s heartbeats and a 6 s grace period; one is killed with SIGKILL
while it trains a trial. Every repetition must end with exactly 40 complete trials, the killed
trial failed and re-run once, nothing RUNNING or WAITING: zero trials lost or duplicated
(the issue 5 target: across 5 repetitions).

    .venv/bin/python benchmarks/kill_repeats.py [--repeats 5] [--backends postgresql,redis,journal,mysql]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _results import append_results, markdown_table  # noqa: E402

from tests.kill_harness import BUDGET, WORKERS, kill_one_worker_mid_trial, reader, summarize  # noqa: E402

URLS = {
    "postgresql": "postgresql://postgres@127.0.0.1:5432/test",
    "mysql": "mysql://root@127.0.0.1:3306/test",
    "redis": "redis://127.0.0.1:6379/0",
}


def one_repeat(backend: str) -> dict:
    """One kill test on a new study; its summary plus wall seconds."""
    import optuna

    with tempfile.TemporaryDirectory(prefix="fftnas-kill-") as tmp:
        storage = URLS.get(backend) or str(Path(tmp) / "shared.journal")
        name = f"killrep-{backend}-{uuid.uuid4().hex[:8]}"
        start = time.perf_counter()
        outcome = kill_one_worker_mid_trial(storage, name, Path(tmp))
        summary = summarize(outcome, name)
        summary["seconds"] = time.perf_counter() - start
        summary["exit_codes"] = [w.returncode for w in outcome["workers"]]
        if backend in URLS:
            optuna.delete_study(study_name=name, storage=reader(storage))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backends", default="postgresql,redis,journal,mysql")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    rows, lost, duplicated, runs = [], 0, 0, 0
    for backend in args.backends.split(","):
        for repeat in range(1, args.repeats + 1):
            s = one_repeat(backend)
            runs += 1
            lost += s["lost"]
            duplicated += s["duplicated"]
            row = [
                backend,
                str(repeat),
                str(s["killed_trial"]),
                str(s["complete"]),
                str(s["failed"]),
                str(s["retries"]),
                f"{s['running']}/{s['waiting']}",
                str(s["lost"]),
                str(s["duplicated"]),
                " ".join(str(code) for code in s["exit_codes"]),
                f"{s['seconds']:.1f}",
            ]
            rows.append(row)
            print(" | ".join(row), flush=True)
    header = [
        "storage",
        "repeat",
        "killed trial",
        "complete",
        "failed",
        "retries",
        "running/waiting left",
        "lost",
        "duplicated",
        "worker exit codes",
        "seconds",
    ]
    table = markdown_table(header, rows)
    verdict = (
        f"{runs} kill tests ({WORKERS} workers, budget {BUDGET}, one worker SIGKILLed mid-trial each): "
        f"{lost} trials lost, {duplicated} duplicated (goal: zero across 5 repeats): "
        f"{'met' if lost == duplicated == 0 and args.repeats >= 5 else 'NOT met'}. "
        "Exit code -9 is the killed worker."
    )
    print(table)
    print(verdict)
    if not args.no_record:
        append_results("Repeated kill tests (trials lost or duplicated)", table, notes=verdict)


if __name__ == "__main__":
    main()
