"""Resolution: any input to a DependencyGraph for one target, without running package code."""

from supplychain.resolve.build import ResolveSettings, build_graph

__all__ = ["ResolveSettings", "build_graph"]
