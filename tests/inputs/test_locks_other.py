"""Pipfile.lock and pdm.lock readers on real public locks, plus malformed variants with exact locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.errors import InputError
from supplychain.inputs import InputOptions, reader
from supplychain.model import LockedDependency, LockedSet, OriginKind
from supplychain.resolve.locked import graph_from_locked
from supplychain.target import Target

LOCKS = Path(__file__).parents[1] / "fixtures" / "inputs" / "locks"
PIPFILE = LOCKS / "sam-starter-py" / "Pipfile.lock"
PDM = LOCKS / "shrugbot" / "pdm.lock"
LINUX = Target.parse("3.11", "x86_64-manylinux_2_28")


def read(kind: str, path: Path, target: Target = LINUX) -> LockedSet:
    result = reader(kind).read(path, InputOptions(target=target))
    assert isinstance(result, LockedSet)
    return result


def test_pipfile_lock_default_and_develop_with_hashes_and_index() -> None:
    locked = read("pipfile-lock", PIPFILE)
    assert len(locked.packages) == 32  # 10 default + 24 develop, certifi and urllib3 in both
    boto3 = next(p for p in locked.packages if p.ref.name == "boto3")
    assert str(boto3.ref.version) == "1.16.33"
    assert boto3.origin.kind is OriginKind.INDEX
    assert str(boto3.origin.url) == "https://pypi.org/simple"
    assert boto3.origin.hashes == (
        "sha256:0aba88dadc9ae5d103c6d8de7ac88df67b3b0198da82346993b0c52b7477a5dd",
        "sha256:aaccf2aec5c2dc15c81b3105d00db930fe40fd84114a5cebc33f9948ec0258ee",
    )
    assert boto3.dependencies is None
    assert locked.roots == ()
    assert boto3.location is not None
    assert boto3.location.line == 19
    typing = next(p for p in locked.packages if p.ref.name == "typing-extensions")
    assert typing.marker == 'python_version < "3.8"'


def test_pdm_lock_edges_hashes_from_metadata_files_and_markers() -> None:
    locked = read("pdm-lock", PDM)
    assert len(locked.packages) == 15
    assert locked.roots == ()
    telegram = next(p for p in locked.packages if p.ref.name == "python-telegram-bot")
    assert str(telegram.ref.version) == "13.12"
    assert telegram.dependencies is not None
    assert LockedDependency(name="apscheduler", specifier="==3.6.3") in telegram.dependencies
    assert telegram.origin.hashes == (
        "sha256:08246ecccbb0e7b2ac43d3b545c3bdabc71194b20be9620cd0ed96a2eb66820d",
        "sha256:daf55fb6f418b8752317fd12df824dd717e3229a87d83810a4cdd6e442f66de5",
    )
    windows = graph_from_locked(locked, Target.parse("3.11", "windows"))
    linux = graph_from_locked(locked, LINUX)
    assert windows.requested_by("tzdata") == ["<root>", "pytz-deprecation-shim", "tzlocal"]
    assert linux.requested_by("tzdata") == ["<root>", "pytz-deprecation-shim"]  # tzlocal: Windows only


def test_pdm_roots_come_from_a_sibling_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pdm.lock").write_bytes(PDM.read_bytes())
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "shrugbot"\nversion = "0"\ndependencies = ["python-telegram-bot>=13", "toml"]\n',
        encoding="utf-8",
    )
    locked = read("pdm-lock", tmp_path / "pdm.lock")
    assert [r.name for r in locked.roots] == ["python-telegram-bot", "toml"]
    graph = graph_from_locked(locked, LINUX)
    assert "six" in graph
    assert not graph.is_direct("six")
    assert graph.depth("six") == 3  # python-telegram-bot -> apscheduler -> six


@pytest.mark.parametrize(
    ("kind", "name", "body", "message"),
    [
        (
            "pipfile-lock",
            "Pipfile.lock",
            '{"_meta": {"pipfile-spec": 6},\n "default": {\n',
            "Pipfile.lock:3: not valid JSON: Expecting property name enclosed in double quotes",
        ),
        (
            "pipfile-lock",
            "Pipfile.lock",
            '{"_meta": {\n  "pipfile-spec": 7}}',
            "Pipfile.lock:2: Pipfile.lock pipfile-spec 7 is not supported (supported: 6)",
        ),
        (
            "pipfile-lock",
            "Pipfile.lock",
            '{"_meta": {"pipfile-spec": 6},\n "default": {\n  "six": {"hashes": []}}}',
            "Pipfile.lock:3: package 'six': 'version' must be a string like '==1.2.3', got None",
        ),
        (
            "pipfile-lock",
            "Pipfile.lock",
            '{"_meta": {"pipfile-spec": 6},\n "default": {\n  "six": {"version": "==x!"}}}',
            "Pipfile.lock:3: package 'six' has an invalid version 'x!'",
        ),
        (
            "pipfile-lock",
            "Pipfile.lock",
            '{"_meta": {"pipfile-spec": 6,\n  "sources": [{"name": "pypi", "url": ""}]}}',
            "Pipfile.lock:2: _meta.sources has an empty 'url'",  # found by fuzzing: exit 70 before
        ),
        (
            "pdm-lock",
            "pdm.lock",
            '[metadata]\nlock_version = "3.1"\n',
            "pdm.lock:2: pdm.lock lock_version '3.1' is not supported (supported: 4.x)",
        ),
        (
            "pdm-lock",
            "pdm.lock",
            '[metadata]\nlock_version = "4.4"\n\n[[package]]\nname = "a"\nversion = "1"\n'
            'dependencies = ["b >= "]\n',
            "pdm.lock:4: package 'a': invalid requirement 'b >= ': "
            "Expected semicolon (after name with no version specifier) or end",
        ),
        (
            "pdm-lock",
            "pdm.lock",
            '[metadata]\nlock_version = "4.4"\n\n[[package]]\nname = "a"\n',
            "pdm.lock:4: package 'a' has no 'version' string",
        ),
    ],
)
def test_malformed_locks_name_file_and_line(
    tmp_path: Path, kind: str, name: str, body: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read(kind, path)
    assert raised.value.diagnostics().replace(str(tmp_path) + "/", "") == message


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("uv-lock", LOCKS / "nnsight" / "uv.lock"),
        ("pylock", LOCKS / "pylock.nnsight.toml"),
        ("pipfile-lock", PIPFILE),
        ("pdm-lock", PDM),
        ("poetry-lock", LOCKS / "transformer-lens" / "poetry.lock"),
        ("installed", LOCKS / "site-packages"),
    ],
)
def test_each_reader_is_registered_under_its_id_and_recognises_its_file(kind: str, path: Path) -> None:
    found = reader(kind)
    assert found.id == kind
    assert found.detect(path)
    others = {"uv-lock", "pylock", "pipfile-lock", "pdm-lock", "poetry-lock", "installed"} - {kind}
    assert not any(reader(other).detect(path) for other in others)


PDM_MODERN = """\
# hand-made in PDM 2.x's lock_version 4.5 layout (inline files, groups, markers, extras entries)
[metadata]
groups = ["default", "test"]
strategy = ["inherit_metadata"]
lock_version = "4.5"
content_hash = "sha256:0"

