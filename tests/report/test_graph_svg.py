"""The graph picture's layout: every package once, no overlaps, bounded height even for ~400 nodes."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import replace

from packaging.utils import NormalizedName

from supplychain.model import Origin, OriginKind, PackageRef, ResolvedPackage
from supplychain.report.graph_svg import COLUMN, MARGIN, PER_COLUMN, ROW, graph_svg, layout, risk_levels
from supplychain.resolve.graph import ROOT, DependencyGraph, Edge
from tests.report.audited import real_audit


def _assert_legible(nodes: list[tuple[int, int]]) -> None:
    assert len(set(nodes)) == len(nodes)
    columns: dict[int, list[int]] = {}
    for x, y in nodes:
        columns.setdefault(x, []).append(y)
    for ys in columns.values():
        ordered = sorted(ys)
        assert all(b - a >= ROW for a, b in itertools.pairwise(ordered))
    xs = sorted(columns)
    assert all(b - a >= COLUMN for a, b in itertools.pairwise(xs))  # labels never collide
    assert max(y for _, y in nodes) <= MARGIN + (PER_COLUMN - 1) * ROW


def test_real_graph_layout_is_legible_and_coloured_by_risk() -> None:
    result = real_audit("uv")
    nodes = layout(result)
    assert sorted(n.name for n in nodes) == sorted(p.ref.name for p in result.graph.packages())
    _assert_legible([(n.x, n.y) for n in nodes])
    svg = ET.fromstring(graph_svg(result))
    groups = svg.findall(".//{http://www.w3.org/2000/svg}g[@data-name]")
    assert len(groups) == len(nodes)
    levels = {ref.name: level for ref, level in risk_levels(result).items()}
    requests = next(g for g in groups if g.get("data-name") == "requests")
    assert requests.get("class") == f"node {levels[NormalizedName('requests')]}"
    direct = [n for n in nodes if result.graph.is_direct(NormalizedName(n.name))]
    assert {n.x for n in direct} == {MARGIN}  # depth 1 is the first column


def test_four_hundred_nodes_wrap_into_columns() -> None:
    """Hand-made wide graph: 400 direct dependencies of the root, the worst case for one layer."""
    result = real_audit("pipfile")
    graph = DependencyGraph()
    for index in range(400):
        ref = PackageRef.of(f"pkg-{index:03d}", "1.0")
        graph.add_package(ResolvedPackage(ref=ref, origin=Origin(kind=OriginKind.INDEX)))
        graph.add_edge(ROOT, ref.name, Edge())
    nodes = layout(replace(result, graph=graph, findings=(), scores={}))
    assert len(nodes) == 400
    _assert_legible([(n.x, n.y) for n in nodes])
    assert len({n.x for n in nodes}) == -(-400 // PER_COLUMN)
