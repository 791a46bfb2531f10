"""Installed-environment reader: real METADATA files from this machine's venv in a fake site-packages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from supplychain.errors import InputError
from supplychain.inputs import InputOptions, reader
from supplychain.inputs.site_packages import running_site_packages
from supplychain.model import LockedDependency, LockedSet, OriginKind
from supplychain.resolve.locked import graph_from_locked
from supplychain.target import Target

REAL = Path(__file__).parents[1] / "fixtures" / "inputs" / "locks" / "site-packages"
PY311 = Target.parse("3.11", "x86_64-manylinux_2_28")


def read(path: Path, target: Target = PY311) -> LockedSet:
    result = reader("installed").read(path, InputOptions(target=target))
    assert isinstance(result, LockedSet)
    return result


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site-packages"
    shutil.copytree(REAL, root)
    return root


def dist(site: Path, name: str, version: str, *requires: str, direct_url: object = None) -> Path:
    """Hand-made distribution: a METADATA file and, when given, a PEP 610 direct_url.json."""
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        *(f"Requires-Dist: {r}" for r in requires),
    ]
    (info / "METADATA").write_text("\n".join(lines) + "\n\nbody\n", encoding="utf-8")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url), encoding="utf-8")
    return info


def test_every_dist_info_is_read_with_its_requires_dist(site: Path) -> None:
    locked = read(site)
    assert [(p.ref.name, str(p.ref.version)) for p in locked.packages] == [
        ("anyio", "4.16.0"), ("certifi", "2026.10.19.post1"), ("h11", "0.16.0"), ("httpcore", "1.0.9"),
        ("httpx", "0.28.1"), ("idna", "3.20"), ("iniconfig", "2.3.1"), ("packaging", "26.4"),
        ("pluggy", "1.7.0"), ("pygments", "2.21.0"), ("pytest", "9.2.0"), ("typing-extensions", "4.16.0"),
    ]  # fmt: skip
    pytest_pkg = next(p for p in locked.packages if p.ref.name == "pytest")
    assert pytest_pkg.dependencies is not None
    assert LockedDependency(name="colorama", specifier=">=0.4", marker='sys_platform == "win32"') in (
        pytest_pkg.dependencies
    )
    assert all(p.origin.kind is OriginKind.INDEX for p in locked.packages)


def test_roots_are_what_nothing_else_requires_for_the_target(site: Path) -> None:
    assert [r.name for r in read(site).roots] == ["httpx", "pytest"]
    # anyio needs typing_extensions only on python_version < "3.15": on 3.15 nobody requires it
    assert [r.name for r in read(site, Target.parse("3.15", "x86_64-manylinux_2_28")).roots] == [
        "httpx", "pytest", "typing-extensions",
    ]  # fmt: skip


def test_the_graph_holds_every_installed_package_with_its_edges(site: Path) -> None:
    graph = graph_from_locked(read(site), PY311)
    assert len(graph) == 12
    assert graph.dependencies("httpx") == ["anyio", "certifi", "httpcore", "idna"]
    assert graph.why("h11") == [["httpx", "httpcore", "h11"]]
    assert "colorama" not in graph  # required on win32 only, and not installed anyway


def test_an_installed_cycle_nobody_requires_is_still_in_the_graph(site: Path) -> None:
    dist(site, "ping", "1.0", "pong")
    dist(site, "pong", "1.0", "ping")
    locked = read(site)
    assert "ping" in [r.name for r in locked.roots]
    graph = graph_from_locked(locked, PY311)
    assert "ping" in graph
    assert "pong" in graph
    assert len(graph) == 14


def test_pep_610_direct_urls_give_the_origin(site: Path) -> None:
    commit = "7b6d5b8e1c9f3a2d4e5f60718293a4b5c6d7e8f9"
    dist(
        site,
        "vcspkg",
        "1.0",
        direct_url={
            "url": "https://github.com/o/r.git",
            "vcs_info": {"vcs": "git", "commit_id": commit, "requested_revision": "v1"},
        },
    )
    dist(site, "devpkg", "0.1", direct_url={"url": "file:///home/u/devpkg", "dir_info": {"editable": True}})
    dist(site, "localpkg", "0.2", direct_url={"url": "file:///home/u/localpkg", "dir_info": {}})
    dist(
        site,
        "archpkg",
        "2.0",
        direct_url={
            "url": "https://user:tok@example.org/archpkg-2.0.tar.gz",
            "archive_info": {"hashes": {"sha256": "AB" * 32}},
        },
    )
    origins = {p.ref.name: p.origin for p in read(site).packages}
    assert (origins["vcspkg"].kind, origins["vcspkg"].commit) == (OriginKind.VCS, commit)
    assert origins["devpkg"].kind is OriginKind.EDITABLE
    assert origins["localpkg"].kind is OriginKind.PATH
    assert origins["archpkg"].kind is OriginKind.URL
    assert origins["archpkg"].hashes == ("sha256:" + "ab" * 32,)
    assert str(origins["archpkg"].url) == "https://***@example.org/archpkg-2.0.tar.gz"


def test_a_venv_directory_is_read_through_its_site_packages(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "lib" / "python3.11").mkdir(parents=True)
    shutil.copytree(REAL, venv / "lib" / "python3.11" / "site-packages")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    assert reader("installed").detect(venv)
    assert len(read(venv).packages) == 12


def test_the_running_interpreter_environment_is_read_without_importing() -> None:
    directories = running_site_packages()
    assert all(d.is_dir() for d in directories)
    expected = {p.name for d in directories for p in d.glob("*.dist-info")}
    if not expected:
        pytest.skip("the running interpreter has no installed distributions")
    locked = read(Path(sys.prefix)) if (Path(sys.prefix) / "pyvenv.cfg").is_file() else read(directories[0])
    assert len(locked.packages) == len({name.split("-")[0].lower().replace("_", "-") for name in expected})


@pytest.mark.parametrize(
    ("metadata", "direct_url", "message"),
    [
        (
            "Metadata-Version: 2.1\nVersion: 1\n",
            None,
            "bad-1.dist-info/METADATA:1: METADATA has no Name header",
        ),
        (
            "Metadata-Version: 2.1\nName: bad\n",
            None,
            "bad-1.dist-info/METADATA:1: METADATA of 'bad' has no Version header",
        ),
        (
            "Metadata-Version: 2.1\nName: bad\nVersion: one\n",
            None,
            "bad-1.dist-info/METADATA:3: package 'bad' has an invalid version 'one'",
        ),
        (
            "Metadata-Version: 2.1\nName: bad\nVersion: 1\nRequires-Dist: ok\nRequires-Dist: x >=\n",
            None,
            "bad-1.dist-info/METADATA:5: invalid Requires-Dist 'x >=': "
            "Expected semicolon (after name with no version specifier) or end",
        ),
        (
            "Metadata-Version: 2.1\nName: bad\nVersion: 1\n",
            '{\n"url": }',
            "bad-1.dist-info/direct_url.json:2: not valid JSON: Expecting value",
        ),
        (
            "Metadata-Version: 2.1\nName: bad\nVersion: 1\n",
            '{"dir_info": {}}',
            "bad-1.dist-info/direct_url.json:1: direct_url.json has no 'url' string",
        ),
    ],
)
def test_malformed_metadata_names_file_and_line(
    tmp_path: Path, metadata: str, direct_url: str | None, message: str
) -> None:
    info = tmp_path / "bad-1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(metadata, encoding="utf-8")
    if direct_url is not None:
        (info / "direct_url.json").write_text(direct_url, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read(tmp_path)
    assert raised.value.diagnostics().replace(str(tmp_path) + "/", "") == message


EGG_INFO = Path(__file__).parents[1] / "fixtures" / "inputs" / "locks" / "egg-info-site-packages"


def test_legacy_egg_info_installs_are_read_from_their_metadata(tmp_path: Path) -> None:
    """Debian's python3-* packages: egg-info directories and a distutils egg-info file, beside a dist-info."""
    venv = tmp_path / "venv"
    shutil.copytree(EGG_INFO, venv / "lib" / "python3.11" / "site-packages")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    locked = read(venv)
    assert [(p.ref.name, str(p.ref.version)) for p in locked.packages] == [
        ("cryptography", "38.0.4"),  # cryptography.egg-info: the version is only in PKG-INFO
        ("pyjwt", "2.6.0"),
        ("pyyaml", "6.0"),
        ("six", "1.16.0"),
        ("wsgiref", "0.1.2"),  # a single PKG-INFO-format file
        ("yq", "3.1.0"),
    ]
    kinds = {p.ref.name: p.origin.kind for p in locked.packages}
    assert kinds["pyyaml"] is OriginKind.INDEX
    assert kinds["six"] is OriginKind.UNKNOWN  # a legacy install records no origin
    pyjwt = next(p for p in locked.packages if p.ref.name == "pyjwt")
    assert pyjwt.dependencies is not None
    assert LockedDependency(name="cryptography", specifier=">=3.4.0", marker='extra == "crypto"') in (
        pyjwt.dependencies
    )  # requires.txt's [crypto] section
    assert pyjwt.location is not None
    assert pyjwt.location.file.endswith("PyJWT-2.6.0.egg-info/PKG-INFO")


