"""What resolution reads from core metadata (METADATA, PKG-INFO): the dependencies, or why unknown."""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesParser

from packaging.version import Version


@dataclass(frozen=True, slots=True, kw_only=True)
class CoreMetadata:
    """What resolution needs from METADATA/PKG-INFO; ``requires`` None = unknown without a build."""

    requires: tuple[str, ...] | None
    reason: str | None = None


def parse_metadata(content: bytes) -> CoreMetadata:
    message = BytesParser().parsebytes(content, headersonly=True)
    return CoreMetadata(requires=tuple(message.get_all("Requires-Dist") or ()))


def static_sdist_metadata(content: bytes, filename: str) -> CoreMetadata:
    """PEP 643: metadata 2.2+ with Requires-Dist not Dynamic is what a build would produce."""
    message = BytesParser().parsebytes(content, headersonly=True)
    try:
        version = Version(str(message.get("Metadata-Version", "1.0")))
    except ValueError:
        version = Version("1.0")
    dynamic = {str(value).strip().lower() for value in message.get_all("Dynamic") or ()}
    if version >= Version("2.2") and "requires-dist" not in dynamic:
        return CoreMetadata(requires=tuple(message.get_all("Requires-Dist") or ()))
    why = "Requires-Dist is dynamic" if "requires-dist" in dynamic else f"metadata {version} < 2.2"
    return CoreMetadata(
        requires=None, reason=f"dependencies unknown without a build (sdist {filename}: {why})"
    )
