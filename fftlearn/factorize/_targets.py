"""Target matrices a factorization tries to reproduce: fast transforms and controls without one.

``make_target(TargetConfig(name=..., n=...))`` builds the ``(n, n)`` matrix ``M`` that maps a
column vector ``x`` to its transform ``M @ x`` (so the oracle for every name is the library
transform applied to the columns of the identity: ``scipy.fft.dct(np.eye(n), type=2,
norm="ortho", axis=0)`` for ``dct2``). With ``normalized`` the orthonormal scaling is used
where one is standard (``norm="ortho"``); otherwise the library's default scaling.

Names (``n`` any int in [2, 8192]; only ``hadamard`` needs a power of two, and refuses
other sizes with one line):
- ``dft`` / ``idft``: ``exp(∓2πi jk/n)``, scaled ``1/sqrt(n)`` (unitary) or ``1`` / ``1/n``
  (``numpy.fft.fft`` / ``ifft``); complex128.
- ``dct2``, ``dct4``, ``dst2``: ``scipy.fft.dct/dst`` of that type (``norm="ortho"`` or
  ``None``, which scales by 2); float64.
- ``hadamard``: Walsh–Hadamard in natural (Sylvester) order, ``scipy.linalg.hadamard(n)``,
  scaled ``1/sqrt(n)`` when normalized.
- ``hartley``: ``cas(2π jk/n) = cos + sin`` = Re(F) − Im(F) of the unnormalized DFT ``F``,
  scaled ``1/sqrt(n)`` when normalized (then symmetric and orthogonal).
- ``circulant``: circular convolution with a Gaussian filter ``h`` drawn from ``seed``:
  ``scipy.linalg.circulant(h)`` (first column ``h``), ``M @ x = h ⊛ x``. Fast via the FFT
  (``F⁻¹ diag(F h) F``), but not one butterfly chain. Normalized: ``h`` has variance ``1/n``.
- ``legendre`` (control): the discrete Legendre transform on the ``n`` Gauss–Legendre nodes
  ``x_j`` with weights ``w_j``: ``M[k, j] = sqrt((2k+1)/2) · P_k(x_j) · sqrt(w_j)``. Gauss
  quadrature is exact for degree <= 2n − 1, so the rows are orthonormal (``M Mᵀ = I``) — the
  usual orthonormalisation. Not normalized: ``M[k, j] = P_k(x_j)``. Fast polynomial transforms
  exist (O(n log² n)) but no product of log2(n) butterfly factors is known, so it counts as a
  control without a fast algorithm, as in Dao et al. (arXiv 1903.05895).
- ``random`` (control): i.i.d. Gaussian entries from ``seed`` (variance ``1/n`` when normalized).
- ``file``: a square, finite ``.npy`` matrix of the user's (size in [2, 8192]), used as given.

``hidden_permutation`` hides the matrix behind seeded random row and column permutations:
``target.matrix[i, j] == base[row_permutation[i], column_permutation[j]]``; both are recorded
so a fit that has to find them can be checked (``target.base_matrix`` undoes them). Random
content and permutations come from separate streams of ``seed``, so hiding a circulant target
does not change its filter, and one seed hides every target behind the same permutations.
"""

from __future__ import annotations

import tokenize
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar

import numpy as np
import numpy.lib.format as npy_format
import scipy.linalg
import scipy.special

from .._config import register_kind
from .._errors import ConfigError
from .._validate import check_bool, check_int

TARGET_NAMES = (
    "dft",
    "idft",
    "dct2",
    "dct4",
    "dst2",
    "hadamard",
    "hartley",
    "circulant",
    "legendre",
    "random",
    "file",
)
NO_FAST_ALGORITHM = ("legendre", "random", "file")
POWER_OF_TWO_ONLY = ("hadamard",)  # Sylvester's construction exists for powers of two only
MAX_N = 1 << 13  # a complex128 (8192, 8192) matrix is already 1 GiB
_CONTENT_STREAM, _PERMUTATION_STREAM = 0, 1  # independent random streams of one seed


