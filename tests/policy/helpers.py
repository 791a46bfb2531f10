"""Building graphs and environments around recorded packages for rule tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from packaging.utils import NormalizedName

from supplychain.model import PackageFacts, ResolvedPackage
from supplychain.policy.base import Environment, Hit, Missing
from supplychain.resolve.graph import ROOT, DependencyGraph, Edge
from tests.conftest import NOW


def graph_of(
    packages: Sequence[ResolvedPackage], *, specifiers: Mapping[str, str] | None = None
) -> DependencyGraph:
    graph = DependencyGraph()
    for package in packages:
        graph.add_package(package)
        graph.add_edge(ROOT, package.ref.name, Edge(specifier=(specifiers or {}).get(package.ref.name, "")))
    return graph


def env_of(
    pairs: Sequence[tuple[ResolvedPackage, PackageFacts]],
    *,
    locked: bool = True,
    now: datetime = NOW,
    top: Mapping[str, int] | None = None,
    **kwargs: object,
) -> Environment:
    graph = graph_of([p for p, _ in pairs], specifiers=kwargs.pop("specifiers", None))  # type: ignore[arg-type]
    return Environment(
        graph=graph,
        facts={p.ref: f for p, f in pairs},
        now=now,
        locked=locked,
        top_downloads={NormalizedName(k): v for k, v in top.items()} if top is not None else None,
        **{"allowed_indexes": ("https://pypi.org/simple/",), **kwargs},  # type: ignore[arg-type]
    )


def hits(outcomes: list[Hit | Missing]) -> list[Hit]:
    return [o for o in outcomes if isinstance(o, Hit)]


def missing(outcomes: list[Hit | Missing]) -> list[str]:
    return [o.fact for o in outcomes if isinstance(o, Missing)]
