"""Two versions of one name in one audit read the same project page, each for its own files.

A lock's forks hold networkx 3.4.2 and 3.6.1 (helm's uv.lock). The per-run page memo was keyed by URL
only, so whichever version asked second got the first one's files: "no files for version 3.6.1 on
the index", provenance and has_wheel unknown for a version PyPI plainly lists. Hand-made page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.clock import FixedClock
from supplychain.model import Known, PackageRef
from supplychain.net.http import HttpSettings
from supplychain.resolve.graph import DependencyGraph
from supplychain.sources.enrich import collect_facts
from tests.sources.pypi_support import (
    config_for,
    context_for,
    package,
    point_endpoints,
    run_with,
    serve_pep740_page,
)
from tests.support.server import ReplayServer

FILES = {
    "networkx-3.4.2-py3-none-any.whl": ("a" * 64, None),
    "networkx-3.4.2.tar.gz": ("b" * 64, None),
    "networkx-3.6.1.tar.gz": ("c" * 64, None),  # an sdist only: has_wheel tells the versions apart
}


def test_each_version_gets_its_own_files_from_one_page(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    serve_pep740_page(server, "networkx", FILES)
    point_endpoints(monkeypatch, server)
    graph = DependencyGraph()
    graph.add_package(package("networkx", "3.4.2"))
    graph.add_package(package("networkx", "3.6.1"))
    facts = run_with(
        HttpSettings(timeout=5),
        lambda http: collect_facts(
            graph, context_for(http, config_for(tmp_path), clock), sources=["simple", "integrity"]
        ),
    )
    old, new = facts[PackageRef.of("networkx", "3.4.2")], facts[PackageRef.of("networkx", "3.6.1")]
    assert isinstance(old.has_wheel, Known), old.has_wheel
    assert isinstance(new.has_wheel, Known), new.has_wheel
    assert (old.has_wheel.value, new.has_wheel.value) == (True, False)
    for found in (old, new):
        assert isinstance(found.provenance, Known), found.provenance  # the page says "none": known
        assert found.provenance.value.attested is False
