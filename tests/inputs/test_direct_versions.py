"""Direct references (``name @ URL``, VCS, paths) are audited at the version they name, or as version-unknown.

They were all audited as version ``0``: a wheel URL of a vulnerable release passed with its advisories
unreported. The version comes from the wheel or sdist file name, ``#egg=name-version``, or a local
project's static metadata; where nothing states it, the version-dependent facts are Unknown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from supplychain.inputs.pyproject import read_pyproject
from supplychain.inputs.requirements_txt import read_requirements
from supplychain.model import UNKNOWN_VERSION, OriginKind, PackageRef
from supplychain.resolve.build import pins_graph
from tests.test_audit_cli import run
from tests.test_audit_e2e import project  # noqa: F401  # the fixture: recorded PyPI and an OSV emulator

WHEEL = "https://files.pythonhosted.org/packages/49/df/requests-2.25.1-py2.py3-none-any.whl"


@pytest.mark.parametrize(
    ("line", "name", "version"),
    [
        (f"requests @ {WHEEL}", "requests", "2.25.1"),
        ("redis @ https://example.invalid/redis-4.5.1.tar.gz", "redis", "4.5.1"),
        ("https://example.invalid/files/redis-4.5.1-py3-none-any.whl", "redis", "4.5.1"),
        (
            "git+https://github.com/redis/redis-py@v4.5.1#egg=redis-4.5.1",
            "redis",
            "4.5.1",
        ),  # setuptools' form
        ("git+https://github.com/redis/redis-py@v4.5.1#egg=redis", "redis", None),  # a tag is not a version
        ("redis @ git+https://github.com/redis/redis-py@4f8b2a1", "redis", None),
        ("redis @ https://example.invalid/hiredis-2.0.0-py3-none-any.whl", "redis", None),  # another project
    ],
)
def test_a_direct_reference_states_its_version_or_none(
    tmp_path: Path, line: str, name: str, version: str | None
) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(line + "\n", encoding="utf-8")
    (declared,) = read_requirements(path).requirements
    assert declared.name == name
    assert declared.pinned_version == (Version(version) if version else None)


def test_a_local_project_gives_its_static_version(tmp_path: Path) -> None:
    sdist = tmp_path / "unpacked"  # an unpacked sdist: PKG-INFO always states the version (PEP 643)
    sdist.mkdir()
    (sdist / "PKG-INFO").write_text(
        "Metadata-Version: 2.2\nName: unpacked\nVersion: 1.2.3\n", encoding="utf-8"
    )
    (sdist / "setup.py").write_text("raise SystemExit('never run')\n", encoding="utf-8")
    static = tmp_path / "static"
    static.mkdir()
    (static / "pyproject.toml").write_text('[project]\nname = "static"\nversion = "0.4"\n', encoding="utf-8")
    dynamic = tmp_path / "dynamic"
    dynamic.mkdir()
    (dynamic / "pyproject.toml").write_text(
        '[project]\nname = "dynamic"\nversion = "9"\ndynamic = ["version"]\n', encoding="utf-8"
    )
    path = tmp_path / "requirements.txt"
    path.write_text("./unpacked\n-e ./static\n./dynamic\n", encoding="utf-8")
    versions = {d.name: d.pinned_version for d in read_requirements(path).requirements}
    assert versions == {"unpacked": Version("1.2.3"), "static": Version("0.4"), "dynamic": None}


def test_a_pyproject_direct_reference_is_not_taken_from_the_index(tmp_path: Path) -> None:
    """``dependencies = ["x @ url"]`` had no origin: the resolver audited whatever the index served as x."""
    path = tmp_path / "pyproject.toml"
    path.write_text(f'[project]\nname = "me"\nversion = "1"\ndependencies = ["requests @ {WHEEL}"]\n')
    (declared,) = read_pyproject(path).requirements
    assert declared.origin is not None
    assert declared.origin.kind is OriginKind.URL
    assert declared.pinned_version == Version("2.25.1")


def test_no_deps_pins_a_direct_reference_at_its_version_or_unknown(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(f"requests @ {WHEEL}\nredis @ git+https://github.com/redis/redis-py@main\n")
    graph = pins_graph(read_requirements(path))
    refs = {p.ref.name: p.ref for p in graph.packages()}
    assert refs["requests"] == PackageRef.of("requests", "2.25.1")
    assert refs["redis"].version == UNKNOWN_VERSION
    assert not refs["redis"].version_known
    assert str(refs["redis"]) == "redis==0+unknown"  # what every report shows: never a real-looking "0"


def _findings(
    directory: Path, line: str, level: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[Any]]:
    (directory / "requirements.txt").write_text(line + "\n")
    code, out, err = run(
        ["audit", "requirements.txt", "--no-deps", "--policy", level, "--format", "json"], capsys
    )
    assert out, err
    findings: list[Any] = json.loads(out)["findings"]
    return code, findings


def test_a_wheel_url_of_a_vulnerable_release_reports_its_advisories(
    project: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, findings = _findings(project, f"requests @ {WHEEL}", "sl1", capsys)
    vulnerable = {
        (f["package"]["version"], f["evidence"]["advisory"]) for f in findings if f["rule"] == "vulnerability"
    }
    assert ("2.25.1", "GHSA-j8r2-6x86-q33q") in vulnerable


def test_an_unknown_version_makes_the_advisories_unknown_not_clean(
    project: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, findings = _findings(project, "requests @ git+https://github.com/psf/requests@main", "sl3", capsys)
    assert code == 3  # incomplete: SL3 fails closed on unknown advisories (it was audited as requests==0)
    unknown = {
        (f["package"]["version"], f["evidence"]["fact"], f["evidence"]["reason"])
        for f in findings
        if f["rule"] == "data-unknown" and f["package"]
    }
    assert ("0+unknown", "advisories", "version unknown") in unknown
