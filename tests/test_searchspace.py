"""searchspace: trial -> config is pure, and FixedTrial(params) rebuilds the same config."""

from __future__ import annotations

import optuna
import pytest

import fftlearn
from fftlearn import ConfigError
from fftlearn.frontends import MultiplicativeSpace, STFTSpace
from searchspace import FrontEndSpace, HeadSpace, IntRange, suggest_candidate

SPACE = FrontEndSpace(
    subspaces=(
        (
            "multiplicative",
            MultiplicativeSpace(n_kernels=IntRange(4, 4096, log=True), init=("random", "dft")),
        ),
        ("stft", STFTSpace(n_fft=(64, 256), hop_fraction=(0.25, 0.5))),
    )
)


def test_fixed_trial_rebuilds_every_sampled_config() -> None:
    study = optuna.create_study(
        directions=["maximize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=0)
    )
    kinds = set()
    for _ in range(30):
        trial = study.ask()
        config = suggest_candidate(trial, space=SPACE, frame_length=640, n_classes=24)
        again = suggest_candidate(
            optuna.trial.FixedTrial(trial.params), space=SPACE, frame_length=640, n_classes=24
        )
        assert again == config
        assert fftlearn.config_to_json(again) == fftlearn.config_to_json(config)
        kinds.add(config.model.frontend.kind)
        if config.model.head.depth == 0:
            assert "head.width" not in trial.params  # conditional: asked only with hidden layers
        study.tell(trial, [0.5, 1.0])
    assert kinds == {"multiplicative", "stft"}


def test_params_map_to_config_fields() -> None:
    params = {
        "frontend": "stft",
        "stft.n_fft": 256,
        "stft.hop_fraction": 0.25,
        "stft.window": "hann",
        "head.depth": 2,
        "head.width": 40,
        "optimizer.name": "adam",
        "optimizer.lr": 0.003,
    }
    config = suggest_candidate(optuna.trial.FixedTrial(params), space=SPACE, frame_length=640, n_classes=24)
    assert config.model.frontend == fftlearn.frontends.STFTConfig(
        frame_length=640, n_fft=256, hop=64, window="hann"
    )
    assert config.model.head == fftlearn.HeadConfig(width=40, depth=2)
    assert config.optimizer == fftlearn.OptimizerConfig(name="adam", lr=0.003)
    assert config.model.n_classes == 24


def test_missing_param_raises_value_error() -> None:
    with pytest.raises(ValueError, match=r"parameter .multiplicative\.pair_magnitude. is not found"):
        suggest_candidate(
            optuna.trial.FixedTrial({"frontend": "multiplicative"}),
            space=SPACE,
            frame_length=640,
            n_classes=3,
        )


def test_space_validation_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"^n_kernels\.high: got 100000; must be <= 8192$"):
        MultiplicativeSpace(n_kernels=IntRange(4, 100_000, log=True))
    with pytest.raises(ConfigError, match=r"^high: got 2; must be >= low \(4\)$"):
        IntRange(4, 2)
    with pytest.raises(ConfigError, match=r"^frontends\[1\]: got 'wavelet'"):
        FrontEndSpace(frontends=("stft", "wavelet"))
    with pytest.raises(ConfigError, match=r"^stft\.n_fft\[1\]: got 256; must be <= the frame length 128$"):
        SPACE.check_frame_length(128)
    with pytest.raises(ConfigError, match=r"^width\.low: got 0"):
        HeadSpace(width=IntRange(0, 8))
