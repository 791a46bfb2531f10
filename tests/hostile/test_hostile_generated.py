"""Hostile inputs too big or too deep to commit, generated at test time and fed to the real CLI.

Each must end in exit 2 naming the file, with no traceback and no "internal error" (exit 70):
oversized files (past the readers' byte limits), include chains deeper than the limit, a
constraints file that includes itself, TOML and JSON nested past the parsers' recursion, a policy
that tries to extend itself, and OSV archives that contain archives (themselves included).
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zipfile
from pathlib import Path

import pytest

from supplychain.inputs.pipfile_lock import MAX_JSON_BYTES
from supplychain.inputs.requirements_txt import MAX_FILE_BYTES, MAX_INCLUDE_DEPTH
from supplychain.sources.archives import ArchiveLimits
from supplychain.tomlfile import MAX_TOML_BYTES
from tests.support.cli import run_in_process

PINS = Path(__file__).parent / "pins.requirements.txt"


def run(args: list[str], cwd: Path) -> str:
    """Run the CLI (in this process), assert exit 2 without a traceback, return stdout+stderr."""
    done = run_in_process(args, cwd, {"SUPPLYCHAIN_OFFLINE": "1"})
    output = done.stdout + done.stderr
    assert done.returncode == 2, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert "internal error" not in output, output[-3000:]
    return output


def sparse(path: Path, size: int, head: bytes = b"") -> Path:
    """A file of ``size`` bytes costing no disk: the size checks must refuse it before reading."""
    with path.open("wb") as stream:
        stream.write(head)
        stream.truncate(size)
    return path


# --- past the byte limits -------------------------------------------------------------------------


def test_huge_requirements_file(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    line = b"requests==2.32.3  # padding padding padding padding padding padding padding\n"
    path.write_bytes(line * (MAX_FILE_BYTES // len(line) + 2))
    output = run(["tree", str(path)], tmp_path)
    assert re.search(rf"{re.escape(str(path))}.*larger than {MAX_FILE_BYTES}", output), output


@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("uv.lock", MAX_TOML_BYTES),
        ("poetry.lock", MAX_TOML_BYTES),
        ("pylock.toml", MAX_TOML_BYTES),
        ("pyproject.toml", MAX_TOML_BYTES),
        ("Pipfile.lock", MAX_JSON_BYTES),
    ],
)
def test_huge_lock_and_project_files(tmp_path: Path, name: str, limit: int) -> None:
    path = sparse(tmp_path / name, limit + 1, b"version = 1\n" if name != "Pipfile.lock" else b"{")
    output = run(["tree", str(path)], tmp_path)
    assert re.search(rf"{re.escape(str(path))}.*larger than {limit}", output), output


def test_huge_policy_file(tmp_path: Path) -> None:
    path = sparse(tmp_path / "policy.toml", MAX_TOML_BYTES + 1, b'extends = "sl3"\n')
    output = run(["policy", "validate", str(path)], tmp_path)
    assert re.search(rf"{re.escape(str(path))}.*larger than {MAX_TOML_BYTES}", output), output


@pytest.mark.parametrize("option", ["--allowlist", "--exemptions"])
def test_huge_allowlist_and_exemptions(tmp_path: Path, option: str) -> None:
    path = sparse(tmp_path / "list.toml", MAX_TOML_BYTES + 1, b"version = 1\n")
    output = run(
        ["audit", str(PINS), "--no-deps", "--offline", "--policy", "sl1", option, str(path)], tmp_path
    )
    assert re.search(rf"{re.escape(str(path))}.*larger than {MAX_TOML_BYTES}", output), output


# --- includes -------------------------------------------------------------------------------------


def test_deep_include_chain_stops_at_the_limit(tmp_path: Path) -> None:
    """200 nested ``-r`` files: a clear error at the depth limit, not a RecursionError."""
    levels = 200
    for level in range(levels):
        body = f"-r req-{level + 1}.txt\n" if level + 1 < levels else "requests==2.32.3\n"
        (tmp_path / f"req-{level}.txt").write_text(body, encoding="utf-8")
    output = run(["tree", "--input-format", "requirements", str(tmp_path / "req-0.txt")], tmp_path)
    deepest = f"req-{MAX_INCLUDE_DEPTH - 1}.txt:1"
    assert deepest in output or f"req-{MAX_INCLUDE_DEPTH}.txt" in output, output
    assert re.search(r"deep|depth|nest", output, re.IGNORECASE), output


def test_self_including_constraints_file(tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("-c constraints.txt\nrequests<3\n", encoding="utf-8")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("-c constraints.txt\nrequests\n", encoding="utf-8")
    output = run(["tree", str(requirements)], tmp_path)
    assert re.search(r"constraints\.txt:1.*cycle", output), output


# --- nesting past the parsers' recursion ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("uv.lock", "version = 1\nx = " + "[" * 10_000 + "]" * 10_000 + "\n"),
        ("pyproject.toml", '[project]\nname = "a"\nx = ' + "[" * 10_000 + "]" * 10_000 + "\n"),
        ("pdm.lock", "x = " + "{a = " * 10_000 + "1" + "}" * 10_000 + "\n"),
        ("pylock.toml", 'lock-version = "1.0"\nx = ' + "[" * 10_000 + "\n"),  # unclosed as well
        ("poetry.lock", "x = " + "1" * 10_000 + "\n"),  # an integer past the 4,300-digit limit
    ],
)
def test_deeply_nested_toml(tmp_path: Path, name: str, body: str) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    output = run(["tree", str(path)], tmp_path)
    assert str(path) in output, output


def test_deeply_nested_pipfile_lock(tmp_path: Path) -> None:
    path = tmp_path / "Pipfile.lock"
    path.write_text('{"_meta": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    output = run(["tree", str(path)], tmp_path)
    assert str(path) in output, output


def test_deeply_nested_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        'extends = "sl3"\nallowed_indexes = ' + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8"
    )
    output = run(["policy", "validate", str(path)], tmp_path)
    assert str(path) in output, output


# --- a policy extending itself --------------------------------------------------------------------


@pytest.mark.parametrize("base", ["{self}", "./policy.toml", "policy.toml"])
def test_policy_extending_itself(tmp_path: Path, base: str) -> None:
    """``extends`` names only built-in levels, so a chain cannot cycle: a file base is refused."""
    path = tmp_path / "policy.toml"
    path.write_text(f'extends = "{base.replace("{self}", str(path))}"\n', encoding="utf-8")
    output = run(["policy", "validate", str(path)], tmp_path)
    assert re.search(rf"{re.escape(str(path))}:1: extends: unknown base", output), output


# --- OSV archives containing archives -------------------------------------------------------------


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_nested_inside_itself(tmp_path: Path) -> None:
    """Archives inside the archive are not opened: only records count, so nesting cannot recurse."""
    path = tmp_path / "osv.zip"
    inner = _zip_bytes({"GHSA-1.json": b"{}"})
    first = _zip_bytes({"inner.zip": inner})
    path.write_bytes(_zip_bytes({"osv.zip": first, "again/osv.zip": first}))
    output = run(["db", "update", "--from", str(path)], tmp_path)
    assert re.search(rf"{re.escape(str(path))}: no OSV records", output), output


def test_tar_containing_itself_as_a_record(tmp_path: Path) -> None:
    """The archive's own bytes stored under a ``.json`` name: a malformed record naming its member."""
    path = tmp_path / "osv.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(PINS, arcname="placeholder.txt")
    own = path.read_bytes()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("PYSEC-0000-1.json")
        info.size = len(own)
        archive.addfile(info, io.BytesIO(own))
    output = run(["db", "update", "--from", str(path)], tmp_path)
    assert "PYSEC-0000-1.json" in output, output
    assert str(path) in output, output


