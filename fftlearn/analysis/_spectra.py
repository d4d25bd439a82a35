"""Magnitude spectra of a bank of kernels, sorted by peak frequency (arXiv 2308.10388, Fig. 2)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.fft

from .._errors import ConfigError


@dataclass(frozen=True)
class KernelSpectra:
    freqs_hz: np.ndarray  # (F,) frequency of each rfft bin
    magnitude_db: np.ndarray  # (K, F) 20·log10|rfft(kernel)|, rows sorted by peak frequency
    peak_hz: np.ndarray  # (K,) peak frequency of each sorted row, ascending
    order: np.ndarray  # (K,) original kernel index of each sorted row


def kernel_spectra(kernels: np.ndarray, *, sample_rate: int, n_fft: int | None = None) -> KernelSpectra:
    """Spectra of ``kernels`` ``(K, N)``; ``n_fft`` >= N zero-pads for a finer frequency grid."""
    kernels = np.asarray(kernels, dtype=np.float64)
    if kernels.ndim != 2 or kernels.shape[0] == 0:
        raise ConfigError("kernels", kernels.shape, "must be a (K, N) array with K >= 1")
    n_fft = n_fft or kernels.shape[1]
    if n_fft < kernels.shape[1]:
        raise ConfigError("n_fft", n_fft, f"must be >= the kernel length {kernels.shape[1]}")
    magnitude = np.abs(scipy.fft.rfft(kernels, n=n_fft, axis=1))  # (K, F)
    freqs = scipy.fft.rfftfreq(n_fft, d=1.0 / sample_rate)
    peak_bin = magnitude.argmax(axis=1)
    order = np.argsort(peak_bin, kind="stable")
    magnitude_db = 20 * np.log10(magnitude[order] + 1e-12)
    return KernelSpectra(freqs, magnitude_db, freqs[peak_bin[order]], order)


def plot_kernel_spectra(spectra: KernelSpectra, path: str | Path, *, title: str) -> Path:
    """Write the sorted spectra as a PNG image (kernels on x, frequency on y, dB as colour)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    top = spectra.magnitude_db.max()
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    image = ax.imshow(
        spectra.magnitude_db.T,
        origin="lower",
        aspect="auto",
        cmap="magma",
        vmin=top - 60,
        vmax=top,
        extent=(0, spectra.magnitude_db.shape[0], 0, spectra.freqs_hz[-1] / 1000),
    )
    ax.set_xlabel("kernel (sorted by peak frequency)")
    ax.set_ylabel("frequency (kHz)")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="magnitude (dB)")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
