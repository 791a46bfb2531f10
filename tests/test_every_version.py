"""Every version a file installs is audited (issue 12, silent loss): Pipfile.lock ``default`` and
``develop``, per-marker pins, uv.lock forks; and a lock's default scope is everything it can install.

The audits run end to end through the CLI against recorded PyPI responses and the real PyPA
advisories for requests (tests/fixtures/policy/advisories), served by the replay server.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from packaging.utils import NormalizedName

from supplychain.allowlist.coverage import coverage
from supplychain.allowlist.reader import load_allowlist
from supplychain.audit import audit_scope
from supplychain.config import TargetFlags
from supplychain.inputs import InputOptions
from supplychain.inputs.detect import load_input
from supplychain.inputs.pylock import PylockInput
from supplychain.inputs.uv_lock import UvLockInput
from supplychain.model import LockedSet, RequirementSet
from supplychain.resolve.graph import ROOT, DependencyGraph, Edge
from supplychain.resolve.locked import graph_from_locked
from supplychain.target import Scope, Target
from tests.policy.recorded import facts_for
from tests.support.server import ReplayServer
from tests.test_audit_cli import run
from tests.test_audit_e2e import project  # noqa: F401  # the recorded-PyPI-and-OSV fixture

LINUX_312 = Target.parse("3.12", "x86_64-manylinux_2_28")


def _pipfile_lock(index: str) -> str:
    def pin(version: str) -> dict[str, object]:
        return {"version": f"=={version}", "index": "pypi", "hashes": []}

    return json.dumps(
        {
            "_meta": {
                "pipfile-spec": 6,
                "sources": [{"name": "pypi", "url": index, "verify_ssl": True}],
                "requires": {},
                "hash": {"sha256": "0" * 64},
            },
            "default": {"requests": pin("2.31.0"), "idna": pin("3.10")},
            "develop": {"requests": pin("2.25.1"), "idna": pin("3.10")},
        },
        indent=4,
    )


def _advisories_by_version(document: dict[str, object]) -> dict[str, set[str]]:
    """requests' version -> the advisory ids its facts list (each version's own, from OSV)."""
    return {
        package["version"]: {advisory["id"] for advisory in package["advisories"]}
        for package in document["packages"]  # type: ignore[attr-defined]
        if package["name"] == "requests"
    }


def _audit_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code, out, err = run(["audit", *args, "--policy", "sl1", "--format", "json"], capsys)
    assert code in {0, 1}, out + err
    return code, json.loads(out)


def test_pipfile_lock_audits_requests_from_default_and_develop_each_with_its_advisories(
    project: Path, server: ReplayServer, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    """develop's requests 2.25.1 was dropped for default's 2.31.0: its four advisories vanished."""
    (project / "Pipfile.lock").write_text(_pipfile_lock(server.url + "/simple/"))
    _, document = _audit_json(["Pipfile.lock"], capsys)
    versions = sorted(p["version"] for p in document["packages"] if p["name"] == "requests")  # type: ignore[attr-defined,index]
    assert versions == ["2.25.1", "2.31.0"]
    found = _advisories_by_version(document)
    assert len(found["2.25.1"]) == 4  # requests 2.19.1 .. 2.30: four real advisories
    assert found["2.31.0"] == found["2.25.1"] - {"GHSA-j8r2-6x86-q33q"}  # 2.31.0 fixed that one
    assert document["scope"]["kind"] == "lock"  # type: ignore[index]
    assert document["scores"]["requests==2.25.1"]["version"] == "2.25.1"  # type: ignore[index]


def test_pins_for_two_markers_audit_both_versions(
    project: Path, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    """A pins file naming requests twice (one pin per Python) kept one pin and audited it alone."""
    (project / "pins.txt").write_text(
        'requests==2.25.1 ; python_version < "3.10"\nrequests==2.31.0 ; python_version >= "3.10"\n'
    )
    _, document = _audit_json(["pins.txt", "--no-deps"], capsys)
    found = _advisories_by_version(document)
    assert sorted(found) == ["2.25.1", "2.31.0"]
    assert found["2.31.0"] == found["2.25.1"] - {"GHSA-j8r2-6x86-q33q"} != found["2.25.1"]
    assert document["scope"]["kind"] == "pins"  # type: ignore[index]


def test_conflicting_pins_are_an_input_error_naming_both_lines(
    project: Path, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    (project / "pins.txt").write_text("requests==2.25.1\nsix==1.17.0\nrequests==2.31.0\n")
    code, out, err = run(["audit", "pins.txt", "--no-deps"], capsys)
    assert code == 2, out + err
    assert "pins.txt:3" in err
    assert "requests==2.25.1 (pins.txt:1) and requests==2.31.0 (pins.txt:3)" in err
    assert "Traceback" not in err


def test_identical_duplicate_pins_are_fine(
    project: Path, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    (project / "pins.txt").write_text("requests==2.25.1\nrequests==2.25.1\n")
    _, document = _audit_json(["pins.txt", "--no-deps"], capsys)
    assert [p["version"] for p in document["packages"]] == ["2.25.1"]  # type: ignore[attr-defined]


def _fork_lock(index: str) -> str:
    registry = f'source = {{ registry = "{index}" }}'
    return f"""version = 1