@register_kind
@dataclass(frozen=True)
class TargetConfig:
    """Which matrix to factorize: a transform or a control, its size, and optional hiding."""

    kind: ClassVar[str] = "target"
    name: str = "dft"  # one of TARGET_NAMES: the transform or control (see the module docstring)
    n: int = 64  # size of the square matrix, in [2, 8192] (a power of two for hadamard)
    seed: int = 0  # circulant filter, random entries and hidden permutations derive from it
    hidden_permutation: bool = False  # hide the matrix behind seeded row and column permutations
    path: str = ""  # the .npy matrix for name = "file"; empty for every other name
    normalized: bool = True  # orthonormal scaling where standard (ignored for "file")

    def __post_init__(self) -> None:
        if self.name not in TARGET_NAMES:
            raise ConfigError("name", self.name, f"must be one of {', '.join(TARGET_NAMES)}")
        check_int("n", self.n, low=2, high=MAX_N)
        if self.name in POWER_OF_TWO_ONLY and self.n & (self.n - 1):
            raise ConfigError("n", self.n, f"must be a power of two in [2, {MAX_N}] for name {self.name!r}")
        check_int("seed", self.seed, low=0)
        check_bool("hidden_permutation", self.hidden_permutation)
        check_bool("normalized", self.normalized)
        if not isinstance(self.path, str):
            raise ConfigError("path", self.path, "must be a string")
        if self.name == "file" and not Path(self.path).is_file():
            raise ConfigError("path", self.path, "must be an existing .npy file for name 'file'")
        if self.name != "file" and self.path:
            raise ConfigError("path", self.path, "is only for name 'file'; leave it empty")


@dataclass(frozen=True)
class Target:
    """A target matrix and how it was made."""

    matrix: np.ndarray  # (n, n) complex128 or float64: x -> matrix @ x
    name: str  # TargetConfig.name
    row_permutation: np.ndarray  # (n,) int64: matrix[i, :] is base row row_permutation[i]
    column_permutation: np.ndarray  # (n,) int64: matrix[:, j] is base column column_permutation[j]
    has_fast_algorithm: bool  # False for the controls (legendre, random) and user files
    description: str  # one line, e.g. "DCT-II, orthonormal (scipy.fft.dct type 2, norm='ortho')"

    @property
    def n(self) -> int:
        return self.matrix.shape[0]

    @property
    def base_matrix(self) -> np.ndarray:
        """The matrix without the hidden permutations (``matrix`` itself when none)."""
        rows, cols = np.argsort(self.row_permutation), np.argsort(self.column_permutation)
        return self.matrix[np.ix_(rows, cols)]


