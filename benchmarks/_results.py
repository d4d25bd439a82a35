"""Append a benchmark's table to benchmarks/RESULTS.md with the date, machine and command."""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> str:
    """CPU model and core count (and the GPU when torch sees one)."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    text = f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"
    try:
        import torch

        text += f", torch {torch.__version__}"
        if torch.cuda.is_available():
            text += f", GPU {torch.cuda.get_device_name(0)}"
    except ImportError:
        pass
    return text


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table of string cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def append_results(title: str, table: str, *, notes: str = "") -> None:
    """Add a dated section to RESULTS.md (the command line that produced it included)."""
    command = "python " + shlex.join([os.path.relpath(sys.argv[0])] + sys.argv[1:])
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    section = f"\n## {title}: {stamp}\n\nMachine: {machine()}  \nCommand: `{command}`\n\n{table}\n"
    if notes:
        section += f"\n{notes}\n"
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nEach section is appended by a script in `benchmarks/`.\n")
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(section)
