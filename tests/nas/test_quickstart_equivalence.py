"""Behaviour unchanged by restructuring: the seeded quick start gives the recorded trials.

The record (tests/data/quickstart_seeded_trials.json) holds every trial's params, config JSON
and held-out metrics of the seeded quick-start study (re-made at issue 11, when the validation
split for learning curves was carved from the training frames; see the benchmark's docstring).
"""

from __future__ import annotations

import json

from tests.helpers import load_benchmark


def test_seeded_quickstart_gives_the_recorded_params_configs_and_metrics() -> None:
    equivalence = load_benchmark("quickstart_equivalence")
    recorded = json.loads(equivalence.RECORD.read_text())
    now = json.loads(json.dumps(equivalence.seeded_quickstart_trials()))
    assert len(recorded) == 20
    assert equivalence.differences(recorded, now) == []
