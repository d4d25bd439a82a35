"""benchmarks/frontend_throughput.py on the test device with small sizes: the code paths that
benchmarks/gpu_check.sh runs at full size on a GPU (hand-written loop, trainer, FLOP count, peak,
precisions), with the FLOPs per step checked against a count by hand."""

from __future__ import annotations

import torch

from fftlearn.training import precision_on
from tests.helpers import load_benchmark

throughput = load_benchmark("frontend_throughput")


def test_small_run_gives_every_figure_and_the_counted_flops(device_under_test: torch.device, capsys) -> None:
    batch, kinds = 16, ["multiplicative K=2048", "stft n_fft=512"]
    argv = ["--device", str(device_under_test), "--kinds", ",".join(kinds), "--batch", str(batch)]
    argv += ["--steps", "3", "--precision", "float32,bfloat16", "--trainer", "--peak", "--peak-size", "256"]
    rows = throughput.main([*argv, "--no-record"])
    assert [r[0] for r in rows] == kinds * 2 and all(len(r) == len(throughput.HEADER) for r in rows)
    ran = precision_on("bfloat16", device=device_under_test)
    assert [r[1] for r in rows] == ["float32"] * 2 + [
        "bfloat16" if ran == "bfloat16" else "bfloat16 (ran float32)"
    ] * 2
    n, k, w, c = 640, 2048, 256, throughput.N_CLASSES
    # forward: kernels, hidden, logits; backward: the kernels' weight gradient (frames need none),
    # input and weight gradients of both linear layers (1 MAC = 2 FLOPs)
    by_hand = 2 * batch * (n * k + k * w + w * c) + 2 * batch * (n * k + 2 * k * w + 2 * w * c)
    for cells in (rows[0], rows[2]):
        assert float(cells[6]) == round(by_hand / 1e9, 3)
    for cells in rows:
        rates = [float(cells[i].replace(",", "")) for i in (3, 4, 11)]  # hand-written, trainer, inference
        assert all(rate > 0 for rate in rates) and float(cells[5]) > 0 and float(cells[10]) > 0
    out = capsys.readouterr().out
    assert "Matmul peak (256^3, random data):" in out
