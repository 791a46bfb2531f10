"""The JSON form of one package's facts: each fact with value, source and fetch time, or why unknown."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from packaging.version import Version

from supplychain.model import (
    FACT_NAMES,
    JSON,
    Advisory,
    IndexOffer,
    InternalUsage,
    Known,
    Maintainer,
    PackageFacts,
    Provenance,
    Publisher,
    StartupHook,
    Unknown,
    Yank,
)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``; naive datetimes are refused (they would lie about the zone)."""
    if moment.tzinfo is None:
        raise ValueError("facts carry timezone-aware datetimes only")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def advisory_json(advisory: Advisory) -> dict[str, JSON]:
    """An advisory in the facts JSON; aliases and fixed versions sorted, so reports are byte-identical."""
    return {
        "id": advisory.id,
        "aliases": list[JSON](sorted(advisory.aliases)),
        "kind": advisory.kind.value,
        "severity": None if advisory.severity is None else advisory.severity.label,
        "fixed_in": list[JSON](str(v) for v in sorted(advisory.fixed_in)),
        "withdrawn": advisory.withdrawn,
    }


def value_json(value: object) -> JSON:  # noqa: PLR0911 - one return per model value type
    """Every fact value type of the model, as plain JSON."""
    match value:
        case None | bool() | int() | float() | str():
            return value
        case datetime():
            return iso(value)
        case Version():
            return str(value)
        case Maintainer(user=user, role=role):
            return {"user": user, "role": role.value}
        case Yank(yanked=yanked, reason=reason):
            return {"yanked": yanked, "reason": reason}
        case Publisher():
            return {
                "kind": value.kind,
                "repository": value.repository,
                "workflow": value.workflow,
                "environment": value.environment,
                "email": value.email,
            }
        case Provenance(attested=attested, publishers=publishers, files_checked=files):
            return {
                "attested": attested,
                "verified": value.verified,
                "problems": list[JSON](value.problems),
                "files_checked": files,
                "publishers": [value_json(p) for p in publishers],
            }
        case InternalUsage(environments=environments, teams=teams):
            return {"environments": environments, "teams": teams}
        case StartupHook(member=member, runs_code=runs_code):
            return {"member": member, "runs_code": runs_code}
        case IndexOffer(index=index, versions=versions):
            return {"index": index, "versions": list[JSON](versions)}
        case Advisory():
            return value.id
        case tuple() | list():
            items = [value_json(item) for item in value]
            return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    raise TypeError(f"no JSON form for fact value of type {type(value).__name__}")


def facts_json(facts: PackageFacts) -> dict[str, JSON]:
    """``{"facts": {name: {value, source, fetched_at} | {unknown, source}}, "advisories": [...]}``.

    Every fact of the model appears; ``advisories`` lists those of both advisory facts that are known.
    """
    document: dict[str, JSON] = {}
    for name in sorted(FACT_NAMES):
        signal = getattr(facts, name)
        match signal:
            case Known(value=value, source=source, fetched_at=fetched_at):
                document[name] = {"value": value_json(value), "source": source, "fetched_at": iso(fetched_at)}
            case Unknown(reason=reason, source=source):
                document[name] = {"unknown": reason, "source": source}
    advisories: list[JSON] = [advisory_json(a) for a in facts.known_advisories()]
    return {"facts": document, "advisories": advisories}
