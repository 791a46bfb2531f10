"""Every public definition of a covered module says what it promises, in a docstring.

Public means no leading underscore: module-level functions and classes, and the methods of public
classes. ``COVERED`` grows as modules are documented; the goal is all of ``supplychain/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "supplychain"

# Paths relative to supplychain/: a directory covers every module below it.
COVERED = (
    "allowlist/delta.py",
    "allowlist/edits.py",
    "allowlist/release_facts.py",
    "allowlist/review.py",
    "allowlist/writer.py",
    "cli/cache.py",
    "cli/display.py",
    "cli/explain.py",
    "cli/labels.py",
    "cli/tree.py",
    "clock.py",
    "dates.py",
    "dirs.py",
    "errors.py",
    "files.py",
    "inventory",
    "locate.py",
    "net/http_store.py",
    "net/wheel_metadata.py",
    "progress.py",
    "report/common.py",
    "report/cyclonedx.py",
    "report/facts_json.py",
    "report/graph_json.py",
    "report/graph_svg.py",
    "report/terminal.py",
    "report/unknowns.py",
    "resolve",
    "result.py",
    "sources/archives.py",
    "sources/datastore.py",
    "sources/osv_merge.py",
    "sources/osv_ranges.py",
    "sources/osv_records.py",
    "target.py",
    "urls.py",
)

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _decorated_by(node: Definition, *names: str) -> bool:
    """``@overload`` or ``@x.setter``: the signature's documentation lives on another definition."""
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id in names:
            return True
        if isinstance(decorator, ast.Attribute) and decorator.attr in names:
            return True
    return False


def _public(body: list[ast.stmt]) -> list[Definition]:
    return [
        node
        for node in body
        if isinstance(node, Definition)
        and not node.name.startswith("_")
        and not _decorated_by(node, "overload", "setter", "deleter")
    ]


def undocumented(source: str, where: str) -> list[str]:
    """``where:line name`` of each public definition without a docstring (the module as ``<module>``)."""
    tree = ast.parse(source)
    missing = [] if ast.get_docstring(tree) else [f"{where}:1 <module>"]
    for node in _public(tree.body):
        if not ast.get_docstring(node):
            missing.append(f"{where}:{node.lineno} {node.name}")
        if isinstance(node, ast.ClassDef):
            missing += [
                f"{where}:{method.lineno} {node.name}.{method.name}"
                for method in _public(node.body)
                if not isinstance(method, ast.ClassDef) and not ast.get_docstring(method)
            ]
    return missing


def _covered_files() -> list[Path]:
    files: set[Path] = set()
    for entry in COVERED:
        path = PACKAGE / entry
        found = sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.is_file() else []
        assert found, f"COVERED names supplychain/{entry}, which holds no module (moved or renamed?)"
        files.update(found)
    return sorted(files)


def test_covered_public_definitions_have_docstrings() -> None:
    missing = [
        problem
        for path in _covered_files()
        for problem in undocumented(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))
    ]
    assert not missing, "public definitions without a docstring:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('"""Doc."""\ndef run(): pass\n', ["m.py:2 run"]),
        ('"""Doc."""\nclass Box:\n    """Doc."""\n    def open(self): pass\n', ["m.py:4 Box.open"]),
        (
            '"""Doc."""\nclass Box:\n    """Doc."""\n    @property\n    def size(self): return 1\n',
            ["m.py:5 Box.size"],
        ),
        ('"""Doc."""\nasync def fetch(): pass\n', ["m.py:2 fetch"]),
        ("def run():\n    '''Doc.'''\n", ["m.py:1 <module>"]),
        ('"""Doc."""\ndef _helper(): pass\nclass _Hidden:\n    def open(self): pass\n', []),
        ('"""Doc."""\nclass Box:\n    """Doc."""\n    def __init__(self): pass\n', []),
        ('"""Doc."""\n@overload\ndef run(x: int) -> int: ...\ndef run(x):\n    """Doc."""\n', []),
    ],
)
def test_the_check_finds_each_kind_of_undocumented_definition(source: str, expected: list[str]) -> None:
    assert undocumented(source, "m.py") == expected
