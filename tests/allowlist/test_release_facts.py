"""The facts a reviewer compares, from PyPI's JSON (recorded, tests/fixtures/curation) and hand edits of it.

Each hand edit is a case the lenient parser this module used to have turned into a default value.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from supplychain.allowlist.release_facts import ReleaseFacts, fetch_release
from supplychain.endpoints import Endpoints
from supplychain.model import Known, PackageRef, Signal, Unknown
from supplychain.net.http import HttpSettings, build_http
from tests.sources.pypi_support import serve_pep740_page
from tests.support.server import ReplayServer, Reply

REPLAY = Path(__file__).parents[1] / "fixtures" / "curation"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
REF = PackageRef.of("urllib3", "2.8.0")
PROVENANCE = "/integrity/urllib3/2.8.0/urllib3-2.8.0-py3-none-any.whl/provenance"


def recorded() -> dict[str, Any]:
    return copy.deepcopy(json.loads((REPLAY / "pypi" / "urllib3" / "json").read_text()))


Edit = Callable[[dict[str, Any]], None]


def release(
    server: ReplayServer,
    edit: Edit | None = None,
    provenance: dict[str, object] | None = None,
    api: str = "1.4",
) -> Signal[ReleaseFacts]:
    """The release as fetched; its Simple page is a PEP 740 one (``provenance`` per file, default none)."""
    document = recorded()
    if edit is not None:
        edit(document)
    server.json("/pypi/urllib3/json", document)
    server.mount("/packages/", REPLAY / "packages")
    files = {
        entry["filename"]: (entry["digests"]["sha256"], (provenance or {}).get(entry["filename"]))
        for entry in recorded()["releases"]["2.8.0"]
    }
    serve_pep740_page(server, "urllib3", files, api=api)
    base = server.url + "/"
    endpoints = Endpoints.load(
        environ={
            "SUPPLYCHAIN_PYPI_URL": base,
            "SUPPLYCHAIN_INTEGRITY_URL": base,
            "SUPPLYCHAIN_INDEX_URL": base + "simple/",
        }
    )

    async def go() -> Signal[ReleaseFacts]:
        http = build_http(HttpSettings(timeout=5, attempts=1))
        try:
            return await fetch_release(http, endpoints, REF, now=NOW)
        finally:
            await http.aclose()

    return asyncio.run(go())


def facts(signal: Signal[ReleaseFacts]) -> ReleaseFacts:
    assert isinstance(signal, Known), signal
    return signal.value


def test_the_recorded_release(server: ReplayServer) -> None:
    found = facts(release(server))
    assert [f.filename for f in found.files] == ["urllib3-2.8.0-py3-none-any.whl", "urllib3-2.8.0.tar.gz"]
    assert all(f.size > 0 and len(f.sha256) == 64 for f in found.files)
    assert found.owners == Known(
        value=("Owner:SethMichaelLarson", "Owner:illia-v", "Owner:shazow"), source="pypi", fetched_at=NOW
    )
    assert found.organization == Known(value=None, source="pypi", fetched_at=NOW)
    assert found.advisories == Known(value=(), source="pypi", fetched_at=NOW)  # 2.8.0 is the latest
    assert found.publishers == Known(value=(), source="integrity", fetched_at=NOW)  # the page says none
    assert found.yanked is False


def test_an_absent_organization_field_is_unknown_not_none(server: ReplayServer) -> None:
    found = facts(release(server, lambda d: d["ownership"].pop("organization")))
    assert found.organization == Unknown(
        reason="PyPI JSON: PyPI did not report an organization field", source="pypi"
    )  # before: Known(None), "no organisation"
    assert isinstance(found.owners, Known)


def test_a_role_without_its_user_is_unknown_not_none(server: ReplayServer) -> None:
    found = facts(release(server, lambda d: d["ownership"]["roles"][0].pop("user")))
    assert found.owners == Unknown(
        reason="PyPI JSON: ownership.roles[].user is NoneType, expected str", source="pypi"
    )  # before: "Owner:None" among the owners


def test_a_file_listed_without_its_size_leaves_the_release_unknown(server: ReplayServer) -> None:
    def drop_size(document: dict[str, Any]) -> None:
        document["releases"]["2.8.0"][0].pop("size")

    assert release(server, drop_size) == Unknown(
        reason="PyPI JSON: urllib3-2.8.0.tar.gz is listed without its size", source="pypi"
    )  # before: a file of 0 bytes


def test_an_index_without_pep740_leaves_publishers_unknown_not_none(server: ReplayServer) -> None:
    server.json(PROVENANCE, {}, status=404)  # what such an index's Integrity API answers: not asked
    publishers = facts(release(server, api="1.1")).publishers
    assert publishers == Unknown(
        reason="the index does not serve PEP 740 (Simple API 1.1 predates 1.3)", source="integrity"
    )  # before: Known(()), "no file attested", from the 404
    assert not [path for _m, path in server.requests if path.startswith("/integrity/")]


def test_a_garbled_provenance_answer_is_unknown_not_unattested(server: ReplayServer) -> None:
    server.json(PROVENANCE, {"attestation_bundles": [{"publisher": "GitHub"}]})
    wheel = "urllib3-2.8.0-py3-none-any.whl"
    publishers = facts(release(server, provenance={wheel: server.url + PROVENANCE})).publishers
    assert isinstance(publishers, Unknown)  # before: Known(()), as if no file were attested
    assert "not a PEP 740 provenance object (publisher is str, expected dict)" in publishers.reason


def test_a_release_is_yanked_when_every_file_is_as_the_audit_reads_it(server: ReplayServer) -> None:
    def yank(*files: int) -> Edit:
        def edit(document: dict[str, Any]) -> None:
            for number in files:
                document["releases"]["2.8.0"][number]["yanked"] = True

        return edit

    assert facts(release(server, yank(0))).yanked is False  # one wheel pulled: still installable
    assert facts(release(server, yank(0, 1))).yanked is True


@pytest.mark.parametrize("part", ["ownership", "vulnerabilities"])
def test_a_part_of_the_wrong_shape_is_unknown_and_the_rest_still_counts(
    server: ReplayServer, part: str
) -> None:
    found = facts(release(server, lambda d: d.__setitem__(part, "garbled")))
    signal = found.owners if part == "ownership" else found.advisories
    assert isinstance(signal, Unknown)
    assert f"{part} is str, expected " in signal.reason
    assert found.files  # the release's files were still read


def test_a_document_that_is_not_an_object_is_unknown(server: ReplayServer) -> None:
    server.routes["/pypi/urllib3/json"] = Reply(200, b"[]", {"Content-Type": "application/json"})
    endpoints = Endpoints.load(environ={"SUPPLYCHAIN_PYPI_URL": server.url + "/"})

    async def go() -> Signal[ReleaseFacts]:
        http = build_http(HttpSettings(timeout=5, attempts=1))
        try:
            return await fetch_release(http, endpoints, REF, now=NOW)
        finally:
            await http.aclose()

    signal = asyncio.run(go())
    assert isinstance(signal, Unknown)
    assert signal.reason.endswith("/pypi/urllib3/json: PyPI JSON is not an object")
