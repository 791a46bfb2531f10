"""Parse OSV records (JSON or YAML, every scalar kept a string) into typed, validated records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name

from supplychain.errors import AdvisoryDataError

EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")


@dataclass(frozen=True, slots=True, kw_only=True)
class OsvRange:
    """One ``ranges[]`` entry: its type and events in record order; only ECOSYSTEM speaks of PyPI."""

    type: str  # ECOSYSTEM, SEMVER, GIT
    events: tuple[tuple[str, str], ...]  # (kind, value) in record order


@dataclass(frozen=True, slots=True, kw_only=True)
class OsvAffected:
    """One ``affected[]`` entry: the package, its ranges and listed versions, any severity label."""

    ecosystem: str
    name: str  # PEP 503-normalised for PyPI
    ranges: tuple[OsvRange, ...]
    versions: tuple[str, ...]
    severity: str | None  # ecosystem_specific / database_specific severity label if any


@dataclass(frozen=True, slots=True, kw_only=True)
class OsvRecord:
    """One validated OSV record; versions stay strings, as YAML would otherwise read ``1.10`` as ``1.1``."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    details: str
    published: str | None
    modified: str | None
    withdrawn: str | None  # the withdrawal timestamp: such records never match
    severity: tuple[tuple[str, str], ...]  # (type, score vector)
    database_severity: str | None
    affected: tuple[OsvAffected, ...]
    origin: str  # file the record came from, for diagnostics


class _Where:
    """Typed getters that name the file and the field path in every error."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, path: str, what: str) -> AdvisoryDataError:
        return AdvisoryDataError(f"{self.origin}: {path}: {what}")

    def mapping(self, value: object, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping, got {type(value).__name__}")
        return value

    def items(self, value: object, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {type(value).__name__}")
        return value

    def text(self, value: object, path: str, *, required: bool = False) -> str | None:
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(path, f"expected a string, got {type(value).__name__}")
        return str(value)

    def strings(self, value: object, path: str) -> tuple[str, ...]:
        items = self.items(value, path)
        if all(type(item) is str for item in items):  # the usual case: affected-version lists run long
            return tuple(items)
        return tuple(
            self.text(item, f"{path}[{index}]", required=True) or ""
            for index, item in enumerate(self.items(value, path))
        )


def load_record(data: bytes, origin: str) -> OsvRecord:
    """Parse one record file; JSON when it starts with ``{``, otherwise YAML with strings only."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AdvisoryDataError(f"{origin}: not UTF-8 ({error})") from None
    import yaml  # only imports read YAML: an audit reads the stored JSON (saves 40 ms of start-up)

    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # libyaml when built: 10x faster
    try:
        if text.lstrip().startswith("{"):
            raw: object = json.loads(text)
        else:
            # BaseLoader: `fixed: 1.10` stays "1.10", dates stay strings, no tags are constructed.
            raw = yaml.load(text, Loader=loader)  # noqa: S506
    except json.JSONDecodeError as error:
        raise AdvisoryDataError(f"{origin}:{error.lineno}: invalid JSON ({error.msg})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise AdvisoryDataError(f"{origin}{line}: invalid YAML ({error})") from None
    except RecursionError:  # JSON or YAML collections nested past the interpreter's limit
        raise AdvisoryDataError(f"{origin}: nested too deeply") from None
    except ValueError as error:  # a JSON integer of 4,300+ digits
        raise AdvisoryDataError(f"{origin}: invalid JSON ({error})") from None
    return parse_record(raw, origin)


def parse_record(raw: object, origin: str) -> OsvRecord:
    """Validate a decoded record; each error names the file and the field path (``affected[0].ranges``)."""
    where = _Where(origin)
    record = where.mapping(raw, "record")
    record_id = where.text(record.get("id"), "id", required=True) or ""
    if not record_id:
        raise where.fail("id", "empty id")
    severity = []
    for index, item in enumerate(where.items(record.get("severity"), "severity")):
        entry = where.mapping(item, f"severity[{index}]")
        kind = where.text(entry.get("type"), f"severity[{index}].type", required=True) or ""
        score = where.text(entry.get("score"), f"severity[{index}].score", required=True) or ""
        severity.append((kind, score))
    specific = record.get("database_specific")
    db_severity = None
    if isinstance(specific, Mapping):
        db_severity = where.text(specific.get("severity"), "database_specific.severity")
    affected = tuple(
        _affected(where, item, f"affected[{index}]")
        for index, item in enumerate(where.items(record.get("affected"), "affected"))
    )
    return OsvRecord(
        id=record_id,
        aliases=tuple(sorted(set(where.strings(record.get("aliases"), "aliases")))),
        summary=where.text(record.get("summary"), "summary") or "",
        details=where.text(record.get("details"), "details") or "",
        published=where.text(record.get("published"), "published"),
        modified=where.text(record.get("modified"), "modified"),
        withdrawn=where.text(record.get("withdrawn"), "withdrawn"),
        severity=tuple(severity),
        database_severity=db_severity,
        affected=affected,
        origin=origin,
    )


def _affected(where: _Where, item: object, path: str) -> OsvAffected:
    entry = where.mapping(item, path)
    package = where.mapping(entry.get("package", {}), f"{path}.package")
    ecosystem = where.text(package.get("ecosystem"), f"{path}.package.ecosystem") or ""
    name = where.text(package.get("name"), f"{path}.package.name") or ""
    if ecosystem.split(":")[0] == "PyPI":
        name = canonicalize_name(name)
    ranges = []
    for index, item_range in enumerate(where.items(entry.get("ranges"), f"{path}.ranges")):
        rpath = f"{path}.ranges[{index}]"
        range_map = where.mapping(item_range, rpath)
        events = []
        for number, event in enumerate(where.items(range_map.get("events"), f"{rpath}.events")):
            epath = f"{rpath}.events[{number}]"
            pairs = [(k, v) for k, v in where.mapping(event, epath).items() if k in EVENT_KINDS]
            if len(pairs) != 1:
                raise where.fail(epath, f"an event needs exactly one of {', '.join(EVENT_KINDS)}")
            kind, value = pairs[0]
            events.append((kind, where.text(value, f"{epath}.{kind}", required=True) or ""))
        ranges.append(
            OsvRange(type=where.text(range_map.get("type"), f"{rpath}.type") or "", events=tuple(events))
        )
    severity = None
    for key in ("ecosystem_specific", "database_specific"):
        specific = entry.get(key)
        if isinstance(specific, Mapping) and specific.get("severity") is not None:
            severity = where.text(specific.get("severity"), f"{path}.{key}.severity")
    return OsvAffected(
        ecosystem=ecosystem,
        name=name,
        ranges=tuple(ranges),
        versions=where.strings(entry.get("versions"), f"{path}.versions"),
        severity=severity,
    )
