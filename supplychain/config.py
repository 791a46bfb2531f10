"""Settings from ``[tool.supplychain]`` (pyproject.toml) or ``supplychain.toml``, merged under CLI flags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from supplychain.endpoints import DEFAULTS as ENDPOINT_DEFAULTS
from supplychain.endpoints import Endpoints
from supplychain.errors import InputError
from supplychain.internal import InternalScope
from supplychain.model import Location
from supplychain.target import Target
from supplychain.tomlfile import load_toml
from supplychain.urls import SafeUrl

_KNOWN_KEYS = {
    "policy": str,
    "allowlist": str,
    "exemptions": str,
    "formats": list,
    "output": str,
    "endpoints": dict,
    "internal-indexes": list,
    "internal-patterns": list,
    "allowed-indexes": list,
    "inventory-db": str,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class FileSettings:
    """What a project's configuration file says; every field optional."""

    source: str | None = None
    policy: str | None = None
    allowlist: str | None = None
    exemptions: str | None = None
    formats: tuple[str, ...] = ()
    output: str | None = None
    endpoints: Mapping[str, str] = field(default_factory=dict)
    internal: InternalScope = field(default_factory=InternalScope)
    allowed_indexes: tuple[str, ...] = ()
    inventory_db: str | None = None


def load_file_settings(directory: Path) -> FileSettings:
    """Read ``supplychain.toml`` (preferred) or ``[tool.supplychain]`` of ``pyproject.toml``."""
    standalone = directory / "supplychain.toml"
    if standalone.is_file():
        return _parse(standalone, load_toml(standalone), prefix="")
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        data = load_toml(pyproject)
        tool = data.get("tool", {})
        section = tool.get("supplychain") if isinstance(tool, dict) else None
        if section is not None:
            return _parse(pyproject, section, prefix="tool.supplychain.")
    return FileSettings()


def _parse(path: Path, section: object, *, prefix: str) -> FileSettings:
    where = Location(file=str(path))
    if not isinstance(section, dict):
        raise InputError(f"{prefix.rstrip('.') or 'the file'} must be a table", location=where)
    for key, value in section.items():
        expected = _KNOWN_KEYS.get(key)
        if expected is None:
            known = ", ".join(sorted(_KNOWN_KEYS))
            raise InputError(f"unknown key {prefix}{key} (known: {known})", location=where)
        if not isinstance(value, expected):
            raise InputError(f"{prefix}{key} must be a {expected.__name__}", location=where)
    endpoints = section.get("endpoints", {})
    for name, url in endpoints.items():
        if name not in ENDPOINT_DEFAULTS or not isinstance(url, str):
            raise InputError(
                f"{prefix}endpoints.{name}: unknown endpoint or not a string URL "
                f"(known: {', '.join(sorted(ENDPOINT_DEFAULTS))})",
                location=where,
            )
    base = path.parent

    def relative(value: str | None) -> str | None:
        return None if value is None else str(base / value)

    return FileSettings(
        source=str(path),
        policy=section.get("policy"),
        allowlist=relative(section.get("allowlist")),
        exemptions=relative(section.get("exemptions")),
        formats=tuple(_strings(section.get("formats", []), f"{prefix}formats", where)),
        output=relative(section.get("output")),
        endpoints=dict(endpoints),
        internal=_internal(section, prefix, where),
        allowed_indexes=tuple(
            _strings(section.get("allowed-indexes", []), "allowed-indexes", where)
        ),
        inventory_db=section.get("inventory-db"),
    )


def _internal(section: Mapping[str, list[object]], prefix: str, where: Location) -> InternalScope:
    """The one InternalScope of a run; an index that names no server would silently match nothing."""
    indexes = _strings(section.get("internal-indexes", []), "internal-indexes", where)
    patterns = _strings(section.get("internal-patterns", []), "internal-patterns", where)
    try:
        return InternalScope(indexes=tuple(map(SafeUrl, indexes)), patterns=tuple(patterns))
    except ValueError as problem:
        raise InputError(f"{prefix}internal-indexes: {problem}", location=where) from None


def _strings(values: list[object], key: str, where: Location) -> list[str]:
    if not all(isinstance(value, str) for value in values):
        raise InputError(f"{key} must be a list of strings", location=where)
    return [str(value) for value in values]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditConfig:
    """Everything one run needs, after flags were merged over the configuration file."""

    input_path: Path | None
    input_format: str | None = None
    target: Target
    index_urls: tuple[SafeUrl, ...] = ()
    exclude_newer: datetime | None = None
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    no_deps: bool = False
    offline: bool = False
    endpoints: Endpoints
    cache_dir: Path | None
    data_dir: Path
    policy: str = "sl3"
    allowlist: Path | None = None
    exemptions: Path | None = None
    formats: tuple[str, ...] = ()
    output_dir: Path = Path("reports")
    internal: InternalScope = field(default_factory=InternalScope)
    allowed_indexes: tuple[SafeUrl, ...] = ()
    inventory_db: str | None = None