def test_deeply_nested_osv_records(tmp_path: Path) -> None:
    directory = tmp_path / "osv"
    directory.mkdir()
    (directory / "PYSEC-0000-2.json").write_text('{"id": ' + "[" * 100_000 + "]" * 100_000 + "}")
    output = run(["db", "update", "--from", str(directory)], tmp_path)
    assert "PYSEC-0000-2.json" in output, output
    (directory / "PYSEC-0000-2.json").unlink()
    (directory / "PYSEC-0000-3.yaml").write_text("id: " + "[" * 100_000 + "]" * 100_000 + "\n")
    output = run(["db", "update", "--from", str(directory)], tmp_path)
    assert "PYSEC-0000-3.yaml" in output, output


def test_deeply_nested_osv_json_file(tmp_path: Path) -> None:
    path = tmp_path / "GHSA-0000-0000-0000.json"
    path.write_text(json.dumps({"id": "x"})[:-1] + ', "a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    output = run(["db", "update", "--from", str(path)], tmp_path)
    assert str(path) in output, output


def test_include_diamonds_are_read_once(tmp_path: Path) -> None:
    """Each file includes the next three times: 3**20 reads unless a file already read is skipped."""
    levels = 20
    for level in range(levels):
        body = f"-r r{level + 1}.txt\n" * 3 if level + 1 < levels else "requests==2.32.3\n"
        (tmp_path / f"r{level}.txt").write_text(body, encoding="utf-8")
    (tmp_path / "r0.txt").write_text("-r r1.txt\n" * 3 + "-r missing.txt\n", encoding="utf-8")
    output = run(["tree", "--input-format", "requirements", str(tmp_path / "r0.txt")], tmp_path)
    assert "r0.txt:4" in output, output  # the one real error, after the whole diamond was walked


def test_huge_osv_json_file(tmp_path: Path) -> None:
    """``db update --from x.json`` read the whole file: now bounded like one archive member."""
    limit = ArchiveLimits().max_member_bytes
    path = sparse(tmp_path / "GHSA-0000-0000-0001.json", limit + 1, b'{"id": "x", "a": "')
    output = run(["db", "update", "--from", str(path)], tmp_path)
    assert re.search(rf"{re.escape(str(path))}: larger than {limit}", output), output


@pytest.mark.parametrize(
    "command",
    [
        ["tree", "--input-format", "uv-lock", "{f}"],
        ["tree", "--input-format", "pipfile-lock", "{f}"],
        ["tree", "--input-format", "pyproject", "{f}"],
        ["policy", "validate", "{f}"],
        ["audit", str(PINS), "--no-deps", "--offline", "--policy", "sl1", "--allowlist", "{f}"],
    ],
    ids=["uv-lock", "pipfile-lock", "pyproject", "policy", "allowlist"],
)
def test_a_device_named_as_a_file_is_refused(tmp_path: Path, command: list[str]) -> None:
    """``/dev/zero`` reports 0 bytes and never ends: it was read until memory ran out."""
    output = run([part.replace("{f}", "/dev/zero") for part in command], tmp_path)
    assert "/dev/zero" in output, output
    assert "not a regular file" in output, output


def test_poetry_source_priority_of_the_wrong_type(tmp_path: Path) -> None:
    """Hand-made: ``priority = []`` raised TypeError (unhashable) in the Poetry source filter."""
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.poetry]\nname = "x"\nversion = "1"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n\n'
        '[[tool.poetry.source]]\nname = "corp"\nurl = "https://example.org/simple"\npriority = []\n',
        encoding="utf-8",
    )
    output = run(["tree", str(path)], tmp_path)
    assert f"{path}:11: tool.poetry.source: 'priority' must be a string" in output, output


