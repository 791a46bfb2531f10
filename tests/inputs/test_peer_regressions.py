"""Reader bugs the peers' own fixtures found (tests/fixtures/peers): each case fails without its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version

from supplychain.errors import InputError
from supplychain.inputs import InputOptions, reader
from supplychain.model import UNKNOWN_VERSION, LockedSet
from supplychain.target import Scope, Target
from supplychain.urls import SafeUrl, redact, same_index

TARGET = Target.parse("3.12", "x86_64-manylinux_2_28")
OPTIONS = InputOptions(target=TARGET, scope=Scope.of_flags(TARGET, None, None, (), ()))
PEERS = Path(__file__).parents[1] / "fixtures" / "peers"


def _read(input_id: str, path: Path) -> LockedSet:
    result = reader(input_id).read(path, OPTIONS)
    assert isinstance(result, LockedSet)
    return result


def test_pipfile_lock_index_given_as_a_list_is_refused_with_its_line(tmp_path: Path) -> None:
    """``entry.get("index")`` fed a list to a dict lookup: TypeError, exit 70."""
    lock = {
        "_meta": {
            "pipfile-spec": 6,
            "sources": [
                {"name": "pypi", "url": "https://pypi.org/simple"},
                {"name": "corp", "url": "https://corp.example/simple"},
            ],
        },
        "default": {"six": {"hashes": [], "index": ["pypi"], "version": "==1.17.0"}},
        "develop": {},
    }
    path = tmp_path / "Pipfile.lock"
    path.write_text(json.dumps(lock, indent=4), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        _read("pipfile-lock", path)
    assert raised.value.location is not None
    assert raised.value.location.file == str(path)
    assert (
        raised.value.location.line
        == path.read_text(encoding="utf-8").splitlines().index('        "six": {') + 1
    )
    assert "'index' must be a string" in raised.value.diagnostics()


def test_bracketed_host_that_is_no_ip_address_is_an_unusable_url_not_a_crash() -> None:
    """``urlsplit("http://[LOCALHOST]/")`` raises ValueError; uv's test locks carry such URLs."""
    assert not same_index("http://[LOCALHOST]/simple", "http://[LOCALHOST]/simple")
    assert SafeUrl("http://token@[LOCALHOST]/simple").has_credentials
    assert "token" not in redact("http://token@[LOCALHOST]/simple")


