"""``fftnas fit``: factorize one target matrix, and say what was run and how well it did.

- ``--method NAME`` runs exactly that fitter with its default config; the names are the fitter
  registry's (``fftlearn.factorize.registered_fitters``: built-ins and plugins). ``recover`` is
  structure recovery: unknown row and column permutations found from the factor structure,
  then fitted exactly.
- ``--n`` is any size in [2, 8192] (``hadamard`` needs a power of two); the hierarchical
  fitter factors a composite N on the supports of a radix order, ``--radices 4,4,5,2,2,2``
  (product N; default: the prime factors of N ascending).
- ``--perm`` / ``--dtype`` / ``--radices`` set that field of the fitter's config (``--perm``: the
  input permutation a fitter is given, identity, bitrev or learn; ``bitrev`` is the digit
  reversal of the radix order, the bit reversal for radix 2); for a fitter without one they are
  an error, never ignored.
- The record says whether the dataflow graph is a Cooley-Tukey graph and of which radix order
  (``fft_radices``, e.g. ``[4, 4, 5, 2, 2, 2]``, or null).
- ``--search-fitters T``: an in-memory Optuna study of ``T`` trials over every fitter through
  the factorization search space; the best trial (lowest relative error, then fewest
  nonzeros) is kept; a trial whose fitter refuses the size (power of two only) is pruned.

``seconds`` is the wall time of the command's work: building the target and every fit;
``fit_seconds`` is the kept fit's own.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from dataclasses import dataclass

import numpy as np
import optuna

from fftlearn import ConfigError, to_dict
from fftlearn._validate import check_int
from fftlearn.butterfly._radix import check_radices, default_radices, parse_radices
from fftlearn.factorize import (
    TARGET_NAMES,
    FitResult,
    TargetConfig,
    fit_factorization,
    fitter_of,
    get_fitter,
    make_target,
    registered_fitters,
)
from fftlearn.factorize._targets import MAX_N, load_matrix_file
from searchspace import FactorizationSpace, suggest_fitter

from ._report import REFERENCE_NAMES, format_reference_counts
from .families.factorization._objective import fit_metrics, reference_counts

DEFAULT_METHOD = "hierarchical"
PERMUTATIONS = ("identity", "bitrev", "learn")  # what --perm may give; each fitter checks its own
DTYPES = ("float32", "float64")


def fitter_help() -> str:
    """Every registered fitter and what it does, for ``fftnas fit --help``."""
    return "; ".join(f"{method}: {fitter.summary}" for method, fitter in registered_fitters().items())


def check_method(method: str) -> None:
    """``method`` names a registered fitter; the old ``search`` gets a pointer to its successors."""
    fitters = registered_fitters()
    if method == "search" and method not in fitters:
        raise ConfigError(
            "--method",
            method,
            "is no fitter now: use --method recover (unknown permutations found from the structure, "
            "then fitted exactly) or --search-fitters T (an Optuna study over every fitter)",
        )
    if method not in fitters:
        raise ConfigError("--method", method, f"must be one of {', '.join(fitters)}")


def _field_path(config: object, name: str) -> tuple[str, ...] | None:
    """Where ``name`` lives in ``config``: a field of its own, or of its ``settings``; or None."""
    if name in {f.name for f in dataclasses.fields(config)}:  # type: ignore[arg-type]
        return (name,)
    settings = getattr(config, "settings", None)
    if dataclasses.is_dataclass(settings) and name in {f.name for f in dataclasses.fields(settings)}:
        return ("settings", name)
    return None


def _has_setting(config_type: type, name: str) -> bool:
    """Whether configs of ``config_type`` have a field ``name``, of their own or of their ``settings``."""
    fields = {f.name: f for f in dataclasses.fields(config_type)}  # type: ignore[arg-type]
    if name in fields:
        return True
    settings = fields.get("settings")
    factory = getattr(settings, "default_factory", dataclasses.MISSING)
    return dataclasses.is_dataclass(factory) and name in {f.name for f in dataclasses.fields(factory)}


def _with_option(config: object, *, flag: str, name: str, value: object, method: str) -> object:
    """``config`` with field ``name`` set to the flag's ``value`` (None: unchanged)."""
    if value is None:
        return config
    path = _field_path(config, name)
    if path is None:
        takers = [m for m, f in registered_fitters().items() if _has_setting(f.config_type, name)]
        raise ConfigError(
            flag, value, f"is not a setting of --method {method}; it is for {', '.join(takers)}"
        )
    try:
        if len(path) == 1:
            return dataclasses.replace(config, **{name: value})  # type: ignore[type-var]
        inner = dataclasses.replace(getattr(config, path[0]), **{name: value})
        return dataclasses.replace(config, **{path[0]: inner})  # type: ignore[type-var]
    except ConfigError as error:
        raise ConfigError(flag, value, f"{error.allowed} with --method {method}") from None


