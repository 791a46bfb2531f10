"""The report stage: renderers keyed by a stable id, each reading one AuditResult and evaluating nothing.

``RENDERERS`` maps the ``--format`` ids to renderers; ``write_reports`` writes ``supplychain.<ext>``
files atomically (temporary file, fsync, rename), so a CI job never uploads half a report.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from supplychain.errors import UsageError
from supplychain.files import write_atomic
from supplychain.result import AuditResult


class Renderer(Protocol):
    id: str
    extension: str

    def render(self, result: AuditResult) -> str:
        """The whole report as text; the same result always gives the same text."""
        ...


class _Renderers(Mapping[str, Renderer]):
    """Renderers imported when first asked for: the SBOM library and jinja2 cost more to import
    than a warm audit of a small lock takes, and most runs write one format or none."""

    _WHERE: Mapping[str, str] = {
        "json": "supplychain.report.json_report:JsonRenderer",
        "sarif": "supplychain.report.sarif:SarifRenderer",
        "cyclonedx": "supplychain.report.cyclonedx:CycloneDxRenderer",
        "markdown": "supplychain.report.markdown:MarkdownRenderer",
        "html": "supplychain.report.html:HtmlRenderer",
    }

    def __init__(self) -> None:
        self._loaded: dict[str, Renderer] = {}

    def __getitem__(self, renderer_id: str) -> Renderer:
        if renderer_id not in self._loaded:
            module, _, name = self._WHERE[renderer_id].partition(":")
            renderer: Renderer = getattr(importlib.import_module(module), name)()
            if renderer.id != renderer_id:
                raise RuntimeError(f"{module}.{name} has id {renderer.id!r}, registered as {renderer_id!r}")
            self._loaded[renderer_id] = renderer
        return self._loaded[renderer_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._WHERE)

    def __len__(self) -> int:
        return len(self._WHERE)


RENDERERS: Mapping[str, Renderer] = _Renderers()


def write_reports(result: AuditResult, formats: Sequence[str], output_dir: Path) -> list[Path]:
    """Render each format (all before writing any, so a renderer bug leaves no partial set)."""
    unknown = sorted(set(formats) - set(RENDERERS))
    if unknown:
        raise UsageError(f"--format {', '.join(unknown)}: not one of {', '.join(sorted(RENDERERS))}")
    rendered = [
        (output_dir / f"supplychain.{RENDERERS[fmt].extension}", RENDERERS[fmt].render(result))
        for fmt in dict.fromkeys(formats)
    ]
    for path, text in rendered:
        write_atomic(path, text)
    return [path for path, _ in rendered]


__all__ = ["RENDERERS", "Renderer", "write_reports"]
