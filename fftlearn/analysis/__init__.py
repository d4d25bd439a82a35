"""What did a front-end learn? Kernel spectra, harmonic (comb) scores, frame bounds, routing."""

from ._factors import plot_error_matrix, plot_factor_supports
from ._frames import (
    FrameBounds,
    frame_bounds_convolutional,
    frame_bounds_matrix,
    frame_bounds_strided,
    plot_frame_response,
    predicted_condition,
    random_filterbank,
)
from ._harmonic import HarmonicScores, harmonic_score
from ._routing import RouterUsage, plot_router_usage, router_usage
from ._spectra import KernelSpectra, kernel_spectra, plot_kernel_spectra

__all__ = [
    "FrameBounds",
    "HarmonicScores",
    "KernelSpectra",
    "RouterUsage",
    "frame_bounds_convolutional",
    "frame_bounds_matrix",
    "frame_bounds_strided",
    "harmonic_score",
    "kernel_spectra",
    "plot_error_matrix",
    "plot_factor_supports",
    "plot_frame_response",
    "plot_kernel_spectra",
    "plot_router_usage",
    "predicted_condition",
    "random_filterbank",
    "router_usage",
]
