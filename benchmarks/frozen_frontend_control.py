"""Does the front-end's learning matter? The same candidate trained twice: with its front-end
frozen at its initialisation (only the head learns) and as searched (everything learns).

For a learned kind initialised at a fixed transform (a butterfly at the DFT, DFT kernels), the
frozen run is that fixed transform with the same head: the control that says whether a learned
front-end's lead over the fixed kinds comes from learning or from the transform it starts at.
Same data seed as the experiment's studies, same training budget, weights seed ``--seed``.
Prints RPA, RCA (pitch tasks) or accuracy and MACs per frame, and appends them to RESULTS.md.

    python benchmarks/frozen_frontend_control.py experiments/pitch_hard_large.toml \\
        --params '{"frontend": "butterfly", "butterfly.size": 1024, ...}' [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import optuna
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _results import append_results, markdown_table

import fftlearn
from nas._experiment import load_experiment
from nas._params import parse_params
from nas.families.frontend._evaluate import measure, suggest_for, task_data

SCORES = ("raw_pitch_accuracy", "raw_chroma_accuracy", "accuracy", "macs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", help="front-end experiment file (TOML)")
    parser.add_argument("--params", required=True, help="the candidate's params as a trial holds them (JSON)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights and batch order")
    args = parser.parse_args()
    torch.set_num_threads(1)
    experiment = load_experiment(args.experiment)
    candidate = suggest_for(optuna.trial.FixedTrial(parse_params(args.params)), experiment)
    train, test = task_data(experiment.task, experiment.study.seed)
    rows = []
    for frozen in (True, False):
        model = fftlearn.build(candidate.model, seed=args.seed)
        for parameter in model.frontend.parameters():
            parameter.requires_grad_(not frozen)
        fftlearn.train_classifier(
            model, train, optimizer=candidate.optimizer, budget=experiment.budget, seed=args.seed,
            device=torch.device("cpu"),
        )  # fmt: skip
        _, metrics = measure(model, test, device=torch.device("cpu"))
        label = "front-end frozen at its initialisation" if frozen else "front-end learned"
        rows.append(
            [label]
            + [f"{metrics[k]:.4f}" if k != "macs" else f"{metrics[k]:,.0f}" for k in SCORES if k in metrics]
        )
        print(" | ".join(rows[-1]), flush=True)
    header = ["run"] + [k if k != "macs" else "MACs per frame" for k in SCORES if k in metrics]
    table = markdown_table(header, rows)
    print(table)
    append_results(
        f"Frozen front-end control, {experiment.study.name}", table, notes=f"Params: `{args.params}`"
    )


if __name__ == "__main__":
    main()
