"""optuna-dashboard's HTTP API on a study made by ``fftnas run``: what a user's browser reads.

The dashboard (``optuna_dashboard.wsgi``) is served by ``wsgiref`` on 127.0.0.1 in a thread, over
the journal storage and artifact store that ``nas.engine._storage`` opens, and queried with urllib.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import optuna
import optuna_dashboard
import pytest

from nas.engine._storage import open_artifact_store, open_storage, resolve_storage
from tests.helpers import SmallStudy

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - wsgiref's signature
        pass


@pytest.fixture(scope="module")
def study(small_study: SmallStudy) -> optuna.Study:
    """The small study, read straight from its storage (the expected values)."""
    storage = open_storage(resolve_storage(str(small_study.storage)), create=False)
    return optuna.load_study(study_name=small_study.study_name, storage=storage)


@pytest.fixture(scope="module")
def dashboard_url(small_study: SmallStudy) -> Iterator[str]:
    """Base URL of optuna-dashboard on the small study, served in a background thread."""
    location = resolve_storage(str(small_study.storage))
    app = optuna_dashboard.wsgi(
        open_storage(location, create=False),
        artifact_store=open_artifact_store(location, create=False),
    )
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _get(url: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET; HTTP errors are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def _get_json(url: str) -> dict[str, Any]:
    status, content_type, body = _get(url)
    assert status == 200, f"GET {url} -> {status}: {body[:300]!r}"
    assert content_type.startswith("application/json")
    return json.loads(body)


def _study_id(base: str, name: str) -> int:
    summaries = _get_json(f"{base}/api/studies")["study_summaries"]
    ids = [s["study_id"] for s in summaries if s["study_name"] == name]
    assert len(ids) == 1, summaries
    return ids[0]


def _attrs(serialized: list[dict[str, str]]) -> dict[str, str]:
    return {a["key"]: a["value"] for a in serialized}


def test_studies_lists_the_study(dashboard_url: str, study: optuna.Study) -> None:
    summaries = _get_json(f"{dashboard_url}/api/studies")["study_summaries"]
    assert [s["study_name"] for s in summaries] == [study.study_name]
    summary = summaries[0]
    assert summary["study_id"] == study._study_id
    assert summary["directions"] == ["maximize", "minimize"]
    assert summary["is_preferential"] is False
    # fftnas records the experiment as a study user attribute; the dashboard shows it cut at
    # 1024 characters (optuna_dashboard's MAX_ATTR_LENGTH), a prefix of what is stored
    shown = _attrs(summary["user_attrs"])["fftnas.experiment"]
    stored = json.dumps(study.user_attrs["fftnas.experiment"])
    assert len(shown) == min(1024, len(stored)) and stored.startswith(shown)
    assert json.loads(stored)["study"]["name"] == study.study_name


def test_study_detail_matches_storage(
    dashboard_url: str, study: optuna.Study, small_study: SmallStudy
) -> None:
    study_id = _study_id(dashboard_url, study.study_name)
    detail = _get_json(f"{dashboard_url}/api/studies/{study_id}?after=0")

    assert detail["name"] == study.study_name
    assert detail["objective_names"] == ["accuracy", "macs"] == study.metric_names
    note = detail["note"]["body"]  # the experiment summary fftnas writes as the study's note
    assert "Objectives: accuracy (maximize), macs (minimize)" in note
    assert "| multiplicative |" in note and "| stft |" in note
    assert detail["directions"] == ["maximize", "minimize"]
    assert detail["is_preferential"] is False

    stored = {t.number: t for t in study.get_trials(deepcopy=False)}
    complete = [t for t in stored.values() if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == len(stored) == small_study.n_trials
    assert sorted(t["number"] for t in detail["trials"]) == sorted(stored)

    for served in detail["trials"]:
        trial = stored[served["number"]]
        assert served["trial_id"] == trial._trial_id
        assert served["state"] == "Complete"
        assert served["values"] == pytest.approx(trial.values)
        assert {p["name"]: p["param_external_value"] for p in served["params"]} == {
            name: str(value) for name, value in trial.params.items()
        }
        attrs = _attrs(served["user_attrs"])
        assert json.loads(attrs["metrics"]) == trial.user_attrs["metrics"]
        assert served["values"] == pytest.approx(
            [trial.user_attrs["metrics"]["accuracy"], trial.user_attrs["metrics"]["macs"]]
        )
        assert json.loads(attrs["config"]) == json.loads(trial.user_attrs["config"])
        assert attrs["artifact.weights"] == trial.user_attrs["artifact.weights"]
        assert attrs["artifact.kernel_spectra"] == trial.user_attrs["artifact.kernel_spectra"]
        assert attrs["artifact.learning_curve"] == trial.user_attrs["artifact.learning_curve"]

        artifacts = {a["artifact_id"]: a for a in served["artifacts"]}
        names = ("weights", "kernel_spectra", "learning_curve")
        expected_ids = {trial.user_attrs[f"artifact.{name}"] for name in names}
        assert set(artifacts) == expected_ids
        spectra = artifacts[trial.user_attrs["artifact.kernel_spectra"]]
        assert spectra["mimetype"] == "image/png"
        assert spectra["filename"].endswith(".png")
        assert artifacts[trial.user_attrs["artifact.weights"]]["filename"].endswith(".pt")

    assert sorted(t["number"] for t in detail["best_trials"]) == sorted(t.number for t in study.best_trials)
    assert 1 <= len(detail["best_trials"]) <= len(complete)


def test_study_detail_after_returns_the_newer_trials(dashboard_url: str, study: optuna.Study) -> None:
    # the page polls with ?after=N and appends what comes back
    study_id = _study_id(dashboard_url, study.study_name)
    n = len(study.trials)
    later = _get_json(f"{dashboard_url}/api/studies/{study_id}?after=2")["trials"]
    assert [t["number"] for t in later] == list(range(2, n))
    assert _get_json(f"{dashboard_url}/api/studies/{study_id}?after={n}")["trials"] == []
    status, _, _ = _get(f"{dashboard_url}/api/studies/{study_id}?after=-1")
    assert status == 400
    status, _, _ = _get(f"{dashboard_url}/api/studies/{study_id + 1000}")
    assert status == 404


def test_trial_artifacts_download(dashboard_url: str, study: optuna.Study, small_study: SmallStudy) -> None:
    study_id = _study_id(dashboard_url, study.study_name)
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        base = f"{dashboard_url}/artifacts/{study_id}/{trial._trial_id}"

        png_id = trial.user_attrs["artifact.kernel_spectra"]
        status, content_type, body = _get(f"{base}/{png_id}")
        assert status == 200
        assert content_type == "image/png"
        assert body.startswith(PNG_SIGNATURE)
        assert body == (small_study.artifact_dir / png_id).read_bytes()

        weights_id = trial.user_attrs["artifact.weights"]
        status, content_type, body = _get(f"{base}/{weights_id}")
        assert status == 200
        assert content_type == "application/octet-stream"
        assert len(body) > 0
        assert body == (small_study.artifact_dir / weights_id).read_bytes()

    first = study.trials[0]
    status, _, _ = _get(f"{dashboard_url}/artifacts/{study_id}/{first._trial_id}/{uuid.uuid4()}")
    assert status == 404
