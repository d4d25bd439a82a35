"""``fftnas fit``: factorize one target matrix and print the result.

``--method`` picks the fitter; ``--perm`` what it knows of the input permutation:
- hierarchical: exact, with ``--perm bitrev`` (default) or ``identity``;
- gradient: butterfly twiddles by Adam + L-BFGS with ``--perm identity|bitrev|learn``;
- l1: dense factors + L1, pruned to the butterfly budget, re-fitted;
- search: an Optuna study of ``--trials`` trials over every fitter (in memory), best kept;
- ``--perm search`` (any method but search): unknown row and column permutations are found
  from the butterfly structure, then fitted exactly.
"""

from __future__ import annotations

import json
from dataclasses import replace

import optuna

from fftlearn import ConfigError
from fftlearn._validate import check_int
from fftlearn.factorize import (
    FitResult,
    GradientFitConfig,
    HierarchicalFitConfig,
    L1FitConfig,
    SearchFitConfig,
    TargetConfig,
    fit_factorization,
    make_target,
)
from fftlearn.factorize._targets import load_matrix_file
from searchspace import FactorizationSpace, suggest_fitter

from .families.factorization._objective import fit_metrics, reference_counts

METHODS = ("hierarchical", "gradient", "l1", "search")
PERMUTATIONS = ("identity", "bitrev", "learn", "search")


def fitter_from_flags(*, method: str, perm: str, dtype: str, seed: int) -> object:
    """The fitter config the flags name; combinations that make no sense are errors."""
    if perm == "search":
        return SearchFitConfig(seed=seed)
    if method == "hierarchical":
        if perm not in ("bitrev", "identity"):
            raise ConfigError("--perm", perm, "must be bitrev, identity or search with --method hierarchical")
        return HierarchicalFitConfig(permutation=perm)
    if method == "gradient":
        return GradientFitConfig(permutation=perm, dtype=dtype, seed=seed)
    if perm != "bitrev":
        raise ConfigError("--perm", perm, "must be bitrev (the default) or search with --method l1")
    fit = L1FitConfig(seed=seed)
    return replace(fit, settings=replace(fit.settings, dtype=dtype))


def search_fitters(matrix, *, trials: int, seed: int) -> tuple[FitResult, object]:
    """An in-memory multi-objective study over every fitter; the lowest-error trial's result."""
    study = optuna.create_study(
        directions=["minimize", "minimize"], sampler=optuna.samplers.TPESampler(seed=seed)
    )
    results: dict[int, tuple[FitResult, object]] = {}

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        fitter = suggest_fitter(
            trial, space=FactorizationSpace(), n=matrix.shape[0], seed=seed + trial.number
        )
        result = fit_factorization(matrix, fitter)
        results[trial.number] = (result, fitter)
        return result.relative_error, float(result.nnz)

    study.optimize(objective, n_trials=trials)
    best = min(study.best_trials, key=lambda t: (t.values[0], t.values[1]))
    return results[best.number]


def run_fit_command(
    *,
    target: str | None,
    target_file: str | None,
    n: int | None,
    method: str,
    perm: str,
    hidden_permutation: int | None,
    dtype: str,
    trials: int,
    seed: int,
) -> dict[str, object]:
    """Everything ``fftnas fit`` prints, as one JSON-ready mapping."""
    if (target is None) == (target_file is None):
        raise ConfigError("--target", target, "give exactly one of --target NAME and --target-file M.npy")
    check_int("--seed", seed, low=0, high=2**31 - 1)
    check_int("--trials", trials, low=1, high=10_000)
    if hidden_permutation is not None:
        check_int("--hidden-permutation", hidden_permutation, low=0, high=2**31 - 1)
    if target_file is None and n is None:
        raise ConfigError("--n", None, "is required with --target (a power of two)")
    if target_file is not None:
        n = load_matrix_file(target_file).shape[0]  # the file's own size; errors name `path`
    config = TargetConfig(
        name="file" if target_file else target,
        n=n if n is not None else 2,
        path=target_file or "",
        hidden_permutation=hidden_permutation is not None,
        seed=hidden_permutation if hidden_permutation is not None else 0,
    )
    matrix = make_target(config).matrix
    if method == "search":
        result, fitter = search_fitters(matrix, trials=trials, seed=seed)
    else:
        fitter = fitter_from_flags(method=method, perm=perm, dtype=dtype, seed=seed)
        result = fit_factorization(matrix, fitter)
    size = matrix.shape[0]
    return {
        "target": config.name,
        "n": size,
        "hidden_permutation": hidden_permutation,
        "method": getattr(fitter, "kind", method),
        **fit_metrics(result),
        "recovered_fft_structure": result.recovered_fft_structure,
        "nnz": result.nnz,
        "ops": result.ops,
        "butterfly_budget_nnz": 2 * size * (size.bit_length() - 1),
        **reference_counts(size),
        "details": result.details,
    }


def format_fit(record: dict[str, object], *, as_json: bool) -> str:
    if as_json:
        return json.dumps(record, indent=2, default=str)
    lines = [
        f"{record['target']} N={record['n']}, {record['method']}",
        f"  relative error (Frobenius)  {record['relative_error']:.3e}",
        f"  RMSE per real entry         {record['rmse']:.3e}",
        f"  nonzeros                    {record['nnz']:,} "
        f"(butterfly budget {record['butterfly_budget_nnz']:,})",
        f"  real operations             {record['ops']:,} (dense {record['dense_flops']:,}, radix-2 "
        f"{record['radix2_flops']:,}, split-radix {record['split_radix_flops']:,} flops)",
        f"  FFT recovered               {'yes' if record['recovered_fft_structure'] else 'no'} "
        f"(radix-2 graph: {'yes' if record['details'].get('radix2_graph') else 'no'})",
        f"  seconds                     {record['seconds']:.3f}",
    ]
    return "\n".join(lines)