def fitter_from_flags(
    *,
    method: str,
    perm: str | None,
    dtype: str | None,
    n: int,
    seed: int,
    radices: tuple[int, ...] | None = None,
) -> object:
    """The default config of fitter ``method`` for an ``(n, n)`` target, with ``--perm``,
    ``--dtype`` and ``--radices`` applied where the config has that field (an error where it
    has not; ``--radices`` must multiply to ``n``)."""
    check_method(method)
    if radices is not None:
        check_radices(radices, n, field="--radices")
    config = get_fitter(method).default_config(n=n, seed=seed)
    config = _with_option(config, flag="--perm", name="permutation", value=perm, method=method)
    config = _with_option(config, flag="--radices", name="radices", value=radices, method=method)
    return _with_option(config, flag="--dtype", name="dtype", value=dtype, method=method)


def search_fitters(matrix: np.ndarray, *, trials: int, seed: int) -> tuple[FitResult, object]:
    """An in-memory two-objective study (relative error, nonzeros) over every fitter; the result
    and config of the trial with the lowest error, then the fewest nonzeros."""
    study = optuna.create_study(
        directions=["minimize", "minimize"], sampler=optuna.samplers.TPESampler(seed=seed)
    )
    space = FactorizationSpace()
    results: dict[int, tuple[FitResult, object]] = {}

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        try:
            fitter = suggest_fitter(trial, space=space, n=matrix.shape[0], seed=seed + trial.number)
            result = fit_factorization(matrix, fitter)
        except ConfigError as error:  # a fitter that cannot take this N (e.g. power of two only)
            trial.set_user_attr("refused", str(error))
            raise optuna.TrialPruned() from None
        results[trial.number] = (result, fitter)
        return result.relative_error, float(result.nnz)

    study.optimize(objective, n_trials=trials)
    if not study.best_trials:
        n = matrix.shape[0]
        raise ConfigError("--search-fitters", trials, f"no trial's fitter took N={n}: give more trials")
    best = min(study.best_trials, key=lambda t: (t.values[0], t.values[1]))
    return results[best.number]


@dataclass(frozen=True)
class FitFlags:
    """The flags of ``fftnas fit``, checked alone and in combination before any work."""

    target: str | None = None  # --target NAME (or target_file)
    target_file: str | None = None  # --target-file M.npy (or target)
    n: int | None = None  # --n: the size; with a file it must match the file's
    method: str | None = None  # --method NAME (None: hierarchical, or the study's pick)
    perm: str | None = None  # --perm: the input permutation given to the fitter
    radices: str | None = None  # --radices 4,4,5,2,2,2: the radix order (product N) of a fitter with one
    dtype: str | None = None  # --dtype: the fitter's arithmetic
    hidden_permutation: int | None = None  # --hidden-permutation SEED
    search_fitters: int | None = None  # --search-fitters T: trials of a study over every fitter
    seed: int = 0  # --seed: of the fit, or of the study's sampler

    def __post_init__(self) -> None:
        if (self.target is None) == (self.target_file is None):
            raise ConfigError(
                "--target", self.target, "give exactly one of --target NAME and --target-file M.npy"
            )
        if self.target_file is None and self.n is None:
            raise ConfigError("--n", None, f"is required with --target (an int in [2, {MAX_N}])")
        check_int("--seed", self.seed, low=0, high=2**31 - 1)
        if self.hidden_permutation is not None:
            check_int("--hidden-permutation", self.hidden_permutation, low=0, high=2**31 - 1)
        if self.perm is not None and self.perm not in PERMUTATIONS:
            raise ConfigError("--perm", self.perm, f"must be one of {', '.join(PERMUTATIONS)}")
        if self.dtype is not None and self.dtype not in DTYPES:
            raise ConfigError("--dtype", self.dtype, f"must be one of {', '.join(DTYPES)}")
        if self.radices is not None:
            parse_radices(self.radices, field="--radices")  # one line naming --radices if bad
        if self.search_fitters is None:
            check_method(self.method or DEFAULT_METHOD)
            return
        check_int("--search-fitters", self.search_fitters, low=1, high=10_000)
        picks = (("--method", self.method), ("--perm", self.perm), ("--dtype", self.dtype))
        for flag, value in (*picks, ("--radices", self.radices)):
            if value is not None:
                raise ConfigError(flag, value, "picks one fitter, --search-fitters searches all: give either")


def _target(flags: FitFlags) -> TargetConfig:
    """The target the flags name; a file's size is read (and ``--n`` checked against it)."""
    n = flags.n
    if flags.target_file is not None:
        size = load_matrix_file(flags.target_file).shape[0]  # errors name `path`
        if n is not None and n != size:
            raise ConfigError("--n", n, f"must match the size of --target-file ({size}), or be left out")
        n = size
    hidden = flags.hidden_permutation
    return TargetConfig(
        name="file" if flags.target_file else flags.target,
        n=n,
        path=flags.target_file or "",
        hidden_permutation=hidden is not None,
        seed=hidden if hidden is not None else 0,
    )


