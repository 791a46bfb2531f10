"""``--find-links`` and ``--no-index`` in a requirements file resolve as pip installs: from the locations.

The wheels are hand-made (tests/resolve/support.py), in a local directory or behind a loopback page of
links; the index is a hand-made Simple API on the same server, so a request to it is seen.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from supplychain.errors import ResolutionError
from supplychain.inputs.requirements_txt import read_requirements
from supplychain.model import OriginKind, normalize
from supplychain.net.http import HttpSettings, build_http
from supplychain.progress import RecordingProgress
from supplychain.resolve import build_graph
from supplychain.resolve.graph import DependencyGraph
from tests.resolve.support import HandIndex, config_for, metadata_text, resolve, wheel_bytes
from tests.support.server import RangedFile, ReplayServer, Reply


def _wheel(directory: Path, project: str, version: str, requires: tuple[str, ...] = ()) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / f"{project}-{version}-py3-none-any.whl"
    path.write_bytes(wheel_bytes(project, version, metadata_text(project, version, requires)))
    return path


def _resolve(server: ReplayServer, tmp_path: Path, text: str) -> DependencyGraph:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(text)
    return resolve(read_requirements(requirements), config_for(server.url))


def _versions(graph: DependencyGraph) -> dict[str, str]:
    return {package.ref.name: str(package.ref.version) for package in graph.packages()}


def test_no_index_resolves_from_a_find_links_directory_and_asks_no_index(
    server: ReplayServer, tmp_path: Path
) -> None:
    """Before, both options were ignored: demo 9.0 came from the index pip would never ask."""
    HandIndex(server).wheel("demo", "9.0")
    _wheel(tmp_path / "wheels", "demo", "1.0", ("dep>=2",))
    _wheel(tmp_path / "wheels", "dep", "2.0")
    graph = _resolve(server, tmp_path, "--no-index\n--find-links wheels\ndemo\n")
    assert _versions(graph) == {"demo": "1.0", "dep": "2.0"}  # dep learned from the local wheel's METADATA
    origin = graph.package(normalize("demo")).origin
    assert origin.kind is OriginKind.FIND_LINKS
    assert origin.url is not None
    assert origin.url.reveal() == (tmp_path / "wheels").resolve().as_uri()
    assert not [path for _method, path in server.requests if path.startswith("/simple/")]


def test_find_links_and_the_index_are_merged_and_the_highest_version_wins(
    server: ReplayServer, tmp_path: Path
) -> None:
    index = HandIndex(server)
    index.wheel("demo", "1.0")
    _wheel(tmp_path / "wheels", "demo", "2.0")
    graph = _resolve(server, tmp_path, "-f wheels\ndemo\n")
    (demo,) = graph.packages()
    assert (str(demo.ref.version), demo.origin.kind) == ("2.0", OriginKind.FIND_LINKS)
    index.wheel("demo", "3.0")
    graph = _resolve(server, tmp_path, "-f wheels\ndemo\n")
    (demo,) = graph.packages()
    assert (str(demo.ref.version), demo.origin.kind) == ("3.0", OriginKind.INDEX)


def test_a_find_links_page_of_links_over_http(server: ReplayServer, tmp_path: Path) -> None:
    body = wheel_bytes("demo", "1.5", metadata_text("demo", "1.5", ("dep",)))
    server.routes["/files/demo-1.5-py3-none-any.whl"] = RangedFile(200, body, {})
    server.routes["/files/dep-1.0.tar.gz"] = Reply(404, b"", {})  # never fetched: dep's wheel is newer
    dep = wheel_bytes("dep", "1.1", metadata_text("dep", "1.1"))
    server.routes["/files/dep-1.1-py3-none-any.whl"] = RangedFile(200, dep, {})
    page = (
        '<html><body><a href="files/demo-1.5-py3-none-any.whl">demo</a>'
        '<a href="files/dep-1.0.tar.gz">old</a><a href="files/dep-1.1-py3-none-any.whl">dep</a>'
        '<a href="../">up</a></body></html>'
    )
    server.routes["/links.html"] = Reply(200, page.encode(), {"Content-Type": "text/html"})
    graph = _resolve(server, tmp_path, f"--no-index\n--find-links {server.url}/links.html\ndemo\n")
    assert _versions(graph) == {"demo": "1.5", "dep": "1.1"}
    origin = graph.package(normalize("dep")).origin
    assert (origin.kind, str(origin.url)) == (OriginKind.FIND_LINKS, f"{server.url}/links.html")


def test_no_index_without_the_project_anywhere_names_no_index(server: ReplayServer, tmp_path: Path) -> None:
    HandIndex(server).wheel("demo", "1.0")
    with pytest.raises(ResolutionError, match="--no-index asks no index and no --find-links location"):
        _resolve(server, tmp_path, "--no-index\ndemo\n")


def test_a_remote_page_linking_a_local_file_does_not_get_it_read(
    server: ReplayServer, tmp_path: Path
) -> None:
    """Only a location on this machine may name files on it: a page over HTTP gets no local read."""
    local = _wheel(tmp_path / "private", "demo", "2.0", ("private-dep",))
    page = f'<html><body><a href="{local.as_uri()}">demo</a></body></html>'
    server.routes["/links/"] = Reply(200, page.encode(), {"Content-Type": "text/html"})
    graph = _resolve(server, tmp_path, f"--no-index\n--find-links {server.url}/links/\ndemo\n")
    (demo,) = graph.packages()
    assert demo.unresolved is not None
    assert "a remote page links the local file" in demo.unresolved


def test_a_missing_find_links_directory_is_ignored_as_pip_does_and_said(
    server: ReplayServer, tmp_path: Path
) -> None:
    HandIndex(server).wheel("demo", "1.0")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("-f ./not-there\ndemo\n")
    progress = RecordingProgress()

    async def run() -> DependencyGraph:
        http = build_http(HttpSettings(attempts=1, timeout=10.0))
        try:
            return await build_graph(read_requirements(requirements), config_for(server.url), http, progress)
        finally:
            await http.aclose()

    (demo,) = asyncio.run(run()).packages()
    assert demo.origin.kind is OriginKind.INDEX
    assert progress.warnings == [
        f"find-links location {(tmp_path / 'not-there').resolve().as_uri()} does not exist: "
        "ignored, as pip ignores it"
    ]