def test_uv_lock_index_pin_to_a_bracketed_non_ip_host_is_refused_not_crashed(tmp_path: Path) -> None:
    """A registry pinned in ``[package.metadata]`` compared with ``same_index``: it crashed with exit 70.

    The URL names no server, so the lock is refused (exit 2) at the package, as any invalid URL is."""
    path = tmp_path / "uv.lock"
    path.write_text(
        """\
version = 1
revision = 3
requires-python = ">=3.12"

[[package]]
name = "basic-package"
version = "0.1.0"
source = { registry = "http://[LOCALHOST]/simple" }

[[package]]
name = "project"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "basic-package" }]

[package.metadata]
requires-dist = [{ name = "basic-package", index = "http://[LOCALHOST]/simple" }]
""",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as raised:
        _read("uv-lock", path)
    assert raised.value.location is not None
    assert (raised.value.location.file, raised.value.location.line) == (str(path), 5)
    assert "invalid URL" in raised.value.diagnostics()


def test_uv_lock_dynamic_path_dependency_is_audited_not_dropped() -> None:
    """uv omits the version of a path dependency whose version is dynamic; the reader skipped it."""
    result = _read("uv-lock", PEERS / "uv" / "lock" / "lock_dynamic_version_path_dependency.1.uv.lock")
    found = {package.ref.name: package.ref.version for package in result.packages}
    assert found["dynamic"] == UNKNOWN_VERSION
    assert "iniconfig" in found


def test_uv_lock_versionless_path_dependency_takes_its_static_version(tmp_path: Path) -> None:
    """Where the directory states its version statically, that version is audited."""
    lock = (PEERS / "uv" / "lock" / "lock_dynamic_version_path_dependency.1.uv.lock").read_text(
        encoding="utf-8"
    )
    (tmp_path / "uv.lock").write_text(lock, encoding="utf-8")
    (tmp_path / "dynamic").mkdir()
    (tmp_path / "dynamic" / "pyproject.toml").write_text(
        '[project]\nname = "dynamic"\nversion = "1.2.3"\n', encoding="utf-8"
    )
    found = {p.ref.name: p.ref.version for p in _read("uv-lock", tmp_path / "uv.lock").packages}
    assert found["dynamic"] == Version("1.2.3")


def test_pylock_wheel_with_empty_hashes_as_uv_exports_it_is_read() -> None:
    """``uv export --format pylock.toml`` writes ``hashes = {}`` for a hashless index file; packaging
    refuses the file, so the whole lock was rejected. It is read, recording no hash for that file."""
    path = PEERS / "uv" / "export" / "pylock_workspace_member_conflict_markers.1.pylock.toml"
    result = _read("pylock", path)
    torch = [package for package in result.packages if package.ref.name == "torch"]
    assert torch
    hashes = [digest for package in torch for digest in package.origin.hashes]
    assert all(digest.startswith("sha256:") and len(digest) == 71 for digest in hashes), hashes
    sympy = next(package for package in result.packages if package.ref.name == "sympy")
    assert sympy.origin.hashes  # real hashes are kept


@pytest.mark.parametrize(
    ("dependency", "message"),
    [
        ('{ name = "-" }', "invalid package name '-'"),
        ('{ name = "iniconfig", extra = ["../x"] }', "invalid dependency"),
    ],
)
def test_uv_lock_member_dependency_that_is_no_requirement_is_refused(
    dependency: str, message: str, tmp_path: Path
) -> None:
    """Found by fuzzing uv's own lock: a member's dependency became ``Requirement("-")``, exit 70."""
    seed = PEERS / "uv" / "lock" / "lock_dynamic_version_path_dependency.1.uv.lock"
    lock = seed.read_text(encoding="utf-8")
    path = tmp_path / "uv.lock"
    path.write_text(lock.replace('    { name = "dynamic" },\n', f"    {dependency},\n", 1), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        _read("uv-lock", path)
    assert message in raised.value.diagnostics()
    assert raised.value.location is not None
    assert raised.value.location.line is not None


PIPENV_PYLOCK = PEERS / "pipenv" / "unit" / "valid_pylock_content.pylock.toml"


def test_pylock_upload_time_written_as_a_string_is_read() -> None:
    """pipenv's own fixture spells ``upload-time`` as a quoted RFC 3339 string; packaging wants a
    datetime and refused the whole lock, though pipenv reads it."""
    result = _read("pylock", PIPENV_PYLOCK)
    assert ("requests", Version("2.28.1")) in {(p.ref.name, p.ref.version) for p in result.packages}


def test_pylock_package_of_an_undeclared_group_is_in_the_open_scope() -> None:
    """``marker = "'dev' in dependency_groups"`` with no top-level ``dependency-groups``: the open
    scope evaluated with no groups at all and silently dropped pytest."""
    result = _read("pylock", PIPENV_PYLOCK)
    assert ("pytest", Version("7.0.0")) in {(p.ref.name, p.ref.version) for p in result.packages}
    narrowed = InputOptions(target=TARGET, scope=Scope.of_flags(TARGET, None, None, (), ("docs",)))
    other = reader("pylock").read(PIPENV_PYLOCK, narrowed)
    assert isinstance(other, LockedSet)
    assert "pytest" not in {p.ref.name for p in other.packages}  # --group docs still narrows


@pytest.mark.parametrize("members", ["0", "[0]", '"project"'])
def test_uv_lock_manifest_members_of_another_shape_is_refused(members: str, tmp_path: Path) -> None:
    """Found by fuzzing uv's own lock (lock_remove_member): ``members = [0]`` crashed normalize()."""
    seed = PEERS / "uv" / "lock" / "lock_remove_member.1.uv.lock"
    text = seed.read_text(encoding="utf-8")
    assert "members = [" in text
    path = tmp_path / "uv.lock"
    start = text.index("members = [")
    end = text.index("]", start) + 1
    path.write_text(text[:start] + f"members = {members}" + text[end:], encoding="utf-8")
    with pytest.raises(InputError) as raised:
        _read("uv-lock", path)
    assert raised.value.location is not None
    assert raised.value.location.line is not None


def test_poetry_lock_metadata_files_of_another_type_is_refused_at_its_line(tmp_path: Path) -> None:
    """Found by fuzzing osv-scalibr's poetry.lock: ``files = "x"`` inside ``[metadata]`` was refused
    with no line, as only a ``[metadata.files]`` table header was looked for."""
    text = (PEERS / "osv-scalibr" / "poetrylock" / "testdata" / "one-package-with-metadata.lock").read_text(
        encoding="utf-8"
    )
    assert "[metadata]\n" in text
    text = text.split("\n[metadata.files]")[0]  # the table is replaced by a string
    path = tmp_path / "poetry.lock"
    path.write_text(text.replace("[metadata]\n", '[metadata]\nfiles = "x"\n', 1), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        _read("poetry-lock", path)
    assert raised.value.location is not None
    rows = path.read_text(encoding="utf-8").splitlines()
    assert raised.value.location.line == rows.index('files = "x"') + 1


def test_uv_lock_version_written_as_a_table_is_refused_at_its_header(tmp_path: Path) -> None:
    """Found by fuzzing uv's own lock: ``[version]`` (a table) was refused with no line."""
    text = (PEERS / "uv" / "lock" / "lock_bump_static_version.1.uv.lock").read_text(encoding="utf-8")
    path = tmp_path / "uv.lock"
    path.write_text(text.replace("version = 1\n", "", 1) + "\n[version]\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        _read("uv-lock", path)
    assert raised.value.location is not None
    assert raised.value.location.line == path.read_text(encoding="utf-8").splitlines().index("[version]") + 1
