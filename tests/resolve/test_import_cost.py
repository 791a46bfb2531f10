"""What resolving costs before the first request: networkx (0.3 s) is not imported on the way."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import supplychain.cli.tree, supplychain.resolve.build, supplychain.report.graph_json
print("networkx" in sys.modules)
from supplychain.resolve.graph import DependencyGraph, preload
preload()
print(DependencyGraph().depths())
"""


def test_the_tree_command_and_resolver_import_networkx_only_when_a_graph_is_built() -> None:
    command = [sys.executable, "-c", PROBE]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.split("\n")[:2] == ["False", "{}"], done.stderr
