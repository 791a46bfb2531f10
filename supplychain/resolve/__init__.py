"""Resolution: any input to a DependencyGraph for one target, without running package code."""

from supplychain.resolve.build import build_graph

__all__ = ["build_graph"]
