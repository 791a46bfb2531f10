"""Below every stage: the one HTTP door and one typed parser per PyPI API, shared by all callers."""

from __future__ import annotations

import sys
import types


def _without_httpx_cli() -> None:
    """Let ``import httpx`` skip its command-line tool (``httpx._main``), which imports click, rich
    and pygments: 5 MB of the first online run's memory peak and ~0.1 s of its start, for a CLI no
    supplychain command runs. Only before httpx is imported, and only its ``main`` is replaced."""
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stub = types.ModuleType("httpx._main", "httpx's CLI, not loaded by supplychain")

    def main() -> None:
        raise SystemExit("httpx's command line is not available inside supplychain")

    stub.main = main  # type: ignore[attr-defined]  # what httpx/__init__.py imports from it
    sys.modules["httpx._main"] = stub


_without_httpx_cli()
