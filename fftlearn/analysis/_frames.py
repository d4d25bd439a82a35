"""Frame bounds A, B and condition number B/A of a filterbank (Haider, Lostanlen et al., arXiv 2309.05855).

A bank of analysis filters is a *frame* when ``A·||x||² <= ||Φx||² <= B·||x||²`` for every
signal ``x`` with ``0 < A <= B``; ``B/A`` (the condition number) says how unevenly the bank
treats different signals: 1 for a tight frame, infinite when some signal is lost.

Three ways of applying a bank are covered here:

- **convolutional** (stride 1, ``conv1d`` over a whole signal): the frame operator is diagonal in
  frequency and ``||Φx||² = ∫ |X(ω)|² · Σ_j |H_j(ω)|² dω/2π``, so A and B are the minimum and
  maximum of the Littlewood–Paley sum ``Σ_j |H_j(ω)|²``;
- **matrix** (K kernels taken as inner products with one frame of N samples, as the
  multiplicative front-end does): A and B are the extreme eigenvalues of ``WᵀW``;
- **strided** (J filters of T taps at positions ``0, s, 2s, ...`` inside one frame of N samples,
  no padding, as the conv front-end runs): the same, with W the ``(J·P, N)`` matrix of that map.
  It is not a frame (A = 0) when J·P < N, or when some sample is never under a filter.

The convolutional bounds describe the bank as a filterbank (the random-filterbank law); the
strided bounds describe the map a conv front-end actually applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.fft
import scipy.linalg

from .._errors import ConfigError
from .._validate import check_int

_GRID_PER_TAP = 64  # default n_fft: at least this many grid points per filter tap (see docstring)


@dataclass(frozen=True)
class FrameBounds:
    """Frame bounds of one bank; ``condition`` is computed, never passed."""

    lower: float  # A: the smallest energy gain over all unit-energy signals
    upper: float  # B: the largest energy gain
    kind: str  # "convolutional", "matrix" or "strided"
    response: np.ndarray  # conv: (F,) Σ_j |H_j|² at ``freqs``; else (N,) eigenvalues of WᵀW, ascending
    freqs: np.ndarray | None = None  # (F,) cycles per sample in [0, 0.5] (convolutional only)
    condition: float = field(init=False)  # B/A; inf when A == 0

    def __post_init__(self) -> None:
        condition = self.upper / self.lower if self.lower > 0 else math.inf
        object.__setattr__(self, "condition", condition)


def frame_bounds_convolutional(filters: np.ndarray, *, n_fft: int | None = None) -> FrameBounds:
    """Frame bounds of ``filters`` ``(J, T)`` (real) applied by stride-1 convolution.

    ``A = min_ω Σ_j |H_j(ω)|²`` and ``B = max_ω Σ_j |H_j(ω)|²`` with ``H_j`` the DTFT of filter j;
    the sum is sampled at the ``n_fft // 2 + 1`` frequencies ``k/n_fft`` (cycles per sample)
    of ``[0, 0.5]`` (real filters: the sum is even in ω).

    Two readings of ``n_fft``:

    - ``n_fft = N`` gives the **exact** bounds of circular convolution on signals of N samples
      (the N-point DFT diagonalises it), for any N >= T;
    - the default, the smallest power of two >= 64·T, approximates the bounds on infinite
      signals (sup and inf over continuous ω). The sum ``P(ω)`` is a cosine polynomial of degree
      T-1, so Bernstein's inequality gives ``|P''| <= (T-1)²·B``; at an extremum P' = 0 and every
      ω lies within π/n_fft of a grid point, hence each grid extremum is off by at most
      ``½·(π(T-1)/n_fft)²·B``, under 0.13 % of B for the default grid.

    The sum is computed from the summed autocorrelation of the filters (lags |τ| < T), folded
    onto the grid, so the cost is one FFT of 2T points per filter plus one of n_fft points.
    ``freqs`` and ``response`` of the result hold the curve for :func:`plot_frame_response`.
    """
    filters = _as_bank("filters", filters)
    if np.iscomplexobj(filters):
        raise ConfigError("filters", "complex array", "must be real (J, T) taps")
    length = filters.shape[1]
    if n_fft is None:
        n_fft = 1 << max(10, math.ceil(math.log2(_GRID_PER_TAP * length)))
    check_int("n_fft", n_fft, low=length)
    size = scipy.fft.next_fast_len(2 * length - 1, real=True)
    power = np.abs(scipy.fft.rfft(filters, n=size, axis=1)) ** 2  # (J, size//2+1)
    autocorr = scipy.fft.irfft(power.sum(axis=0), n=size)  # (size,) lags 0..T-1, then negative lags
    lags = np.arange(-(length - 1), length)  # (2T-1,)
    folded = np.zeros(n_fft)
    np.add.at(folded, lags % n_fft, autocorr[lags % size])  # exact aliasing onto the n_fft grid
    response = np.clip(scipy.fft.rfft(folded).real, 0.0, None)  # (n_fft//2+1,) Σ_j |H_j|² >= 0
    freqs = np.arange(response.size) / n_fft
    return FrameBounds(float(response.min()), float(response.max()), "convolutional", response, freqs)


def frame_bounds_matrix(kernels: np.ndarray) -> FrameBounds:
    """Frame bounds of ``kernels`` ``(K, N)`` (real or complex) used as an analysis matrix W.

    Each kernel is an inner product with a frame of N samples: ``y = W x``, ``||y||² = xᴴWᴴWx``,
    so A and B are the smallest and largest eigenvalue of ``WᴴW`` (squared singular values).
    With fewer kernels than samples (K < N) some signal is always mapped to zero: **A = 0** and
    the condition number is infinite. An orthonormal basis (identity, unitary DFT, orthonormal
    real DFT) gives A = B = 1. ``response`` holds the N eigenvalues, ascending.
    """
    kernels = _as_bank("kernels", kernels)
    n_kernels, n_samples = kernels.shape
    singular = scipy.linalg.svdvals(kernels)  # (min(K, N),) descending
    eigenvalues = np.zeros(n_samples)
    eigenvalues[n_samples - singular.size :] = np.sort(singular**2)
    lower = float(eigenvalues[0]) if n_kernels >= n_samples else 0.0
    return FrameBounds(lower, float(eigenvalues[-1]), "matrix", eigenvalues)


def frame_bounds_strided(filters: np.ndarray, *, stride: int, frame_length: int) -> FrameBounds:
    """Frame bounds of ``filters`` ``(J, T)`` (real) applied at stride ``stride`` to one frame.

    The map is the one a conv front-end runs: ``frame_length`` (N) samples to the ``J·P``
    responses ``y[j, p] = Σ_t h_j[t]·x[p·stride + t]`` at the ``P = 1 + (N - T) // stride``
    positions that fit (no padding). A and B are the extreme eigenvalues of its Gram matrix
    ``WᵀW`` (N, N) = ``Σ_p`` (the filters' ``Σ_j h_j h_jᵀ`` placed at offset p·stride), i.e.
    the extreme squared singular values of W. **A = 0** (condition infinite) when the map is
    rank-deficient: fewer responses than samples (J·P < N), a sample no filter position covers,
    or an eigenvalue at or below ``B·N·eps`` (what an eigensolver resolves). Cost: J·T² + P·T²
    + N³ flops (about a millisecond for N = 640). ``response`` holds the N eigenvalues, ascending.
    """
    filters = _as_bank("filters", filters)
    if np.iscomplexobj(filters):
        raise ConfigError("filters", "complex array", "must be real (J, T) taps")
    n_filters, length = filters.shape
    check_int("frame_length", frame_length, low=length)
    check_int("stride", stride, low=1, high=frame_length)
    positions = 1 + (frame_length - length) // stride
    taps_gram = filters.T @ filters  # (T, T) Σ_j h_j h_jᵀ
    gram = np.zeros((frame_length, frame_length))  # (N, N) WᵀW
    for start in range(0, positions * stride, stride):
        gram[start : start + length, start : start + length] += taps_gram
    eigenvalues = np.clip(scipy.linalg.eigvalsh(gram), 0.0, None)  # (N,) ascending
    upper = float(eigenvalues[-1])
    resolved = eigenvalues[0] > upper * frame_length * np.finfo(np.float64).eps
    lower = float(eigenvalues[0]) if n_filters * positions >= frame_length and resolved else 0.0
    return FrameBounds(lower, upper, "strided", eigenvalues)


def random_filterbank(n_filters: int, length: int, *, seed: int) -> np.ndarray:
    """``(n_filters, length)`` i.i.d. Gaussian taps with variance ``1/(n_filters·length)``.

    With this variance ``E[Σ_j |H_j(ω)|²] = 1`` at every ω: the bank preserves energy on average
    (arXiv 2309.05855).
    """
    check_int("n_filters", n_filters, low=1)
    check_int("length", length, low=1)
    check_int("seed", seed, low=0)
    scale = 1.0 / math.sqrt(n_filters * length)
    return np.random.default_rng(seed).normal(0.0, scale, size=(n_filters, length))


def predicted_condition(n_filters: int, length: int) -> float:
    """``(1 + 2·sqrt(ln T / J)) / (1 - 2·sqrt(ln T / J))`` for J Gaussian filters of length T.

    The scaling law of arXiv 2309.05855 (natural logarithm; taps of variance 1/(J·T), as
    :func:`random_filterbank` draws them). It is defined only for ``J > 4·ln T`` (the
    denominator must be positive). Measured (benchmarks/random_filterbank_conditioning.py,
    median of 20 seeds, T = 32..1024) it over-estimates κ everywhere: the measured deviation
    ``(κ-1)/(κ+1)`` is c·sqrt(ln T / J) with c = 1.1-1.35, not 2. The prediction is within
    20 % of the median κ only for J >= 256 (T <= 128) and J >= 512 (T >= 256), i.e. about
    J > 50-75·ln T where κ < 1.45; near J = 4·ln T it is off by up to 100x.
    """
    check_int("n_filters", n_filters, low=1)
    check_int("length", length, low=1)
    bound = 4.0 * math.log(length)
    if n_filters <= bound:
        raise ConfigError("n_filters", n_filters, f"must be > 4·ln(length) = {bound:.2f} for length={length}")
    deviation = 2.0 * math.sqrt(math.log(length) / n_filters)
    return (1.0 + deviation) / (1.0 - deviation)


def plot_frame_response(bounds: FrameBounds, path: str | Path, *, title: str) -> Path:
    """Write ``Σ_j |H_j|²`` over frequency (or the eigenvalues of WᵀW) with A and B marked, as PNG."""
    if not isinstance(bounds, FrameBounds):
        raise ConfigError("bounds", type(bounds).__name__, "must be a FrameBounds")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    if bounds.freqs is not None:
        ax.plot(bounds.freqs, bounds.response, color="tab:blue", lw=1.0, label="Σ_j |H_j(f)|²")
        ax.set_xlabel("frequency (cycles per sample)")
        ax.set_xlim(0.0, 0.5)
    else:
        index = np.arange(bounds.response.size)
        ax.plot(index, bounds.response, color="tab:blue", lw=1.0, label="eigenvalues of WᵀW")
        ax.set_xlabel("eigenvalue index (ascending)")
    ax.axhline(bounds.upper, color="tab:red", ls="--", lw=1.0, label=f"B = {bounds.upper:.4g}")
    ax.axhline(bounds.lower, color="tab:green", ls="--", lw=1.0, label=f"A = {bounds.lower:.4g}")
    ax.set_ylabel("energy gain")
    ax.set_ylim(bottom=0.0)
    ax.set_title(f"{title} (B/A = {bounds.condition:.4g})")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def _as_bank(field_name: str, bank: object) -> np.ndarray:
    """``bank`` as a finite 2-D float (or complex) array with at least one row and one column."""
    array = np.asarray(bank)
    if array.ndim != 2 or 0 in array.shape:
        raise ConfigError(field_name, array.shape, "must be a 2-D array (count, length) with both >= 1")
    if not (np.issubdtype(array.dtype, np.number) and not np.issubdtype(array.dtype, np.bool_)):
        raise ConfigError(field_name, str(array.dtype), "must hold numbers")
    array = array.astype(np.complex128 if np.iscomplexobj(array) else np.float64)
    if not np.all(np.isfinite(array)):
        raise ConfigError(field_name, "non-finite values", "must be finite")
    return array
