"""Training throughput and compute of every front-end kind, on this machine's CPU or a GPU.

For each kind a representative configuration (640-sample frames at 16 kHz, a 1x256 MLP head, 49
pitch classes as in experiments/verma2048.toml) trains on random frames held on the device,
shuffled into mini-batches, for a fixed number of Adam steps, in each precision asked for
(float32, or bfloat16 autocast: on the CPU bfloat16 is off and float32 runs, as in the trainer,
``fftlearn.training.precision_on``). The table gives training examples per second of a
hand-written loop and (``--trainer``) of fftnas's trainer (``fftlearn.train_classifier``, the
code every trial runs) on the same data; training FLOPs per step counted by
``torch.utils.flop_counter`` (matrix products and convolutions, forward and backward; 1 MAC =
2 FLOPs) and the TFLOP/s both reach, with ``--peak`` as a share of one large matrix product's
rate in the same precision (float32 without TF32, torch's default for matrix products);
inference examples per second, MACs per example and trainable parameters.

Targets on a GPU (issue 11): the 2048-kernel front-end at batch 4096 in bfloat16 reaches >= 30%
of the bfloat16 matrix-product peak; at the experiments' batch (64) the trainer reaches >= 80% of
the hand-written loop's examples per second. ``benchmarks/gpu_check.sh`` runs both.

    .venv/bin/python benchmarks/frontend_throughput.py [--device cpu|cuda] [--batch 64] [--steps 30]
        [--kinds "multiplicative K=2048,stft n_fft=512"] [--precision float32,bfloat16] [--trainer]
        [--peak] [--peak-size 16384] [--no-record]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _results import append_results, markdown_table  # noqa: E402
from _timing import seconds  # noqa: E402

import fftlearn  # noqa: E402
from fftlearn.data import LabelledFrames  # noqa: E402
from fftlearn.training import DeviceSplit, on_device, precision_on  # noqa: E402

FRONTENDS = {
    "multiplicative K=2048": fftlearn.frontends.MultiplicativeConfig(n_kernels=2048),
    "multiplicative K=256": fftlearn.frontends.MultiplicativeConfig(n_kernels=256),
    "conv M=128 L=400": fftlearn.frontends.ConvConfig(n_filters=128, filter_length=400, stride=40),
    "conv M=64 L=32 (TasNet)": fftlearn.frontends.ConvConfig(
        n_filters=64, filter_length=32, stride=16, pool_windows=4
    ),
    "stft n_fft=512": fftlearn.frontends.STFTConfig(n_fft=512, hop=128),
    "logmel 128 mels": fftlearn.frontends.LogMelConfig(n_fft=512, hop=128, n_mels=128),
    "dstft n_fft=512, 4 windows": fftlearn.frontends.DSTFTConfig(n_fft=512, n_windows=4),
    "butterfly 1024": fftlearn.frontends.ButterflyConfig(size=1024),
    "experts 4x multiplicative K=256": fftlearn.frontends.ExpertsConfig(
        expert=fftlearn.frontends.MultiplicativeConfig(n_kernels=256), n_experts=4
    ),
}
N_CLASSES = 49  # MIDI 36..84, experiments/verma2048.toml
FRAME_LENGTH = 640
HEADER = [
    "front-end",
    "precision",
    "batch",
    "train, hand-written loop (examples/s)",
    "train, fftnas trainer (examples/s)",
    "trainer / hand-written",
    "training GFLOP/step",
    "hand-written TFLOP/s",
    "trainer TFLOP/s",
    "hand-written % of matmul peak",
    "trainer % of matmul peak",
    "inference (examples/s)",
    "front-end MACs/example",
    "model MACs/example",
    "params",
]


def random_split(n: int, *, seed: int = 0) -> LabelledFrames:
    """``n`` Gaussian frames ``(n, 640)`` with random labels among ``N_CLASSES``."""
    rng = np.random.default_rng(seed)
    return LabelledFrames(
        frames=rng.standard_normal((n, FRAME_LENGTH), dtype=np.float32),
        labels=rng.integers(0, N_CLASSES, n),
        f0_hz=np.full(n, np.nan),
        n_classes=N_CLASSES,
        class_names=tuple(str(c) for c in range(N_CLASSES)),
    )


def autocast(precision: str, device: torch.device) -> torch.autocast:
    """The hand-written loop's own autocast: bfloat16 where the trainer runs it (a GPU)."""
    enabled = precision_on(precision, device=device) == "bfloat16"
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=enabled)


