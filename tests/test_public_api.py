"""Every name a package lists in ``__all__`` exists, and fftlearn never imports a higher layer."""

from __future__ import annotations

import importlib
import re

import pytest

from tests.helpers import REPO

PACKAGES = ["fftlearn", "fftlearn.analysis", "fftlearn.export", "fftlearn.factorize", "searchspace", "nas"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    missing = [item for item in module.__all__ if not hasattr(module, item)]
    assert missing == []
    assert len(set(module.__all__)) == len(module.__all__)


def test_layers_point_down() -> None:
    upward = re.compile(r"^\s*(import|from)\s+(optuna|nas|searchspace)\b", re.M)
    offenders = [
        str(p.relative_to(REPO)) for p in (REPO / "fftlearn").rglob("*.py") if upward.search(p.read_text())
    ]
    assert offenders == []
    offenders = [
        str(p.relative_to(REPO))
        for p in (REPO / "searchspace").rglob("*.py")
        if re.search(r"^\s*(import|from)\s+nas\b", p.read_text(), re.M)
    ]
    assert offenders == []
