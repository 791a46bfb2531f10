"""pylock.toml (PEP 751) reader: uv's real export of the nnsight lock, hand-made PEP 751 features, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.errors import InputError
from supplychain.inputs import InputOptions, reader
from supplychain.model import LockedSet, OriginKind
from supplychain.target import Target

LOCKS = Path(__file__).parents[1] / "fixtures" / "inputs" / "locks"
LINUX = Target.parse("3.11", "x86_64-manylinux_2_28")


def read(path: Path, target: Target = LINUX, groups: tuple[str, ...] = ()) -> LockedSet:
    result = reader("pylock").read(path, InputOptions(target=target, groups=groups))
    assert isinstance(result, LockedSet)
    return result


def test_real_export_selects_packages_by_marker_for_the_target() -> None:
    linux = read(LOCKS / "pylock.nnsight.toml")
    assert len(linux.packages) == 205
    requests = next(p for p in linux.packages if p.ref.name == "requests")
    assert str(requests.ref.version) == "2.34.2"
    assert str(requests.origin.url) == "https://pypi.org/simple"
    assert requests.origin.hashes == (
        "sha256:2a0d60c172f83ac6ab31e4554906c0f3b3588d37b5cb939b1c061f4907e278e0",  # the wheel
        "sha256:f288924cae4e29463698d6d60bc6a4da69c89185ad1e0bcc4104f584e960b9ed",  # the sdist
    )
    assert requests.dependencies is None  # uv's export records no edges
    assert requests.location is not None
    assert requests.location.line == 2598
    windows = read(LOCKS / "pylock.nnsight.toml", Target.parse("3.11", "windows"))
    assert "triton" in {p.ref.name for p in linux.packages}
    assert "triton" not in {p.ref.name for p in windows.packages}  # marker: sys_platform == 'linux'


def test_dependency_groups_markers_and_non_index_sources() -> None:
    default = {p.ref.name: p for p in read(LOCKS / "handmade" / "pylock.groups.toml").packages}
    assert "pytest" not in default  # only in the "dev" group
    assert "pytest" in {
        p.ref.name for p in read(LOCKS / "handmade" / "pylock.groups.toml", groups=("dev",)).packages
    }
    assert default["attrs"].origin.kind is OriginKind.VCS
    assert default["attrs"].origin.commit == "0a8f2ba0ddf4a37d5a0a5a1d4c1fa2b4e4cb1d01"
    assert default["mylib"].origin.kind is OriginKind.EDITABLE
    assert default["six"].origin.kind is OriginKind.URL
    assert default["six"].origin.hashes == (
        "sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81",
    )


HEAD = 'lock-version = "1.0"\ncreated-by = "hand"\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'lock-version = "2.0"\n',
            "pylock.toml:1: pylock lock-version '2.0' is not supported (supported: 1.x)",
        ),
        (
            HEAD + '\n[[packages]]\nname = "a"\nversion = "1"\n'
            'wheels = [{ url = "https://x.invalid/a-1-py3-none-any.whl", hashes = { sha256 = "zz" } }]\n',
            "pylock.toml:4: package 'a' wheel: hash 'sha256:zz' is not 'algorithm:hex'",
        ),
        (
            HEAD + "packages = 3\n",
            "pylock.toml:3: not a valid pylock file: Unexpected type int (expected Sequence) in 'packages'",
        ),
        (
            HEAD + '\n[[packages]]\nname = "a"\nversion = "1"\n'
            'wheels = [{ url = "https://x.invalid/a-2-py3-none-any.whl", hashes = { sha256 = "00" } }]\n',
            "pylock.toml:4: not a valid pylock file: Version in 'a-2-py3-none-any.whl' is not consistent "
            "with package version '1' in 'packages[0].wheels[0]'",
        ),
        (
            'lock-version = "1.0"\n\n[[packages]]\nname = "a"\nversion = "1"\n',
            "pylock.toml: not a valid pylock file: Missing required value in 'created-by'",
        ),
    ],
)
def test_malformed_pylock_names_file_and_line(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read(path)
    assert raised.value.diagnostics().replace(str(tmp_path) + "/", "") == message


def test_packages_without_a_version_are_read_not_refused(tmp_path: Path) -> None:
    """``uv export --format pylock.toml`` writes the project itself as a versionless directory package."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "project"\nversion = "0.1.0"\n', encoding="utf-8"
    )
    path = project / "pylock.toml"
    files = "https://example.invalid"
    path.write_text(
        HEAD + '\n[[packages]]\nname = "project"\ndirectory = { path = ".", editable = true }\n'
        f'\n[[packages]]\nname = "six"\narchive = {{ url = "{files}/six-1.17.0-py2.py3-none-any.whl", '
        'hashes = { sha256 = "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274" } }\n'
        '\n[[packages]]\nname = "attrs"\n'
        'vcs = { type = "git", url = "https://github.com/python-attrs/attrs.git", commit-id = "0a8f2ba0" }\n'
        '\n[[packages]]\nname = "idna"\nindex = "https://pypi.org/simple"\n'
        f'wheels = [{{ url = "{files}/idna-3.10-py3-none-any.whl", hashes = {{ sha256 = "00" }} }}]\n',
        encoding="utf-8",
    )
    packages = {p.ref.name: p for p in read(path).packages}
    assert str(packages["project"].ref.version) == "0.1.0"  # its static [project].version
    assert packages["project"].origin.kind is OriginKind.EDITABLE
    assert str(packages["six"].ref.version) == "1.17.0"  # from the archive's file name
    assert not packages["attrs"].ref.version_known  # a commit is not a version: unknown, never guessed
    assert str(packages["idna"].ref.version) == "3.10"  # from the wheel's file name


def test_a_pylock_without_packages_is_refused_not_empty(tmp_path: Path) -> None:
    """PEP 751 requires ``packages``: a file without it passed as "0 packages"."""
    path = tmp_path / "pylock.toml"
    path.write_text(HEAD, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read(path)
    assert raised.value.diagnostics() == (
        f"{path}: pylock has no 'packages' array (PEP 751 requires one, even if empty)"
    )


def test_an_unevaluable_package_marker_is_located(tmp_path: Path) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text(
        HEAD + '\n[[packages]]\nname = "a"\nversion = "1"\nmarker = "python_version ~= \'fred\'"\n'
        'archive = { url = "https://example.invalid/a-1.tar.gz", hashes = { sha256 = "00" } }\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as raised:
        read(path)
    assert raised.value.diagnostics().startswith(
        f"{path}:4: package 'a': invalid marker 'python_version ~= \"fred\"': cannot be evaluated"
    )


def test_uv_export_of_a_workspace_reads_its_versionless_members() -> None:
    """uv's real export: every member is ``directory = {...}`` without a version; the file was refused."""
    locked = read(LOCKS / "handmade" / "uv-workspace" / "pylock.toml")
    versions = {p.ref.name: str(p.ref.version) for p in locked.packages}
    assert versions == {
        "certifi": "2026.10.19.post1",
        "idna": "3.20",
        "iniconfig": "2.3.1",  # the dev group: ``uv export`` includes it unless told not to
        "ws-cli": "0.3.0",  # from packages/cli/pyproject.toml's static version
        "ws-core": "0.2.0",
        "ws-root": "0.1.0",
    }  # colorama (win32) and tomli (Python < 3.11) are not for this target
    members = {p.ref.name: p.origin.kind for p in locked.packages if p.ref.name.startswith("ws-")}
    assert set(members.values()) == {OriginKind.EDITABLE}
