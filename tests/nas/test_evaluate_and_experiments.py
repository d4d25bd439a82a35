"""``fftnas evaluate``, the shipped experiment files, and what each trial records it learned."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna
import pytest

import fftlearn
from nas import load_experiment
from nas.cli import main
from nas.families.frontend._evaluate import suggest_for
from tests.helpers import REPO, edit_experiment, write_tiny_experiment
from tests.nas.test_overrides import write_class_folder

EXPERIMENTS = sorted(
    p for p in (REPO / "experiments").glob("*.toml") if 'family = "factorization"' not in p.read_text()
)
STFT_PARAMS = {
    "frontend": "stft",
    "stft.n_fft": 128,
    "stft.hop_fraction": 0.5,
    "stft.window": "hann",
    "head.depth": 0,
    "optimizer.name": "adam",
    "optimizer.lr": 0.005,
}


def test_evaluate_trains_one_architecture_and_is_deterministic(tmp_path: Path, capsys) -> None:
    experiment = write_tiny_experiment(tmp_path / "tiny.toml")
    argv = ["evaluate", str(experiment), "--params", json.dumps(STFT_PARAMS), "--json", "--device", "cpu"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["config"]["model"]["frontend"] == {
        "kind": "stft",
        "frame_length": 256,
        "n_fft": 128,
        "hop": 64,
        "window": "hann",
        "log_compress": True,
    }
    assert first["metrics"]["macs"] == fftlearn.count_macs(
        fftlearn.build(fftlearn.from_mapping(fftlearn.ModelConfig, first["config"]["model"]))
    )
    assert 0.0 <= first["metrics"]["raw_pitch_accuracy"] <= 1.0
    assert first["learned"]["frame_bounds"]["kind"] == "matrix"
    assert 0.0 <= first["learned"]["harmonic_score"]["mean"] <= 1.0
    (tmp_path / "p.json").write_text(json.dumps(STFT_PARAMS))
    assert (
        main(
            ["evaluate", str(experiment), "--params", f"@{tmp_path / 'p.json'}", "--json", "--device", "cpu"]
        )
        == 0
    )
    again = json.loads(capsys.readouterr().out)
    assert again["metrics"]["accuracy"] == first["metrics"]["accuracy"]
    assert main(["evaluate", str(experiment), "--params", json.dumps(STFT_PARAMS), "--device", "cpu"]) == 0
    assert "MACs per example" in capsys.readouterr().out


@pytest.mark.parametrize(
    "change,expected",
    [
        ({"stft.n_fft": 100}, "--params.stft.n_fft: got 100; must be one of 64, 128"),
        ({"optimizer.lr": 5.0}, "--params.optimizer.lr: got 5.0; must be a number in [0.001, 0.01]"),
        ({"head.depth": 7}, "--params.head.depth: got 7; must be an integer in [0, 1]"),
        ({"head.width": 16}, "--params.head.width: got 16; is not a param of this candidate"),
        ({"stft.window": None}, "--params.stft.window: got None"),
    ],
)
def test_evaluate_rejects_params_outside_the_space(
    tmp_path: Path, capsys, change: dict, expected: str
) -> None:
    experiment = write_tiny_experiment(tmp_path / "tiny.toml")
    params = {**STFT_PARAMS, **change}
    if change.get("stft.window", "") is None:
        del params["stft.window"]
    assert main(["evaluate", str(experiment), "--params", json.dumps(params)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("fftnas: error: ") and expected in err and len(err.splitlines()) == 1


def test_evaluate_rejects_unreadable_params(tmp_path: Path, capsys) -> None:
    experiment = write_tiny_experiment(tmp_path / "tiny.toml")
    for text, expected in (
        ("{nope", "is not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ("@/no/file", "names no file"),
    ):
        assert main(["evaluate", str(experiment), "--params", text]) == 2
        assert expected in capsys.readouterr().err


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_shipped_experiments_load_and_every_kind_builds(path: Path, tmp_path: Path) -> None:
    # audio_folder.toml's root is a placeholder the user overrides: here a folder of two classes
    folder = (
        [f"task.data.root={write_class_folder(tmp_path / 'audio')}"] if path.stem == "audio_folder" else []
    )
    experiment = load_experiment(path, overrides=folder)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(40):
        trial = study.ask()
        candidate = suggest_for(trial, experiment)
        model = fftlearn.build(candidate.model)
        assert model.config.n_classes == experiment.task.n_classes
        assert fftlearn.count_macs(model) > 0
        seen.add(candidate.model.frontend.kind)
        study.tell(trial, 0.0)
    assert seen == set(experiment.space.frontends)


def test_verma_configuration_is_the_papers() -> None:
    experiment = load_experiment(REPO / "experiments" / "verma2048.toml")
    assert experiment.space.frontends == ("multiplicative",)
    assert (
        experiment.space.subspace("multiplicative").n_kernels.low,
        experiment.space.subspace("multiplicative").n_kernels.high,
    ) == (2048, 2048)
    assert experiment.task.frame_length == 640 and experiment.task.sample_rate == 16000
    assert experiment.task.name == "pitch"


def test_trials_record_what_they_learned(tmp_path: Path) -> None:
    experiment = write_tiny_experiment(tmp_path / "t.toml", trials=6)
    experiment = edit_experiment(
        experiment, tmp_path / "t2.toml", r"^frontends = .*$", 'frontends = ["conv", "experts"]'
    )
    storage = tmp_path / "a.journal"
    assert main(["run", str(experiment), "--storage", str(storage), "--no-progress", "--device", "cpu"]) == 0
    backend = optuna.storages.journal.JournalFileBackend(str(storage))
    study = optuna.load_study(study_name="tiny", storage=optuna.storages.JournalStorage(backend))
    kinds = {t.params["frontend"] for t in study.trials}
    assert kinds == {"conv", "experts"}
    artifacts = tmp_path / "a-artifacts"
    for trial in study.trials:
        attrs = trial.user_attrs
        assert 0.0 <= attrs["harmonic_score"]["mean"] <= 1.0
        png = (artifacts / attrs["artifact.kernel_spectra"]).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        if trial.params["frontend"] == "conv":
            bounds = attrs["frame_bounds"]
            assert bounds["kind"] == "strided" and 0 <= bounds["lower"] <= bounds["upper"]
            if bounds["lower"] == 0:  # not a frame: the condition number is infinite, stored as null
                assert bounds["condition"] is None
            else:
                assert bounds["condition"] == pytest.approx(bounds["upper"] / bounds["lower"])
            assert (artifacts / attrs["artifact.frame_response"]).is_file()
        else:
            n_experts = trial.params["experts.n_experts"]
            share = attrs["expert_share"]
            assert len(share) == n_experts and sum(share) == pytest.approx(1.0)
            assert 1.0 / n_experts - 1e-9 <= attrs["routing_purity"] <= 1.0
            assert 0.0 <= attrs["routing_mi_bits"] <= 3.0 + 1e-9  # at most H(class), 8 pitch classes
            assert len(attrs["frame_bounds"]) == n_experts
            assert (artifacts / attrs["artifact.router_usage"]).read_bytes()[:4] == b"\x89PNG"
        assert attrs["macs_expected"] == attrs["metrics"]["macs"] <= attrs["macs_worst_case"]


def test_timbre_and_music_speech_tasks_on_rendered_audio(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FFTNAS_CACHE", str(tmp_path / "cache"))
    music = fftlearn.data.SoundfontNotesConfig(
        programs=(0, 24, 40, 56), midi_low=55, midi_high=67, n_train=96, n_test=32
    )
    timbre = fftlearn.TaskConfig(name="timbre", data=music)
    train, test = fftlearn.make_task_data(timbre, seed=0)
    assert timbre.n_classes == 16 and set(np.unique(train.labels)) == {0, 3, 5, 7}  # program // 8
    mixed = fftlearn.TaskConfig(
        name="music_speech",
        data=fftlearn.data.MusicSpeechConfig(
            music=music, speech=fftlearn.data.EspeakSpeechConfig(n_train=96, n_test=32)
        ),
    )
    train, test = fftlearn.make_task_data(mixed, seed=0)
    assert np.bincount(train.labels).tolist() == [96, 96] and np.bincount(test.labels).tolist() == [32, 32]
    with pytest.raises(
        fftlearn.ConfigError, match=r"^task\.name: got 'pitch'; needs a pitch for every frame"
    ):
        fftlearn.data.label_frames(
            fftlearn.data.make_frames(mixed.data, split="test", seed=0),
            task=fftlearn.TaskConfig(name="pitch", data=mixed.data),
        )


def test_evaluate_reports_routing_of_experts(tmp_path: Path, capsys) -> None:
    experiment = write_tiny_experiment(tmp_path / "tiny.toml")
    experiment = edit_experiment(
        experiment, tmp_path / "e.toml", r"^frontends = .*$", 'frontends = ["experts"]'
    )
    params = {
        "frontend": "experts",
        "experts.expert_kind": "multiplicative",
        "experts.multiplicative.pair_magnitude": False,
        "experts.multiplicative.n_kernels": 8,
        "experts.multiplicative.init": "random",
        "experts.multiplicative.log_compress": True,
        "experts.n_experts": 3,
        "experts.router_width": 16,
        "experts.estimator": "gumbel",
        "experts.balance_weight": 0.01,
        "head.depth": 0,
        "optimizer.name": "adam",
        "optimizer.lr": 0.005,
    }
    assert (
        main(["evaluate", str(experiment), "--params", json.dumps(params), "--json", "--device", "cpu"]) == 0
    )
    learned = json.loads(capsys.readouterr().out)["learned"]
    assert len(learned["expert_share"]) == 3 and sum(learned["expert_share"]) == pytest.approx(1.0)
    assert 1 / 3 - 1e-9 <= learned["routing_purity"] <= 1.0
    assert len(learned["frame_bounds"]) == 3