[[package]]
name = "pytest-cov"
version = "6.0.0"
groups = ["test"]
dependencies = ["coverage[toml]>=7.5", "pytest>=4.6"]
files = []

[[package]]
name = "coverage"
version = "7.6.10"
groups = ["test"]
files = []

[[package]]
name = "coverage"
version = "7.6.10"
extras = ["toml"]
groups = ["test"]
dependencies = ["coverage==7.6.10", "tomli; python_full_version <= \\"3.11.0a6\\""]
files = []

[[package]]
name = "tomli"
version = "2.2.1"
groups = ["test"]
marker = "python_full_version <= \\"3.11.0a6\\""
files = []

[[package]]
name = "pytest"
version = "8.3.4"
groups = ["test"]
files = []
"""


def test_pdm_extras_entries_merge_into_the_base_package(tmp_path: Path) -> None:
    path = tmp_path / "pdm.lock"
    path.write_text(PDM_MODERN, encoding="utf-8")
    locked = read("pdm-lock", path)
    assert [p.ref.name for p in locked.packages] == ["coverage", "pytest", "pytest-cov", "tomli"]
    coverage = locked.packages[0]
    assert coverage.dependencies == (
        LockedDependency(name="tomli", marker='(python_full_version <= "3.11.0a6") and (extra == "toml")'),
    )
    old = graph_from_locked(locked, Target.parse("3.10", "x86_64-manylinux_2_28"))
    assert old.requested_by("tomli") == ["<root>", "coverage"]
    assert "tomli" not in graph_from_locked(locked, LINUX)  # the package marker excludes it on 3.11


COMMIT = "0a8f2ba0ddf4a37d5a0a5a1d4c1fa2b4e4cb1d01"


def test_pipfile_git_path_file_and_arbitrary_equality_entries(tmp_path: Path) -> None:
    """pipenv writes no version for git, path and file entries: each rejected the whole file before."""
    mylib = tmp_path / "mylib"
    mylib.mkdir()
    (mylib / "pyproject.toml").write_text('[project]\nname = "mylib"\nversion = "0.3.0"\n', encoding="utf-8")
    path = tmp_path / "Pipfile.lock"
    git = f'"git": "https://github.com/psf/requests.git", "ref": "{COMMIT}"'
    path.write_text(
        '{"_meta": {"pipfile-spec": 6, "sources": [{"name": "pypi", "url": "https://pypi.org/simple"}]},\n'
        ' "default": {\n'
        f'  "requests": {{"editable": true, {git}}},\n'
        '  "mylib": {"editable": true, "path": "./mylib"},\n'
        '  "six": {"file": "https://files.pythonhosted.org/packages/b7/ce/six-1.17.0-py2.py3-none-any.whl"},\n'
        '  "exact": {"hashes": [], "version": "===1.2.3"},\n'
        '  "legacy": {"hashes": [], "version": "===2.0-custom-build"}\n'
        " },\n"
        ' "develop": {}\n}\n',
        encoding="utf-8",
    )
    packages = {p.ref.name: p for p in read("pipfile-lock", path).packages}
    assert (packages["requests"].origin.kind, packages["requests"].origin.commit) == (OriginKind.VCS, COMMIT)
    assert not packages["requests"].ref.version_known  # a commit, not a version
    assert (packages["mylib"].origin.kind, str(packages["mylib"].ref.version)) == (
        OriginKind.EDITABLE,
        "0.3.0",
    )
    assert (packages["six"].origin.kind, str(packages["six"].ref.version)) == (OriginKind.URL, "1.17.0")
    assert str(packages["exact"].ref.version) == "1.2.3"  # read as '=1.2.3' and refused before
    assert not packages["legacy"].ref.version_known  # not PEP 440: nothing can be compared with it
    assert packages["legacy"].location is not None
    assert packages["legacy"].location.line == 7
