"""Turn any input into the dependency graph: locks as locked, pins as pins, the rest resolved."""

from __future__ import annotations

from typing import TYPE_CHECKING

from supplychain.model import InputSet, LockedSet
from supplychain.resolve.graph import DependencyGraph
from supplychain.resolve.pins import add_listed, pins_graph
from supplychain.resolve.settings import ResolveSettings
from supplychain.target import Scope

if TYPE_CHECKING:
    from supplychain.net.http import Http
    from supplychain.progress import Progress

__all__ = ["ResolveSettings", "build_graph", "pins_graph"]


async def build_graph(
    inputs: InputSet, config: ResolveSettings, http: Http, progress: Progress
) -> DependencyGraph:
    """LockedSet → the lock's graph; ``--no-deps`` → the pins; otherwise resolve over the indexes."""
    if isinstance(inputs, LockedSet):
        from supplychain.resolve.locked import graph_from_locked

        return graph_from_locked(inputs, config.scope or Scope(config.target))
    if config.no_deps:
        graph = pins_graph(inputs)
    else:  # resolvelib, the index client and the find-links reader: only a resolution needs them
        from supplychain.resolve.resolution import resolve

        graph = await resolve(inputs, config, http, progress)
    add_listed(graph, inputs)
    return graph
