"""The factorization search space: its methods and tables come from the fitter registry, it is
pure in the trial's params, and the param names and TOML keys of stored studies still read."""

from __future__ import annotations

import optuna
import pytest

import fftlearn
from fftlearn.factorize import (
    GradientFitConfig,
    HierarchicalFitConfig,
    KroneckerPattern,
    PatternFitConfig,
    RecoverFitConfig,
    TargetConfig,
    butterfly_chain,
    fit_factorization,
    get_fitter,
    make_target,
    registered_fitters,
)
from searchspace import FactorizationSpace, FloatRange, IntRange, suggest_fitter


def test_fixed_trial_rebuilds_every_fitter_config() -> None:
    space = FactorizationSpace()
    assert space.methods == tuple(registered_fitters())
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    kinds = set()
    for _ in range(60):
        trial = study.ask()
        fitter = suggest_fitter(trial, space=space, n=32, seed=7)
        again = suggest_fitter(optuna.trial.FixedTrial(trial.params), space=space, n=32, seed=7)
        assert again == fitter and fftlearn.config_from_json(fftlearn.config_to_json(fitter)) == fitter
        assert all(name == "method" or name.startswith(f"{trial.params['method']}.") for name in trial.params)
        kinds.add(fitter.kind)
        study.tell(trial, 0.0)
    assert kinds == {fitter.config_type.kind for fitter in registered_fitters().values()}


def test_stored_param_names_still_give_the_same_configs() -> None:
    """Params as studies stored them before the registry: the same configs come back."""
    gradient_space = get_fitter("gradient").space_type(permutation=("learn", "bitrev"))
    space = FactorizationSpace(subspaces={"gradient": gradient_space})
    gradient = {
        "method": "gradient",
        "gradient.permutation": "bitrev",
        "gradient.dtype": "float64",
        "gradient.init": "unitary",
        "gradient.lr": 0.01,
        "gradient.adam_steps": 300,
        "gradient.lbfgs_steps": 400,
        "gradient.restarts": 2,
    }
    expected = GradientFitConfig(
        permutation="bitrev", init="unitary", lr=0.01, adam_steps=300, lbfgs_steps=400, restarts=2, seed=4
    )
    assert suggest_fitter(optuna.trial.FixedTrial(gradient), space=space, n=16, seed=4) == expected
    params = {"method": "hierarchical", "hierarchical.permutation": "bitrev"}
    assert (
        suggest_fitter(optuna.trial.FixedTrial(params), space=space, n=16, seed=0) == HierarchicalFitConfig()
    )
    params = {"method": "recover"}
    assert suggest_fitter(optuna.trial.FixedTrial(params), space=space, n=16, seed=3) == RecoverFitConfig(
        seed=3
    )
    assert RecoverFitConfig.kind == "butterfly_search"  # stored config JSON keeps reading


def test_the_space_table_reads_one_table_per_fitter_and_the_old_spellings() -> None:
    table = {
        "methods": ["hierarchical", "gradient", "baseline"],
        "hierarchical": {"permutation": ["bitrev", "identity"]},
        "baseline": {"which": ["low_rank"]},
        "gradient": {"lr": {"low": 0.01, "high": 0.02, "log": True}},
    }
    space = fftlearn.from_mapping(FactorizationSpace, table)
    assert space.subspace("hierarchical").permutation == ("bitrev", "identity")
    assert space.subspace("baseline").which == ("low_rank",)
    assert space.subspace("gradient").lr == FloatRange(0.01, 0.02, log=True)
    # stored studies wrote the hierarchical and baseline choices as two flat keys
    legacy = {k: v for k, v in table.items() if k not in ("hierarchical", "baseline")}
    legacy |= {"hierarchical_permutation": ["bitrev", "identity"], "baselines": ["low_rank"]}
    assert fftlearn.from_mapping(FactorizationSpace, legacy) == space
    # to_dict writes every competing fitter's table, defaults included, and reads back the same
    plain = fftlearn.to_dict(space)
    assert plain["kind"] == "factorization_space" and plain["methods"] == table["methods"]
    assert set(plain) == {"kind", "methods", "hierarchical", "gradient", "baseline"}
    assert fftlearn.from_mapping(FactorizationSpace, plain) == space
    assert FactorizationSpace(methods=("iht",)).subspace("iht") == get_fitter("iht").space_type()


