"""Targets against numpy/scipy oracles, exact FFT/Hadamard/DCT factorizations against torch.fft
and scipy.fft, and the two literature baselines at the butterfly budget."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import scipy.fft
import scipy.linalg
import scipy.special
import torch

from fftlearn._config import config_from_json, config_to_json, from_mapping
from fftlearn._errors import ConfigError
from fftlearn.factorize._baselines import low_rank_baseline, top_entries_baseline
from fftlearn.factorize._exact import dct2_factorization, fft_factorization, hadamard_factorization
from fftlearn.factorize._product import relative_error
from fftlearn.factorize._targets import TARGET_NAMES, TargetConfig, load_matrix_file, make_target

SIZES = [2**k for k in range(1, 11)]  # 2 .. 1024


def _target(name: str, n: int, **options: object) -> np.ndarray:
    return make_target(TargetConfig(name=name, n=n, **options)).matrix  # type: ignore[arg-type]


def _columns(transform: Callable[[np.ndarray], np.ndarray], n: int) -> np.ndarray:
    """The matrix of a linear map applied along axis 0: its columns are the images of e_j."""
    return transform(np.eye(n))


# ---------------------------------------------------------------- targets against oracles


@pytest.mark.parametrize("n", [2, 8, 64, 3, 6, 12, 15, 60, 100])  # powers of two and composite sizes
@pytest.mark.parametrize("normalized", [True, False])
def test_transform_targets_match_numpy_and_scipy(n: int, normalized: bool) -> None:
    norm = "ortho" if normalized else None
    oracles = {
        "dft": _columns(lambda x: np.fft.fft(x, axis=0, norm=norm or "backward"), n),
        "idft": _columns(lambda x: np.fft.ifft(x, axis=0, norm=norm or "backward"), n),
        "dct2": _columns(lambda x: scipy.fft.dct(x, type=2, norm=norm, axis=0), n),
        "dct4": _columns(lambda x: scipy.fft.dct(x, type=4, norm=norm, axis=0), n),
        "dst2": _columns(lambda x: scipy.fft.dst(x, type=2, norm=norm, axis=0), n),
    }
    if not n & (n - 1):  # hadamard alone needs a power of two
        oracles["hadamard"] = scipy.linalg.hadamard(n) / (math.sqrt(n) if normalized else 1.0)
    fourier = np.fft.fft(np.eye(n), axis=0)
    oracles["hartley"] = (fourier.real - fourier.imag) / (math.sqrt(n) if normalized else 1.0)
    for name, oracle in oracles.items():
        target = make_target(TargetConfig(name=name, n=n, normalized=normalized))  # type: ignore[arg-type]
        assert target.matrix.shape == (n, n), name
        assert target.matrix.dtype == (np.complex128 if name in ("dft", "idft") else np.float64), name
        np.testing.assert_allclose(target.matrix, oracle, rtol=0, atol=1e-12, err_msg=name)
        assert target.has_fast_algorithm, name
        assert np.array_equal(target.row_permutation, np.arange(n)), name
    for name in ("circulant", "legendre", "random"):  # defined for any n too
        assert make_target(TargetConfig(name=name, n=n)).matrix.shape == (n, n)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["dft", "idft", "dct2", "dct4", "dst2", "hadamard", "hartley", "legendre"])
def test_normalized_targets_are_orthogonal_or_unitary(name: str) -> None:
    matrix = _target(name, 256)
    gram = matrix @ matrix.conj().T
    np.testing.assert_allclose(gram, np.eye(256), rtol=0, atol=1e-12)


def test_circulant_is_convolution_with_a_seeded_filter() -> None:
    matrix = _target("circulant", 32, seed=3)
    filter_ = matrix[:, 0]
    np.testing.assert_array_equal(matrix, scipy.linalg.circulant(filter_))
    x = np.random.default_rng(0).standard_normal(32)
    convolved = np.fft.ifft(np.fft.fft(filter_) * np.fft.fft(x)).real
    np.testing.assert_allclose(matrix @ x, convolved, atol=1e-12)
    np.testing.assert_array_equal(_target("circulant", 32, seed=3), matrix)
    assert not np.allclose(_target("circulant", 32, seed=4), matrix)
    np.testing.assert_allclose(_target("circulant", 32, seed=3, normalized=False), matrix * math.sqrt(32))


def test_legendre_control_samples_legendre_polynomials_on_gauss_nodes() -> None:
    n = 16
    nodes, weights = scipy.special.roots_legendre(n)
    raw = np.stack([scipy.special.eval_legendre(k, nodes) for k in range(n)])  # (n, n): P_k(x_j)
    np.testing.assert_allclose(_target("legendre", n, normalized=False), raw, atol=1e-12)
    scaled = raw * np.sqrt((2 * np.arange(n)[:, None] + 1) / 2) * np.sqrt(weights)
    target = make_target(TargetConfig(name="legendre", n=n))
    np.testing.assert_allclose(target.matrix, scaled, atol=1e-12)
    assert not target.has_fast_algorithm


def test_random_control_is_seeded_gaussian() -> None:
    target = make_target(TargetConfig(name="random", n=128, seed=7))
    assert target.matrix.dtype == np.float64 and not target.has_fast_algorithm
    np.testing.assert_array_equal(target.matrix, _target("random", 128, seed=7))
    assert not np.allclose(target.matrix, _target("random", 128, seed=8))
    assert abs(target.matrix.std() * math.sqrt(128) - 1) < 0.02  # variance 1/n when normalized
    assert abs(target.matrix.mean()) < 0.01


# ---------------------------------------------------------------- hidden permutations


@pytest.mark.parametrize("name", ["dft", "dct2", "hadamard", "circulant"])
def test_hidden_permutations_are_recorded_and_recoverable(name: str) -> None:
    plain = make_target(TargetConfig(name=name, n=64, seed=5))  # type: ignore[arg-type]
    hidden_config = TargetConfig(name=name, n=64, seed=5, hidden_permutation=True)  # type: ignore[arg-type]
    hidden = make_target(hidden_config)
    rows, cols = hidden.row_permutation, hidden.column_permutation
    for perm in (rows, cols):
        assert perm.dtype == np.int64 and np.array_equal(np.sort(perm), np.arange(64))
        assert not np.array_equal(perm, np.arange(64))
    assert not np.array_equal(rows, cols)
    np.testing.assert_array_equal(hidden.matrix, plain.matrix[np.ix_(rows, cols)])
    np.testing.assert_array_equal(hidden.base_matrix, plain.matrix)
    assert "hidden" in hidden.description and "hidden" not in plain.description


def test_hidden_permutations_depend_on_the_seed_only() -> None:
    a = make_target(TargetConfig(name="dft", n=16, seed=1, hidden_permutation=True))
    b = make_target(TargetConfig(name="hartley", n=16, seed=1, hidden_permutation=True))
    c = make_target(TargetConfig(name="dft", n=16, seed=2, hidden_permutation=True))
    np.testing.assert_array_equal(a.row_permutation, b.row_permutation)
    assert not np.array_equal(a.row_permutation, c.row_permutation)


# ---------------------------------------------------------------- user files


def test_file_target_round_trips_a_user_matrix(tmp_path: Path) -> None:
    matrix = np.random.default_rng(0).standard_normal((8, 8)) + 1j
    path = tmp_path / "m.npy"
    np.save(path, matrix)
    config = TargetConfig(name="file", n=8, path=str(path), hidden_permutation=True, seed=2)
    target = make_target(config)
    np.testing.assert_array_equal(target.base_matrix, matrix)
    assert target.matrix.dtype == np.complex128 and not target.has_fast_algorithm
    assert str(path) in target.description
    np.save(path, np.arange(16).reshape(4, 4))  # integers become float64
    assert load_matrix_file(str(path)).dtype == np.float64


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (np.ones((4, 8)), "must hold a square 2-D matrix; its shape is (4, 8)"),
        (np.ones((2, 2, 2)), "must hold a square 2-D matrix; its shape is (2, 2, 2)"),
        (np.ones((1, 1)), "must hold an (n, n) matrix with n in [2, 8192]; n is 1"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), "must hold finite values only (no NaN or infinity)"),
        (np.array([["a", "b"], ["c", "d"]]), "must hold a numeric matrix (a single .npy array)"),
    ],
)
def test_bad_matrix_files_are_config_errors_naming_path(
    tmp_path: Path, content: np.ndarray, message: str
) -> None:
    path = tmp_path / "bad.npy"
    np.save(path, content)
    with pytest.raises(ConfigError) as caught:
        load_matrix_file(str(path))
    assert caught.value.field == "path" and caught.value.value == str(path)
    assert caught.value.allowed == message


def test_header_checked_loader_reads_every_valid_layout(tmp_path: Path) -> None:
    matrix = np.random.default_rng(1).standard_normal((8, 8))
    layouts = {
        "fortran": np.asfortranarray(matrix),
        "big-endian": matrix.astype(">f8"),
        "float32": matrix.astype(np.float32),
        "complex64": (matrix + 1j * matrix.T).astype(np.complex64),
    }
    for name, array in layouts.items():
        path = tmp_path / f"{name}.npy"
        np.save(path, array)
        np.testing.assert_array_equal(load_matrix_file(str(path)), array, err_msg=name)
    version2 = tmp_path / "v2.npy"
    with version2.open("wb") as handle:
        np.lib.format.write_array(handle, matrix, version=(2, 0))
    np.testing.assert_array_equal(load_matrix_file(str(version2)), matrix)
    extra = tmp_path / "extra.npy"  # bytes after the declared data are ignored, as numpy does
    extra.write_bytes(version2.read_bytes() + b"trailing")
    np.testing.assert_array_equal(load_matrix_file(str(extra)), matrix)


def test_missing_unreadable_and_mismatched_files(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.npy")
    with pytest.raises(ConfigError) as caught:
        TargetConfig(name="file", n=8, path=missing)
    assert caught.value.field == "path"
    assert caught.value.allowed == "must be an existing .npy file for name 'file'"
    text = tmp_path / "text.npy"
    text.write_text("not numpy")
    with pytest.raises(ConfigError) as caught:
        make_target(TargetConfig(name="file", n=8, path=str(text)))
    assert caught.value.field == "path"
    assert caught.value.allowed.startswith("must be a .npy file numpy can read")
    good = tmp_path / "good.npy"
    np.save(good, np.eye(4))
    with pytest.raises(ConfigError) as caught:
        make_target(TargetConfig(name="file", n=8, path=str(good)))
    assert caught.value.field == "path" and caught.value.allowed == "holds a 4x4 matrix; must match n = 8"


# ---------------------------------------------------------------- config validation


@pytest.mark.parametrize(
    ("options", "field", "allowed"),
    [
        ({"name": "fourier"}, "name", f"must be one of {', '.join(TARGET_NAMES)}"),
        ({"name": "hadamard", "n": 12}, "n", "must be a power of two in [2, 8192] for name 'hadamard'"),
        ({"n": 1}, "n", "must be an integer in [2, 8192]"),
        ({"n": 16384}, "n", "must be an integer in [2, 8192]"),
        ({"n": True}, "n", "must be an integer"),
        ({"seed": -1}, "seed", "must be an integer >= 0"),
        ({"hidden_permutation": 1}, "hidden_permutation", "must be true or false"),
        ({"normalized": "yes"}, "normalized", "must be true or false"),
        ({"path": "m.npy"}, "path", "is only for name 'file'; leave it empty"),
        ({"name": "file"}, "path", "must be an existing .npy file for name 'file'"),
    ],
)
def test_config_errors_name_the_field(options: dict[str, object], field: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as caught:
        TargetConfig(**options)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.allowed) == (field, allowed)


def test_config_json_round_trip_and_strict_mapping() -> None:
    config = TargetConfig(name="dct4", n=128, seed=9, hidden_permutation=True, normalized=False)
    assert config_from_json(config_to_json(config)) == config
    with pytest.raises(ConfigError) as caught:
        from_mapping(TargetConfig, {"name": "dft", "size": 8}, path="target")
    assert caught.value.field == "target.size"


# ---------------------------------------------------------------- exact constructions


def _random_batch(n: int, *, complex_values: bool, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    return x + 1j * rng.standard_normal((n, 4)) if complex_values else x


def _close(approximation: np.ndarray, reference: np.ndarray) -> float:
    return float(np.linalg.norm(approximation - reference) / np.linalg.norm(reference))


@pytest.mark.parametrize("n", SIZES)
def test_fft_factorization_matches_torch_fft(n: int) -> None:
    x = _random_batch(n, complex_values=True)
    xt = torch.from_numpy(x)
    for inverse, normalized, oracle in [
        (False, True, torch.fft.fft(xt, dim=0, norm="ortho")),
        (False, False, torch.fft.fft(xt, dim=0)),
        (True, True, torch.fft.ifft(xt, dim=0, norm="ortho")),
        (True, False, torch.fft.ifft(xt, dim=0)),
    ]:
        factorization = fft_factorization(n, inverse=inverse, normalized=normalized)
        assert _close(factorization.apply(x), oracle.numpy()) < 1e-12, (inverse, normalized)
        assert len(factorization.factors) == int(math.log2(n))
        assert factorization.nnz == 2 * n * int(math.log2(n))


@pytest.mark.parametrize("n", SIZES)
def test_hadamard_and_dct2_factorizations_match_scipy(n: int) -> None:
    x = _random_batch(n, complex_values=False)
    hadamard = hadamard_factorization(n)
    assert _close(hadamard.apply(x), scipy.linalg.hadamard(n) @ x / math.sqrt(n)) < 1e-12
    assert _close(hadamard_factorization(n, normalized=False).apply(x), scipy.linalg.hadamard(n) @ x) < 1e-12
    assert hadamard.nnz == 2 * n * int(math.log2(n))
    for normalized, norm in [(True, "ortho"), (False, None)]:
        dct = dct2_factorization(n, normalized=normalized)
        y = dct.apply(x)
        oracle = scipy.fft.dct(x, type=2, norm=norm, axis=0)
        assert _close(y.real, oracle) < 1e-12 and np.abs(y.imag).max() < 1e-12 * np.abs(oracle).max()
        assert dct.nnz == 2 * n * int(math.log2(n)) + 2 * n - 2


@pytest.mark.parametrize("n", [2, 4, 16, 64])
def test_exact_factorizations_equal_the_targets_densely(n: int) -> None:
    assert relative_error(fft_factorization(n).to_dense(), _target("dft", n)) < 1e-14
    assert relative_error(fft_factorization(n, inverse=True).to_dense(), _target("idft", n)) < 1e-14
    assert relative_error(hadamard_factorization(n).to_dense(), _target("hadamard", n)) < 1e-14
    assert relative_error(dct2_factorization(n).to_dense(), _target("dct2", n)) < 1e-14


def test_exact_constructions_store_trivial_twiddles_exactly() -> None:
    factor = fft_factorization(8, normalized=False).factors[2]  # h = 4: twiddles 1, w8, -i, w8^3
    assert -1j in factor.data and 1j in factor.data  # exp(-iπ/2) is stored as exactly -i
    with pytest.raises(ConfigError) as caught:
        fft_factorization(1)
    assert (caught.value.field, caught.value.allowed) == ("n", "must be an int in [2, 8192]")


@pytest.mark.parametrize(
    "radices", [(3, 4), (4, 3), (2, 3, 5), (5, 2, 2, 2, 2, 2, 2, 2), (4, 4, 5, 2, 2, 2), (7, 7), (2, 2, 2)]
)
def test_mixed_radix_fft_equals_numpy(radices: tuple[int, ...]) -> None:
    n = int(np.prod(radices))
    identity = np.eye(n)
    for normalized, norm in ((False, "backward"), (True, "ortho")):
        forward = fft_factorization(n, radices=radices, normalized=normalized)
        assert np.abs(forward.to_dense() - np.fft.fft(identity, axis=0, norm=norm)).max() < 1e-13
        assert [f.nnz for f in forward.factors] == [n * r for r in radices]
        inverse = fft_factorization(n, radices=radices, normalized=normalized, inverse=True)
        assert np.abs(inverse.to_dense() - np.fft.ifft(identity, axis=0, norm=norm)).max() < 1e-13


def test_mixed_radix_default_order_and_errors() -> None:
    assert fft_factorization(12).label.startswith("mixed-radix FFT, radices 2,2,3 ")
    allowed = r"the product must be N = 12 \(it is 16\)$"
    with pytest.raises(ConfigError, match=r"^radices: got \(4, 4\); " + allowed):
        fft_factorization(12, radices=(4, 4))


# ---------------------------------------------------------------- baselines


@pytest.mark.parametrize("n", [8, 64])
def test_top_entries_baseline_keeps_the_largest_entries(n: int) -> None:
    matrix = np.random.default_rng(1).standard_normal((n, n))
    baseline = top_entries_baseline(matrix)
    budget = 2 * n * int(math.log2(n))
    assert baseline.nnz == budget and len(baseline.factors) == 1
    kept = baseline.to_dense()
    assert np.all((kept == 0) | (kept == matrix))
    assert np.abs(matrix[kept != 0]).min() >= np.abs(matrix[kept == 0]).max()
    assert top_entries_baseline(matrix, budget=5).nnz == 5


@pytest.mark.parametrize("n", [8, 64])
def test_baselines_fail_on_the_dft_by_the_expected_amount(n: int) -> None:
    dft = _target("dft", n)
    levels = int(math.log2(n))
    top = top_entries_baseline(dft)  # all entries have magnitude 1/sqrt(n)
    assert relative_error(top.to_dense(), dft) == pytest.approx(math.sqrt(1 - 2 * levels / n), rel=1e-12)
    low = low_rank_baseline(dft)  # all singular values are 1
    assert low.nnz <= 2 * n * levels and len(low.factors) == 2  # the DFT's SVD has some exact zeros
    assert relative_error(low.to_dense(), dft) == pytest.approx(math.sqrt(1 - levels / n), rel=1e-12)


def test_low_rank_baseline_is_the_truncated_svd() -> None:
    matrix = np.random.default_rng(2).standard_normal((32, 32))
    baseline = low_rank_baseline(matrix, rank=3)
    assert baseline.factors[0].dtype == np.float64 and baseline.nnz == 2 * 32 * 3
    assert baseline.factors[0].getnnz(axis=1)[3:].sum() == 0  # S V^H only in the first 3 rows
    assert baseline.factors[1].getnnz(axis=0)[3:].sum() == 0  # U only in the first 3 columns
    singular = np.linalg.svd(matrix, compute_uv=False)
    expected = math.sqrt(np.sum(singular[3:] ** 2) / np.sum(singular**2))
    assert relative_error(baseline.to_dense(), matrix) == pytest.approx(expected, rel=1e-12)
    assert np.linalg.matrix_rank(baseline.to_dense()) == 3


@pytest.mark.parametrize(
    ("call", "field", "allowed"),
    [
        (lambda: top_entries_baseline(np.eye(4), budget=0), "budget", "must be an integer in [1, 16]"),
        (lambda: top_entries_baseline(np.eye(4), budget=17), "budget", "must be an integer in [1, 16]"),
        (lambda: low_rank_baseline(np.eye(4), rank=5), "rank", "must be an integer in [1, 4]"),
        (lambda: low_rank_baseline(np.ones((2, 3))), "matrix", "must be a non-empty square numeric matrix"),
        (lambda: top_entries_baseline(np.full((2, 2), np.inf)), "matrix", "must hold finite values only"),
    ],
)
def test_baseline_errors_name_the_argument(call: Callable[[], object], field: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as caught:
        call()
    assert (caught.value.field, caught.value.allowed) == (field, allowed)
