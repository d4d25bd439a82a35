"""searchspace: trial -> config is pure, and FixedTrial(params) rebuilds the same config."""

from __future__ import annotations

import optuna
import pytest

import fftlearn
from fftlearn import ConfigError
from fftlearn.frontends import ConvSpace, MultiplicativeSpace, STFTSpace
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


CONV_PARAMS = {  # a conv trial's params as studies from before `pair_magnitude` existed hold them
    "frontend": "conv",
    "conv.filter_length": 64,
    "conv.stride_fraction": 0.5,
    "conv.n_filters": 33,
    "conv.pooling": "max",
    "conv.pool_windows": 2,
    "conv.init": "random",
    "head.depth": 0,
    "optimizer.name": "adam",
    "optimizer.lr": 0.003,
}


def test_conv_space_default_asks_no_pair_magnitude_so_old_params_still_rebuild() -> None:
    space = FrontEndSpace(frontends=("conv",))
    config = suggest_candidate(
        optuna.trial.FixedTrial(CONV_PARAMS), space=space, frame_length=640, n_classes=4
    )
    assert config.model.frontend == fftlearn.frontends.ConvConfig(
        frame_length=640, n_filters=33, filter_length=64, stride=32, pool_windows=2
    )
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(5):
        trial = study.ask()
        suggest_candidate(trial, space=space, frame_length=640, n_classes=4)
        assert {name for name in trial.params if name.startswith("conv.")} == {
            name for name in CONV_PARAMS if name.startswith("conv.")
        }
        study.tell(trial, 0.5)


def test_conv_space_pair_magnitude_choice_gives_even_filter_counts_and_stft_pairs() -> None:
    space = FrontEndSpace(
        frontends=("conv",),
        subspaces=(
            ("conv", ConvSpace(n_filters=IntRange(7, 65), init=("dft_pairs",), pair_magnitude=(False, True))),
        ),
    )
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    paired = set()
    for _ in range(20):
        trial = study.ask()
        config = suggest_candidate(trial, space=space, frame_length=640, n_classes=4)
        frontend = config.model.frontend
        paired.add(frontend.pair_magnitude)
        if frontend.pair_magnitude:
            assert "conv.n_pairs" in trial.params and "conv.n_filters" not in trial.params
            assert frontend.n_filters % 2 == 0 and 8 <= frontend.n_filters <= 64
        again = suggest_candidate(
            optuna.trial.FixedTrial(trial.params), space=space, frame_length=640, n_classes=4
        )
        assert again == config
        study.tell(trial, 0.5)
    assert paired == {False, True}
    with pytest.raises(ConfigError, match=r"^init\[0\]: got 'fft'"):
        ConvSpace(init=("fft",))
    with pytest.raises(
        ConfigError, match=r"^n_filters\.high: got 1; must be >= 2 when pair_magnitude may be true$"
    ):
        ConvSpace(n_filters=IntRange(1, 1), pair_magnitude=(True,))
