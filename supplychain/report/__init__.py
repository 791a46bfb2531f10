"""The report stage: renderers keyed by a stable id, each reading one AuditResult and evaluating nothing.

``RENDERERS`` maps the ``--format`` ids to renderers; ``write_reports`` writes ``supplychain.<ext>``
files atomically (temporary file, fsync, rename), so a CI job never uploads half a report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from supplychain.errors import UsageError
from supplychain.files import write_atomic
from supplychain.result import AuditResult


class Renderer(Protocol):
    """One report format: a pure function of the audit result, so reports are reproducible."""

    id: str
    extension: str

    def render(self, result: AuditResult) -> str:
        """The whole report as text; the same result always gives the same text."""
        ...


def _json_report() -> type[Renderer]:
    from supplychain.report.json_report import JsonRenderer

    return JsonRenderer


def _sarif() -> type[Renderer]:
    from supplychain.report.sarif import SarifRenderer

    return SarifRenderer


def _cyclonedx() -> type[Renderer]:
    from supplychain.report.cyclonedx import CycloneDxRenderer

    return CycloneDxRenderer


def _markdown() -> type[Renderer]:
    from supplychain.report.markdown import MarkdownRenderer

    return MarkdownRenderer


def _html() -> type[Renderer]:
    from supplychain.report.html import HtmlRenderer

    return HtmlRenderer


# id -> the renderer's class, imported on first use (see ``_Renderers``).
RENDERER_CLASSES: Mapping[str, Callable[[], type[Renderer]]] = {
    "json": _json_report,
    "sarif": _sarif,
    "cyclonedx": _cyclonedx,
    "markdown": _markdown,
    "html": _html,
}


class _Renderers(Mapping[str, Renderer]):
    """Renderers imported when first asked for: the SBOM library and jinja2 cost more to import
    than a warm audit of a small lock takes, and most runs write one format or none."""

    def __init__(self) -> None:
        self._loaded: dict[str, Renderer] = {}

    def __getitem__(self, renderer_id: str) -> Renderer:
        if renderer_id not in self._loaded:
            self._loaded[renderer_id] = RENDERER_CLASSES[renderer_id]()()
        return self._loaded[renderer_id]

    def __iter__(self) -> Iterator[str]:
        return iter(RENDERER_CLASSES)

    def __len__(self) -> int:
        return len(RENDERER_CLASSES)


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
