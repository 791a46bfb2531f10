"""Site-packages discovery: purelib AND platlib, each directory once, egg-info-only directories recognised."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import pytest

from supplychain.inputs import InputOptions
from supplychain.inputs.detect import detect_kind, load_input
from supplychain.inputs.site_packages import running_site_packages, site_packages_of
from supplychain.model import LockedSet
from supplychain.target import Target

OPTIONS = InputOptions(target=Target.parse("3.11", "x86_64-manylinux_2_28"))


def dist(site: Path, name: str, version: str) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )


def test_the_running_environment_reads_purelib_and_platlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On lib64 systems (Fedora, RHEL) compiled packages sit in platlib: reading purelib only missed them."""
    prefix = tmp_path / "prefix"
    purelib = prefix / "lib" / "python3.11" / "site-packages"
    platlib = prefix / "lib64" / "python3.11" / "site-packages"
    dist(purelib, "pure", "1.0")
    dist(platlib, "compiled", "2.0")
    paths = {**sysconfig.get_paths(), "purelib": str(purelib), "platlib": str(platlib)}
    monkeypatch.setattr(sysconfig, "get_paths", lambda *args, **kwargs: paths)
    monkeypatch.setattr(sys, "prefix", str(prefix))
    project = tmp_path / "empty"
    project.mkdir()
    monkeypatch.chdir(project)
    found = load_input(None, input_format=None, options=OPTIONS)
    assert isinstance(found, LockedSet)
    assert [(p.ref.name, str(p.ref.version)) for p in found.packages] == [
        ("compiled", "2.0"),
        ("pure", "1.0"),
    ]
    assert running_site_packages() == [purelib, platlib]


def test_one_directory_reached_by_two_names_is_read_once(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    dist(site, "six", "1.17.0")
    (venv / "lib64").symlink_to(venv / "lib")  # what ``python -m venv`` makes on 64-bit Linux
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    assert site_packages_of(venv) == [site]


def test_the_running_interpreter_directories_are_unique_and_exist() -> None:
    directories = running_site_packages()
    assert directories
    assert len({d.resolve() for d in directories}) == len(directories)
    assert all(d.is_dir() for d in directories)


def test_a_site_packages_of_only_legacy_installs_is_an_environment(tmp_path: Path) -> None:
    """Debian's dist-packages can hold only ``*.egg-info``: it was "not a venv or site-packages" before."""
    (tmp_path / "six-1.16.0.egg-info").mkdir()
    (tmp_path / "six-1.16.0.egg-info" / "PKG-INFO").write_text(
        "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n", encoding="utf-8"
    )
    (tmp_path / "wsgiref.egg-info").write_text(
        "Metadata-Version: 1.0\nName: wsgiref\nVersion: 0.1.2\n", encoding="utf-8"
    )
    assert detect_kind(tmp_path) == "installed"
    found = load_input(tmp_path, input_format=None, options=OPTIONS)
    assert isinstance(found, LockedSet)
    assert [p.ref.name for p in found.packages] == ["six", "wsgiref"]
