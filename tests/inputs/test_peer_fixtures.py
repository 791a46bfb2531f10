"""Other tools' own test fixtures, read as those tools read them (tests/fixtures/peers/PROVENANCE.toml).

Each file is read in-process through ``load_input`` with the CLI's default scope for a lock (every
platform, extra and group). A file its own tool accepts must parse and yield every package the
peer's test expects, each with a name and a version (or the explicit "version unknown"); a file its
own tool rejects must raise our InputError naming the file (and the line, where the text has one).
Any other exception is a crash (exit 70) and fails the test.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from supplychain.errors import InputError
from supplychain.inputs import InputOptions
from supplychain.inputs.detect import load_input
from supplychain.model import LockedSet, RequirementSet
from supplychain.target import Scope, Target

PEERS = Path(__file__).parents[1] / "fixtures" / "peers"
ENTRIES: list[dict[str, Any]] = tomllib.loads((PEERS / "PROVENANCE.toml").read_text(encoding="utf-8"))["file"]
TARGET = Target.parse("3.12", "x86_64-manylinux_2_28")
OPTIONS = InputOptions(target=TARGET, scope=Scope.of_flags(TARGET, None, None, (), ()))


def _read(entry: dict[str, Any]) -> LockedSet | RequirementSet:
    result = load_input(PEERS / entry["path"], input_format=entry["format"], options=OPTIONS)
    assert isinstance(result, LockedSet | RequirementSet)
    return result


def _expected(spelling: str) -> tuple[str, Version | None]:
    name, _, version = spelling.partition("==")
    return canonicalize_name(name), Version(version) if version else None


def _check_locked(entry: dict[str, Any], result: LockedSet) -> None:
    found = {(package.ref.name, package.ref.version) for package in result.packages}
    names = {name for name, _ in found}
    for spelling in entry.get("packages", []):
        name, version = _expected(spelling)
        if version is None:  # versionless in the lock (a directory, VCS or the project itself)
            assert name in names or not entry.get("strict", True), f"{spelling} dropped"
        else:
            assert (name, version) in found, f"{spelling} dropped: read {sorted(found)}"
    for package in result.packages:
        assert package.ref.name == canonicalize_name(package.ref.name)
        assert isinstance(package.ref.version, Version)


def _check_requirements(entry: dict[str, Any], result: RequirementSet) -> None:
    names = {canonicalize_name(declared.name) for declared in (*result.requirements, *result.constraints)}
    for spelling in entry.get("packages", []):
        name, _ = _expected(spelling)
        assert name in names, f"{spelling} dropped: read {sorted(names)}"


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry["path"] for entry in ENTRIES])
def test_peer_fixture_reads_as_its_own_tool_reads_it(entry: dict[str, Any]) -> None:
    path = PEERS / entry["path"]
    if entry["expect"] == "reject":
        with pytest.raises(InputError) as raised:
            _read(entry)
        location = raised.value.location
        assert location is not None, raised.value.diagnostics()
        assert location.file.startswith(str(path.parent)), raised.value.diagnostics()
        if entry.get("line", True):
            assert location.line is not None, raised.value.diagnostics()
        return
    try:
        result = _read(entry)
    except InputError as error:
        pytest.fail(f"{entry['peer-asserts']}, but: {error.diagnostics()}")
    if isinstance(result, LockedSet):
        _check_locked(entry, result)
        assert result.packages or not entry.get("packages"), "no packages read"
    else:
        _check_requirements(entry, result)
    _check_lines(entry, result)


def _check_lines(entry: dict[str, Any], result: LockedSet | RequirementSet) -> None:
    """Where the peer's test names a package's line, ours names the same place.

    JSON and requirements lines must be equal. In a TOML lock osv-scalibr points at the ``name`` key
    and we at the ``[[package]]`` header: ours must open the table that holds the peer's line.
    """
    ours: dict[tuple[str, Version | None], int | None] = {}
    if isinstance(result, LockedSet):
        for package in result.packages:
            ours[package.ref.name, package.ref.version] = package.location.line if package.location else None
    else:
        for declared in result.requirements:
            ours[canonicalize_name(declared.name), None] = declared.location.line
    text = (PEERS / entry["path"]).read_text(encoding="utf-8").splitlines()
    for located in entry.get("peer-lines", []):
        spelling, _, number = located.rpartition("@")
        name, version = _expected(spelling)
        line = ours.get((name, version if isinstance(result, LockedSet) else None))
        assert line is not None, f"{spelling}: no line"
        if entry["format"] in {"pipfile-lock", "requirements"}:
            assert line == int(number), f"{spelling}: line {line}, the peer says {number}"
        else:
            between = text[line : int(number) - 1]
            assert line <= int(number), f"{spelling}: line {line} is after the peer's {number}"
            assert text[line - 1].startswith("[["), f"{spelling}: line {line} opens no table"
            assert not any(row.startswith("[[") for row in between), (
                f"{spelling}: line {line} does not open the table of the peer's line {number}"
            )


def test_every_peer_fixture_is_listed_in_the_provenance() -> None:
    """A file copied without its provenance (or a provenance line without its file) is a mistake."""
    on_disk = {
        str(path.relative_to(PEERS))
        for path in PEERS.rglob("*")
        if path.is_file() and path.name not in {"PROVENANCE.toml", "collect.py"}
    }
    assert on_disk == {entry["path"] for entry in ENTRIES}


@pytest.mark.parametrize(
    ("relative", "code"),
    [
        ("osv-scalibr/pipfilelock/testdata/multiple-packages.json", 0),
        ("osv-scalibr/pipfilelock/testdata/not-json.txt", 2),
        ("dependabot/poetry_locks/git_dependency.lock", 0),
    ],
)
def test_peer_fixture_through_the_cli(relative: str, code: int, tmp_path: Path) -> None:
    """A few files through the real command: the exit code, and a refusal names the file, no traceback."""
    entry = next(entry for entry in ENTRIES if entry["path"] == relative)
    path = PEERS / relative
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "supplychain",
            "tree",
            "--offline",
            "--input-format",
            entry["format"],
            str(path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert process.returncode == code, process.stderr
    assert "Traceback" not in process.stderr
    if code == 2:
        assert str(path) in process.stderr
