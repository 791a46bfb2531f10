"""What the resolver makes of project pages that bend the Simple API spec (hand-made, not recorded data).

Each case was a bug while the resolver had its own lenient page parser: now every caller reads
pages through ``supplychain.net.simple``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from supplychain.errors import DataUnavailableError
from tests.resolve.support import HandIndex, config_for, requirement_set, resolve
from tests.support.server import ReplayServer, Reply


def versions(graph: object) -> dict[str, str]:
    return {p.ref.name: str(p.ref.version) for p in graph.packages()}  # type: ignore[attr-defined]


def metadata_route(server: ReplayServer, filename: str, requires: list[str]) -> None:
    project, version = filename.split("-")[:2]
    lines = ["Metadata-Version: 2.1", f"Name: {project}", f"Version: {version}"]
    lines += [f"Requires-Dist: {line}" for line in requires]
    body = ("\n".join(lines) + "\n").encode()
    server.routes[f"/files/{filename}.metadata"] = Reply(200, body, {"Content-Type": "text/plain"})


def test_a_url_fragment_is_not_part_of_the_metadata_url(server: ReplayServer) -> None:
    """``url#sha256=...`` + ``.metadata`` once fetched the wheel itself and read no dependencies."""
    index = HandIndex(server)
    index.wheel("six", "1.17.0")
    filename = "app-1.0-py3-none-any.whl"
    index.wheel("app", "1.0", ["six"], **{"core-metadata": True})
    entry = index.files["app"][0]
    entry["url"] = f"{entry['url']}#sha256={'0' * 64}"
    page = {"meta": {"api-version": "1.1"}, "name": "app", "files": index.files["app"]}
    server.routes["/simple/app/"] = Reply(
        200, json.dumps(page).encode(), {"Content-Type": "application/vnd.pypi.simple.v1+json"}
    )
    metadata_route(server, filename, ["six"])
    graph = resolve(requirement_set(["app"]), config_for(server.url))
    assert versions(graph) == {"app": "1.0", "six": "1.17.0"}  # before: six missing, app "had no deps"
    assert ("GET", f"/files/{filename}") not in server.requests


def test_the_pep_658_key_under_its_first_json_name_is_honoured(server: ReplayServer) -> None:
    """PEP 714 renamed ``dist-info-metadata`` to ``core-metadata``; indexes still serve the old key."""
    index = HandIndex(server)
    index.wheel("six", "1.17.0")
    filename = "app-1.0-py3-none-any.whl"
    index.wheel("app", "1.0", ["six"], **{"dist-info-metadata": {"sha256": "0" * 64}})
    metadata_route(server, filename, ["six"])
    server.routes[f"/files/{filename}"] = Reply(404, b"")  # only the metadata file may be read
    graph = resolve(requirement_set(["app"]), config_for(server.url))
    assert versions(graph) == {"app": "1.0", "six": "1.17.0"}  # before: the wheel was fetched (404)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"requires-python": 3}, r"files\[0\]\.requires-python is int, expected str"),  # before: a crash
        ({"url": None}, r"files\[0\]\.url is NoneType, expected str"),  # before: the page URL was fetched
        ({"hashes": {"sha256": 7}}, r"files\[0\]\.hashes\.sha256 is int, expected str"),
        ({"yanked": 1}, r"files\[0\]\.yanked is int, expected bool or str"),
    ],
)
def test_a_malformed_file_entry_stops_resolution_naming_the_index(
    server: ReplayServer, fields: dict[str, object], named: str
) -> None:
    index = HandIndex(server)
    index.wheel("app", "1.0", **fields)
    with pytest.raises(DataUnavailableError, match=r"could not read the index: .*/simple/app/: .*" + named):
        resolve(requirement_set(["app"]), config_for(server.url))


def test_only_the_versions_the_resolver_considers_have_their_entries_read(server: ReplayServer) -> None:
    """A page's entries are checked per version as the resolver reaches it: a broken entry of an old
    version nobody picks costs nothing (it was read, parsed and validated before), one it reaches
    on backtracking still stops the run."""
    index = HandIndex(server)
    index.wheel("app", "1.0", **{"requires-python": 3})
    index.wheel("app", "2.0")
    assert versions(resolve(requirement_set(["app"]), config_for(server.url))) == {"app": "2.0"}
    with pytest.raises(DataUnavailableError, match=r"files\[0\]\.requires-python is int"):
        resolve(requirement_set(["app<2"]), config_for(server.url))


def test_a_version_is_spelt_as_its_chosen_file_spells_it(server: ReplayServer) -> None:
    """cffi's page lists ``cffi-1.0.2-2.tar.gz`` (a "2" by its last dash, equal to 2.0.0): ours said
    cffi 2 where uv says 2.0.0."""
    index = HandIndex(server)
    index.add("app", "app-1.0.2-2.tar.gz", b"not read")
    index.wheel("app", "2.0.0")
    assert versions(resolve(requirement_set(["app"]), config_for(server.url))) == {"app": "2.0.0"}


def test_a_page_entry_that_is_not_an_object_fails_the_page_at_once(server: ReplayServer) -> None:
    index = HandIndex(server)
    index.wheel("app", "2.0")
    page = {"meta": {"api-version": "1.1"}, "name": "app", "files": [*index.files["app"], "app-1.0.tar.gz"]}
    server.routes["/simple/app/"] = Reply(
        200, json.dumps(page).encode(), {"Content-Type": "application/vnd.pypi.simple.v1+json"}
    )
    with pytest.raises(DataUnavailableError, match=r"files\[1\] is str, expected dict"):
        resolve(requirement_set(["app"]), config_for(server.url))


def test_an_upload_time_without_a_time_zone_is_read_as_utc_not_a_crash(server: ReplayServer) -> None:
    """Compared with ``--exclude-newer`` a naive time raised TypeError (an internal error); PEP 700
    defines ``upload-time`` as UTC, so a missing ``Z`` still means UTC and the cut-off applies."""
    index = HandIndex(server)
    index.wheel("app", "1.0", **{"upload-time": "2024-01-01T00:00:00"})
    index.wheel("app", "2.0", **{"upload-time": "2025-06-01T00:00:00"})
    config = config_for(server.url, exclude_newer=datetime(2025, 1, 1, tzinfo=UTC))
    assert versions(resolve(requirement_set(["app"]), config)) == {"app": "1.0"}


def test_another_projects_file_on_a_page_is_not_a_candidate(server: ReplayServer) -> None:
    """Before, ``evil-9.0`` listed on app's page resolved as app 9.0 (pip and uv skip such files)."""
    index = HandIndex(server)
    index.wheel("app", "1.0")
    index.add("app", "evil-9.0-py3-none-any.whl", b"not read")
    graph = resolve(requirement_set(["app"]), config_for(server.url))
    assert versions(graph) == {"app": "1.0"}
    assert ("GET", "/files/evil-9.0-py3-none-any.whl") not in server.requests
