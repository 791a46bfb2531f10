"""What resolving costs before the first request: networkx (0.3 s) is not imported, even to build a graph."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import supplychain.cli.tree, supplychain.resolve.resolution, supplychain.report.graph_json
print("networkx" in sys.modules)
from supplychain.resolve.graph import DependencyGraph
print(DependencyGraph().depths(), "networkx" in sys.modules)
"""


def test_the_tree_command_resolver_and_graph_do_not_import_networkx() -> None:
    command = [sys.executable, "-c", PROBE]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.split("\n")[:2] == ["False", "{} False"], done.stderr
