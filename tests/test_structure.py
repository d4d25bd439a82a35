"""The layout's targets, kept: no import cycle (function-level imports included), no module over
350 lines, no function over 60 lines (docstring included), a small fftlearn top level."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

import fftlearn
from tests.helpers import REPO

PACKAGES = ("fftlearn", "searchspace", "nas")
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60
MAX_TOP_LEVEL_NAMES = 30


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the three packages."""
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imported(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules of the three packages that ``node`` (in ``module``) imports."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    package = module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]


def _runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those under ``if TYPE_CHECKING:``."""
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    return [
        n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in typing_only
    ]


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for module, path in MODULES.items():
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            graph.add_edges_from((module, t) for t in _imported(module, node) if t in MODULES and t != module)
    return graph


def test_no_import_cycles_including_function_level_imports() -> None:
    assert list(nx.simple_cycles(import_graph())) == []


def test_the_cycle_check_sees_a_function_level_import() -> None:
    tree = ast.parse("def f():\n    from ._lock import FileLock\n")
    (node,) = _runtime_imports(tree)
    assert _imported("nas.engine._storage", node) == ["nas.engine._lock"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_size(module: str) -> None:
    assert len(MODULES[module].read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES


def _function_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from ``def`` to the last line, docstring included."""
    return node.end_lineno - node.lineno + 1


def test_function_size() -> None:
    long = [
        f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({_function_lines(node)} lines)"
        for path in MODULES.values()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and _function_lines(node) > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_fftlearn_top_level_is_small() -> None:
    assert len(fftlearn.__all__) <= MAX_TOP_LEVEL_NAMES