def matmul_peak(precision: str, *, size: int, device: torch.device, number: int = 10) -> float:
    """TFLOP/s of one ``size``-square matrix product on random data, in the precision that
    ``precision`` runs in on ``device`` (bfloat16, or float32 without TF32)."""
    dtype = torch.bfloat16 if precision_on(precision, device=device) == "bfloat16" else torch.float32
    generator = torch.Generator(device=device).manual_seed(0)
    a, b = (torch.randn(size, size, device=device, dtype=dtype, generator=generator) for _ in range(2))
    out = torch.empty_like(a)
    for _ in range(3):  # warm-up: the library picks its kernel
        torch.mm(a, b, out=out)
    return (
        2 * size**3 * number / seconds(lambda: torch.mm(a, b, out=out), device=device, number=number) / 1e12
    )


def loss_of(model: torch.nn.Module, split: DeviceSplit, rows: torch.Tensor, precision: str) -> torch.Tensor:
    with autocast(precision, split.frames.device):
        logits = model(split.frames[rows])  # (B, N_CLASSES)
        return torch.nn.functional.cross_entropy(logits, split.labels[rows]) + model.auxiliary_loss()


def training_flops(model: torch.nn.Module, split: DeviceSplit, *, batch: int, precision: str) -> int:
    """FLOPs of one training step's forward and backward passes (the flop counter's count)."""
    rows = torch.arange(batch, device=split.frames.device)
    with FlopCounterMode(display=False) as counter:
        loss_of(model, split, rows, precision).backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def hand_written_loop(
    model: torch.nn.Module, split: DeviceSplit, *, batch: int, steps: int, precision: str
) -> Callable[[], None]:
    """``steps`` Adam steps over shuffled batches of ``split``, written out plainly."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def run() -> None:
        order = torch.randperm(len(split.labels), device=split.frames.device)
        for step in range(steps):
            loss = loss_of(model, split, order[step * batch : (step + 1) * batch], precision)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    return run


def trainer_loop(
    model: torch.nn.Module,
    data: LabelledFrames,
    *,
    batch: int,
    steps: int,
    precision: str,
    device: torch.device,
) -> Callable[[], object]:
    """The same steps through ``fftlearn.train_classifier`` (one epoch of ``data``)."""
    budget = fftlearn.TrainConfig(epochs=1, batch_size=batch, precision=precision, validation_fraction=0.0)
    optimizer = fftlearn.OptimizerConfig(lr=1e-3)
    return lambda: fftlearn.train_classifier(
        model, data, optimizer=optimizer, budget=budget, seed=0, device=device, max_steps=steps
    )


def measure(
    name: str,
    frontend: object,
    *,
    device: torch.device,
    batch: int,
    steps: int,
    precision: str,
    trainer: bool,
) -> dict[str, float]:
    """One front-end in one precision: rates (examples/s), FLOPs per training step, sizes."""
    config = fftlearn.ModelConfig(
        frontend=frontend, head=fftlearn.HeadConfig(width=256, depth=1), n_classes=N_CLASSES
    )
    model = fftlearn.build(config, seed=0).to(device).train()
    data = random_split(batch * steps)
    split = on_device(data, device=device)
    figures = {"flops": training_flops(model, split, batch=batch, precision=precision)}
    hand = hand_written_loop(model, split, batch=batch, steps=steps, precision=precision)
    hand()  # warm-up: kernels picked, optimizer state made
    figures["hand"] = batch * steps / seconds(hand, device=device)
    if trainer:
        run = trainer_loop(model, data, batch=batch, steps=steps, precision=precision, device=device)
        run()
        figures["trainer"] = batch * steps / seconds(run, device=device)
    model.eval()
    frames = split.frames[:batch]
    with torch.no_grad(), autocast(precision, device):
        model(frames)
        figures["inference"] = steps * batch / seconds(lambda: model(frames), device=device, number=steps)
    figures.update(
        frontend_macs=model.frontend.macs_per_example(),
        macs=model.macs_per_example(),
        params=model.n_parameters(),
    )
    return figures


def row(
    name: str, precision: str, figures: dict[str, float], *, batch: int, peak: float | None, device
) -> list[str]:
    ran = precision_on(precision, device=device)
    flops = figures["flops"]
    rates = {key: figures.get(key) for key in ("hand", "trainer")}
    tflops = {key: None if rate is None else rate / batch * flops / 1e12 for key, rate in rates.items()}

    def cell(value: float | None, text: str) -> str:
        return "-" if value is None else text.format(value)

    return [
        name,
        precision if ran == precision else f"{precision} (ran {ran})",
        str(batch),
        f"{rates['hand']:,.0f}",
        cell(rates["trainer"], "{:,.0f}"),
        cell(rates["trainer"] and rates["trainer"] / rates["hand"], "{:.2f}"),
        f"{flops / 1e9:.3f}",
        f"{tflops['hand']:.3f}",
        cell(tflops["trainer"], "{:.3f}"),
        cell(peak and 100 * tflops["hand"] / peak, "{:.1f}"),
        cell(peak and tflops["trainer"] and 100 * tflops["trainer"] / peak, "{:.1f}"),
        f"{figures['inference']:,.0f}",
        f"{figures['frontend_macs']:,}",
        f"{figures['macs']:,}",
        f"{figures['params']:,}",
    ]


def verdicts(rows: list[list[str]], *, batch: int) -> list[str]:
    """The issue's targets, read off the 2048-kernel rows (a GPU run)."""
    lines = []
    for cells in rows:
        if not cells[0].startswith("multiplicative K=2048"):
            continue
        if batch >= 4096 and cells[1] == "bfloat16" and cells[10] != "-":
            share = float(cells[10])
            lines.append(
                f"Target: 2048-kernel front-end, bfloat16, batch {batch}: the trainer's step reaches "
                f"{share:.1f}% of the bfloat16 matmul peak (hand-written loop {cells[9]}%); "
                f"goal >= 30%: {'met' if share >= 30 else 'NOT met'}."
            )
        if batch == 64 and cells[5] != "-":
            ratio = float(cells[5])
            lines.append(
                f"Target: at the experiments' batch 64 ({cells[1]}), the trainer gives {ratio:.2f}x the "
                f"hand-written loop's examples/s; goal >= 0.80: {'met' if ratio >= 0.8 else 'NOT met'}."
            )
    return lines


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30, help="timed steps per loop (after one untimed run)")
    parser.add_argument("--kinds", default=",".join(FRONTENDS), help="comma list of the table's front-ends")
    parser.add_argument("--precision", default="float32", help="comma list of float32, bfloat16")
    parser.add_argument("--trainer", action="store_true", help="also time fftlearn.train_classifier")
    parser.add_argument("--peak", action="store_true", help="also time one large matrix product")
    parser.add_argument("--peak-size", type=int, default=16384, help="its side (the product is n x n x n)")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args(argv)
    args.kinds = [k.strip() for k in args.kinds.split(",")]
    unknown = [k for k in args.kinds if k not in FRONTENDS]
    if unknown:
        parser.error(f"--kinds: unknown {unknown}; known: {', '.join(FRONTENDS)}")
    args.precision = [p.strip() for p in args.precision.split(",")]
    for precision in args.precision:
        fftlearn.training.precision_on(precision, device=torch.device("cpu"))  # ConfigError if unknown
    return args


