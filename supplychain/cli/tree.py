"""``supplychain tree``: an input's dependency tree, ``--why`` paths, or the graph as JSON/DOT/GraphML."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from supplychain.cli import app
from supplychain.cli.common import PathArg, TargetFlags, run_with_http, target_options
from supplychain.errors import UsageError
from supplychain.model import normalize
from supplychain.progress import NullProgress
from supplychain.resolve.graph import ROOT, DependencyGraph

if TYPE_CHECKING:
    from rich.tree import Tree


class TreeFormat(StrEnum):
    """The ``tree --format`` choices; each value is what the user types."""

    TEXT = "text"
    JSON = "json"
    DOT = "dot"
    GRAPHML = "graphml"


@app.command()
@target_options()
def tree(
    *,
    path: PathArg = None,
    why: Annotated[
        str | None, typer.Option("--why", metavar="NAME", help="Print every path to NAME.")
    ] = None,
    output_format: Annotated[TreeFormat, typer.Option("--format")] = TreeFormat.TEXT,
    depth: Annotated[int | None, typer.Option("--depth", min=1, help="Levels to show.")] = None,
    flags: TargetFlags,
) -> None:
    """Print the dependency tree (direct vs transitive, version, origin)."""
    from supplychain.audit import read_graph
    from supplychain.report.graph_json import graph_document, graph_dot, graph_graphml

    config = flags.config(path)
    read = run_with_http(config, lambda http: read_graph(config, http, NullProgress()))
    inputs, graph = read.inputs, read.graph
    if why is not None:
        paths = graph.why(normalize(why))
        if normalize(why) not in graph:
            raise UsageError(f"{why!r} is not in the dependency graph")
        for route in paths:
            typer.echo(" -> ".join(route))
        return
    if output_format is TreeFormat.JSON:
        document = graph_document(graph, target=config.target, inputs=[inputs.path])
        typer.echo(json.dumps(document, indent=2, sort_keys=True))
    elif output_format is TreeFormat.DOT:
        typer.echo(graph_dot(graph), nl=False)
    elif output_format is TreeFormat.GRAPHML:
        typer.echo(graph_graphml(graph), nl=False)
    else:
        from rich.console import Console  # the text tree only: JSON, DOT and GraphML need no rich

        Console(soft_wrap=True, highlight=False).print(render_tree(graph, title=inputs.path, depth=depth))


def render_tree(graph: DependencyGraph, *, title: str, depth: int | None = None) -> Tree:
    """Each package expanded once; later occurrences point back with ``(see above)``."""
    from rich.tree import Tree

    root = Tree(f"[bold]{title}[/bold] ({len(graph)} packages)")
    shown: set[str] = set()

    def add(parent: Tree, name: str, level: int) -> None:
        package = graph.package(normalize(name))
        versions = ", ".join(str(p.ref.version) for p in graph.versions(normalize(name)))  # forks: every one
        edge = graph.edge(parent_name[id(parent)], name)
        kind = "direct" if level == 1 else "transitive"
        label = f"{name} [green]{versions}[/green] [dim]{kind}, {package.origin.kind.value}"
        if edge.specifier or edge.marker:
            label += f", {edge.specifier}{'; ' + edge.marker if edge.marker else ''}"
        label += "[/dim]"
        if package.unresolved:
            label += f" [yellow]({package.unresolved})[/yellow]"
        if package.vanished:
            label += " [red](not on the index any more)[/red]"
        children = graph.dependencies(normalize(name))
        if name in shown and children:
            parent.add(label + " [dim](see above)[/dim]")
            return
        shown.add(name)
        branch = parent.add(label)
        parent_name[id(branch)] = name
        if depth is not None and level >= depth:
            return
        for child in children:
            add(branch, child, level + 1)

    parent_name: dict[int, str] = {id(root): ROOT}
    for top in sorted(graph.successors(ROOT)):
        add(root, top, 1)
    return root
