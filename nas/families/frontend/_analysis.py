"""What each trial learned, measured and drawn: the user attributes and PNGs of a trial.

- kernel magnitude spectra sorted by peak frequency (every kind; the picture of 2308.10388);
- harmonic/comb scores of the kernels (up to ``MAX_SCORED`` of them, evenly picked);
- frame bounds A, B and B/A of the map the front-end applies to a frame (conv filters: the
  strided map at the bank's stride over one frame, else the kernel matrix; experts: per
  expert; ``condition`` is null, not Infinity, when A = 0 so that the attribute is plain JSON),
  with a picture of the eigenvalues of WᵀW for conv banks;
- for experts: the share of test inputs each expert takes and router usage per class, with
  routing purity (share of each class on its majority expert), the mutual information between
  class and chosen expert in bits (purity alone is 1.0 for a router that sends everything to
  one expert; the information is 0 then) and a heat-map picture.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from fftlearn import FrontEndClassifier
from fftlearn.analysis import (
    FrameBounds,
    frame_bounds_matrix,
    frame_bounds_strided,
    harmonic_score,
    kernel_spectra,
    plot_frame_response,
    plot_kernel_spectra,
    plot_router_usage,
    router_usage,
)
from fftlearn.data import LabelledFrames
from fftlearn.frontends import FrontEnd
from fftlearn.training import on_device, precision_context

from ._evaluate import device_batches

MAX_SCORED = 256  # kernels scored for harmonicity per trial (evenly picked)


def _bounds(bank: FrontEnd) -> tuple[dict[str, object], FrameBounds]:
    """The frame bounds of the map ``bank`` applies to one frame, and their JSON summary."""
    kernels, stride = bank.kernels().numpy(), bank.kernel_stride()
    if stride is None:
        bounds = frame_bounds_matrix(kernels)
    else:
        bounds = frame_bounds_strided(kernels, stride=stride, frame_length=bank.config.frame_length)
    summary = {
        "kind": bounds.kind,
        "lower": bounds.lower,
        "upper": bounds.upper,
        "condition": bounds.condition if math.isfinite(bounds.condition) else None,  # null: A = 0
    }
    return summary, bounds


def analyze(
    model: FrontEndClassifier,
    *,
    test_data: LabelledFrames,
    sample_rate: int,
    device: torch.device,
    folder: Path,
    label: str,
    precision: str = "float32",
) -> tuple[dict[str, object], dict[str, Path]]:
    """``(attributes, pictures)`` for a trained model: pictures by name (``kernel_spectra``,
    ``frame_response``, ``router_usage``), written into ``folder``; ``label`` titles them. A
    front-end without kernels (``kernels()`` is None) gets no kernel attributes or pictures.
    The test frames are routed in ``precision``, as ``measure`` routes them."""
    frontend, title = model.frontend, f"{label}: {model.config.frontend.kind}"
    attributes: dict[str, object] = {}
    pictures: dict[str, Path] = {}
    if frontend.kernels() is not None:
        _kernel_analysis(
            frontend, sample_rate=sample_rate, folder=folder, title=title, into=(attributes, pictures)
        )
    model.to(device).eval()
    with torch.no_grad(), precision_context(precision, device=device):
        batches = device_batches(on_device(test_data, device=device).frames, device=device)
        first = frontend.routing(next(batches))
        if first is not None:  # a content-adaptive kind: route the rest of the test set too
            chosen = torch.cat([first, *(frontend.routing(batch) for batch in batches)]).cpu().numpy()
            _routing_analysis(
                chosen, frontend, test_data, folder=folder, title=title, into=(attributes, pictures)
            )
    return attributes, pictures


def _kernel_analysis(
    frontend: FrontEnd, *, sample_rate: int, folder: Path, title: str, into: tuple[dict, dict]
) -> None:
    """Kernel spectra, harmonic scores and frame bounds (with the frame response of a strided bank)."""
    attributes, pictures = into
    kernels = frontend.kernels().numpy()  # (K, n)
    pictures["kernel_spectra"] = plot_kernel_spectra(
        kernel_spectra(kernels, sample_rate=sample_rate, n_fft=max(1024, kernels.shape[1])),
        folder / "kernel-spectra.png",
        title=f"{title} kernels, sorted by peak frequency",
    )
    picked = kernels[np.linspace(0, len(kernels) - 1, min(len(kernels), MAX_SCORED)).round().astype(int)]
    scores = harmonic_score(picked, sample_rate=sample_rate).score
    attributes["harmonic_score"] = {
        "mean": float(scores.mean()),
        "p90": float(np.quantile(scores, 0.9)),
        "share_above_0.5": float(np.mean(scores > 0.5)),
        "kernels_scored": int(len(picked)),
    }
    banks = frontend.filterbanks()
    summaries = []
    for index, bank in enumerate(banks):
        summary, bounds = _bounds(bank)
        summaries.append(summary)
        if bounds.kind == "strided" and index == 0:
            pictures["frame_response"] = plot_frame_response(
                bounds, folder / "frame-response.png", title=f"{title} frame response"
            )
    attributes["frame_bounds"] = summaries[0] if banks == [frontend] else summaries


def _routing_analysis(
    chosen: np.ndarray,
    frontend: FrontEnd,
    test_data: LabelledFrames,
    *,
    folder: Path,
    title: str,
    into: tuple[dict, dict],
) -> None:
    """Each kernel set's share of the test frames, routing purity, and router usage per class."""
    attributes, pictures = into
    n_sets = len(frontend.filterbanks())
    usage = router_usage(chosen, test_data.labels, n_experts=n_sets, n_classes=test_data.n_classes)
    attributes["expert_share"] = [float(x) for x in usage.load]
    attributes["routing_purity"] = float(usage.purity)
    information = mutual_information_bits(usage.counts)
    attributes["routing_mi_bits"] = information
    pictures["router_usage"] = plot_router_usage(
        usage,
        folder / "router-usage.png",
        title=f"{title} router usage per class\nI(class; expert) = {information:.2f} bits",
        class_names=test_data.class_names if test_data.n_classes <= 24 else None,
    )


def mutual_information_bits(counts: np.ndarray) -> float:
    """``I(class; expert)`` in bits from a ``(C, E)`` table of counts (examples of class c routed
    to expert e): 0 when the routing ignores the class, ``H(class)`` when it tells the class."""
    joint = counts / counts.sum()  # (C, E)
    independent = joint.sum(1, keepdims=True) * joint.sum(0, keepdims=True)  # (C, E)
    seen = joint > 0
    return float((joint[seen] * np.log2(joint[seen] / independent[seen])).sum())
