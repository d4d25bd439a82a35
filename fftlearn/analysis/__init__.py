"""What did a front-end learn? Spectra of its kernels, and their picture."""

from ._spectra import KernelSpectra, kernel_spectra, plot_kernel_spectra

__all__ = ["KernelSpectra", "kernel_spectra", "plot_kernel_spectra"]
