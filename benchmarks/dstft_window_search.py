"""Differentiable STFT: does gradient descent find the best window length? And how fast is it?

Target (issue 3): from a window length 4x too long, Adam on the spectrogram entropy ends within
10% of the optimum that a grid search over every integer length finds. Test signals at 16 kHz,
0.25 s: linear chirps (triangular FM, 500-7500 Hz) at several chirp rates, a vibrato and a train
of Gabor atoms, each with an interior optimum. Only the window length learns; hop (16 samples)
and position are fixed; the FFT size is 1024. Second table: forward and forward+backward time of
the DSTFT front-end against ``torch.stft`` on a batch of 640-sample frames, with equal FFT sizes
and window counts. Both tables are appended to benchmarks/RESULTS.md.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/dstft_window_search.py [--steps 200] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _results import append_results  # noqa: E402
from _timing import seconds

from fftlearn.frontends._concentration import spectrogram_entropy  # noqa: E402
from fftlearn.frontends._dstft import DSTFTConfig, DSTFTFrontEnd  # noqa: E402

SAMPLE_RATE = 16000
N_SAMPLES = 4000  # 0.25 s
N_FFT = 1024
HOP = 16.0


def triangular_chirp(rate: float, low: float = 500.0, high: float = 7500.0) -> np.ndarray:
    """Frequency sweeps up and down between ``low`` and ``high`` Hz at ``rate`` Hz/s."""
    t = np.arange(N_SAMPLES) / SAMPLE_RATE
    period = 2 * (high - low) / rate
    into = t % period
    freq = np.where(into < period / 2, low + rate * into, high - rate * (into - period / 2))
    return np.cos(2 * np.pi * np.cumsum(freq) / SAMPLE_RATE)


def vibrato(depth: float = 2000.0, rate_hz: float = 8.0) -> np.ndarray:
    """A 3.5 kHz tone frequency-modulated by +-``depth`` Hz at ``rate_hz``."""
    t = np.arange(N_SAMPLES) / SAMPLE_RATE
    freq = 3500.0 + depth * np.sin(2 * np.pi * rate_hz * t)
    return np.cos(2 * np.pi * np.cumsum(freq) / SAMPLE_RATE)


def gabor_atoms(sigma_s: float, every_s: float = 0.02) -> np.ndarray:
    """Gaussian-enveloped tone bursts of standard deviation ``sigma_s`` at random frequencies."""
    t = np.arange(N_SAMPLES) / SAMPLE_RATE
    rng = np.random.default_rng(0)
    signal = np.zeros_like(t)
    for centre in np.arange(0.01, t[-1], every_s):
        freq = rng.uniform(500.0, 7000.0)
        signal += np.exp(-0.5 * ((t - centre) / sigma_s) ** 2) * np.cos(2 * np.pi * freq * (t - centre))
    return signal


SIGNALS: dict[str, tuple[Callable[[], np.ndarray], float | None]] = {  # name: (maker, chirp rate Hz/s)
    "chirp 25 kHz/s": (lambda: triangular_chirp(25e3), 25e3),
    "chirp 50 kHz/s": (lambda: triangular_chirp(50e3), 50e3),
    "chirp 100 kHz/s": (lambda: triangular_chirp(100e3), 100e3),
    "vibrato 3.5+-2 kHz at 8 Hz": (vibrato, None),
    "Gabor atoms, sigma 2 ms": (lambda: gabor_atoms(0.002), None),
}


def frontend(
    win_length: float,
    device: torch.device,
    *,
    frame_length: int = N_SAMPLES,
    n_fft: int = N_FFT,
    hop: float = HOP,
) -> DSTFTFrontEnd:
    """A float64 DSTFT on ``device`` whose window length (samples) alone learns: windows every
    ``hop`` samples from ``n_fft / 2`` while a whole FFT fits in the ``frame_length``-sample frame."""
    n_windows = int((frame_length - 1 - n_fft) // hop) + 1
    config = DSTFTConfig(
        frame_length=frame_length,
        n_fft=n_fft,
        n_windows=n_windows,
        win_length=win_length,
        hop=hop,
        position=n_fft / 2,
        learn_hop=False,
        learn_position=False,
        log_compress=False,
    )
    return DSTFTFrontEnd(config).double().to(device)


def entropy(model: DSTFTFrontEnd, signal: torch.Tensor) -> torch.Tensor:
    return spectrogram_entropy(model.spectrogram(signal).abs().square()).mean()


def search_one(signal: torch.Tensor, steps: int, lr: float, device: torch.device) -> dict[str, float]:
    """Grid optimum over integer lengths in [8, n_fft/4], then Adam from 4x that optimum."""
    with torch.no_grad():
        grid = np.arange(8.0, N_FFT / 4 + 1)
        losses = [entropy(frontend(length, device), signal).item() for length in grid]
    best_index = int(np.argmin(losses))
    best = float(grid[best_index])
    model = frontend(4 * best, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        entropy(model, signal).backward()
        optimizer.step()
        schedule.step()
    elapsed = time.perf_counter() - start
    end = model.win_lengths[0].item()
    with torch.no_grad():
        gap = entropy(model, signal).item() - losses[best_index]
    return {"best": best, "start": 4 * best, "end": end, "gap": gap, "seconds": elapsed}


def _theory_ratio(best: float, rate: float | None) -> str:
    """L* over the Gaussian-window optimum for a linear chirp, sigma* = sr / sqrt(2 pi rate)."""
    if rate is None:
        return "-"
    return f"{best / (SAMPLE_RATE / np.sqrt(2 * np.pi * rate)):.3f}"


def window_search_table(steps: int, lr: float, device: torch.device) -> tuple[str, bool]:
    rows = [
        (
            "| signal | grid optimum L* (samples) | start (samples) | end (samples) "
            "| relative deviation, abs(end / L* - 1) | end - grid entropy (nats) | Adam steps "
            "| descent time (s) | L* / sigma* |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    met = True
    for name, (make, rate) in SIGNALS.items():
        signal = torch.tensor(make(), dtype=torch.float64, device=device)[None]  # (1, N)
        result = search_one(signal, steps, lr, device)
        deviation = abs(result["end"] / result["best"] - 1)
        met = met and deviation < 0.10
        rows.append(
            f"| {name} | {result['best']:.0f} | {result['start']:.0f} | {result['end']:.1f} | "
            f"{100 * deviation:.2f}% | {result['gap']:+.1e} | {steps} | {result['seconds']:.2f} | "
            f"{_theory_ratio(result['best'], rate)} |"
        )
        print(rows[-1], flush=True)
    return "\n".join(rows), met


def _time(fn: Callable[[], object], device: torch.device, repeats: int, number: int) -> float:
    """Median over ``repeats`` of the mean milliseconds of ``number`` calls."""
    fn()
    return statistics.median(
        [seconds(fn, device=device, number=number) / number * 1e3 for _ in range(repeats)]
    )


def _speed_row(n_fft: int, hop: int, frames: torch.Tensor, repeats: int, number: int) -> str:
    """One table row: ``torch.stft`` and the DSTFT, each with 4 windows of ``n_fft`` samples."""
    device = frames.device
    config = DSTFTConfig(
        n_fft=n_fft, n_windows=4, win_length=n_fft, hop=128.0, position=128.0, log_compress=False
    )
    model = DSTFTFrontEnd(config).to(device)
    window = torch.hann_window(n_fft, device=device)
    centre = n_fft > 256  # the 512-sample windows need the frame zero-padded

    def reference(x: torch.Tensor) -> torch.Tensor:
        spectrum = torch.stft(
            x, n_fft, hop_length=hop, window=window, center=centre, pad_mode="constant", return_complex=True
        )  # (B, bins, 4)
        return spectrum.abs()

    assert reference(frames).shape[-1] == 4
    grad_frames = frames.clone().requires_grad_()
    ref_fwd = _time(lambda: reference(frames), device, repeats, number)
    ours_fwd = _time(lambda: model(frames), device, repeats, number)
    ref_bwd = _time(lambda: reference(grad_frames).sum().backward(), device, repeats, number)
    ours_bwd = _time(lambda: model(grad_frames).sum().backward(), device, repeats, number)
    return (
        f"| {n_fft} | 4 | {ref_fwd:.3f} | {ours_fwd:.3f} | {ours_fwd / ref_fwd:.2f}x | "
        f"{ref_bwd:.3f} | {ours_bwd:.3f} | {ours_bwd / ref_bwd:.2f}x |"
    )


def speed_table(batch: int, device: torch.device, repeats: int, number: int) -> str:
    rows = [
        (
            "| n_fft | windows per frame | torch.stft fwd (ms) | DSTFT fwd (ms) | ratio "
            "| torch.stft fwd+bwd (ms) | DSTFT fwd+bwd (ms) | ratio |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    frames = torch.randn(batch, 640, generator=torch.Generator().manual_seed(0)).to(device)  # (B, 640)
    for n_fft, hop in ((256, 128), (512, 213)):  # both give 4 windows of n_fft samples
        rows.append(_speed_row(n_fft, hop, frames, repeats, number))
        print(rows[-1], flush=True)
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="Adam steps per signal")
    parser.add_argument("--lr", type=float, default=0.02, help="Adam learning rate, in units of n_fft")
    parser.add_argument("--batch", type=int, default=256, help="frames per batch in the speed table")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--number", type=int, default=20, help="calls per timed repeat")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    device = torch.device(args.device)
    threads = torch.get_num_threads()

    search, met = window_search_table(args.steps, args.lr, device)
    verdict = "met" if met else "NOT met"
    search_notes = (
        f"Window length only (hop {HOP:g}, n_fft {N_FFT}, Hann, float64, {device.type}, "
        f"{threads} thread(s)); "
        f"Adam lr {args.lr} x n_fft with cosine decay. Goal: every end within 10% of L*: {verdict}. "
        "For the chirps L* / sigma* is the Hann length over the optimal Gaussian standard deviation "
        "sr / sqrt(2 pi rate) (samples): a constant ratio means L* scales as 1 / sqrt(chirp rate)."
    )
    print(search_notes)
    speed = speed_table(args.batch, device, args.repeats, args.number)
    speed_notes = (
        f"Batch of {args.batch} frames of 640 samples, float32, {device.type}, {threads} thread(s); "
        "DSTFT with learnable length, hop and position; backward to the frames (and, for the DSTFT, "
        f"its window parameters); median of {args.repeats} x {args.number} calls."
    )
    print(speed_notes)
    if not args.no_record:
        append_results("DSTFT window-length search", search, notes=search_notes)
        append_results("DSTFT speed against torch.stft", speed, notes=speed_notes)


if __name__ == "__main__":
    main()