revision = 3
requires-python = ">=3.9"
resolution-markers = ["python_full_version < '3.10'", "python_full_version >= '3.10'"]

[[package]]
name = "demo"
version = "0.1.0"
source = {{ virtual = "." }}
dependencies = [
    {{ name = "requests", version = "2.25.1", {registry}, marker = "python_full_version < '3.10'" }},
    {{ name = "requests", version = "2.31.0", {registry}, marker = "python_full_version >= '3.10'" }},
    {{ name = "idna", marker = "sys_platform == 'win32'" }},
]

[package.optional-dependencies]
extra-six = [{{ name = "six" }}]

[package.dev-dependencies]
lint = [{{ name = "certifi" }}]

[[package]]
name = "requests"
version = "2.25.1"
{registry}

[[package]]
name = "requests"
version = "2.31.0"
{registry}

[[package]]
name = "idna"
version = "3.10"
{registry}

[[package]]
name = "six"
version = "1.17.0"
{registry}

[[package]]
name = "certifi"
version = "2025.8.3"
{registry}
"""


def test_uv_lock_fork_audits_each_versions_advisories(
    project: Path, server: ReplayServer, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    """A fork kept only the highest version: requests 2.25.1 for Python 3.9 went unaudited."""
    (project / "uv.lock").write_text(_fork_lock(server.url + "/simple/"))
    _, document = _audit_json(["uv.lock"], capsys)
    found = _advisories_by_version(document)
    assert sorted(found) == ["2.25.1", "2.31.0"]
    assert found["2.31.0"] == found["2.25.1"] - {"GHSA-j8r2-6x86-q33q"} != found["2.25.1"]


def _graph_names(tmp_path: Path, scope: Scope) -> list[str]:
    path = tmp_path / "uv.lock"
    path.write_text(_fork_lock("https://pypi.org/simple"))
    options = InputOptions(target=scope.target, scope=scope)
    graph = graph_from_locked(UvLockInput().read(path, options), scope)
    return [str(p.ref) for p in graph.packages()]


def test_a_lock_by_default_audits_every_platform_python_extra_and_group(tmp_path: Path) -> None:
    """The running interpreter's slice (no extras, one platform) audited 138 of helm's 440 packages."""
    universal = Scope.of_flags(LINUX_312, None, None, (), ())
    assert _graph_names(tmp_path, universal) == [
        "certifi==2025.8.3",
        "idna==3.10",
        "requests==2.25.1",
        "requests==2.31.0",
        "six==1.17.0",
    ]


def test_scope_flags_narrow_a_lock(tmp_path: Path) -> None:
    exact = Scope.of_flags(LINUX_312, "3.12", "x86_64-manylinux_2_28", ("none",), ("none",))
    assert _graph_names(tmp_path, exact) == ["requests==2.31.0"]
    windows = Target.parse("3.12", "windows")
    windows_any_python = Scope.of_flags(windows, None, "windows", ("extra-six",), ("lint",))
    assert _graph_names(tmp_path, windows_any_python) == [
        "certifi==2025.8.3",
        "idna==3.10",
        "requests==2.25.1",
        "requests==2.31.0",
        "six==1.17.0",
    ]
    python39 = Scope.of_flags(Target.parse("3.9", "linux"), "3.9", None, ("none",), ("none",))
    assert _graph_names(tmp_path, python39) == ["idna==3.10", "requests==2.25.1"]


def test_an_empty_pylock_is_refused_not_passed(
    project: Path, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    """PEP 751 allows ``packages = []``; an audit of nothing passed as "0 packages"."""
    (project / "pylock.toml").write_text('lock-version = "1.0"\ncreated-by = "test"\npackages = []\n')
    code, out, err = run(["audit", "pylock.toml"], capsys)
    assert code == 2, out + err
    assert "pylock.toml" in err
    assert "nothing to audit" in err


def test_every_report_states_the_scope(project: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    for output in ([], ["--format", "markdown"]):
        code, out, err = run(["audit", "requirements.txt", "--no-deps", "--policy", "sl1", *output], capsys)
        assert code == 0, out + err
        assert "Scope: the file's pins as written (--no-deps)" in out
    written = project / "reports"
    formats = "json,sarif,cyclonedx,html"
    run(["audit", "requirements.txt", "--no-deps", "--format", formats, "--output", "reports"], capsys)
    texts = {path.name: path.read_text() for path in written.iterdir()}
    assert len(texts) == 4
    for name, text in texts.items():
        assert "pins as written (--no-deps)" in text, name


def test_a_resolved_input_states_its_one_target(tmp_path: Path) -> None:
    flags = TargetFlags(python_version="3.11", platform="windows", extra=("cuda",))
    config = flags.config(tmp_path / "pyproject.toml", cwd=tmp_path)
    requirements = RequirementSet(kind="pyproject", path="pyproject.toml", requirements=())
    scope = audit_scope(config, requirements)
    assert scope["text"] == "resolved for one target: Python 3.11, windows, extras cuda, no groups"
    assert (scope["kind"], scope["extras"], scope["groups"]) == ("resolved", ["cuda"], [])
    lock = LockedSet(kind="uv-lock", path="uv.lock", packages=(), roots=())
    assert audit_scope(TargetFlags().config(tmp_path / "uv.lock", cwd=tmp_path), lock)["text"] == (
        "lock, every package for any Python, any platform, every extra, every group"
    )


def test_an_approval_of_one_version_does_not_cover_the_other_version_of_the_name(tmp_path: Path) -> None:
    """Coverage was keyed by name: approving requests 2.31.0 covered the forked 2.25.1 too."""
    path = tmp_path / "allowlist.toml"
    path.write_text(
        'version = 1\n[[approve]]\nname = "requests"\nversions = ["2.31.0"]\nreviewer = "alice"\n'
        'reason = "reviewed"\nexpires = 2027-06-01\n'
    )
    today = dt.date(2026, 11, 26)
    packages = [facts_for("requests", "2.25.1")[0], facts_for("requests", "2.31.0")[0]]
    covered = coverage(load_allowlist(path, today), packages, {}, today).covered
    assert sorted(str(ref) for ref in covered) == ["requests==2.31.0"]


def test_the_graph_counts_and_lists_every_version_of_a_name() -> None:
    graph = DependencyGraph()
    for version in ("2.31.0", "2.25.1", "2.31.0"):
        graph.add_package(facts_for("requests", version)[0])
    graph.add_edge(ROOT, NormalizedName("requests"), Edge())
    assert len(graph) == 2
    assert [str(p.ref.version) for p in graph.versions(NormalizedName("requests"))] == ["2.25.1", "2.31.0"]
    assert str(graph.package(NormalizedName("requests")).ref.version) == "2.31.0"
    assert graph.is_direct(NormalizedName("requests"))


def test_an_open_pylock_scope_selects_every_extra_and_group(tmp_path: Path) -> None:
    """pylock packages were selected for the running interpreter with no extras."""
    path = tmp_path / "pylock.toml"
    path.write_text(
        'lock-version = "1.0"\ncreated-by = "test"\nextras = ["gpu"]\ndependency-groups = ["lint"]\n'
        'default-groups = []\n'
        '[[packages]]\nname = "six"\nversion = "1.17.0"\nmarker = "\'gpu\' in extras"\n'
        '[[packages.wheels]]\nurl = "https://files.example/six-1.17.0-py2.py3-none-any.whl"\n'
        'hashes = {sha256 = "' + "0" * 64 + '"}\n'
        '[[packages]]\nname = "idna"\nversion = "3.10"\n'
        'marker = "\'lint\' in dependency_groups and sys_platform == \'win32\'"\n'
        '[[packages.wheels]]\nurl = "https://files.example/idna-3.10-py3-none-any.whl"\n'
        'hashes = {sha256 = "' + "1" * 64 + '"}\n'
    )
    universal = Scope.of_flags(LINUX_312, None, None, (), ())
    locked = PylockInput().read(path, InputOptions(target=LINUX_312, scope=universal))
    assert sorted(str(p.ref) for p in locked.packages) == ["idna==3.10", "six==1.17.0"]
    linux = Scope.of_flags(LINUX_312, "3.12", "x86_64-manylinux_2_28", (), ())
    locked = PylockInput().read(path, InputOptions(target=LINUX_312, scope=linux))
    assert sorted(str(p.ref) for p in locked.packages) == ["six==1.17.0"]  # every extra, but not Windows


LOCKS = Path(__file__).parent / "fixtures" / "inputs" / "locks"


@pytest.mark.parametrize(
    ("lock", "one_target", "everything"),
    [
        ("transformer-lens/poetry.lock", 17, 38),  # every poetry group and extra
        ("sam-starter-py/Pipfile.lock", 30, 32),  # develop's packages for Python 3.7 too
        ("nnsight/uv.lock", 78, 234),  # 235 entries, the project itself is no dependency
        ("pylock.nnsight.toml", 205, 234),
    ],
)
def test_real_locks_audit_every_package_by_default(lock: str, one_target: int, everything: int) -> None:
    """Before: one interpreter's slice (the counts of Python 3.11 on Linux, no extras)."""
    target = Target.parse("3.11", "x86_64-manylinux_2_28")
    universal = Scope.of_flags(target, None, None, (), ())
    path = LOCKS / lock
    narrow = load_input(path, input_format=None, options=InputOptions(target=target))
    wide = load_input(path, input_format=None, options=InputOptions(target=target, scope=universal))
    assert isinstance(narrow, LockedSet)
    assert isinstance(wide, LockedSet)
    assert len(graph_from_locked(narrow, target)) == one_target
    assert len(graph_from_locked(wide, universal)) == everything