def load_matrix_file(path: str) -> np.ndarray:
    """The matrix in a ``.npy`` file as complex128 or float64, ``(n, n)``, validated.

    ``ConfigError`` naming ``path`` when the file is missing or unreadable, or holds anything
    but a finite, square, real or complex matrix whose size is in [2, 8192].
    The header is read and checked first (format 1.0 or 2.0, a numeric dtype, the shape, and
    that the file holds the bytes the header declares), so an empty, garbled or lying file is
    refused before any data is read or memory allocated; pickled (object) arrays never load.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError("path", path, "must be an existing .npy file")
    if file.stat().st_size == 0:
        raise ConfigError("path", path, "must be a .npy file numpy can read (it is empty: 0 bytes)")
    try:
        handle = file.open("rb")
    except OSError as error:
        raise ConfigError("path", path, f"must be a readable .npy file ({error.strerror})") from None
    with handle:
        shape, dtype, data_bytes = _checked_npy_header(path, handle)
        available = file.stat().st_size - handle.tell()
        if available < data_bytes:
            declared = f"a {shape[0]}x{shape[1]} {dtype.name} matrix ({data_bytes} bytes of data)"
            raise ConfigError(
                "path", path, f"is truncated: its header declares {declared}, only {available} bytes follow"
            )
        handle.seek(0)
        try:
            data = npy_format.read_array(handle, allow_pickle=False)
        except (OSError, ValueError):  # the header was checked: only the data can be at fault here
            raise ConfigError("path", path, "must be a .npy file numpy can read (its data is not)") from None
    matrix = data.astype(np.complex128 if np.iscomplexobj(data) else np.float64)
    if not np.all(np.isfinite(matrix)):
        raise ConfigError("path", path, "must hold finite values only (no NaN or infinity)")
    return matrix


# what numpy's header parser (ast.literal_eval, its tokenize-based repair, descr_to_dtype) raises
_MALFORMED_HEADER = (ValueError, TypeError, SyntaxError, RecursionError, MemoryError, tokenize.TokenError)


def _checked_npy_header(path: str, handle: BinaryIO) -> tuple[tuple[int, int], np.dtype, int]:
    """``(shape, dtype, bytes of data)`` from a ``.npy`` header, checked; ``handle`` is left after it."""
    readers = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}
    try:
        version = npy_format.read_magic(handle)
    except ValueError:  # numpy says "EOF" or "magic string is not correct"
        raise ConfigError(
            "path", path, "must be a .npy file numpy can read (it does not start with the .npy magic)"
        ) from None
    if version not in readers:
        raise ConfigError(
            "path",
            path,
            f"must be a .npy file numpy can read (format 1.0 or 2.0; it is {version[0]}.{version[1]})",
        )
    try:
        with warnings.catch_warnings():  # numpy warns (to stderr) about headers it has to repair
            warnings.simplefilter("ignore")
            shape, _, dtype = readers[version](handle)
    except _MALFORMED_HEADER:
        raise ConfigError(
            "path", path, "must be a .npy file numpy can read (its header is malformed)"
        ) from None
    if dtype.kind not in "biufc":  # never object (pickle), strings or records
        raise ConfigError("path", path, "must hold a numeric matrix (a single .npy array)")
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ConfigError("path", path, f"must hold a square 2-D matrix; its shape is {tuple(shape)}")
    n = shape[0]
    if n < 2 or n > MAX_N:
        raise ConfigError("path", path, f"must hold an (n, n) matrix with n in [2, {MAX_N}]; n is {n}")
    return (n, n), dtype, n * n * dtype.itemsize


def make_target(config: TargetConfig) -> Target:
    """Build the target ``config`` describes (see the module docstring for every name)."""
    n = config.n
    if config.name == "file":
        base = load_matrix_file(config.path)
        if base.shape[0] != n:
            size = base.shape[0]
            raise ConfigError("path", config.path, f"holds a {size}x{size} matrix; must match n = {n}")
    else:
        base = _BUILDERS[config.name](n, config.normalized, config.seed)
    identity = np.arange(n, dtype=np.int64)
    rows, cols = identity, identity
    if config.hidden_permutation:
        generator = np.random.default_rng([config.seed, _PERMUTATION_STREAM])
        rows, cols = generator.permutation(n), generator.permutation(n)
    scaling = "orthonormal" if config.normalized and config.name != "file" else "unnormalized"
    description = f"{_DESCRIPTIONS[config.name]}, {scaling}, n={n}"
    if config.name == "file":
        description = f"user matrix from {config.path}, n={n}"
    if config.hidden_permutation:
        description += f", hidden row and column permutations (seed {config.seed})"
    return Target(
        matrix=np.ascontiguousarray(base[np.ix_(rows, cols)]),
        name=config.name,
        row_permutation=rows.astype(np.int64),
        column_permutation=cols.astype(np.int64),
        has_fast_algorithm=config.name not in NO_FAST_ALGORITHM,
        description=description,
    )


def _content_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, _CONTENT_STREAM])


def _dft(n: int, normalized: bool, seed: int, *, sign: float = -1.0) -> np.ndarray:
    index = np.arange(n)
    phase = np.outer(index, index) % n  # exact integer phases keep large n accurate
    matrix = np.exp(sign * 2j * np.pi * phase / n)  # (n, n)
    if normalized:
        return matrix / np.sqrt(n)
    return matrix / n if sign > 0 else matrix


def _cosine_kernel(n: int, *, row_shift: float, col_shift: float, sine: bool) -> np.ndarray:
    """``f(π (k + row_shift)(2j + 1 + 2 col_shift) / (2n))`` for rows k, columns j."""
    k = np.arange(n)[:, None] + row_shift
    j = 2 * np.arange(n)[None, :] + 1 + 2 * col_shift
    angle = np.pi * k * j / (2 * n)
    return np.sin(angle) if sine else np.cos(angle)


def _dct2(n: int, normalized: bool, seed: int) -> np.ndarray:
    matrix = 2 * _cosine_kernel(n, row_shift=0.0, col_shift=0.0, sine=False)
    if normalized:
        matrix = matrix / np.sqrt(2 * n)
        matrix[0] /= np.sqrt(2)
    return matrix


def _dct4(n: int, normalized: bool, seed: int) -> np.ndarray:
    matrix = 2 * _cosine_kernel(n, row_shift=0.5, col_shift=0.0, sine=False)
    return matrix / np.sqrt(2 * n) if normalized else matrix


def _dst2(n: int, normalized: bool, seed: int) -> np.ndarray:
    matrix = 2 * _cosine_kernel(n, row_shift=1.0, col_shift=0.0, sine=True)
    if normalized:
        matrix = matrix / np.sqrt(2 * n)
        matrix[-1] /= np.sqrt(2)
    return matrix


def _hadamard(n: int, normalized: bool, seed: int) -> np.ndarray:
    matrix = scipy.linalg.hadamard(n).astype(np.float64)
    return matrix / np.sqrt(n) if normalized else matrix


def _hartley(n: int, normalized: bool, seed: int) -> np.ndarray:
    index = np.arange(n)
    angle = 2 * np.pi * (np.outer(index, index) % n) / n
    matrix = np.cos(angle) + np.sin(angle)
    return matrix / np.sqrt(n) if normalized else matrix


def _circulant(n: int, normalized: bool, seed: int) -> np.ndarray:
    filter_ = _content_rng(seed).standard_normal(n)
    if normalized:
        filter_ = filter_ / np.sqrt(n)
    return scipy.linalg.circulant(filter_)


def _legendre(n: int, normalized: bool, seed: int) -> np.ndarray:
    nodes, _ = scipy.special.roots_legendre(n)  # ascending nodes in (-1, 1)
    values = np.polynomial.legendre.legvander(nodes, n - 1).T  # (n, n): [k, j] = P_k(x_j)
    if not normalized:
        return values
    orthonormal = values * np.sqrt((2 * np.arange(n)[:, None] + 1) / 2)  # p_k(x_j)
    # Christoffel weights w_j = 1 / sum_k p_k(x_j)^2 equal the Gauss weights; computed this way
    # they absorb the nodes' rounding, so M Mᵀ = I to ~1e-13 at n = 1024 (scipy's weights: 1e-11)
    weights = 1.0 / np.sum(orthonormal**2, axis=0)  # (n,)
    return orthonormal * np.sqrt(weights)[None, :]


def _random(n: int, normalized: bool, seed: int) -> np.ndarray:
    matrix = _content_rng(seed).standard_normal((n, n))
    return matrix / np.sqrt(n) if normalized else matrix


_BUILDERS = {
    "dft": _dft,
    "idft": lambda n, normalized, seed: _dft(n, normalized, seed, sign=1.0),
    "dct2": _dct2,
    "dct4": _dct4,
    "dst2": _dst2,
    "hadamard": _hadamard,
    "hartley": _hartley,
    "circulant": _circulant,
    "legendre": _legendre,
    "random": _random,
}
_DESCRIPTIONS = {
    "dft": "DFT exp(-2πi jk/n) (numpy.fft.fft)",
    "idft": "inverse DFT exp(+2πi jk/n) (numpy.fft.ifft)",
    "dct2": "DCT-II (scipy.fft.dct type 2)",
    "dct4": "DCT-IV (scipy.fft.dct type 4)",
    "dst2": "DST-II (scipy.fft.dst type 2)",
    "hadamard": "Walsh-Hadamard, Sylvester order (scipy.linalg.hadamard)",
    "hartley": "discrete Hartley cas(2π jk/n) = Re(F) - Im(F)",
    "circulant": "circular convolution with a Gaussian filter (scipy.linalg.circulant)",
    "legendre": "discrete Legendre transform on Gauss-Legendre nodes (control)",
    "random": "i.i.d. Gaussian matrix (control)",
    "file": "user matrix",
}
