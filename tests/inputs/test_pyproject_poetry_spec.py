"""Poetry constraint translation against the rules poetry-core documents (caret, tilde, wildcards, unions)."""

from __future__ import annotations

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from supplychain.inputs.poetry_spec import PoetryConstraintError, python_marker, to_specifier


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("^1.2.3", ">=1.2.3,<2.0.0"),
        ("^1.2", ">=1.2,<2.0"),
        ("^1", ">=1,<2"),
        ("^0.2.3", ">=0.2.3,<0.3.0"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0.0", ">=0.0,<0.1"),
        ("^0", ">=0,<1"),
        ("~1.2.3", ">=1.2.3,<1.3.0"),
        ("~1.2", ">=1.2,<1.3"),
        ("~1", ">=1,<2"),
        ("~=1.2", "~=1.2"),
        ("*", ""),
        ("", ""),
        ("1.2.*", "==1.2.*"),
        ("1.4", "==1.4"),
        ("=1.4", "==1.4"),
        (">= 1.2, < 1.5", ">=1.2,<1.5"),
        (">=1.2 <1.5", ">=1.2,<1.5"),
        ("!=2.0", "!=2.0"),
    ],
)
def test_to_specifier(constraint: str, expected: str) -> None:
    assert to_specifier(constraint) == expected
    assert SpecifierSet(to_specifier(constraint)) == SpecifierSet(expected)


@pytest.mark.parametrize("constraint", ["^1 || ^2", "^x.y", ">>1", "^"])
def test_rejected_constraints(constraint: str) -> None:
    with pytest.raises(PoetryConstraintError):
        to_specifier(constraint)


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("^3.8", 'python_version >= "3.8" and python_version < "4.0"'),
        (">=3.8.1,<3.12", 'python_full_version >= "3.8.1" and python_version < "3.12"'),
        ("3.10.*", 'python_full_version == "3.10.*"'),
        ("~2.7 || ^3.5", '(python_version >= "2.7" and python_version < "2.8") or '
         '(python_version >= "3.5" and python_version < "4.0")'),
        ("*", None),
    ],
)  # fmt: skip
def test_python_marker(constraint: str, expected: str | None) -> None:
    marker = python_marker(constraint)
    assert marker == expected
    if marker is not None:
        Marker(marker)  # a valid PEP 508 marker


def test_python_marker_evaluates_like_the_constraint() -> None:
    marker = Marker(python_marker("^3.8") or "")
    assert marker.evaluate({"python_version": "3.11", "python_full_version": "3.11.4"})
    assert not marker.evaluate({"python_version": "4.0", "python_full_version": "4.0.0"})
    assert not marker.evaluate({"python_version": "3.7", "python_full_version": "3.7.9"})
