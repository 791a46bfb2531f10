"""Differential test: on index requirements, our reader and pip's own parser agree line for line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from supplychain.inputs.requirements_txt import read_requirements

TEXT = Path(__file__).parents[1] / "fixtures" / "inputs" / "text"
FILES = [
    TEXT / "real" / "trl" / "requirements.txt",
    TEXT / "real" / "inspect-ai" / "requirements.txt",
    TEXT / "real" / "gh-action-pypi-publish" / "runtime.txt",
    TEXT / "handmade" / "hashes.requirements.txt",
    TEXT / "handmade" / "includes" / "base.requirements.txt",
    TEXT / "handmade" / "continuation.requirements.txt",
    TEXT / "handmade" / "indexes.requirements.txt",
]
_LINE = re.compile(r"\(line (\d+)\)$")

Row = tuple[str, str, str | None, bool, tuple[str, ...], int]


def _pip_rows(path: Path) -> list[Row]:
    req_file = pytest.importorskip("pip._internal.req.req_file", reason="pip is the reference implementation")
    session = pytest.importorskip(
        "pip._internal.network.session", reason="pip is the reference implementation"
    )
    rows: list[Row] = []
    for parsed in req_file.parse_requirements(str(path), session.PipSession()):
        requirement = Requirement(parsed.requirement)
        hashes = parsed.options.get("hashes", {}) if parsed.options else {}
        digests = tuple(sorted(f"{kind}:{value}" for kind, values in hashes.items() for value in values))
        line = _LINE.search(parsed.comes_from)
        assert line is not None
        marker = str(requirement.marker) if requirement.marker else None
        name, specifier = canonicalize_name(requirement.name), str(requirement.specifier)
        rows.append((name, specifier, marker, parsed.constraint, digests, int(line.group(1))))
    return rows


# pip's vendored pkg_resources warns about its own deprecation on import; that is pip's business.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_same_requirements_as_pip(path: Path) -> None:
    found = read_requirements(path)
    ours: list[Row] = [
        (d.name, str(d.requirement.specifier), str(d.requirement.marker) if d.requirement.marker else None,
         constraint, d.hashes, d.location.line or 0)
        for constraint, group in ((False, found.requirements), (True, found.constraints))
        for d in group
    ]  # fmt: skip
    assert sorted(ours, key=repr) == sorted(_pip_rows(path), key=repr)
