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


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'lock-version = "2.0"\n',
            "pylock.toml:1: pylock lock-version '2.0' is not supported (supported: 1.x)",
        ),
        (
            'lock-version = "1.0"\n\n[[packages]]\nname = "a"\n',
            "pylock.toml:3: package 'a' has no 'version' string (unversioned packages are not supported)",
        ),
        (
            'lock-version = "1.0"\n\n[[packages]]\nname = "a"\nversion = "1"\n'
            'wheels = [{ hashes = { sha256 = "zz" } }]\n',
            "pylock.toml:3: package 'a' wheel: hash 'sha256:zz' is not 'algorithm:hex'",
        ),
        (
            'lock-version = "1.0"\npackages = 3\n',
            "pylock.toml:2: pylock: 'packages' must be an array, not int",
        ),
    ],
)
def test_malformed_pylock_names_file_and_line(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read(path)
    assert raised.value.diagnostics().replace(str(tmp_path) + "/", "") == message
