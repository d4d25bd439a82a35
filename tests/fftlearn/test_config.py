"""Configs: exact JSON round trip, and strict loading with errors that name the field."""

from __future__ import annotations

import pytest

import fftlearn
from fftlearn import CandidateConfig, ConfigError, HeadConfig, ModelConfig, OptimizerConfig, TrainConfig
from fftlearn.data import HarmonicTonesConfig
from fftlearn.frontends import MultiplicativeConfig, STFTConfig

MODELS = [
    ModelConfig(
        frontend=MultiplicativeConfig(n_kernels=33, init="dft"),
        head=HeadConfig(width=7, depth=2),
        n_classes=5,
    ),
    ModelConfig(
        frontend=STFTConfig(n_fft=100, hop=37, window="blackman"), head=HeadConfig(depth=0), n_classes=3
    ),
]


@pytest.mark.parametrize(
    "config",
    MODELS
    + [
        CandidateConfig(model=MODELS[0], optimizer=OptimizerConfig(name="sgd", lr=0.0123)),
        HarmonicTonesConfig(n_train=10, noise_std=0.0),
        TrainConfig(epochs=3, max_seconds=1.5),
    ],
)
def test_json_round_trip_is_exact(config: object) -> None:
    text = fftlearn.config_to_json(config)
    again = fftlearn.config_from_json(text)
    assert again == config
    assert type(again) is type(config)
    assert fftlearn.config_to_json(again) == text


def test_unknown_key_names_the_nested_field() -> None:
    data = fftlearn.to_dict(MODELS[0])
    data["head"]["widht"] = 3
    with pytest.raises(ConfigError, match=r"^head\.widht: got 3; unknown key; allowed: depth, width$"):
        fftlearn.from_mapping(ModelConfig, data)


def test_wrong_type_and_range_name_the_field() -> None:
    data = fftlearn.to_dict(MODELS[0])
    data["frontend"]["n_kernels"] = "many"
    with pytest.raises(ConfigError, match=r"^frontend\.n_kernels: got 'many'; must be an integer$"):
        fftlearn.from_mapping(ModelConfig, data)
    data["frontend"]["n_kernels"] = 0
    with pytest.raises(ConfigError, match=r"^frontend\.n_kernels: got 0; must be an integer in \[1, 8192\]$"):
        fftlearn.from_mapping(ModelConfig, data)


def test_booleans_are_not_integers_and_kinds_are_checked() -> None:
    with pytest.raises(ConfigError, match="must be an integer"):
        HeadConfig(width=True)
    data = fftlearn.to_dict(MODELS[1])
    data["frontend"]["kind"] = "wavelet"
    with pytest.raises(
        ConfigError,
        match=rf"frontend\.kind: got 'wavelet'; must be one of {', '.join(fftlearn.frontends.FRONTENDS.names())}$",
    ):
        fftlearn.from_mapping(ModelConfig, data)
    with pytest.raises(ConfigError, match=r"^config\.kind"):
        fftlearn.config_from_json('{"kind": "nope"}')


def test_cross_field_checks() -> None:
    with pytest.raises(ConfigError, match=r"^n_fft: got 1024; must be an integer in \[2, 640\]$"):
        STFTConfig(n_fft=1024)
    with pytest.raises(ConfigError, match="midi_high"):
        HarmonicTonesConfig(midi_low=60, midi_high=60)
    with pytest.raises(ConfigError, match="must be even"):
        MultiplicativeConfig(n_kernels=5, pair_magnitude=True)
    with pytest.raises(ConfigError, match=r"^lr: got 0.0"):
        OptimizerConfig(lr=0.0)
