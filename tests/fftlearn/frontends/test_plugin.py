"""Front-end kinds from outside fftnas: the example plugin package (examples/sinc_frontend_plugin)
installed by pip and found through its ``fftnas.frontends`` entry point, and a kind registered
from Python with ``fftlearn.register_frontend``.

pip installs the plugin with ``--target`` into a folder of this test's own, put on the
``PYTHONPATH`` of the subprocesses that use it (importlib.metadata finds entry points on any
``sys.path`` entry): installing it into the shared environment would change the kinds that every
other process using that environment sees while the tests run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import optuna
import pytest
import torch

import fftlearn
from fftlearn import ConfigError, FrontEnd
from fftlearn.frontends import FRONTENDS, FrameShape
from searchspace import FrontEndSpace, suggest_candidate
from tests.fftlearn.frontends.test_frontend_contract import FrontEndContract
from tests.helpers import REPO, edit_experiment, write_tiny_experiment

PLUGIN = REPO / "examples" / "sinc_frontend_plugin"
TIMEOUT = 900.0  # seconds: a safety net against a hung subprocess, not a speed check
SINC_SPACE = '["sinc"]\n\n[space.sinc]\nn_features = [8, 16]\nfilter_length = [31, 63]'


def python(*args: str, env: dict[str, str], cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` with ``env``; fail the test, showing its output, if it exits non-zero."""
    result = subprocess.run(
        [sys.executable, *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if result.returncode != 0:
        pytest.fail(f"python {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose Python has the example plugin installed (by pip, from a copy of it,
    so that the build leaves nothing in the repository)."""
    root = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(PLUGIN, root / "source")
    site = root / "site"
    install = ["-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "--target"]
    python(*install, str(site), str(source), env=dict(os.environ))
    paths = [str(REPO), str(site), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def test_the_installed_plugin_is_a_registered_kind(plugin_env: dict[str, str]) -> None:
    code = "from fftlearn.frontends import FRONTENDS; print(' '.join(FRONTENDS.names()))"
    names = python("-c", code, env=plugin_env).stdout.split()
    in_tree = set(FRONTENDS.names()) - {SegmentEnergyConfig.kind}  # less a kind the tests below register
    assert names[-1] == "sinc" and set(names[:-1]) == in_tree
    assert "sinc" not in FRONTENDS.names()  # this process does not have it: the install is what counts


def test_the_contract_suite_covers_the_installed_plugin(plugin_env: dict[str, str]) -> None:
    contract = "tests/fftlearn/frontends/test_frontend_contract.py"
    run = ["-m", "pytest", "-q", "-p", "no:cacheprovider", contract, "-k", "sinc and not sincnet"]
    output = python(*run, env=plugin_env).stdout
    n_checks = len([name for name in dir(FrontEndContract) if name.startswith("test_")])
    assert f"{n_checks} passed" in output and "skipped" not in output, output


def test_a_study_searches_the_plugin_kind_reproduces_and_evaluates(
    plugin_env: dict[str, str], tmp_path: Path
) -> None:
    tiny = write_tiny_experiment(tmp_path / "tiny.toml", name="sinc", trials=2, sampler="random")
    experiment = edit_experiment(tiny, tmp_path / "sinc.toml", r'\["multiplicative", "stft"\]', SINC_SPACE)
    storage = tmp_path / "sinc.journal"

    def fftnas(*args: str) -> str:
        return python("-m", "nas.cli", *args, env=plugin_env, cwd=tmp_path).stdout

    fftnas("run", str(experiment), "--storage", str(storage), "--no-progress", "--devices", "cpu")
    backend = optuna.storages.journal.JournalFileBackend(str(storage))
    study = optuna.load_study(study_name="sinc", storage=optuna.storages.JournalStorage(backend))
    trials = study.get_trials()
    assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE] * 2
    for trial in trials:
        assert trial.params["frontend"] == "sinc" and trial.params["sinc.n_features"] in (8, 16)
        assert json.loads(trial.user_attrs["config"])["model"]["frontend"]["kind"] == "sinc"
    first = trials[0]

    result = json.loads(fftnas("reproduce", "--storage", str(storage), "--trial", "0", "--json"))
    for name in ("accuracy", "loss", "macs", "params"):
        assert result["reproduced"][name] == result["stored"][name], name

    params = json.dumps(first.params)
    report = json.loads(fftnas("evaluate", str(experiment), "--params", params, "--json", "--device", "cpu"))
    assert report["config"] == json.loads(first.user_attrs["config"])
    stored = first.user_attrs["metrics"]
    assert (report["metrics"]["macs"], report["metrics"]["params"]) == (stored["macs"], stored["params"])
    assert 0.0 <= report["metrics"]["accuracy"] <= 1.0


def test_the_readme_shows_the_whole_plugin_of_at_most_60_lines() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    module = (PLUGIN / "sinc_frontend.py").read_text(encoding="utf-8")
    pyproject = (PLUGIN / "pyproject.toml").read_text(encoding="utf-8")
    assert module in readme and len(module.splitlines()) <= 60
    assert pyproject[pyproject.index("[project.entry-points") :] in readme


# ---- a kind registered from Python ---------------------------------------------------------------


@dataclass(frozen=True)
class SegmentEnergyConfig:
    """Log energies of S equal segments of the frame, each times a learned gain."""

    kind: ClassVar[str] = "segment_energy"
    frame_length: int = 640  # samples per input frame
    n_segments: int = 8  # S segments, one feature each

    def __post_init__(self) -> None:
        if not 1 <= self.n_segments <= self.frame_length:
            raise ConfigError("n_segments", self.n_segments, f"must be in [1, {self.frame_length}]")

    @property
    def n_features(self) -> int:
        return self.n_segments


@dataclass(frozen=True)
class SegmentEnergySpace:
    """Choices of S."""

    n_segments: tuple[int, ...] = (4, 8, 16)

    def suggest(
        self, trial: optuna.trial.BaseTrial, *, prefix: str, shape: FrameShape
    ) -> SegmentEnergyConfig:
        n_segments = trial.suggest_categorical(f"{prefix}n_segments", list(self.n_segments))
        return SegmentEnergyConfig(frame_length=shape.frame_length, n_segments=n_segments)


class SegmentEnergyFrontEnd(FrontEnd):
    """``(B, N) -> (B, S)``: log(1 + |gain_s| * mean square of segment s)."""

    config_class = SegmentEnergyConfig
    space_class = SegmentEnergySpace

    def __init__(self, config: SegmentEnergyConfig) -> None:
        super().__init__(config)
        self.gain = torch.nn.Parameter(1.0 + 0.1 * torch.randn(config.n_segments))  # (S,)
        self.used = config.frame_length // config.n_segments * config.n_segments  # samples used

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        segments = frames[:, : self.used].reshape(frames.shape[0], self.config.n_segments, -1)  # (B, S, N/S)
        return torch.log1p(self.gain.abs() * segments.square().mean(-1))  # (B, S)

    def macs_per_example(self) -> int:
        """One square per sample used, one gain per segment."""
        return self.used + self.config.n_segments


@pytest.fixture(scope="module")
def registered() -> Iterator[str]:
    """The kind, registered for this module's tests and forgotten after them (later tests must
    not see it)."""
    with FRONTENDS.scratch():
        assert fftlearn.register_frontend(SegmentEnergyFrontEnd) is SegmentEnergyFrontEnd
        yield SegmentEnergyConfig.kind


class TestKindRegisteredFromPython(FrontEndContract):
    """The whole front-end contract, on the kind registered from Python."""

    @pytest.fixture()
    def kind(self, registered: str) -> str:
        return registered


def test_a_kind_registered_from_python_is_searched_built_and_read_back(registered: str) -> None:
    assert registered in FRONTENDS.names() and fftlearn.register_frontend(SegmentEnergyFrontEnd)
    space = FrontEndSpace.from_plain({"frontends": [registered], registered: {"n_segments": [2, 32]}})
    assert space.to_plain()[registered] == {"n_segments": [2, 32]}
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen = set()
    for _ in range(6):
        candidate = suggest_candidate(study.ask(), space=space, frame_length=256, n_classes=3)
        frontend_config = candidate.model.frontend
        assert isinstance(frontend_config, SegmentEnergyConfig) and frontend_config.frame_length == 256
        seen.add(frontend_config.n_segments)
        model = fftlearn.build(candidate.model, seed=0)
        assert model(torch.randn(5, 256)).shape == (5, 3)
        assert fftlearn.config_from_json(fftlearn.config_to_json(candidate)) == candidate
    assert seen == {2, 32}


def test_registering_a_kind_twice_or_a_non_front_end_is_refused(registered: str) -> None:
    class Impostor(SegmentEnergyFrontEnd):
        """Another class under the same kind."""

    with pytest.raises(ConfigError, match="already registered") as error:
        fftlearn.register_frontend(Impostor)
    assert error.value.field == "front-end name" and error.value.value == registered
    with pytest.raises(ConfigError) as error:
        fftlearn.register_frontend(SegmentEnergyConfig)  # type: ignore[arg-type]
    assert error.value.field == "frontend"
    assert FRONTENDS.get(registered, field="kind") is SegmentEnergyFrontEnd