@pytest.mark.parametrize(
    "table, expected",
    [
        ({"methods": ["search"]}, "space.methods[0]: got 'search'; was renamed 'recover'; must be one of"),
        ({"methods": ["magic"]}, "space.methods[0]: got 'magic'; must be one of 'baseline', 'gradient'"),
        ({"methods": "gradient"}, "space.methods: got 'gradient'; must be a list of fitter names"),
        (
            {"magic": {}},
            "space.magic: got {}; unknown key; allowed: methods and a table per fitter: baseline",
        ),
        ({"gradient": {"lr": {"low": 0.0, "high": 1.0}}}, "space.gradient.lr.low: got 0.0; must be >= 1e-08"),
        ({"hierarchical": {"permutation": ["learn"]}}, "space.hierarchical.permutation[0]: got 'learn'"),
        (
            {"baselines": ["low_rank"], "baseline": {"which": ["top_entries"]}},
            "space.baselines: got ['low_rank']; give only one of baselines and baseline.which",
        ),
        ({"kind": "frontend_space"}, "space.kind: got 'frontend_space'; must be 'factorization_space'"),
    ],
)
def test_bad_space_tables_name_the_field(table: dict, expected: str) -> None:
    with pytest.raises(fftlearn.ConfigError) as info:
        fftlearn.from_mapping(FactorizationSpace, table, path="space")
    assert str(info.value).startswith(expected)


def test_patterns_search_factor_count_and_supports() -> None:
    pattern_space = get_fitter("patterns").space_type(n_factors=IntRange(2, 10))
    space = FactorizationSpace(methods=("patterns",), subspaces={"patterns": pattern_space})
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    counts = set()
    for _ in range(30):
        trial = study.ask()
        fitter = suggest_fitter(trial, space=space, n=16, seed=0)
        assert 2 <= len(fitter.patterns) <= 4  # capped at log2 16
        assert all(p.shape == (16, 16) and p.b == p.c for p in fitter.patterns)
        counts.add(len(fitter.patterns))
        study.tell(trial, 0.0)
    assert counts == {2, 3, 4}


def test_the_butterfly_chain_of_patterns_recovers_the_dft() -> None:
    target = make_target(TargetConfig(name="dft", n=16)).matrix
    result = fit_factorization(target, PatternFitConfig(patterns=butterfly_chain(16), permutation="bitrev"))
    assert result.relative_error <= 1e-9 and result.nnz == 2 * 16 * 4 and result.recovered_fft_structure
    monarch_like = (KroneckerPattern(a=4, b=4, c=4, d=1), KroneckerPattern(a=1, b=4, c=4, d=4))
    result = fit_factorization(target, PatternFitConfig(patterns=monarch_like, permutation="identity"))
    assert result.nnz <= 2 * 16 * 4 and not result.recovered_fft_structure


def test_pattern_config_errors() -> None:
    with pytest.raises(fftlearn.ConfigError, match=r"^patterns\[0\]: got .*; must be square"):
        PatternFitConfig(patterns=(KroneckerPattern(a=1, b=2, c=4, d=2),))
    with pytest.raises(fftlearn.ConfigError, match=r"^patterns: got \[\]; must list at least one"):
        PatternFitConfig()
    target = make_target(TargetConfig(name="dft", n=8)).matrix
    with pytest.raises(fftlearn.ConfigError, match=r"^patterns: got \(16, 16\); must be \(8, 8\)"):
        fit_factorization(target, PatternFitConfig(patterns=butterfly_chain(16)))
