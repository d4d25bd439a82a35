"""What did it learn? Frame bounds, harmonic scores and router usage against closed forms."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.linalg
import torch

import fftlearn
from fftlearn import analysis
from fftlearn._errors import ConfigError
from nas.families.frontend._analysis import _bounds

PNG = b"\x89PNG\r\n\x1a\n"
RATE = 16000


def field_of(error: pytest.ExceptionInfo[ConfigError]) -> str:
    return error.value.field


# ---------------------------------------------------------------- frame bounds: analysis matrices


def test_identity_and_unitary_dft_are_tight_with_bound_one() -> None:
    for matrix in (np.eye(8), scipy.linalg.dft(16, scale="sqrtn")):
        bounds = analysis.frame_bounds_matrix(matrix)
        assert bounds.lower == pytest.approx(1.0, abs=1e-12)
        assert bounds.upper == pytest.approx(1.0, abs=1e-12)
        assert bounds.condition == pytest.approx(1.0, abs=1e-12)
        assert bounds.kind == "matrix" and bounds.freqs is None
    unnormalised = analysis.frame_bounds_matrix(scipy.linalg.dft(16))  # W^H W = 16 I
    assert (unnormalised.lower, unnormalised.upper) == pytest.approx((16.0, 16.0), rel=1e-12)


def test_orthonormal_real_dft_basis_has_bounds_one() -> None:
    n = 16
    t = np.arange(n)
    rows = [np.full(n, 1 / math.sqrt(n)), (-1.0) ** t / math.sqrt(n)]
    for k in range(1, n // 2):
        rows.append(math.sqrt(2 / n) * np.cos(2 * np.pi * k * t / n))
        rows.append(math.sqrt(2 / n) * np.sin(2 * np.pi * k * t / n))
    bounds = analysis.frame_bounds_matrix(np.stack(rows))
    np.testing.assert_allclose(bounds.response, np.ones(n), atol=1e-12)


def test_fewer_kernels_than_samples_lose_a_signal() -> None:
    bounds = analysis.frame_bounds_matrix(np.eye(6)[:4] * 3.0)
    assert bounds.lower == 0.0 and bounds.upper == pytest.approx(9.0)
    assert bounds.condition == math.inf
    np.testing.assert_allclose(bounds.response, [0, 0, 9, 9, 9, 9], atol=1e-12)


def test_matrix_bounds_are_the_extreme_eigenvalues_of_gram() -> None:
    w = np.random.default_rng(0).normal(size=(12, 8))
    eigenvalues = np.linalg.eigvalsh(w.T @ w)
    bounds = analysis.frame_bounds_matrix(w)
    assert bounds.lower == pytest.approx(eigenvalues[0], rel=1e-10)
    assert bounds.upper == pytest.approx(eigenvalues[-1], rel=1e-10)
    assert bounds.condition == pytest.approx(np.linalg.cond(w) ** 2, rel=1e-9)


# ------------------------------------------------------------ frame bounds: convolutional banks


def test_dirac_filterbank_and_identity_are_tight() -> None:
    single = analysis.frame_bounds_convolutional(np.array([[0.0, 0.0, 1.0, 0.0]]))
    assert (single.lower, single.upper, single.condition) == pytest.approx((1.0, 1.0, 1.0), abs=1e-12)
    delays = analysis.frame_bounds_convolutional(np.eye(6))  # six Diracs at six delays
    assert (delays.lower, delays.upper) == pytest.approx((6.0, 6.0), abs=1e-12)
    assert delays.kind == "convolutional"


def test_two_tap_filter_matches_its_closed_form_response() -> None:
    a = 0.6
    bounds = analysis.frame_bounds_convolutional(np.array([[1.0, a]]), n_fft=256)
    np.testing.assert_allclose(
        bounds.response, 1 + a * a + 2 * a * np.cos(2 * np.pi * bounds.freqs), atol=1e-12
    )
    assert bounds.lower == pytest.approx((1 - a) ** 2, abs=1e-12)
    assert bounds.upper == pytest.approx((1 + a) ** 2, abs=1e-12)
    assert bounds.condition == pytest.approx(((1 + a) / (1 - a)) ** 2, rel=1e-10)
    assert bounds.freqs[0] == 0.0 and bounds.freqs[-1] == 0.5


def test_stft_like_cosine_sine_filterbank_is_tight_with_closed_form_bound() -> None:
    # w·cos and w·sin at all T frequencies 2πk/T: Σ_k |W(ω - 2πk/T)|² = T·||w||² for every ω.
    length = 32
    t = np.arange(length)
    window = np.hanning(length)
    filters = np.concatenate(
        [
            window * np.cos(2 * np.pi * np.outer(np.arange(length), t) / length),
            window * np.sin(2 * np.pi * np.outer(np.arange(length), t) / length),
        ]
    )  # (2T, T)
    bounds = analysis.frame_bounds_convolutional(filters)
    expected = length * float(np.sum(window**2))
    assert bounds.lower == pytest.approx(expected, rel=1e-10)
    assert bounds.upper == pytest.approx(expected, rel=1e-10)
    # Half the frequencies (one of cos/sin only) is no longer tight.
    assert analysis.frame_bounds_convolutional(filters[: length // 2]).condition > 2


@pytest.mark.parametrize("n_fft", [7, 9, 13, 16, 100])
def test_response_on_any_grid_equals_the_direct_dft_sum(n_fft: int) -> None:
    filters = np.random.default_rng(1).normal(size=(5, 7))
    bounds = analysis.frame_bounds_convolutional(filters, n_fft=n_fft)
    direct = (np.abs(np.fft.rfft(filters, n=n_fft, axis=1)) ** 2).sum(axis=0)  # reference twin
    np.testing.assert_allclose(bounds.response, direct, rtol=1e-10, atol=1e-12)
    assert bounds.lower == pytest.approx(direct.min()) and bounds.upper == pytest.approx(direct.max())


def test_default_grid_is_within_its_documented_error_bound() -> None:
    filters = np.random.default_rng(2).normal(size=(3, 16))
    coarse = analysis.frame_bounds_convolutional(filters)  # default: 1024 points for T = 16
    fine = analysis.frame_bounds_convolutional(filters, n_fft=1 << 18)
    slack = 0.5 * (math.pi * 15 / 1024) ** 2 * fine.upper
    assert 0 <= fine.upper - coarse.upper <= slack
    assert 0 <= coarse.lower - fine.lower <= slack


# ---------------------------------------------------------------- random filterbanks


def test_random_filterbank_is_seeded_and_energy_preserving_on_average() -> None:
    bank = analysis.random_filterbank(64, 128, seed=3)
    assert bank.shape == (64, 128)
    np.testing.assert_array_equal(bank, analysis.random_filterbank(64, 128, seed=3))
    assert not np.allclose(bank, analysis.random_filterbank(64, 128, seed=4))
    assert bank.var() * 64 * 128 == pytest.approx(1.0, rel=0.05)
    # Parseval: the mean of Σ_j |H_j|² over frequency is Σ_j ||h_j||², about 1 at this variance.
    bounds = analysis.frame_bounds_convolutional(bank, n_fft=128)
    assert np.mean(np.concatenate([bounds.response, bounds.response[1:-1]])) == pytest.approx(
        np.sum(bank**2), rel=1e-10
    )


def test_predicted_condition_closed_form_and_domain() -> None:
    deviation = 2 * math.sqrt(math.log(128) / 64)
    assert analysis.predicted_condition(64, 128) == pytest.approx(
        (1 + deviation) / (1 - deviation), rel=1e-12
    )
    assert analysis.predicted_condition(5, 1) == 1.0  # ln 1 = 0: one-tap filters are always tight
    with pytest.raises(ConfigError) as error:
        analysis.predicted_condition(19, 128)  # 4·ln 128 = 19.4
    assert field_of(error) == "n_filters" and "19.41" in str(error.value)


@pytest.mark.parametrize(("n_filters", "length"), [(1024, 32), (2048, 128)])
def test_random_banks_follow_the_law_within_20_percent_for_many_filters(n_filters: int, length: int) -> None:
    # benchmarks/RESULTS.md: within 20 % from J >= 256 (T <= 128) and J >= 512 (T >= 256).
    kappas = [
        analysis.frame_bounds_convolutional(analysis.random_filterbank(n_filters, length, seed=s)).condition
        for s in range(5)
    ]
    assert np.median(kappas) / analysis.predicted_condition(n_filters, length) - 1 == pytest.approx(
        0.0, abs=0.2
    )


def test_the_law_overestimates_near_its_edge_with_a_constant_nearer_1_25_than_2() -> None:
    n_filters, length = 32, 256  # J = 5.8·ln T, just inside the formula's domain
    kappas = [
        analysis.frame_bounds_convolutional(analysis.random_filterbank(n_filters, length, seed=s)).condition
        for s in range(5)
    ]
    kappa = float(np.median(kappas))
    assert kappa < 0.5 * analysis.predicted_condition(n_filters, length)
    fitted = math.sqrt(n_filters / math.log(length)) * (kappa - 1) / (kappa + 1)  # the paper's constant is 2
    assert 1.0 < fitted < 1.5


def test_frame_response_pictures_are_png(tmp_path) -> None:
    conv = analysis.plot_frame_response(
        analysis.frame_bounds_convolutional(analysis.random_filterbank(16, 32, seed=0)),
        tmp_path / "c.png",
        title="c",
    )
    matrix = analysis.plot_frame_response(
        analysis.frame_bounds_matrix(np.eye(4)[:3]), tmp_path / "m.png", title="m"
    )
    for path in (conv, matrix):
        assert path.read_bytes()[:8] == PNG


# ------------------------------------------------------------ frame bounds: strided conv front-ends


def conv_operator(filters: np.ndarray, *, stride: int, frame_length: int) -> np.ndarray:
    """The ``(J·P, N)`` matrix of the map a ConvFrontEnd runs, built by applying it to unit impulses."""
    config = fftlearn.frontends.ConvConfig(
        frame_length=frame_length, n_filters=filters.shape[0], filter_length=filters.shape[1], stride=stride
    )
    frontend = fftlearn.frontends.ConvFrontEnd(config)
    with torch.no_grad():
        frontend.weight.copy_(torch.from_numpy(filters))
        responses = frontend.responses(torch.eye(frame_length))  # (N, J, P)
    return responses.double().reshape(frame_length, -1).numpy().T  # (J·P, N)


def test_strided_bounds_of_the_default_conv_bank_say_it_is_not_a_frame() -> None:
    # J = 64 filters of T = 400 taps at stride 160 in a 640-sample frame: 2 positions, so 128
    # responses for 640 samples. The stride-1 bounds call this bank a frame (B/A about 2).
    filters = np.random.default_rng(0).normal(size=(64, 400)) / 20.0
    strided = analysis.frame_bounds_strided(filters, stride=160, frame_length=640)
    assert strided.kind == "strided" and strided.lower == 0.0 and strided.condition == math.inf
    assert analysis.frame_bounds_convolutional(filters).condition < 3.0  # what was reported before
    singular = np.linalg.svd(conv_operator(filters, stride=160, frame_length=640), compute_uv=False)
    assert singular.size == 128  # rank at most 128 < 640
    assert strided.upper == pytest.approx(singular[0] ** 2, rel=1e-5)  # the front-end runs in float32
    assert np.count_nonzero(strided.response > 1e-9 * strided.upper) == 128


@pytest.mark.parametrize(("n_filters", "length", "stride"), [(3, 8, 1), (12, 16, 4), (40, 32, 16)])
def test_strided_bounds_match_the_svd_of_the_explicit_operator(
    n_filters: int, length: int, stride: int
) -> None:
    frame_length = length + 6 * stride  # every sample lies under some filter position
    filters = np.random.default_rng(length).normal(size=(n_filters, length))
    bounds = analysis.frame_bounds_strided(filters, stride=stride, frame_length=frame_length)
    rows = []  # the operator built by hand, in float64: one row per (filter, position)
    for h in filters:
        for start in range(0, frame_length - length + 1, stride):
            row = np.zeros(frame_length)
            row[start : start + length] = h
            rows.append(row)
    operator = np.array(rows)  # (J·P, N)
    assert operator.shape[0] >= frame_length
    singular = np.linalg.svd(operator, compute_uv=False)
    assert bounds.lower > 0.0
    assert bounds.lower == pytest.approx(singular[-1] ** 2, rel=1e-8)
    assert bounds.upper == pytest.approx(singular[0] ** 2, rel=1e-10)
    assert bounds.condition == pytest.approx((singular[0] / singular[-1]) ** 2, rel=1e-8)
    np.testing.assert_allclose(bounds.response, np.sort(singular**2), rtol=1e-8, atol=1e-10 * bounds.upper)
    # the same operator, as the conv front-end computes it (float32), agrees too
    ran = np.linalg.svd(conv_operator(filters, stride=stride, frame_length=frame_length), compute_uv=False)
    np.testing.assert_allclose(ran, singular, rtol=1e-4, atol=1e-5 * singular[0])


def test_samples_no_filter_position_covers_make_the_strided_map_rank_deficient() -> None:
    filters = np.random.default_rng(3).normal(size=(12, 16))
    covered = analysis.frame_bounds_strided(filters, stride=4, frame_length=64)  # positions 0..48 cover 0..63
    uncovered = analysis.frame_bounds_strided(filters, stride=4, frame_length=66)  # 64, 65 never seen
    assert covered.lower > 0.0 and uncovered.lower == 0.0 and uncovered.condition == math.inf
    gap = analysis.frame_bounds_strided(
        filters[:, :4], stride=8, frame_length=68
    )  # taps 4..7 of each hop unseen
    assert gap.lower == 0.0


def test_trial_attribute_reports_the_strided_map_as_plain_json() -> None:
    config = fftlearn.frontends.ConvConfig(frame_length=640, n_filters=64, filter_length=400, stride=160)
    summary, bounds = _bounds(
        fftlearn.frontends.ConvFrontEnd(config, generator=torch.Generator().manual_seed(0))
    )
    assert summary["kind"] == "strided" and summary["lower"] == 0.0 and bounds.condition == math.inf
    assert summary["condition"] is None  # inf is stored as null: Optuna keeps user attributes as JSON
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary
    frame = fftlearn.frontends.ConvConfig(frame_length=64, n_filters=16, filter_length=16, stride=4)
    summary, _ = _bounds(fftlearn.frontends.ConvFrontEnd(frame, generator=torch.Generator().manual_seed(0)))
    assert summary["condition"] == pytest.approx(summary["upper"] / summary["lower"])


def test_frame_bound_errors_name_the_field() -> None:
    cases = [
        (lambda: analysis.frame_bounds_convolutional(np.ones(4)), "filters"),
        (lambda: analysis.frame_bounds_convolutional(np.ones((2, 4), dtype=complex)), "filters"),
        (lambda: analysis.frame_bounds_convolutional(np.array([[1.0, np.nan]])), "filters"),
        (lambda: analysis.frame_bounds_convolutional(np.ones((2, 8)), n_fft=4), "n_fft"),
        (lambda: analysis.frame_bounds_matrix(np.zeros((0, 3))), "kernels"),
        (lambda: analysis.frame_bounds_strided(np.ones((2, 8)), stride=1, frame_length=4), "frame_length"),
        (lambda: analysis.frame_bounds_strided(np.ones((2, 8)), stride=0, frame_length=16), "stride"),
        (
            lambda: analysis.frame_bounds_strided(np.ones((2, 4), dtype=complex), stride=1, frame_length=8),
            "filters",
        ),
        (lambda: analysis.random_filterbank(0, 8, seed=0), "n_filters"),
        (lambda: analysis.random_filterbank(4, 8, seed=-1), "seed"),
        (lambda: analysis.predicted_condition(4, 0), "length"),
        (lambda: analysis.plot_frame_response("not bounds", "x.png", title="t"), "bounds"),  # type: ignore[arg-type]
    ]
    for call, field in cases:
        with pytest.raises(ConfigError) as error:
            call()
        assert field_of(error) == field
    assert isinstance(analysis.frame_bounds_matrix(np.eye(2)), analysis.FrameBounds)


# ---------------------------------------------------------------- harmonic scores


def comb(taps: int, period: int, length: int = 640) -> np.ndarray:
    kernel = np.zeros(length)
    kernel[: taps * period : period] = 1.0
    return kernel


def harmonics(f0: float, amplitudes: list[float], length: int = 640) -> np.ndarray:
    t = np.arange(length) / RATE
    return np.hanning(length) * sum(
        a * np.sin(2 * np.pi * f0 * (k + 1) * t + k) for k, a in enumerate(amplitudes)
    )


def test_m_tap_comb_scores_its_closed_form_at_the_right_f0() -> None:
    # ρ = (M-1)/M · (1 - f0/fs): the autocorrelation at lag P less the band below f0/2.
    period = 32  # f0 = 500 Hz, on the 4096-point bin grid
    result = analysis.harmonic_score(
        np.stack([comb(m, period) for m in (2, 3, 4, 16)]), sample_rate=RATE, n_fft=4096
    )
    expected = [(m - 1) / m * (1 - 1 / period) for m in (2, 3, 4, 16)]
    np.testing.assert_allclose(result.score, expected, rtol=1e-9)
    np.testing.assert_allclose(result.f0_hz, 500.0)
    assert np.all(np.diff(result.score) > 0) and np.all(result.n_harmonics > 10)


def test_feedforward_comb_and_harmonic_sums_find_f0_within_a_bin() -> None:
    kernels = np.stack(
        [
            np.roll(comb(2, 55), 100),  # x[n] + x[n-55]: f0 = 290.9 Hz, off the bin grid
            harmonics(220.0, [1, 1, 1, 1, 1]),
            harmonics(220.0, [1, 1]),
        ]
    )
    result = analysis.harmonic_score(kernels, sample_rate=RATE)  # n_fft 4096: bins of 3.9 Hz
    bin_hz = RATE / 4096
    assert abs(result.f0_hz[0] - RATE / 55) < 1e-9 and result.score[0] == pytest.approx(
        0.5 * (1 - 1 / 55), abs=2e-3
    )
    assert np.all(np.abs(result.f0_hz[1:] - 220.0) <= bin_hz)
    assert result.score[1] > 0.85 and result.score[2] > 0.8


def test_tones_band_pass_noise_and_random_kernels_score_low() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(640)
    centred = (t - 320) / RATE
    kernels = np.stack(
        [
            np.sin(2 * np.pi * 440 * t / RATE),
            np.hanning(640) * np.sin(2 * np.pi * 1234.5 * t / RATE),
            np.hanning(640) * np.sinc(400 * centred) * np.cos(2 * np.pi * 2000 * centred),  # band-pass
            np.eye(640)[320],  # a Dirac: flat spectrum
            *rng.normal(size=(8, 640)),  # random Gaussian kernels
        ]
    )
    result = analysis.harmonic_score(kernels, sample_rate=RATE)
    assert np.all(result.score[:2] < 0.1)  # pure tones
    assert np.all(result.score[2:] < 0.25)
    noise = analysis.harmonic_score(rng.normal(size=(4, 2048)), sample_rate=RATE)  # longer white noise
    assert np.all(noise.score < 0.15)


def test_score_falls_as_noise_is_added_and_zero_kernel_scores_zero() -> None:
    clean = harmonics(300.0, [1, 0.8, 0.6, 0.4])
    noise = np.random.default_rng(5).normal(size=640) * np.std(clean)
    result = analysis.harmonic_score(
        np.stack([clean + level * noise for level in (0, 0.5, 1, 2, 4)]), sample_rate=RATE
    )
    assert np.all(np.diff(result.score) < 0)
    zero = analysis.harmonic_score(np.zeros((1, 64)), sample_rate=RATE)
    assert zero.score[0] == 0.0 and np.isnan(zero.f0_hz[0])


def test_harmonic_score_errors_name_the_field() -> None:
    kernels = np.ones((2, 64))
    cases = [
        (lambda: analysis.harmonic_score(np.ones(64), sample_rate=RATE), "kernels"),
        (lambda: analysis.harmonic_score(np.ones((2, 64), dtype=complex), sample_rate=RATE), "kernels"),
        (lambda: analysis.harmonic_score(kernels, sample_rate=0), "sample_rate"),
        (lambda: analysis.harmonic_score(kernels, sample_rate=RATE, f0_max_hz=5000.0), "f0_max_hz"),
        (
            lambda: analysis.harmonic_score(kernels, sample_rate=RATE, f0_min_hz=900.0, f0_max_hz=800.0),
            "f0_min_hz",
        ),
        (lambda: analysis.harmonic_score(kernels, sample_rate=RATE, n_fft=100), "n_fft"),
        (
            lambda: analysis.harmonic_score(
                kernels, sample_rate=RATE, f0_min_hz=3010.0, f0_max_hz=3100.0, n_fft=128
            ),
            "n_fft",
        ),
    ]
    for call, field in cases:
        with pytest.raises(ConfigError) as error:
            call()
        assert field_of(error) == field


# ---------------------------------------------------------------- router usage


def test_perfect_routing_has_purity_one_and_even_load() -> None:
    labels = np.repeat(np.arange(4), 5)
    usage = analysis.router_usage(labels.copy(), labels, n_experts=4, n_classes=4)
    assert usage.purity == 1.0 and usage.n_examples == 20
    np.testing.assert_array_equal(usage.counts, 5 * np.eye(4, dtype=np.int64))
    np.testing.assert_allclose(usage.load, [0.25] * 4)
    shared = analysis.router_usage(labels // 2, labels, n_experts=4, n_classes=4)  # two classes per expert
    assert shared.purity == 1.0
    np.testing.assert_allclose(shared.load, [0.5, 0.5, 0.0, 0.0])


def test_uniform_routing_has_purity_one_over_n_experts() -> None:
    labels = np.repeat(np.arange(3), 8)
    experts = np.tile(np.arange(4), 6)  # every class spread evenly over 4 experts
    usage = analysis.router_usage(experts, labels, n_experts=4, n_classes=3)
    assert usage.purity == pytest.approx(0.25)
    np.testing.assert_allclose(usage.fractions, np.full((3, 4), 0.25))


def test_hand_made_assignment_counts_fractions_and_purity() -> None:
    experts = torch.tensor([0, 0, 1, 1, 1, 2])
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    usage = analysis.router_usage(experts, labels, n_experts=3, n_classes=3)
    np.testing.assert_array_equal(usage.counts, [[2, 1, 0], [0, 2, 1], [0, 0, 0]])
    np.testing.assert_allclose(usage.fractions, [[2 / 3, 1 / 3, 0], [0, 2 / 3, 1 / 3], [0, 0, 0]])
    np.testing.assert_allclose(usage.load, [2 / 6, 3 / 6, 1 / 6])
    assert usage.purity == pytest.approx(4 / 6)


def test_router_usage_picture_is_png(tmp_path) -> None:
    usage = analysis.router_usage(np.array([0, 1, 1, 0]), np.array([0, 1, 1, 1]), n_experts=2, n_classes=2)
    path = analysis.plot_router_usage(usage, tmp_path / "r.png", title="router", class_names=["a", "b"])
    assert path.read_bytes()[:8] == PNG
    assert isinstance(usage, analysis.RouterUsage)


def test_router_usage_errors_name_the_field(tmp_path) -> None:
    ok = np.array([0, 1, 1])
    usage = analysis.router_usage(ok, ok, n_experts=2, n_classes=2)
    cases = [
        (
            lambda: analysis.router_usage(np.array([0, 2, 1]), ok, n_experts=2, n_classes=2),
            "expert_of_example",
            2,
        ),
        (lambda: analysis.router_usage(ok, np.array([0, -1, 1]), n_experts=2, n_classes=2), "labels", -1),
        (lambda: analysis.router_usage(ok, np.array([0, 1]), n_experts=2, n_classes=2), "labels", (2,)),
        (
            lambda: analysis.router_usage(ok.astype(float), ok, n_experts=2, n_classes=2),
            "expert_of_example",
            "float64",
        ),
        (
            lambda: analysis.router_usage(np.array([], dtype=int), ok, n_experts=2, n_classes=2),
            "expert_of_example",
            (0,),
        ),
        (lambda: analysis.router_usage(ok, ok, n_experts=0, n_classes=2), "n_experts", 0),
        (
            lambda: analysis.plot_router_usage(usage, tmp_path / "x.png", title="t", class_names=["a"]),
            "class_names",
            1,
        ),
    ]
    for call, field, value in cases:
        with pytest.raises(ConfigError) as error:
            call()
        assert (field_of(error), error.value.value) == (field, value)
