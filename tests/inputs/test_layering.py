"""``supplychain.inputs`` sits below resolve and holds no import cycle, lazy or type-only ones included."""

from __future__ import annotations

import ast
from pathlib import Path

import supplychain.inputs

INPUTS = Path(supplychain.inputs.__file__).parent


def _imports() -> dict[str, set[str]]:
    """Module → the supplychain modules it imports anywhere (top level, functions, TYPE_CHECKING blocks)."""
    found: dict[str, set[str]] = {}
    for path in sorted(INPUTS.glob("*.py")):
        module = "supplychain.inputs" if path.stem == "__init__" else f"supplychain.inputs.{path.stem}"
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[module] = {name for name in names if name.startswith("supplychain")}
    return found


def test_inputs_never_import_resolve() -> None:
    """installed.py called ``resolve.locked.walk``: an arrow from inputs up to the stage above it."""
    upward = {
        module: sorted(name for name in names if name.startswith("supplychain.resolve"))
        for module, names in _imports().items()
    }
    assert {module: names for module, names in upward.items() if names} == {}


def test_inputs_modules_import_no_cycle() -> None:
    """pyproject ⇄ poetry_deps ⇄ uv_sources was a cycle hidden behind ``if TYPE_CHECKING`` imports."""
    imports = _imports()
    graph = {
        module: {name for name in names if name in imports and name != "supplychain.inputs"}
        for module, names in imports.items()
    }
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(graph[module]):
            if target == path[0]:
                cycles.append([*path, target])
            elif target not in path and target > path[0]:
                visit(target, [*path, target])

    for start in sorted(graph):
        visit(start, [start])
    assert cycles == []
