"""net/http.py and net/hosts.py import httpx only under TYPE_CHECKING (issue 16): every function that
uses it at run time imports it itself, or it raises NameError on the first request (mypy cannot see it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

NET = Path(__file__).parents[2] / "supplychain" / "net"


def _runtime_uses(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Does the body (not the annotations) read a name ``httpx``?"""
    return any(
        isinstance(node, ast.Name) and node.id == "httpx"
        for statement in function.body
        for node in ast.walk(statement)
    )


def _imports(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        isinstance(node, ast.Import) and any(alias.name == "httpx" for alias in node.names)
        for node in ast.walk(function)
    )


@pytest.mark.parametrize("module", ["http.py", "hosts.py"])
def test_every_function_using_httpx_at_run_time_imports_it(module: str) -> None:
    tree = ast.parse((NET / module).read_text())
    top_level = {
        alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names
    }
    assert "httpx" not in top_level  # the point: importing the door does not import httpx
    functions = [
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    missing = [f.name for f in functions if _runtime_uses(f) and not _imports(f)]
    assert missing == []
