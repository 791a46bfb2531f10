"""Resolver behaviour on hand-made indexes (not recorded data): no code runs, conflicts, yanks, extras."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from supplychain.errors import InputError, ResolutionError
from supplychain.model import DeclaredRequirement, Location, Origin, OriginKind, RequirementSet
from supplychain.urls import SafeUrl
from tests.resolve.support import HandIndex, config_for, requirement_set, resolve, sdist_bytes, wheel_bytes
from tests.support.server import ReplayServer


def versions(graph: object) -> dict[str, str]:
    return {p.ref.name: str(p.ref.version) for p in graph.packages()}  # type: ignore[attr-defined]


def test_no_package_code_runs(server: ReplayServer, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    payload = f"open({str(marker)!r}, 'w').write('ran')\n".encode()
    index = HandIndex(server)
    setup_py = b"import setuptools\n" + payload + b"setuptools.setup(name='evil', version='1.0')\n"
    pkg_info = b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\nRequires-Dist: six\n"
    index.add(
        "evil", "evil-1.0.tar.gz", sdist_bytes("evil-1.0", {"setup.py": setup_py, "PKG-INFO": pkg_info})
    )
    pth = b"import os; " + payload
    metadata = b"Metadata-Version: 2.1\nName: pthpkg\nVersion: 2.0\nRequires-Dist: evil\n"
    index.add(
        "pthpkg",
        "pthpkg-2.0-py3-none-any.whl",
        wheel_bytes("pthpkg", "2.0", metadata, {"pthpkg.pth": pth, "pthpkg/__init__.py": payload}),
    )
    graph = resolve(requirement_set(["pthpkg"]), config_for(server.url))
    assert versions(graph) == {"evil": "1.0", "pthpkg": "2.0"}
    assert graph.package("evil").unresolved == (  # type: ignore[arg-type]
        "dependencies unknown without a build (sdist evil-1.0.tar.gz: metadata 2.1 < 2.2)"
    )
    assert not marker.exists()


def test_static_sdist_metadata_is_used(server: ReplayServer) -> None:
    index = HandIndex(server)
    pkg_info = b"Metadata-Version: 2.2\nName: plain\nVersion: 1.0\nRequires-Dist: six>=1\nDynamic: Summary\n"
    index.add("plain", "plain-1.0.tar.gz", sdist_bytes("plain-1.0", {"PKG-INFO": pkg_info}))
    index.wheel("six", "1.17.0")
    graph = resolve(requirement_set(["plain"]), config_for(server.url))
    assert versions(graph) == {"plain": "1.0", "six": "1.17.0"}
    assert graph.package("plain").unresolved is None  # type: ignore[arg-type]
    assert graph.requested_by("six") == ["plain"]  # type: ignore[arg-type]


def test_dynamic_requires_dist_is_unknown(server: ReplayServer) -> None:
    index = HandIndex(server)
    pkg_info = b"Metadata-Version: 2.4\nName: dyn\nVersion: 1.0\nDynamic: Requires-Dist\n"
    index.add("dyn", "dyn-1.0.tar.gz", sdist_bytes("dyn-1.0", {"PKG-INFO": pkg_info}))
    graph = resolve(requirement_set(["dyn"]), config_for(server.url))
    assert graph.package("dyn").unresolved == (  # type: ignore[arg-type]
        "dependencies unknown without a build (sdist dyn-1.0.tar.gz: Requires-Dist is dynamic)"
    )


def test_conflict_is_explained(server: ReplayServer) -> None:
    index = HandIndex(server)
    index.wheel("a", "1.0", ["c<2"])
    index.wheel("b", "1.0", ["c>=2"])
    index.wheel("c", "1.0")
    index.wheel("c", "2.0")
    with pytest.raises(ResolutionError) as caught:
        resolve(requirement_set(["a", "b"]), config_for(server.url))
    assert caught.value.message == (
        "the requirements cannot be satisfied together:\n"
        "  c: no version satisfies all of\n"
        "    c<2 (required by a 1.0)\n"
        "    c>=2 (required by b 1.0)"
    )


def test_missing_project_names_who_required_it(server: ReplayServer) -> None:
    HandIndex(server).wheel("a", "1.0", ["nothere>=1"])
    with pytest.raises(ResolutionError) as caught:
        resolve(requirement_set(["a"]), config_for(server.url))
    assert caught.value.message == (f"no project named 'nothere' on {server.url}/simple/ (required by a 1.0)")


def test_exclude_newer_yanked_and_requires_python(server: ReplayServer) -> None:
    index = HandIndex(server)
    index.wheel("p", "1.0", **{"upload-time": "2026-01-01T00:00:00Z"})
    index.wheel("p", "1.1", **{"upload-time": "2026-02-01T00:00:00Z", "yanked": "broken"})
    index.wheel("p", "1.2", **{"upload-time": "2026-03-01T00:00:00Z", "requires-python": ">=3.12"})
    index.wheel("p", "1.5", **{"upload-time": "2026-06-01T00:00:00Z"})  # at the cut-off: out, as in uv
    index.wheel("p", "2.0", **{"upload-time": "2026-07-01T00:00:00Z"})
    cutoff = datetime(2026, 6, 1, tzinfo=UTC)
    assert versions(resolve(requirement_set(["p"]), config_for(server.url))) == {"p": "2.0"}
    assert versions(resolve(requirement_set(["p"]), config_for(server.url, exclude_newer=cutoff))) == {
        "p": "1.0"
    }
    pinned = resolve(requirement_set(["p==1.1"]), config_for(server.url, exclude_newer=cutoff))
    assert versions(pinned) == {"p": "1.1"}


def test_extras_and_markers_propagate(server: ReplayServer) -> None:
    index = HandIndex(server)
    index.wheel(
        "top",
        "1.0",
        ["base[fast]>=1", "winonly; sys_platform == 'win32'", "old; python_version < '3.10'"],
    )
    index.wheel("base", "1.0", ["speedup; extra == 'fast'", "always"])
    index.wheel("speedup", "3.0")
    index.wheel("always", "1.0")
    graph = resolve(requirement_set(["top"]), config_for(server.url))
    assert versions(graph) == {"always": "1.0", "base": "1.0", "speedup": "3.0", "top": "1.0"}
    assert graph.requested_by("speedup") == ["base"]  # type: ignore[arg-type]
    assert graph.edge("top", "base").extras == ("fast",)


def test_prereleases_only_when_asked_or_nothing_else(server: ReplayServer) -> None:
    index = HandIndex(server)
    index.wheel("q", "1.0")
    index.wheel("q", "2.0rc1")
    index.wheel("onlypre", "1.0b1")
    assert versions(resolve(requirement_set(["q", "onlypre"]), config_for(server.url))) == {
        "q": "1.0",
        "onlypre": "1.0b1",
    }
    assert versions(resolve(requirement_set(["q>=2.0rc1"]), config_for(server.url))) == {"q": "2.0rc1"}


def test_platform_wheel_is_preferred_and_incompatible_ones_skipped(server: ReplayServer) -> None:
    index = HandIndex(server)
    meta = b"Metadata-Version: 2.1\nName: native\nVersion: 1.0\n"
    index.add("native", "native-2.0-cp311-cp311-win_amd64.whl", wheel_bytes("native", "2.0", meta))
    index.add(
        "native",
        "native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        wheel_bytes("native", "1.0", meta),
    )
    index.add("native", "native-1.0.tar.gz", sdist_bytes("native-1.0", {"PKG-INFO": meta}))
    graph = resolve(requirement_set(["native"]), config_for(server.url))
    package = graph.package("native")  # type: ignore[arg-type]
    assert str(package.ref.version) == "1.0"
    assert package.origin.artifact is not None
    assert package.origin.artifact.value == "wheel"
    assert package.origin.url == SafeUrl(f"{server.url}/simple/")


def test_no_deps_takes_pins_and_rejects_unpinned(server: ReplayServer) -> None:
    graph = resolve(requirement_set(["a==1.0", "b==2"]), config_for(server.url, no_deps=True))
    assert versions(graph) == {"a": "1.0", "b": "2"}
    assert server.requests == []
    with pytest.raises(InputError) as caught:
        resolve(requirement_set(["a==1.0", "b>=2"]), config_for(server.url, no_deps=True))
    assert (
        caught.value.diagnostics() == "requirements.in:2: b>=2 is not pinned with == (required by --no-deps)"
    )


def test_direct_references_become_unfetched_nodes(server: ReplayServer) -> None:
    HandIndex(server).wheel("a", "1.0", ["gitdep"])
    url = "git+https://example.invalid/org/gitdep@v1"
    declared = (
        DeclaredRequirement(requirement=Requirement("a"), location=Location(file="r.txt", line=1)),
        DeclaredRequirement(
            requirement=Requirement(f"gitdep @ {url}"),
            location=Location(file="r.txt", line=2),
            origin=Origin(kind=OriginKind.VCS, url=SafeUrl(url)),
        ),
    )
    inputs = RequirementSet(kind="requirements", path="r.txt", requirements=declared)
    graph = resolve(inputs, config_for(server.url))
    assert graph.package("gitdep").unresolved == "not fetched: direct reference (vcs)"  # type: ignore[arg-type]
    assert graph.requested_by("gitdep") == ["<root>", "a"]  # type: ignore[arg-type]
    assert all("/gitdep" not in path for _, path in server.requests)


def test_a_second_run_reads_no_wheel_again(server: ReplayServer, tmp_path: Path) -> None:
    """Dependencies read from a file are memoised by its sha256; a file without a hash is not."""
    index = HandIndex(server)
    index.wheel("hashed", "1.0", ["unhashed"], hashed=True)
    index.wheel("unhashed", "1.0")
    config = config_for(server.url, cache_dir=tmp_path / "cache")
    first = resolve(requirement_set(["hashed"]), config)
    server.requests.clear()
    second = resolve(requirement_set(["hashed"]), config)
    assert versions(first) == versions(second) == {"hashed": "1.0", "unhashed": "1.0"}
    wheels = sorted(path for _, path in server.requests if path.endswith(".whl"))
    assert wheels == ["/files/unhashed-1.0-py3-none-any.whl"]
