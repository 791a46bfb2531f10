"""A loopback emulator of the OSV API (``/v1/query``, ``/v1/querybatch``, ``/v1/vulns/<id>``).

Built from real OSV records (the PyPA advisory database, malicious-packages reports), so that
pip-audit, uv and supplychain can be measured against the same data without the internet.
Matching here is a deliberately naive, independent reading of the OSV spec (explicit
``versions`` lists, then ECOSYSTEM events in order), so it doubles as a cross-check.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tests.support.server import ReplayServer, Reply


def records_from_tar(path: Path) -> Iterator[dict[str, Any]]:
    """Every OSV record (YAML or JSON) in a .tar.gz, scalars kept as strings for YAML."""
    with tarfile.open(path) as archive:
        for member in archive:
            if not member.isfile() or not member.name.endswith((".yaml", ".yml", ".json")):
                continue
            handle = archive.extractfile(member)
            assert handle is not None
            text = handle.read().decode()
            if member.name.endswith(".json"):
                yield json.loads(text)
            else:
                yield yaml.load(io.StringIO(text), Loader=_LOADER)


_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # libyaml when present: 10x faster


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def naive_affected(record: dict[str, Any], name: str, version: Version) -> bool:
    """Is ``name==version`` affected by ``record``? Withdrawn records affect nothing."""
    if record.get("withdrawn"):
        return False
    public = Version(version.public)
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or canonicalize_name(package.get("name", "")) != name:
            continue
        listed = {_version(v) for v in affected.get("versions", [])}
        if version in listed or public in listed:
            return True
        ranges = [r for r in affected.get("ranges", []) if r.get("type") == "ECOSYSTEM"]
        if not ranges and not affected.get("versions"):
            return True  # no ranges, no versions: every version (malicious reports)
        for entry in ranges:
            state = False
            parsed = [(_version(v), kind) for ev in entry.get("events", []) for kind, v in ev.items()]
            # Non-PEP 440 events are skipped here; the product must report them, not skip them.
            events = sorted(((at, kind) for at, kind in parsed if at is not None), key=lambda item: item[0])
            for at, kind in events:
                if kind == "introduced" and public >= at:
                    state = True
                elif (kind == "fixed" and public >= at) or (kind == "last_affected" and public > at):
                    state = False
            if state:
                return True
    return False


class OsvApi:
    """Holds records indexed by package name; ``install(server)`` serves the API."""

    def __init__(self, records: Iterable[dict[str, Any]]) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}
        self.by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            self.by_id[record["id"]] = record
            for affected in record.get("affected", []):
                package = affected.get("package", {})
                if package.get("ecosystem") == "PyPI":
                    self.by_name[canonicalize_name(package.get("name", ""))].append(record)

    def matches(self, name: str, version: str) -> list[dict[str, Any]]:
        parsed = _version(version)
        if parsed is None:
            return []
        normalized = canonicalize_name(name)
        found = {
            r["id"]: r for r in self.by_name.get(normalized, []) if naive_affected(r, normalized, parsed)
        }
        return [found[key] for key in sorted(found)]

    def install(self, server: ReplayServer) -> None:
        def handle(method: str, path: str, body: bytes) -> Reply | None:
            if method == "POST" and path == "/v1/query":
                query = json.loads(body)
                vulns = self.matches(query["package"]["name"], query.get("version", ""))
                return _json({"vulns": vulns} if vulns else {})
            if method == "POST" and path == "/v1/querybatch":
                queries = json.loads(body)["queries"]
                results = []
                for query in queries:
                    vulns = self.matches(query["package"]["name"], query.get("version", ""))
                    results.append(
                        {"vulns": [{"id": v["id"], "modified": v.get("modified", "")} for v in vulns]}
                    )
                return _json({"results": results})
            if method == "GET" and path.startswith("/v1/vulns/"):
                record = self.by_id.get(path.rsplit("/", 1)[1])
                return _json(record) if record else Reply(404, b'{"code":5,"message":"Bug not found."}')
            return None

        server.handlers.append(handle)


def _json(data: object) -> Reply:
    return Reply(200, json.dumps(data).encode(), {"Content-Type": "application/json"})
