"""An inline SVG picture of the dependency graph, layered by depth and coloured by each package's risk.

Laid out here in Python (no JS, no network): one column per depth, nodes ordered by the mean position
of their parents to shorten edges, and a deep layer wrapped into sub-columns so ~400 nodes stay legible.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from packaging.utils import NormalizedName

from supplychain.model import Action, PackageRef
from supplychain.report.common import effective
from supplychain.resolve.graph import ROOT
from supplychain.result import AuditResult

ROW = 16
COLUMN = 190
PER_COLUMN = 45
MARGIN = 20
COLOURS = {"fail": "#d1242f", "warn": "#bf8700", "ok": "#1a7f37"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """One placed package: its position in the picture and the risk that colours it."""

    name: str
    x: int
    y: int
    risk: str


def risk_levels(result: AuditResult) -> dict[PackageRef, str]:
    """``fail`` / ``warn`` / ``ok`` per package version, from the findings' effective actions."""
    levels: dict[PackageRef, str] = {p.ref: "ok" for p in result.graph.packages()}
    for finding in result.findings:
        if finding.package is None or finding.package not in levels:
            continue
        action = effective(finding)
        if action is Action.FAIL:
            levels[finding.package] = "fail"
        elif action is Action.WARN and levels[finding.package] == "ok":
            levels[finding.package] = "warn"
    return levels


def _name_levels(result: AuditResult) -> dict[NormalizedName, str]:
    """One node per name in the drawing: the worst level of its versions."""
    rank = {"ok": 0, "warn": 1, "fail": 2}
    worst: dict[NormalizedName, str] = {}
    for ref, level in risk_levels(result).items():
        if rank[level] >= rank[worst.get(ref.name, "ok")]:
            worst[ref.name] = level
    return worst


def layout(result: AuditResult) -> list[Node]:
    """Place each package: one column per depth, unreachable ones last.

    Nodes are ordered by their parents' mean row to shorten edges; a layer of more than
    ``PER_COLUMN`` nodes wraps into sub-columns.
    """
    graph = result.graph
    depths = graph.depths()
    deepest = max(depths.values(), default=0)
    layers: dict[int, list[NormalizedName]] = {}
    for name in graph.names():
        layers.setdefault(depths.get(name, deepest + 1), []).append(name)
    levels = _name_levels(result)
    position: dict[str, float] = {ROOT: 0.0}
    nodes: list[Node] = []
    x = MARGIN
    for depth in sorted(layers):

        def barycentre(name: str) -> tuple[float, str]:
            parents = [position[p] for p in graph.predecessors(name) if p in position]
            return (sum(parents) / len(parents) if parents else 1e9, name)

        names = sorted(layers[depth], key=barycentre)
        for index, name in enumerate(names):
            column, row = divmod(index, PER_COLUMN)
            nodes.append(Node(name=name, x=x + column * COLUMN, y=MARGIN + row * ROW, risk=levels[name]))
            position[name] = float(index)
        x += COLUMN * (1 + (len(names) - 1) // PER_COLUMN)
    return nodes


def graph_svg(result: AuditResult) -> str:
    """The SVG element as markup (escaped names); edges drawn faintly under the nodes."""
    nodes = layout(result)
    where = {node.name: node for node in nodes}
    width = max((n.x for n in nodes), default=0) + COLUMN + MARGIN
    height = max((n.y for n in nodes), default=0) + MARGIN * 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="graph" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="dependency graph coloured by risk">',
        '<g class="edges" stroke="#8c959f" stroke-opacity="0.35" fill="none">',
    ]
    for parent, child in sorted(result.graph.edges()):
        if parent in where and child in where:
            a, b = where[parent], where[child]
            parts.append(f'<line x1="{a.x}" y1="{a.y}" x2="{b.x}" y2="{b.y}"/>')
    parts.append('</g><g class="nodes" font-size="11" font-family="sans-serif">')
    for node in nodes:
        version = ", ".join(str(p.ref.version) for p in result.graph.versions(NormalizedName(node.name)))
        label, title = escape(node.name), escape(f"{node.name} {version} ({node.risk})")
        parts.append(
            f'<g class="node {node.risk}" data-name="{label}"><title>{title}</title>'
            f'<circle cx="{node.x}" cy="{node.y}" r="5" fill="{COLOURS[node.risk]}"/>'
            f'<text x="{node.x + 8}" y="{node.y + 4}">{escape(node.name[:24])}</text></g>'
        )
    parts.append("</g></svg>")
    return "".join(parts)
