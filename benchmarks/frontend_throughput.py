"""Training throughput and compute of every front-end kind, on this machine's CPU (and GPU).

For each kind a representative configuration (640-sample frames at 16 kHz, a 1x256 MLP head,
49 pitch classes) is trained on random frames for a fixed number of Adam steps; the table gives
training examples per second (forward + backward + step), inference examples per second, MACs
per example (1 MAC = 2 FLOPs) and trainable parameters.

    .venv/bin/python benchmarks/frontend_throughput.py [--device cpu|cuda] [--batch 64] [--steps 30]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _results import append_results  # noqa: E402
from _timing import seconds

import fftlearn  # noqa: E402

FRONTENDS = {
    "multiplicative K=2048": fftlearn.frontends.MultiplicativeConfig(n_kernels=2048),
    "multiplicative K=256": fftlearn.frontends.MultiplicativeConfig(n_kernels=256),
    "conv M=128 L=400": fftlearn.frontends.ConvConfig(n_filters=128, filter_length=400, stride=40),
    "conv M=64 L=32 (TasNet)": fftlearn.frontends.ConvConfig(n_filters=64, filter_length=32, stride=16, pool_windows=4),
    "stft n_fft=512": fftlearn.frontends.STFTConfig(n_fft=512, hop=128),
    "logmel 128 mels": fftlearn.frontends.LogMelConfig(n_fft=512, hop=128, n_mels=128),
    "dstft n_fft=512, 4 windows": fftlearn.frontends.DSTFTConfig(n_fft=512, n_windows=4),
    "butterfly 1024": fftlearn.frontends.ButterflyConfig(size=1024),
    "experts 4x multiplicative K=256": fftlearn.frontends.ExpertsConfig(
        expert=fftlearn.frontends.MultiplicativeConfig(n_kernels=256), n_experts=4
    ),
}


def measure(name: str, frontend: object, *, device: torch.device, batch: int, steps: int) -> list[str]:
    config = fftlearn.ModelConfig(
        frontend=frontend, head=fftlearn.HeadConfig(width=256, depth=1), n_classes=49
    )
    model = fftlearn.build(config, seed=0).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    frames = torch.randn(batch, 640, device=device)
    labels = torch.randint(0, 49, (batch,), device=device)

    def train_step() -> None:
        loss = torch.nn.functional.cross_entropy(model(frames), labels) + model.auxiliary_loss()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    model.train()
    for _ in range(3):  # warm-up
        train_step()
    train_rate = steps * batch / seconds(train_step, device=device, number=steps)
    model.eval()
    with torch.no_grad():
        model(frames)
        infer_rate = steps * batch / seconds(lambda: model(frames), device=device, number=steps)
    return [
        name,
        f"{train_rate:,.0f}",
        f"{infer_rate:,.0f}",
        f"{model.frontend.macs_per_example():,}",
        f"{model.macs_per_example():,}",
        f"{model.n_parameters():,}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    device = fftlearn.resolve_device(args.device)
    header = [
        "front-end",
        "train (examples/s)",
        "inference (examples/s)",
        "front-end MACs/example",
        "model MACs/example",
        "params",
    ]
    rows = [measure(n, f, device=device, batch=args.batch, steps=args.steps) for n, f in FRONTENDS.items()]
    table = "\n".join(
        ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        + ["| " + " | ".join(r) + " |" for r in rows]
    )
    print(table)
    if not args.no_record:
        notes = (
            f"Device {device}, batch {args.batch}, {args.steps} timed steps after 3 warm-up steps, "
            f"{torch.get_num_threads()} torch threads; head 1x256, 49 classes, 640-sample frames."
        )
        append_results(f"Front-end throughput ({device.type})", table, notes=notes)


if __name__ == "__main__":
    main()
