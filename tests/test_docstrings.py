"""Every public definition of a covered module says what it promises, in a docstring.

Public means no leading underscore: module-level functions and classes, and the methods of public
classes. ``COVERED`` is the whole package: a new module is documented from its first commit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "supplychain"

# Paths relative to supplychain/: a directory covers every module below it.
COVERED = ("",)  # the whole package

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


def _is_protocol(node: ast.ClassDef) -> bool:
    return any(isinstance(base, ast.Name) and base.id == "Protocol" for base in node.bases)


def protocol_methods(source: str) -> set[str]:
    """Methods a ``Protocol`` documents: an implementation's contract is written once, on the protocol."""
    return {
        method.name
        for node in ast.parse(source).body
        if isinstance(node, ast.ClassDef) and _is_protocol(node)
        for method in _public(node.body)
        if not isinstance(method, ast.ClassDef) and ast.get_docstring(method)
    }


def _sets_rationale(node: ast.ClassDef) -> bool:
    """A policy rule: its ``rationale`` (shown to users and in policies/README.md) is its why."""
    return any(
        isinstance(stmt, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == "rationale" for target in stmt.targets)
        for stmt in node.body
    )


def undocumented(source: str, where: str, documented_elsewhere: set[str] | None = None) -> list[str]:
    """``where:line name`` of each public definition without a docstring (the module as ``<module>``).

    ``documented_elsewhere``: method names whose contract a protocol documents (``protocol_methods``)."""
    inherited = documented_elsewhere or set()
    tree = ast.parse(source)
    missing = [] if ast.get_docstring(tree) else [f"{where}:1 <module>"]
    for node in _public(tree.body):
        if not ast.get_docstring(node) and not (isinstance(node, ast.ClassDef) and _sets_rationale(node)):
            missing.append(f"{where}:{node.lineno} {node.name}")
        if isinstance(node, ast.ClassDef):
            missing += [
                f"{where}:{method.lineno} {node.name}.{method.name}"
                for method in _public(node.body)
                if not isinstance(method, ast.ClassDef)
                and not ast.get_docstring(method)
                and (_is_protocol(node) or method.name not in inherited)
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
    modules = PACKAGE.rglob("*.py")
    documented = {name for path in modules for name in protocol_methods(path.read_text(encoding="utf-8"))}
    missing = [
        problem
        for path in _covered_files()
        for problem in undocumented(
            path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)), documented
        )
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


PROTOCOL = (
    'class Reader(Protocol):\n    """Doc."""\n'
    '    def read(self):\n        """Doc."""\n    def peek(self): ...\n'
)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # An implementation of a documented protocol method is documented by the protocol...
        ('"""Doc."""\nclass Csv:\n    """Doc."""\n    def read(self): pass\n', []),
        # ...an undocumented protocol method documents nothing, and other methods still need their own.
        ('"""Doc."""\nclass Csv:\n    """Doc."""\n    def peek(self): pass\n', ["m.py:4 Csv.peek"]),
        ('"""Doc."""\nclass Csv:\n    """Doc."""\n    def close(self): pass\n', ["m.py:4 Csv.close"]),
        # A rule's rationale is its class documentation; any other undocumented class is reported.
        ('"""Doc."""\nclass AgeRule:\n    rationale = "why"\n', []),
        ('"""Doc."""\nclass AgeRule:\n    help = "how"\n', ["m.py:2 AgeRule"]),
        # The protocol itself must document its methods.
        ('"""Doc."""\n' + PROTOCOL, ["m.py:6 Reader.peek"]),
    ],
)
def test_protocol_implementations_and_rules_are_documented_where_their_contract_is(
    source: str, expected: list[str]
) -> None:
    assert undocumented(source, "m.py", protocol_methods(PROTOCOL)) == expected
