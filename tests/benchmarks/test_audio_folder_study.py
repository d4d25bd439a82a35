"""benchmarks/audio_folder_study.py at a tiny size: 12 written recordings, the two commands, a
2-trial study, the table it prints (RESULTS.md untouched with --no-record). Writing the folder
needs espeak-ng, pyfluidsynth and FluidR3_GM.sf2 (scripts/setup.sh installs them); without them
the run is skipped, or fails when ``FFTNAS_REQUIRE_SERVICES=1``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from fftlearn.data._write_folder import DEFAULT_SOUNDFONT
from tests.helpers import REPO, load_benchmark, snapshot

bench = load_benchmark("audio_folder_study")


def _require_renderers() -> None:
    try:
        import fluidsynth  # noqa: F401

        missing = []
    except (ImportError, OSError):
        missing = ["pyfluidsynth with libfluidsynth3"]
    missing += [] if Path(DEFAULT_SOUNDFONT).is_file() else [DEFAULT_SOUNDFONT]
    missing += [] if shutil.which("espeak-ng") else ["espeak-ng"]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed (scripts/setup.sh installs them)"
    if os.environ.get("FFTNAS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and FFTNAS_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


def _rows(out: str) -> dict[str, tuple[str, str]]:
    """The printed Markdown table: quantity -> (value, unit)."""
    cells = [line.strip("|").split(" | ") for line in out.splitlines() if line.startswith("| ")]
    return {c[0].strip(): (c[1].strip(), c[2].strip()) for c in cells[1:]}


def test_twelve_files_to_a_two_trial_study_in_two_commands(tmp_path: Path, capsys) -> None:
    _require_renderers()
    before = snapshot(REPO / "benchmarks" / "RESULTS.md")
    bench.main(["--files", "12", "--trials", "2", "--workdir", str(tmp_path), "--no-record"])
    out = capsys.readouterr().out
    rows = _rows(out)
    assert rows["files (wav and flac)"] == ("12", "files")
    assert rows["trials complete"] == ("2 of 2", "trials")
    train = int(rows["training frames (validation share included)"][0])
    test = int(rows["test frames (files never trained on)"][0])
    assert 0 < test < train and train + test <= 12 * 8  # at most 8 frames per file
    assert rows["test frames (files never trained on)"][1] == "frames of 640 samples"
    audio = float(rows["audio"][0])
    assert 12 * 0.6 <= audio < 12 * 10  # 0.6 s notes, speech a few seconds
    run, pareto = float(rows["`fftnas run`"][0]), float(rows["`fftnas pareto`"][0])
    assert float(rows["the two commands"][0]) == pytest.approx(run + pareto, abs=0.11)
    assert 0.0 <= float(rows["best accuracy"][0]) <= 1.0 and int(rows["Pareto front"][0]) >= 1
    typed = [line.strip() for line in out.splitlines() if line.startswith("    fftnas ")]
    assert typed == [
        "fftnas run experiments/audio_folder.toml --set task.data.root=TMP/audio "
        "--storage TMP/study.journal --trials 2 --no-progress",
        "fftnas pareto --storage TMP/study.journal",
    ]
    assert sorted(p.name for p in (tmp_path / "audio").iterdir()) == [
        "flute", "manifest.csv", "piano", "pitch.csv", "speech", "violin",
    ]  # fmt: skip
    assert snapshot(REPO / "benchmarks" / "RESULTS.md") == before


def test_a_folder_that_is_not_empty_stops_it_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "mine.wav").write_bytes(b"")
    with pytest.raises(SystemExit) as stop:
        bench.main(["--files", "12", "--workdir", str(tmp_path), "--no-record"])
    assert str(stop.value) == (
        f"audio_folder_study: error: root: got {str(tmp_path / 'audio')!r}; must be a new or empty directory"
    )
    assert [p.name for p in (tmp_path / "audio").iterdir()] == ["mine.wav"]
