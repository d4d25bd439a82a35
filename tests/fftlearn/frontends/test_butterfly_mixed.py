"""The butterfly front-end at composite sizes (mixed radices): 640 = the frame, no crop or pad."""

from __future__ import annotations

import math

import numpy as np
import optuna
import pytest
import scipy.signal
import torch

from fftlearn._compute import count_macs
from fftlearn._config import config_from_json, config_to_json
from fftlearn._errors import ConfigError
from fftlearn.butterfly._butterfly import butterfly_macs
from fftlearn.butterfly._mixed import radix_macs, radix_stages_dense_matrix
from fftlearn.frontends._base import FrameShape
from fftlearn.frontends._butterfly import ButterflyConfig, ButterflyFrontEnd, ButterflySpace
from fftlearn.frontends._multiplicative import MultiplicativeConfig, MultiplicativeFrontEnd
from fftlearn.model._head import HeadConfig
from fftlearn.model._model import ModelConfig, build


def _frames(batch: int, length: int, seed: int) -> torch.Tensor:
    return torch.randn(batch, length, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("window", ["hann", "boxcar"])
@pytest.mark.parametrize("radices", [None, (5, 2, 2, 2, 2, 2, 2, 2), (4, 4, 5, 2, 2, 2)])
def test_dft_init_at_640_is_rfft_of_the_windowed_frame(window: str, radices: tuple[int, ...] | None) -> None:
    config = ButterflyConfig(frame_length=640, size=640, radices=radices, window=window, log_compress=False)
    frontend = ButterflyFrontEnd(config)
    assert frontend.crop_start == 0 and frontend.pad_left == 0  # neither cropped nor padded
    assert config.n_outputs == 321 and not frontend.radix2
    frames = _frames(5, 640, seed=1)
    taper = torch.tensor(scipy.signal.get_window(window, 640, fftbins=True), dtype=torch.float32)
    expected = torch.fft.rfft(frames * taper).abs() / math.sqrt(640)  # (5, 321)
    torch.testing.assert_close(frontend(frames), expected, rtol=0, atol=1e-5)
    logged = ButterflyFrontEnd(ButterflyConfig(frame_length=640, size=640, radices=radices, window=window))
    torch.testing.assert_close(logged(frames), torch.log1p(expected), rtol=0, atol=1e-5)


def test_composite_size_crops_and_pads_like_the_power_of_two_path() -> None:
    frames = _frames(3, 640, seed=2)
    for size in (480, 960):  # 480 crops 80 samples each side, 960 pads 160 zeros each side
        config = ButterflyConfig(frame_length=640, size=size, log_compress=False)
        kept = min(640, size)
        start = (640 - kept) // 2
        taper = torch.tensor(scipy.signal.get_window("hann", kept, fftbins=True), dtype=torch.float32)
        buffer = torch.zeros(3, size)
        left = (size - kept) // 2
        buffer[:, left : left + kept] = frames[:, start : start + kept] * taper
        expected = torch.fft.rfft(buffer).abs() / math.sqrt(size)
        torch.testing.assert_close(ButterflyFrontEnd(config)(frames), expected, rtol=0, atol=1e-5)


def test_transform_matrix_and_kernels_match_the_dense_twin() -> None:
    config = ButterflyConfig(frame_length=60, size=60, init="random", n_bins=20)
    frontend = ButterflyFrontEnd(config, generator=torch.Generator().manual_seed(3))
    stages = [s.detach() for s in frontend.complex_stages()]
    dense = radix_stages_dense_matrix(stages)  # (60, 60), digit reversal included
    torch.testing.assert_close(frontend.transform_matrix(), dense[:20], rtol=0, atol=1e-5)
    eye = torch.eye(60, dtype=torch.complex64)
    torch.testing.assert_close(dense @ dense.conj().T, eye, rtol=0, atol=1e-5)  # random unitary
    kernels = frontend.kernels()
    assert kernels.shape == (40, 60)
    frames = _frames(4, 60, seed=4)
    linear = frames @ kernels.T  # (4, 40): real and imaginary parts of the kept outputs
    magnitude = torch.sqrt(linear[:, 0::2] ** 2 + linear[:, 1::2] ** 2)
    torch.testing.assert_close(torch.log1p(magnitude), frontend(frames), rtol=0, atol=1e-5)


def test_gradients_reach_every_stage_and_training_moves_them() -> None:
    config = ButterflyConfig(frame_length=96, size=96, init="random", pcen=True, log_compress=False)
    frontend = ButterflyFrontEnd(config, generator=torch.Generator().manual_seed(5))
    optimizer = torch.optim.Adam(frontend.parameters(), lr=0.01)
    start = [s.detach().clone() for s in frontend.stages]
    frames = _frames(8, 96, seed=6)
    target = ButterflyFrontEnd(ButterflyConfig(frame_length=96, size=96, log_compress=False))(frames).detach()
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = (frontend(frames) - target).pow(2).mean()
        loss.backward()
        assert all(s.grad is not None and s.grad.abs().sum() > 0 for s in frontend.stages)
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0]
    assert all((s.detach() - s0).abs().max() > 1e-3 for s, s0 in zip(frontend.stages, start))