def main(argv: list[str] | None = None) -> list[list[str]]:
    args = parse(argv)
    device = fftlearn.resolve_device(args.device)
    ran = {p: precision_on(p, device=device) for p in args.precision}  # bfloat16 -> float32 on a CPU
    peaks = (
        {r: matmul_peak(r, size=args.peak_size, device=device) for r in set(ran.values())}
        if args.peak
        else {}
    )
    rows = []
    for precision in args.precision:
        for name in args.kinds:
            figures = measure(
                name,
                FRONTENDS[name],
                device=device,
                batch=args.batch,
                steps=args.steps,
                precision=precision,
                trainer=args.trainer,
            )
            rows.append(
                row(name, precision, figures, batch=args.batch, peak=peaks.get(ran[precision]), device=device)
            )
            print(" | ".join(rows[-1]), flush=True)
    table = markdown_table(HEADER, rows)
    print(table)
    notes = (
        f"Device {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else 'CPU'}), batch "
        f"{args.batch}, {args.steps} timed steps per loop after one untimed run, {torch.get_num_threads()} "
        f"torch threads; head 1x256, {N_CLASSES} classes, 640-sample random frames held on the device."
    )
    if peaks:
        peak_text = ", ".join(f"{p} {v:,.3f}" for p, v in sorted(peaks.items()))
        notes += f" Matmul peak ({args.peak_size}^3, random data): {peak_text} TFLOP/s."
    if device.type == "cuda":
        notes += " " + " ".join(verdicts(rows, batch=args.batch))
    print(notes)
    if not args.no_record:
        append_results(f"Front-end throughput ({device.type})", table, notes=notes)
    return rows


if __name__ == "__main__":
    main()
