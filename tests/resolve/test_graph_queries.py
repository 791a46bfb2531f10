"""The graph's own adjacency queries answer as networkx does on the same graph (it is imported lazily)."""

from __future__ import annotations

import networkx as nx
from packaging.utils import NormalizedName
from packaging.version import Version

from supplychain.model import Origin, OriginKind, PackageRef, ResolvedPackage
from supplychain.resolve.graph import ROOT, DependencyGraph, Edge


def _package(name: str, version: str = "1.0") -> ResolvedPackage:
    ref = PackageRef(name=NormalizedName(name), version=Version(version))
    return ResolvedPackage(ref=ref, origin=Origin(kind=OriginKind.INDEX))


def _diamond() -> DependencyGraph:
    """root -> a, b; a -> c; b -> c; c -> d; d -> c (a cycle); e unreached."""
    graph = DependencyGraph()
    for name in "abcde":
        graph.add_package(_package(name))
    for parent, child in [(ROOT, "a"), (ROOT, "b"), ("a", "c"), ("b", "c"), ("c", "d"), ("d", "c")]:
        graph.add_edge(parent, NormalizedName(child), Edge(specifier=f">{parent}"))
    return graph


def test_queries_match_networkx_on_a_graph_with_a_cycle_and_an_unreached_node() -> None:
    graph = _diamond()
    reference = graph.nx
    lengths = nx.single_source_shortest_path_length(reference, ROOT)
    assert graph.depths() == {name: length for name, length in lengths.items() if name != ROOT}
    assert graph.depth(NormalizedName("e")) is None
    for name in map(NormalizedName, "abcde"):
        assert graph.dependents(name) == sorted(n for n in nx.ancestors(reference, name) if n != ROOT)
        expected = sorted(n for n in reference.successors(ROOT) if nx.has_path(reference, n, name))
        assert graph.top_level_for(name) == ([name] if graph.is_direct(name) else expected)
        assert graph.predecessors(name) == list(reference.predecessors(name))
    assert graph.edges() == list(reference.edges)
    assert graph.why(NormalizedName("d")) == [["a", "c", "d"], ["b", "c", "d"]]
    assert graph.edge("d", "c") == reference.edges["d", "c"]["edge"]


def test_copy_then_only_leaves_the_original_versions() -> None:
    graph = _diamond()
    copy = graph.copy()
    copy.only(_package("c", "2.0"))
    copy.add_edge(ROOT, NormalizedName("e"), Edge())
    assert [str(p.ref.version) for p in graph.versions(NormalizedName("c"))] == ["1.0"]
    assert [str(p.ref.version) for p in copy.versions(NormalizedName("c"))] == ["2.0"]
    assert not graph.has_edge(ROOT, "e")
    assert copy.has_edge(ROOT, "e")