@pytest.mark.parametrize("name", ["../secret.txt", "{abs}"])
def test_dynamic_dependencies_outside_the_project_are_refused(tmp_path: Path, name: str) -> None:
    """Hand-made: ``dynamic.dependencies = {file = ["../x"]}`` read any file (and echoed bad lines)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN-abc123 is not a requirement\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    path = project / "pyproject.toml"
    listed = name.replace("{abs}", str(secret))
    path.write_text(
        '[project]\nname = "x"\nversion = "1"\ndynamic = ["dependencies"]\n\n'
        f'[tool.setuptools.dynamic]\ndependencies = {{file = ["{listed}"]}}\n',
        encoding="utf-8",
    )
    output = run(["tree", str(path)], tmp_path)
    assert f"{path}:7: 'tool.setuptools.dynamic.dependencies' names" in output, output
    assert "outside the project directory" in output, output
    assert "TOKEN-abc123" not in output, output


# --- values that parse and then overflow a later stage ---------------------------------------------

HUGE_VERSION = "1" * 5000  # past int()'s 4,300-digit conversion limit: ValueError, exit 70 before
HUGE_NAME = "a" * 100_000  # every index and API URL built from it broke the HTTP client's URL limit


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("requirements.txt", f"six=={HUGE_VERSION}\n", r":1: requirement 'six': invalid version in '==1111"),
        (
            "poetry.lock",
            f'[[package]]\nname = "six"\nversion = "{HUGE_VERSION}"\ndescription = ""\noptional = false\n'
            'python-versions = "*"\nfiles = []\n\n[metadata]\nlock-version = "2.1"\npython-versions = "*"\n'
            'content-hash = "x"\n',
            r":1: package 'six' has an invalid version '1111",
        ),
        (
            "uv.lock",
            f'version = 1\n\n[[package]]\nname = "six"\nversion = "{HUGE_VERSION}"\n'
            'source = { registry = "https://pypi.org/simple" }\n',
            r":3: package 'six' has an invalid version '1111",
        ),
        ("requirements.txt", f"{HUGE_NAME}==1.0\n", r":1: package name 'aaaa.*100000 characters long"),
        (
            "uv.lock",
            f'version = 1\n\n[[package]]\nname = "{HUGE_NAME}"\nversion = "1.0"\n'
            'source = { registry = "https://pypi.org/simple" }\n',
            r":3: package name 'aaaa.*100000 characters long",
        ),
    ],
    ids=["version-requirements", "version-poetry", "version-uv", "name-requirements", "name-uv"],
)
@pytest.mark.parametrize(
    "command", [["tree", "{f}"], ["audit", "{f}", "--no-deps", "--offline", "--policy", "sl1"]]
)
def test_a_huge_version_or_name_is_refused_with_its_line(
    tmp_path: Path, name: str, body: str, expected: str, command: list[str]
) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    output = run([part.replace("{f}", str(path)) for part in command], tmp_path)
    assert re.search(re.escape(str(path)) + expected, output), output[-2000:]
    assert len(output) < 2000  # the value is not echoed whole
