"""graph_from_locked: markers decide what a target gets, forks pick the edge's version, extras propagate."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement

from supplychain.inputs import InputOptions, reader
from supplychain.model import (
    DeclaredRequirement,
    Location,
    LockedDependency,
    LockedPackage,
    LockedSet,
    Origin,
    OriginKind,
    PackageRef,
)
from supplychain.resolve.graph import ROOT
from supplychain.resolve.locked import graph_from_locked
from supplychain.target import Target

LOCKS = Path(__file__).parents[1] / "fixtures" / "inputs" / "locks"
NNSIGHT = LOCKS / "nnsight" / "uv.lock"


def uv_graph(python: str, platform: str, extras: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    target = Target.parse(python, platform)
    locked = reader("uv-lock").read(NNSIGHT, InputOptions(target=target, extras=extras))
    assert isinstance(locked, LockedSet)
    return graph_from_locked(locked, target)


def test_uv_lock_graph_equals_uvs_own_export_for_the_target() -> None:
    """uv's ``export --format pylock.toml --all-extras`` of the same lock is the oracle for the set."""
    target = Target.parse("3.11", "x86_64-manylinux_2_28")
    exported = reader("pylock").read(LOCKS / "pylock.nnsight.toml", InputOptions(target=target))
    assert isinstance(exported, LockedSet)
    expected = {(p.ref.name, p.ref.version) for p in exported.packages}
    graph = uv_graph("3.11", "x86_64-manylinux_2_28", extras=("all",))
    assert {(p.ref.name, p.ref.version) for p in graph.packages()} == expected
    assert len(expected) == 205


@pytest.mark.parametrize(("python", "networkx"), [("3.10", "3.4.2"), ("3.11", "3.6.1"), ("3.12", "3.7")])
def test_a_fork_is_resolved_by_the_edge_version_for_the_python(python: str, networkx: str) -> None:
    graph = uv_graph(python, "x86_64-manylinux_2_28")
    assert str(graph.package("networkx").ref.version) == networkx
    assert graph.edge("torch", "networkx").specifier == f"=={networkx}"


def test_platform_markers_decide_which_packages_a_target_gets() -> None:
    x86 = uv_graph("3.11", "x86_64-manylinux_2_28")
    arm = uv_graph("3.11", "aarch64-manylinux_2_28")
    assert len(x86) == 78
    assert len(arm) == 62
    assert "triton" in x86
    assert "nvidia-cublas-cu12" in x86
    assert "triton" not in arm
    assert "nvidia-cublas-cu12" not in arm
    assert x86.edge("torch", "triton").marker == 'platform_machine == "x86_64"'


def test_edges_depth_and_why_on_the_real_lock() -> None:
    graph = uv_graph("3.11", "x86_64-manylinux_2_28")
    assert str(graph.package("requests").ref.version) == "2.34.2"
    assert graph.dependencies("requests") == ["certifi", "charset-normalizer", "idna", "urllib3"]
    assert graph.depth("urllib3") == 3
    assert graph.why("urllib3")[0] == ["python-socketio", "requests", "urllib3"]
    assert graph.is_direct("torch")
    assert not graph.is_direct("urllib3")
    root = graph.package("torch").declared_at
    assert root is not None
    assert root.file.endswith("uv.lock")
    assert root.line == 2158


def test_extras_propagate_along_edges() -> None:
    """python-socketio[client] pulls websocket-client through its optional dependencies only."""
    graph = uv_graph("3.11", "x86_64-manylinux_2_28")
    assert graph.requested_by("websocket-client") == ["python-socketio"]
    assert graph.edge(ROOT, "python-socketio").extras == ("client",)


def _pkg(name: str, deps: tuple[LockedDependency, ...] | None, marker: str | None = None) -> LockedPackage:
    return LockedPackage(
        ref=PackageRef.of(name, "1.0"), origin=Origin(kind=OriginKind.INDEX), dependencies=deps, marker=marker
    )


def test_extras_requested_late_are_still_followed() -> None:
    """Hand-made: ``a`` is reached plainly first, then as ``a[x]``; the extra's dependency must appear."""
    locked = LockedSet(
        kind="hand-made",
        path="hand-made",
        packages=(
            _pkg("a", (LockedDependency(name="c", marker='extra == "x"'),)),
            _pkg("b", (LockedDependency(name="a", extras=("x",)),)),
            _pkg("c", ()),
            _pkg("w", (), marker='sys_platform == "win32"'),
        ),
        roots=tuple(
            DeclaredRequirement(requirement=Requirement(spec), location=Location(file="hand-made", line=line))
            for line, spec in enumerate(("a", "b", "w"), 1)
        ),
    )
    linux = graph_from_locked(locked, Target.parse("3.11", "x86_64-manylinux_2_28"))
    assert [p.ref.name for p in linux.packages()] == ["a", "b", "c"]
    assert linux.requested_by("c") == ["a"]
    windows = graph_from_locked(locked, Target.parse("3.11", "windows"))
    assert "w" in windows


def test_a_lock_without_roots_makes_every_package_direct() -> None:
    target = Target.parse("3.7", "x86_64-manylinux_2_28")
    locked = reader("pipfile-lock").read(
        LOCKS / "sam-starter-py" / "Pipfile.lock", InputOptions(target=target)
    )
    assert isinstance(locked, LockedSet)
    graph = graph_from_locked(locked, target)
    assert len(graph) == 32
    assert all(graph.is_direct(p.ref.name) for p in graph.packages())
    newer = Target.parse("3.11", "x86_64-manylinux_2_28")
    assert "typing-extensions" in graph
    assert "typing-extensions" not in graph_from_locked(locked, newer)  # markers "python_version < '3.8'"
