"""Do the content-adaptive experts route by content, and does routing pay at equal MACs?

Music (FluidSynth notes) vs speech (espeak-ng), 3000 + 3000 training and 800 + 800 test frames
(the data of experiments/experts_music_speech.toml, seed 0), 10 epochs, a 32-unit hidden head,
Adam at 3e-3, one CPU thread, seeds 0, 1, 2. Each row is one front-end: the raw-frame router of
arXiv 2308.10388, the spectral-summary router (``router_input = "spectrum"``) with equal or
unequal kernel sets (``size_ratio``), and single kernel sets at about the same expected MACs.
Columns: held-out accuracy, expected front-end MACs per frame under the measured routing,
routing purity (share of each class on its majority expert), the experts' shares and the mutual
information between class and expert (bits). Prints a table and appends it to RESULTS.md.

    .venv/bin/python benchmarks/experts_routing.py [--seeds 0,1,2] [--epochs 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _results import append_results, markdown_table

import fftlearn
from fftlearn import HeadConfig, ModelConfig, OptimizerConfig, TrainConfig
from fftlearn.analysis import router_usage
from fftlearn.frontends import ConvConfig, ExpertsConfig, MultiplicativeConfig
from nas.families.frontend._analysis import mutual_information_bits

FRAME = 640
MULT = MultiplicativeConfig(frame_length=FRAME, n_kernels=16)
CONV = ConvConfig(frame_length=FRAME, n_filters=16, filter_length=128, stride=64)
UNEQUAL = {"n_experts": 2, "router_input": "spectrum", "size_ratio": 0.25}
FRONTENDS = {
    "experts, raw-frame router, 2 x 16 kernels": ExpertsConfig(expert=MULT, n_experts=2),
    "experts, spectrum router, 2 x 16 kernels": ExpertsConfig(
        expert=MULT, n_experts=2, router_input="spectrum"
    ),
    "experts, spectrum router, 16 + 4 kernels": ExpertsConfig(expert=MULT, **UNEQUAL),
    "single set, 33 kernels": MultiplicativeConfig(frame_length=FRAME, n_kernels=33),
    "experts, spectrum router, conv 16 + 4 filters": ExpertsConfig(expert=CONV, **UNEQUAL),
    "single conv set, 22 filters": ConvConfig(frame_length=FRAME, n_filters=22, filter_length=128, stride=64),
}


def music_speech_data() -> tuple[fftlearn.data.LabelledFrames, fftlearn.data.LabelledFrames]:
    data = fftlearn.data.MusicSpeechConfig(
        music=fftlearn.data.SoundfontNotesConfig(n_train=3000, n_test=800),
        speech=fftlearn.data.EspeakSpeechConfig(n_train=3000, n_test=800),
    )
    return fftlearn.make_task_data(fftlearn.TaskConfig(name="music_speech", data=data), seed=0)


def measure(frontend: object, *, seed: int, epochs: int, train, test) -> dict[str, float]:
    """Train one model and measure accuracy, expected MACs and routing on the test frames."""
    model = fftlearn.build(
        ModelConfig(frontend=frontend, head=HeadConfig(width=32, depth=1), n_classes=2), seed=seed
    )
    fftlearn.train_classifier(
        model,
        train,
        optimizer=OptimizerConfig(lr=3e-3),
        budget=TrainConfig(epochs=epochs, batch_size=64),
        seed=seed,
        device=torch.device("cpu"),
    )
    frames = torch.from_numpy(test.frames)
    row = {
        "accuracy": fftlearn.evaluate_classifier(model, test, device=torch.device("cpu")).accuracy,
        "macs": float(model.frontend.expected_macs_per_example(frames)),
    }
    with torch.no_grad():
        routing = model.frontend.routing(frames)
    if routing is not None:
        usage = router_usage(
            routing.numpy(), test.labels, n_experts=len(model.frontend.filterbanks()), n_classes=2
        )
        row |= {"purity": usage.purity, "min_share": float(min(usage.load))}
        row["bits"] = mutual_information_bits(usage.counts)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = [int(s) for s in args.seeds.split(",")]
    train, test = music_speech_data()
    rows = []
    for name, frontend in FRONTENDS.items():
        runs = [measure(frontend, seed=s, epochs=args.epochs, train=train, test=test) for s in seeds]

        def spread(key: str, fmt: str) -> str:
            values = [r[key] for r in runs if key in r]
            if not values:
                return "-"
            low, high = format(min(values), fmt), format(max(values), fmt)
            return f"{format(statistics.median(values), fmt)} ({low}-{high})"

        rows.append(
            [name, spread("accuracy", ".3f"), spread("macs", ",.0f"), spread("purity", ".3f"),
             spread("min_share", ".2f"), spread("bits", ".3f")]
        )  # fmt: skip
        print(" | ".join(rows[-1]), flush=True)
    headers = [
        "front-end",
        "accuracy (fraction)",
        "expected front-end MACs per frame",
        "routing purity",
        "smallest expert share",
        "I(class; expert) (bits)",
    ]
    table = markdown_table(headers, rows)
    print(table)
    append_results(
        f"Experts routing, music vs speech (median (min-max), seeds {args.seeds}, {args.epochs} epochs)",
        table,
        notes=(
            "The spectrum router costs most of a small model's MACs, and its summary alone separates music "
            "from speech well; the head can tell which expert ran, so part of the routed models' accuracy "
            "comes from the router's features."
        ),
    )


if __name__ == "__main__":
    main()