def run_fit_command(flags: FitFlags) -> dict[str, object]:
    """Everything ``fftnas fit`` prints, as one JSON-ready mapping (flags: module docstring)."""
    start = time.perf_counter()
    config = _target(flags)
    matrix = make_target(config).matrix
    if flags.search_fitters is not None:
        result, fitter_config = search_fitters(matrix, trials=flags.search_fitters, seed=flags.seed)
    else:
        method, size = flags.method or DEFAULT_METHOD, matrix.shape[0]
        radices = None if flags.radices is None else parse_radices(flags.radices, field="--radices")
        fitter_config = fitter_from_flags(
            method=method, perm=flags.perm, dtype=flags.dtype, n=size, seed=flags.seed, radices=radices
        )
        result = fit_factorization(matrix, fitter_config)
    seconds = time.perf_counter() - start
    fitter = fitter_of(fitter_config)
    size = matrix.shape[0]
    return {
        "target": config.name,
        "n": size,
        "hidden_permutation": flags.hidden_permutation,
        "method": fitter.method,
        "what": fitter.summary,
        "search_fitters_trials": flags.search_fitters,
        "config": to_dict(fitter_config),
        **fit_metrics(result),
        "seconds": seconds,
        "fit_seconds": result.seconds,
        "recovered_fft_structure": result.recovered_fft_structure,
        "fft_radices": list(result.fft_radices) if result.fft_radices is not None else None,
        "nnz": result.nnz,
        "butterfly_budget_nnz": size * sum(default_radices(size)),  # 2 N log2 N for a power of two
        **reference_counts(size),
        "details": result.details,
    }


def add_fit_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``fftnas fit`` (choices and help read from the registries)."""
    targets = ", ".join(name for name in TARGET_NAMES if name != "file")
    parser.add_argument("--target", help=f"target name: {targets}")
    parser.add_argument("--target-file", help=f"a square .npy matrix, size in [2, {MAX_N}]")
    parser.add_argument(
        "--n",
        type=int,
        help=f"matrix size in [2, {MAX_N}], any composite N (hadamard: a power of two); with --target, "
        "else the file's",
    )
    parser.add_argument(
        "--method",
        metavar="NAME",
        help=f"the fitter to run with its default config (default: {DEFAULT_METHOD}). {fitter_help()}",
    )
    parser.add_argument(
        "--perm",
        help=f"the input permutation the fitter is given ({', '.join(PERMUTATIONS)}), where it takes one; "
        "bitrev is the digit reversal of the radix order (the bit reversal for radix 2)",
    )
    parser.add_argument(
        "--radices",
        metavar="R0,R1,...",
        help="radix order of a fitter that takes one (hierarchical), r0 applied first, product N, "
        "e.g. 4,4,5,2,2,2 for N=640 (default: the prime factors of N ascending)",
    )
    parser.add_argument(
        "--hidden-permutation",
        type=int,
        metavar="SEED",
        help="hide the target behind seeded row/column permutations",
    )
    parser.add_argument("--dtype", help=f"arithmetic ({', '.join(DTYPES)}) of a fitter that has the setting")
    parser.add_argument(
        "--search-fitters",
        type=int,
        metavar="T",
        help="an Optuna study of T trials over every fitter (in memory); the best is kept",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the fit, or of the study's sampler")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def fit_flags(args: argparse.Namespace) -> FitFlags:
    """The checked flags of a parsed ``fftnas fit`` command line."""
    names = [f.name for f in dataclasses.fields(FitFlags)]
    return FitFlags(**{name: getattr(args, name) for name in names})


def format_fit(record: dict[str, object], *, as_json: bool) -> str:
    """``record`` as JSON, or as lines with units."""
    if as_json:
        return json.dumps(record, indent=2, default=str)
    hidden = record["hidden_permutation"]
    searched = record["search_fitters_trials"]
    details = record["details"]
    lines = [
        f"{record['target']} N={record['n']}"
        + (f", behind hidden row and column permutations (seed {hidden})" if hidden is not None else ""),
        f"  method                      {record['method']}: {record['what']}"
        + (f" (best of {searched} trials of --search-fitters)" if searched else ""),
    ]
    if "outcome" in details:
        lines.append(f"  outcome                     {details['outcome']}")
    budget = record["butterfly_budget_nnz"]
    references = format_reference_counts({key: record.get(key) for key in REFERENCE_NAMES})
    recovered = "yes" if record["recovered_fft_structure"] else "no"
    order = record["fft_radices"]
    graph = "no" if order is None else "radix order " + ",".join(str(r) for r in order)  # type: ignore[union-attr]
    lines += [
        f"  relative error (Frobenius)  {record['relative_error']:.3e}",
        f"  RMSE per real entry         {record['rmse']:.3e}",
        f"  nonzeros                    {record['nnz']:,} (FFT budget {budget:,})",
        f"  real operations             {record['ops']:,.0f} flops at the best diagonal scaling found "
        f"({record['ops_cheap_eighth_roots']:,.0f} with (±1±i)/√2 as 4; "
        f"{record['ops_as_fitted']:,.0f} as fitted)",
        f"  reference real operations   {references}",
        f"  FFT recovered               {recovered} (Cooley-Tukey graph: {graph})",
        (
            f"  seconds                     {record['seconds']:.3f} s wall, target and all fits "
            f"(this fit {record['fit_seconds']:.3f} s)"
        ),
    ]
    return "\n".join(lines)
