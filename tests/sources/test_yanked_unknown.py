"""A file entry without a ``yanked`` key says nothing: the yank state is Unknown, not "not yanked"."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from supplychain.clock import FixedClock
from supplychain.model import Known, PackageRef, Unknown, Yank
from supplychain.net.http import HttpSettings
from supplychain.net.simple import parse_json_page
from supplychain.resolve.graph import DependencyGraph
from supplychain.sources.enrich import collect_facts
from supplychain.sources.simple_index import release_history
from tests.sources.pypi_support import (
    PYPI_FIXTURES,
    by_name,
    config_for,
    context_for,
    package,
    point_endpoints,
    run_with,
)
from tests.support.server import ReplayServer, Reply

NOW = datetime.fromisoformat("2026-11-27T01:35:00+00:00")


def _without_yanked(files: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in f.items() if k != "yanked"} for f in files]


def test_a_simple_page_file_without_a_yanked_key_leaves_the_version_yank_unknown() -> None:
    """The recorded real six page, its 1.17.0 entries stripped of ``yanked``: was "not yanked"."""
    page = json.loads((PYPI_FIXTURES / "simple" / "six" / "index.json").read_text())
    mine = [f for f in page["files"] if "-1.17.0" in f["filename"]]
    assert mine
    assert all("yanked" in f for f in mine)
    page["files"] = [f for f in page["files"] if f not in mine] + _without_yanked(mine)
    parsed = parse_json_page(page, "https://pypi.example/simple/six/")
    assert {f.yanked for f in parsed.files if "-1.17.0" in f.filename} == {None}
    yanked = release_history(parsed, PackageRef.of("six", "1.17.0"), NOW)["yanked"]
    assert isinstance(yanked, Unknown)
    assert "does not say whether this version's files are yanked" in yanked.reason
    one_says = [*page["files"][:-1], {**mine[-1], "yanked": False}]  # one file known installable
    known = release_history(
        parse_json_page({**page, "files": one_says}, "u"), PackageRef.of("six", "1.17.0"), NOW
    )
    assert known["yanked"] == Known(value=Yank(yanked=False), source="simple", fetched_at=NOW)


def test_a_pypi_json_file_without_a_yanked_key_leaves_the_yank_unknown(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    document = json.loads((PYPI_FIXTURES / "pypi" / "six" / "json").read_text())
    document["releases"]["1.17.0"] = _without_yanked(document["releases"]["1.17.0"])
    body = json.dumps(document).encode()
    server.handlers.append(lambda _m, path, _b: Reply(200, body) if path == "/pypi/six/json" else None)
    server.mount("/", PYPI_FIXTURES)
    point_endpoints(monkeypatch, server)
    graph = DependencyGraph()
    graph.add_package(package("six", "1.17.0"))
    facts = by_name(
        run_with(
            HttpSettings(timeout=5),
            lambda http: collect_facts(
                graph, context_for(http, config_for(tmp_path), clock), sources=["pypi"]
            ),
        )
    )["six"]
    assert isinstance(facts.yanked, Unknown)
    assert "PyPI does not say whether the files of 1.17.0 are yanked" in facts.yanked.reason
    assert isinstance(facts.maintainers, Known)  # the rest of the document still counts
