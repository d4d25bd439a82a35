"""`fftnas dashboard` in a real browser: the study page draws the Pareto front of the trials.

Needs Debian's Chromium at /usr/bin/chromium and the Python ``playwright`` package (never
Playwright's own downloaded browser). Without them the test is skipped, or fails when
``FFTNAS_REQUIRE_SERVICES=1``.

In optuna-dashboard 0.21 the Pareto front of a multi-objective study is on the study's top page,
``/dashboard/studies/<id>``: a MUI card headed "Pareto Front" with "Objective X/Y" selects and a
plotly graph ``div#graph-pareto-front.js-plotly-plot`` whose scatter traces draw one
``path.point`` per complete trial (dominated trials in one trace, the Pareto front in another).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import optuna
import pytest

from nas.engine._storage import open_storage, resolve_storage
from tests.helpers import REPO as REPO_ROOT
from tests.helpers import SmallStudy

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOT = REPO_ROOT / "tests" / "screenshots" / "dashboard-pareto.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START_TIMEOUT_S = 30.0
RENDER_TIMEOUT_MS = 20_000


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("FFTNAS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (FFTNAS_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Path:
    """The system Chromium, after checking the playwright package is importable."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        _unavailable(f"the Python playwright package is not installed ({error})")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM}; install it with `apt-get install -y chromium`")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def dashboard(small_study: SmallStudy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``fftnas dashboard`` on the small study as a subprocess; yields its base URL."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("dashboard") / "dashboard.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "nas.cli", "dashboard"]
            + ["--storage", str(small_study.storage), "--port", str(port)],
            cwd=small_study.storage.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"`fftnas dashboard` exited {process.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/api/meta", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`fftnas dashboard` did not answer in {START_TIMEOUT_S:.0f} s:\n{log_path.read_text()}"
                )
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _study(small_study: SmallStudy) -> optuna.Study:
    storage = open_storage(resolve_storage(str(small_study.storage)), create=False)
    return optuna.load_study(study_name=small_study.study_name, storage=storage)


def _points(traces: list[dict[str, Any]]) -> list[tuple[float, float]]:
    return sorted(
        (round(float(x), 9), round(float(y), 9)) for trace in traces for x, y in zip(trace["x"], trace["y"])
    )


def test_pareto_front_plot_shows_the_trials(chromium: Path, dashboard: str, small_study: SmallStudy) -> None:
    from playwright.sync_api import sync_playwright

    study = _study(small_study)
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    assert len(complete) == small_study.n_trials
    expected = sorted((round(t.values[0], 9), round(t.values[1], 9)) for t in complete)
    front = sorted((round(t.values[0], 9), round(t.values[1], 9)) for t in study.best_trials)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page_errors: list[str] = []
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.goto(f"{dashboard}/dashboard/studies/{study._study_id}", timeout=RENDER_TIMEOUT_MS)

            # wait until plotly has drawn a marker for every complete trial
            page.wait_for_function(
                "n => document.querySelectorAll('#graph-pareto-front path.point').length >= n",
                arg=len(complete),
                timeout=RENDER_TIMEOUT_MS,
            )
            plot = page.locator("#graph-pareto-front")
            assert "js-plotly-plot" in (plot.get_attribute("class") or "").split()
            assert plot.locator("path.point").count() == len(complete)

            # the data plotly drew: every trial's (accuracy, macs) once, and a trace with the front
            traces: list[dict[str, Any]] = plot.evaluate(
                "el => el.data.map(t => ({type: t.type || 'scatter', x: t.x || [], y: t.y || []}))"
            )
            assert all(trace["type"] == "scatter" for trace in traces)
            assert _points(traces) == expected
            assert front in [_points([trace]) for trace in traces]
            # each marker's hover text is the trial as JSON (with <br> line breaks)
            hover: list[list[str]] = plot.evaluate("el => el.data.map(t => t.text || [])")
            drawn = sorted(
                json.loads(text.replace("<br>", ""))["number"] for texts in hover for text in texts
            )
            assert drawn == sorted(t.number for t in complete)

            # the card names the objectives as fftnas set them (study.set_metric_names)
            card = page.locator(".MuiCard-root", has=plot)
            assert card.get_by_role("heading", name="Pareto Front").count() == 1
            assert card.get_by_role("combobox").all_inner_texts() == ["accuracy", "macs"]
            assert page_errors == []

            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            SCREENSHOT.unlink(missing_ok=True)
            card.screenshot(path=str(SCREENSHOT))
        finally:
            browser.close()

    data = SCREENSHOT.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 10_000  # a drawn plot, not an empty image
