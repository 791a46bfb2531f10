"""The one merge of a run's settings: flags over environment over ``supplychain.toml`` or
``[tool.supplychain]`` (pyproject.toml) over defaults, into one ``AuditConfig``."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from supplychain import dirs
from supplychain.dates import parse_date, parse_timestamp
from supplychain.endpoints import DEFAULTS as ENDPOINT_DEFAULTS
from supplychain.endpoints import Endpoints
from supplychain.errors import InputError, UsageError
from supplychain.internal import InternalScope
from supplychain.model import Location
from supplychain.target import Scope, Target
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
# Where ``allowlist init`` writes when nothing is configured; ``audit`` reads it from there too.
DEFAULT_ALLOWLIST = Path("allowlist.toml")
# uv's "local date" form of --exclude-newer; anything else must be an RFC 3339 time.
_BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
        allowed_indexes=tuple(_strings(section.get("allowed-indexes", []), "allowed-indexes", where)),
        inventory_db=_inventory(section.get("inventory-db"), base),
    )


def _inventory(url: str | None, base: Path) -> str | None:
    """A relative ``sqlite:///`` path is the configuration file's neighbour, as every path it names."""
    if url is None or not url.startswith("sqlite:///"):
        return url
    path = Path(url.removeprefix("sqlite:///"))
    return url if path.is_absolute() or not str(path) else f"sqlite:///{base / path}"


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
    scope: Scope | None = None  # a lock's scope; None: exactly ``target``, ``extras`` and ``groups``
    index_urls: tuple[SafeUrl, ...] = ()
    find_links: tuple[SafeUrl, ...] = ()  # pip's --find-links, before the input's own
    no_index: bool = False  # pip's --no-index: only find-links locations are read
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
    inventory_db: str | None = None  # ``merge`` always sets one: the configured, else the default


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetFlags:
    """The input, target and network flags as the user gave them (unset: ``None``, empty, off)."""

    input_format: str | None = None
    python_version: str | None = None
    platform: str | None = None
    index_url: str | None = None
    extra_index_url: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    exclude_newer: str | None = None
    extra: tuple[str, ...] = ()
    group: tuple[str, ...] = ()
    no_deps: bool = False
    offline: bool = False

    def config(
        self,
        path: Path | None = None,
        *,
        policy: str | None = None,
        allowlist: Path | None = None,
        exemptions: Path | None = None,
        formats: list[str] | None = None,
        output: Path | None = None,
        cwd: Path | None = None,
    ) -> AuditConfig:
        """These flags for the input at ``path`` with the audit's own flags, through ``merge``."""
        given = Flags(
            path=path,
            target_flags=self,
            policy=policy,
            allowlist=allowlist,
            exemptions=exemptions,
            formats=tuple(formats or ()),
            output=output,
        )
        return merge(given, cwd=cwd)


@dataclass(frozen=True, slots=True, kw_only=True)
class Flags:
    """Every flag of one command as the user gave it: the input and its target, then the audit's own."""

    path: Path | None = None
    target_flags: TargetFlags = field(default_factory=TargetFlags)
    policy: str | None = None
    allowlist: Path | None = None
    exemptions: Path | None = None
    formats: tuple[str, ...] = ()
    output: Path | None = None


def merge(flags: Flags, *, cwd: Path | None = None) -> AuditConfig:
    """Flags over ``SUPPLYCHAIN_*`` variables over the configuration file in ``cwd`` over defaults."""
    here = cwd or Path.cwd()
    file = load_file_settings(here)
    given = flags.target_flags
    formats = flags.formats or file.formats
    endpoints = Endpoints.load(file.endpoints)
    data_dir = dirs.data_dir()
    # As pip: --extra-index-url adds to the index, which stays the default when --index-url is absent.
    primary = given.index_url or (endpoints.index.reveal() if given.extra_index_url else None)
    indexes = tuple(SafeUrl(url) for url in [primary, *given.extra_index_url] if url)
    offline = given.offline or os.environ.get("SUPPLYCHAIN_OFFLINE", "") == "1"
    target = Target.parse(given.python_version, given.platform)
    return AuditConfig(
        input_path=flags.path,
        input_format=given.input_format,
        target=target,
        scope=Scope.of_flags(target, given.python_version, given.platform, given.extra, given.group),
        index_urls=indexes,
        find_links=tuple(SafeUrl(_link(url, here)) for url in given.find_links),
        no_index=given.no_index,
        exclude_newer=parse_exclude_newer(given.exclude_newer),
        extras=given.extra,
        groups=given.group,
        no_deps=given.no_deps,
        offline=offline,
        endpoints=endpoints,
        cache_dir=dirs.cache_dir(),
        data_dir=data_dir,
        policy=flags.policy or file.policy or "sl3",
        allowlist=flags.allowlist or _allowlist(file, cwd),
        exemptions=flags.exemptions or (Path(file.exemptions) if file.exemptions else None),
        # ``--format json,sarif`` and ``--format json --format sarif`` mean the same.
        formats=tuple(part.strip() for item in formats for part in item.split(",") if part.strip()),
        output_dir=flags.output or Path(file.output or "reports"),
        internal=file.internal,
        allowed_indexes=tuple(SafeUrl(url) for url in file.allowed_indexes),
        inventory_db=file.inventory_db or dirs.inventory_url(data_dir),
    )


def _link(value: str, cwd: Path) -> str:
    """A find-links URL as given, or a local path as the ``file:`` URL of its absolute path."""
    if "://" in value or value.startswith("file:"):
        return value
    return (cwd / value).resolve().as_uri()


def _allowlist(file: FileSettings, cwd: Path | None) -> Path | None:
    """The configured allowlist, else ``allowlist.toml`` in the project directory when it exists."""
    if file.allowlist:
        return Path(file.allowlist)
    default = DEFAULT_ALLOWLIST if cwd is None else cwd / DEFAULT_ALLOWLIST
    return default if default.exists() else None


def inventory_db(flag: str | None, cwd: Path | None = None) -> str:
    """``--db`` over ``inventory-db`` of the configuration file over the data dir's SQLite file:
    the one database ``inventory record`` writes and ``audit`` reads."""
    return flag or load_file_settings(cwd or Path.cwd()).inventory_db or dirs.inventory_url()


def parse_exclude_newer(value: str | None) -> datetime | None:
    """An RFC 3339 time (UTC when it has no offset), or a bare date meaning that whole day.

    uv reads ``2026-01-01`` as the day in the system's time zone: files uploaded before the next
    local midnight stay (``ExcludeNewerValue::from_str`` in uv-distribution-types). Like uv, the
    resolver drops files uploaded at or after the cut-off, so a date's cut-off is that midnight.
    """
    if value is None:
        return None
    if _BARE_DATE.fullmatch(value):
        try:
            next_day = parse_date(value) + timedelta(days=1)
            next_midnight = datetime.combine(next_day, time()).astimezone()  # naive: local time
        except (ValueError, OverflowError):
            raise UsageError(f"--exclude-newer {value!r} is not a calendar date") from None
        return next_midnight.astimezone(UTC)
    try:
        return parse_timestamp(value, assume_utc=True)
    except ValueError:
        raise UsageError(f"--exclude-newer {value!r} is not an RFC 3339 timestamp or date") from None
