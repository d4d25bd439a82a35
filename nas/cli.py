"""The ``fftnas`` command line: small commands over the Python API, each returning an exit code.

Bad input (files, flags, storage URLs) prints one line ``fftnas: error: FIELD: got VALUE; ...``
and exits 2 without a traceback and without writing to any stored study.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence

import optuna
import torch

from fftlearn import ConfigError, resolve_device, to_dict
from fftlearn._validate import check_int

from ._budgets import add_budgets_arguments, run_budgets
from ._compare_command import add_compare_arguments, cmd_compare
from ._dashboard import dashboard_command, serve_dashboard
from ._experiment import load_experiment
from ._export_command import add_export_arguments, cmd_export
from ._fit_command import add_fit_arguments, fit_flags, format_fit, run_fit_command
from ._hypervolume import reference_note
from ._hypervolume_command import add_hypervolume_arguments, cmd_hypervolume
from ._overrides import add_set_argument
from ._params import parse_params
from ._report import format_pareto, format_studies, format_table, metric_names, summarize_params
from ._reproduce import format_reproduction, reproduce_trial
from ._study import load_study, sampler_note
from .engine import (
    ARTIFACT_ENV,
    STORAGE_ENV,
    HeartbeatSettings,
    StorageError,
    StudyInterrupted,
    StudyLockTimeout,
    open_artifact_store,
    open_storage,
    parse_devices,
    requeued_numbers,
    resolve_storage,
    run_study,
)
from .families import family_of

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit 2, no usage dump
        raise ConfigError("arguments", " ".join(sys.argv[1:]) or None, message)


def _add_storage(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--storage", help="Optuna storage URL or journal file (default: $FFTNAS_STORAGE or fftnas.journal)"
    )
    parser.add_argument(
        "--artifact-dir", help="artifact directory (default: <storage stem>-artifacts beside a file storage)"
    )


def cmd_run(args: argparse.Namespace) -> int:
    experiment = load_experiment(args.experiment, overrides=args.set)
    budget = (
        experiment.study.trials
        if args.trials is None
        else check_int("--trials", args.trials, low=1, high=1_000_000)
    )
    if args.workers is not None:
        check_int("--workers", args.workers, low=1, high=256)
    check_int("--heartbeat-interval", args.heartbeat_interval, low=1, high=3600)
    grace = 2 * args.heartbeat_interval if args.grace_period is None else args.grace_period
    heartbeat = HeartbeatSettings(interval=args.heartbeat_interval, grace_period=grace)
    devices = parse_devices(args.devices, cuda_count=torch.cuda.device_count(), workers=args.workers)
    location = resolve_storage(args.storage, artifact_dir=args.artifact_dir)

    def notes(study: optuna.Study) -> None:  # once the storage is open and the study is there
        for note in (sampler_note(experiment.sampler), reference_note(study, experiment)):
            if note:
                print(f"fftnas: note: {note}", file=sys.stderr)
        if location.file is None and not (args.artifact_dir or os.environ.get(ARTIFACT_ENV)):
            print(
                f"fftnas: note: artifacts go to {location.artifact_dir}/ on this machine; with workers "
                "on several machines, pass --artifact-dir on a shared file system (see deploy/)",
                file=sys.stderr,
            )

    study = run_study(
        experiment,
        location=location,
        study_name=args.study_name,
        n_trials=budget,
        devices=devices,
        heartbeat=heartbeat,
        progress=not args.no_progress,
        on_ready=notes,
    )
    print(f"study {study.study_name!r} in {location.display}: {format_counts(study, budget)}")
    print(f"Pareto front ({' vs '.join(metric_names(study))}):")
    print(format_pareto(study, "table"))
    from_env = args.storage is None and bool(os.environ.get(STORAGE_ENV))
    print(f"\nopen the dashboard with:  {dashboard_command(location, from_env=from_env)}")
    return 0


def format_counts(study: optuna.Study, budget: int) -> str:
    """``30 complete, 10 pruned, 1 failed (1 re-run), 0 running; budget 40 trials``."""
    trials = study.get_trials(deepcopy=False)
    states = [t.state for t in trials]
    requeued = requeued_numbers(trials)
    failed = states.count(optuna.trial.TrialState.FAIL)
    rerun = sum(1 for t in trials if t.state == optuna.trial.TrialState.FAIL and t.number in requeued)
    return (
        f"{states.count(optuna.trial.TrialState.COMPLETE)} complete, "
        f"{states.count(optuna.trial.TrialState.PRUNED)} pruned, {failed} failed ({rerun} re-run), "
        f"{states.count(optuna.trial.TrialState.RUNNING)} running; budget {budget} trials"
    )


def cmd_studies(args: argparse.Namespace) -> int:
    location = resolve_storage(args.storage, artifact_dir=args.artifact_dir)
    print(format_studies(open_storage(location, create=False)) or f"no studies in {location.display}")
    return 0


def cmd_pareto(args: argparse.Namespace) -> int:
    location = resolve_storage(args.storage, artifact_dir=args.artifact_dir)
    study = load_study(open_storage(location, create=False), args.study)
    print(format_pareto(study, args.format))
    return 0


def cmd_budgets(args: argparse.Namespace) -> int:
    storage = open_storage(resolve_storage(args.storage, artifact_dir=args.artifact_dir), create=False)
    print(run_budgets([load_study(storage, name) for name in args.study or [None]], args))
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    location = resolve_storage(args.storage, artifact_dir=args.artifact_dir)
    study = load_study(open_storage(location, create=False), args.study)
    store = open_artifact_store(location, create=False) if args.from_weights else None
    result = reproduce_trial(
        study,
        trial_number=args.trial,
        device=args.device,
        artifact_store=store,
        from_weights=args.from_weights,
    )
    print(format_reproduction(result, as_json=args.json))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    experiment = load_experiment(args.experiment)
    params = parse_params(args.params)
    seed = check_int("--seed", args.seed, low=0, high=2**31 - 1)
    family = family_of(experiment)
    result = family.evaluate(experiment, params, seed=seed, device=resolve_device(args.device))
    record: dict[str, object] = {"params": params}
    if result.learned is not None:
        record["learned"] = result.learned
    record.update(config=to_dict(result.config), metrics=result.metrics)
    if args.json:
        print(json.dumps(record, indent=2))
        return 0
    rows = [
        [name, f"{value:.6g}", family.metrics.get(name, ("", ""))[0]]
        for name, value in result.metrics.items()
    ]
    print(f"{summarize_params(params)} on {result.what}, seed {seed}")
    print(format_table(["metric", "value", "unit"], rows))
    if "learned" in record:
        print("learned: " + json.dumps(record["learned"]))
    return 0


def cmd_fit(args: argparse.Namespace) -> int:
    print(format_fit(run_fit_command(fit_flags(args)), as_json=args.json))
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    check_int("--port", args.port, low=1, high=65535)
    location = resolve_storage(args.storage, artifact_dir=args.artifact_dir)
    serve_dashboard(location, host=args.host, port=args.port)
    return 0


def _add_run_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("experiment", help="experiment file (TOML)")
    add_set_argument(run)
    run.add_argument(
        "--trials",
        type=int,
        help="the study's total budget, shared by every worker on every machine "
        "(default: the experiment's study.trials)",
    )
    run.add_argument("--study-name", help="study name (default: the experiment's study.name)")
    run.add_argument(
        "--devices",
        "--device",
        default="auto",
        help="one worker per device: all (every GPU, else the CPU), auto, cpu, cuda:N "
        "or a comma list such as cuda:0,cuda:1 (default: auto)",
    )
    run.add_argument(
        "--workers", type=int, help="local worker processes, dealt round the devices (default: 1 per device)"
    )
    run.add_argument(
        "--heartbeat-interval",
        type=int,
        default=60,
        help="seconds between a running trial's heartbeats (default: 60)",
    )
    run.add_argument(
        "--grace-period",
        type=int,
        help="seconds of silence before a trial is failed and re-run (default: twice the interval)",
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_storage(run)


def _add_reproduce_arguments(reproduce: argparse.ArgumentParser) -> None:
    reproduce.add_argument("--study", help="study name (optional when the storage holds one)")
    reproduce.add_argument("--trial", type=int, required=True, help="trial number")
    reproduce.add_argument("--json", action="store_true", help="print {stored, reproduced} as JSON")
    reproduce.add_argument(
        "--from-weights", action="store_true", help="evaluate the saved weights, no retraining"
    )
    reproduce.add_argument("--device", default="cpu", help="auto, cpu, cuda or cuda:N (default: cpu)")
    _add_storage(reproduce)


def _add_evaluate_arguments(evaluate: argparse.ArgumentParser) -> None:
    evaluate.add_argument(
        "experiment", help="experiment file (TOML): task, budget and the space the params live in"
    )
    evaluate.add_argument(
        "--params", required=True, help="params as a trial holds them: inline JSON or @FILE.json"
    )
    evaluate.add_argument("--json", action="store_true", help="print {params, config, metrics} as JSON")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the initial weights and batch order")
    evaluate.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fftnas", description="Multi-objective search of learned Fourier front-ends.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="create or resume a study and add trials")
    _add_run_arguments(run)
    run.set_defaults(handler=cmd_run)

    studies = commands.add_parser("studies", help="list the studies in a storage")
    _add_storage(studies)
    studies.set_defaults(handler=cmd_studies)

    pareto = commands.add_parser("pareto", help="print a study's Pareto front")
    pareto.add_argument("--study", help="study name (optional when the storage holds one)")
    pareto.add_argument("--format", choices=("table", "csv", "json"), default="table")
    _add_storage(pareto)
    pareto.set_defaults(handler=cmd_pareto)

    hypervolume = commands.add_parser("hypervolume", help="a study's hypervolume after each finished trial")
    add_hypervolume_arguments(hypervolume)
    _add_storage(hypervolume)
    hypervolume.set_defaults(handler=cmd_hypervolume)
    compare = commands.add_parser("compare", help="Pareto fronts of several studies: one table, one figure")
    add_compare_arguments(compare)
    _add_storage(compare)
    compare.set_defaults(handler=cmd_compare)

    budgets = commands.add_parser("budgets", help="the best score of each front-end kind per MAC budget")
    add_budgets_arguments(budgets)
    _add_storage(budgets)
    budgets.set_defaults(handler=cmd_budgets)

    reproduce = commands.add_parser("reproduce", help="retrain a stored trial and compare its metrics")
    _add_reproduce_arguments(reproduce)
    reproduce.set_defaults(handler=cmd_reproduce)

    evaluate = commands.add_parser("evaluate", help="train and measure one architecture outside any study")
    _add_evaluate_arguments(evaluate)
    evaluate.set_defaults(handler=cmd_evaluate)

    export = commands.add_parser("export", help="a stored trial's model as TorchScript or ONNX, checked")
    add_export_arguments(export)
    _add_storage(export)
    export.set_defaults(handler=cmd_export)

    fit = commands.add_parser("fit", help="factorize one target matrix into sparse factors")
    add_fit_arguments(fit)
    fit.set_defaults(handler=cmd_fit)

    dashboard = commands.add_parser("dashboard", help="serve optuna-dashboard on a storage")
    dashboard.add_argument("--port", type=int, default=8080)
    dashboard.add_argument(
        "--host", default="127.0.0.1", help="bind address (default: 127.0.0.1, this machine only)"
    )
    _add_storage(dashboard)
    dashboard.set_defaults(handler=cmd_dashboard)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fftnas`` console script."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except ConfigError as error:
        print(f"fftnas: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except StudyInterrupted as stop:
        print(
            f"fftnas: interrupted by {stop}; running trials were failed and queued to run again",
            file=sys.stderr,
        )
        return 128 + stop.signum
    except KeyboardInterrupt:
        print("fftnas: interrupted", file=sys.stderr)
        return 130
    except (StorageError, StudyLockTimeout) as error:
        print(f"fftnas: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader (e.g. `| head`) went away: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