def test_macs_at_640_against_padded_1024_and_dense() -> None:
    mixed = ButterflyFrontEnd(ButterflyConfig(frame_length=640, size=640))
    radices = (2, 2, 2, 2, 2, 2, 2, 5)
    assert mixed.macs_per_example() == 640 + radix_macs(radices, real_input=True, n_outputs=321) + 2 * 321
    padded = ButterflyFrontEnd(ButterflyConfig(frame_length=640, size=1024))
    assert padded.macs_per_example() == 640 + butterfly_macs(1024, real_input=True, n_outputs=513) + 2 * 513
    dense = MultiplicativeFrontEnd(MultiplicativeConfig(frame_length=640, n_kernels=642, pair_magnitude=True))
    assert dense.n_features == mixed.n_features == 321
    assert mixed.macs_per_example() < padded.macs_per_example() < dense.macs_per_example()
    assert mixed.macs_per_example() * 8 < dense.macs_per_example()
    assert mixed.dense_macs_per_example() == 0


def test_power_of_two_with_other_radices_is_the_dft_too() -> None:
    config = ButterflyConfig(frame_length=64, size=64, radices=(4, 4, 4), log_compress=False)
    frontend = ButterflyFrontEnd(config)
    assert not frontend.radix2 and len(frontend.stages) == 3
    frames = _frames(2, 64, seed=7)
    taper = torch.tensor(scipy.signal.get_window("hann", 64, fftbins=True), dtype=torch.float32)
    expected = torch.fft.rfft(frames * taper).abs() / 8.0
    torch.testing.assert_close(frontend(frames), expected, rtol=0, atol=1e-5)
    default = ButterflyFrontEnd(ButterflyConfig(frame_length=64, size=64, radices=(2,) * 6))
    assert default.radix2 and hasattr(default, "twiddles")  # all 2s: the radix-2 path


def test_state_dict_and_json_round_trip() -> None:
    config = ButterflyConfig(frame_length=640, size=640, radices=(4, 4, 5, 2, 2, 2), init="random")
    assert config_from_json(config_to_json(config)) == config
    assert '"radices":[4,4,5,2,2,2]' in config_to_json(config)
    assert config_from_json(config_to_json(ButterflyConfig(size=640))).radices is None
    # without radices the JSON is byte for byte what it was before the field (stored trials compare it)
    before = (
        '{"frame_length":640,"init":"dft","kind":"butterfly","log_compress":true,"n_bins":0,'
        '"size":512,"window":"hann"}'
    )
    assert config_to_json(ButterflyConfig()) == before
    first = ButterflyFrontEnd(config, generator=torch.Generator().manual_seed(8))
    second = ButterflyFrontEnd(config, generator=torch.Generator().manual_seed(9))
    second.load_state_dict(first.state_dict())
    frames = _frames(2, 640, seed=10)
    torch.testing.assert_close(first(frames), second(frames), rtol=0, atol=0)
    assert "radices=(4,4,5,2,2,2)" in repr(first)


SIZES_ALLOWED = "must be a power of two in [2, 16384] or a composite number in [4, 8192]"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 641}, f"size: got 641; {SIZES_ALLOWED}"),
        ({"size": 9000}, f"size: got 9000; {SIZES_ALLOWED}"),
        ({"size": 640, "radices": (2, 5)}, "radices: got (2, 5); the product must be N = 640 (it is 10)"),
        ({"size": 12, "radices": (1, 12)}, "radices: got (1, 12); must be a non-empty tuple of ints >= 2"),
        ({"size": 12, "radices": 12}, "radices: got 12; must be a non-empty tuple of ints >= 2"),
    ],
)
def test_config_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        ButterflyConfig(**kwargs)  # type: ignore[arg-type]
    assert str(error.value) == message


def test_space_accepts_composite_sizes_and_suggests_them() -> None:
    space = ButterflySpace(size=(512, 640))
    shape = FrameShape(640, 16000)
    trial = optuna.trial.FixedTrial({"fe.size": 640, "fe.init": "dft", "fe.window": "hann"})
    config = space.suggest(trial, prefix="fe.", shape=shape)
    assert config == ButterflyConfig(frame_length=640, size=640)
    assert config.resolved_radices == (2, 2, 2, 2, 2, 2, 2, 5)
    assert config.n_kept_samples == 640
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    sizes = {space.suggest(study.ask(), prefix="fe.", shape=shape).size for _ in range(20)}
    assert sizes == {512, 640}
    with pytest.raises(ConfigError, match=r"^size\[1\]: got 641; must be a power of two"):
        ButterflySpace(size=(512, 641))
    assert np.prod(ButterflyConfig(size=960).resolved_radices) == 960


@pytest.mark.filterwarnings("ignore:`torch.jit.trace")  # deprecated, still the simplest export check
@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")  # shape checks: constant per module
def test_classifier_at_640_builds_counts_and_traces() -> None:
    frontend = ButterflyConfig(size=640, init="random")
    config = ModelConfig(frontend=frontend, head=HeadConfig(width=16), n_classes=3)
    assert config_from_json(config_to_json(config)) == config
    model = build(config, seed=1)
    again = build(config, seed=1)
    frames = _frames(4, 640, seed=11)
    torch.testing.assert_close(model(frames), again(frames), rtol=0, atol=0)  # seeded init
    frontend_macs = ButterflyFrontEnd(config.frontend).macs_per_example()
    assert count_macs(model) == frontend_macs + 321 * 16 + 16 * 3 + 2 * 321  # head: layers + normalisation
    traced = torch.jit.trace(model, frames)
    torch.testing.assert_close(traced(_frames(2, 640, seed=12)), model(_frames(2, 640, seed=12)))