def test_egg_info_requires_txt_sections_become_markers(tmp_path: Path) -> None:
    info = tmp_path / "legacy-1.0-py3.11.egg-info"
    info.mkdir()
    (info / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: legacy\nVersion: 1.0\n", encoding="utf-8")
    (info / "requires.txt").write_text(
        'base>=1\n\n[:python_version < "3.8"]\nbackport\n\n[win:sys_platform == "win32"]\npywin32\n'
        "[url]\nthing @ https://example.invalid/thing-1.0.tar.gz\n",
        encoding="utf-8",
    )
    (package,) = read(tmp_path).packages
    assert package.dependencies == (
        LockedDependency(name="base", specifier=">=1"),
        LockedDependency(name="backport", marker='python_version < "3.8"'),
        LockedDependency(name="pywin32", marker='sys_platform == "win32" and extra == "win"'),
        LockedDependency(name="thing", marker='extra == "url"'),
    )


def test_an_invalid_requires_txt_line_is_located(tmp_path: Path) -> None:
    info = tmp_path / "legacy.egg-info"
    info.mkdir()
    (info / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: legacy\nVersion: 1.0\n", encoding="utf-8")
    (info / "requires.txt").write_text("ok\n[x]\nbad >=\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read(tmp_path)
    assert raised.value.diagnostics().replace(str(tmp_path) + "/", "") == (
        "legacy.egg-info/requires.txt:3: invalid Requires-Dist 'bad >=; extra == \"x\"': "
        "Expected semicolon (after name with no version specifier) or end"
    )


def test_a_venv_of_egg_info_installs_is_audited_not_empty(tmp_path: Path) -> None:
    """It passed SL5 as "0 packages" when only ``*.dist-info`` was looked at."""
    venv = tmp_path / "venv"
    site_packages = venv / "lib" / "python3.11" / "site-packages"
    shutil.copytree(EGG_INFO, site_packages)
    shutil.rmtree(site_packages / "PyYAML-6.0.dist-info")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "supplychain", "tree", str(venv)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "SUPPLYCHAIN_OFFLINE": "1", "COLUMNS": "400"},  # a long tmp path stays on one line
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{venv} (5 packages)" in done.stdout
