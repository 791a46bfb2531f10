"""Helpers for resolver tests: configs pointed at the replay server, requirement sets, hand-made indexes."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from packaging.requirements import Requirement

from supplychain.endpoints import Endpoints
from supplychain.model import DeclaredRequirement, Location, RequirementSet
from supplychain.net.http import HttpSettings, build_http
from supplychain.progress import RecordingProgress
from supplychain.resolve import ResolveSettings, build_graph
from supplychain.resolve.graph import DependencyGraph
from supplychain.target import Target
from tests.support.server import ReplayServer, Reply


def config_for(
    base: str,
    *,
    exclude_newer: datetime | None = None,
    no_deps: bool = False,
    cache_dir: Path | None = None,
) -> ResolveSettings:
    endpoints = Endpoints.load(
        environ={"SUPPLYCHAIN_INDEX_URL": f"{base}/simple/", "SUPPLYCHAIN_PYPI_URL": base}
    )
    return ResolveSettings(
        target=Target.parse("3.11", "x86_64-manylinux_2_28"),
        exclude_newer=exclude_newer,
        no_deps=no_deps,
        endpoints=endpoints,
        cache_dir=cache_dir,
    )


def requirement_set(lines: Sequence[str], file: str = "requirements.in") -> RequirementSet:
    declared = tuple(
        DeclaredRequirement(requirement=Requirement(line), location=Location(file=file, line=number))
        for number, line in enumerate(lines, 1)
    )
    return RequirementSet(kind="requirements", path=file, requirements=declared)


def resolve(inputs: RequirementSet, config: ResolveSettings) -> DependencyGraph:
    async def run() -> DependencyGraph:
        http = build_http(HttpSettings(attempts=1, timeout=10.0))
        try:
            return await build_graph(inputs, config, http, RecordingProgress())
        finally:
            await http.aclose()

    return asyncio.run(run())


def wheel_bytes(dist: str, version: str, metadata: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """A wheel holding ``metadata`` as its METADATA (plus any ``extra`` members)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{dist}-{version}.dist-info/METADATA", metadata)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def sdist_bytes(top: str, members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class HandIndex:
    """A hand-made Simple API on the replay server (not recorded data: tests name it as such)."""

    def __init__(self, server: ReplayServer) -> None:
        self.server = server
        self.files: dict[str, list[dict[str, object]]] = {}

    def add(self, project: str, filename: str, body: bytes, **fields: object) -> None:
        path = f"/files/{filename}"
        self.server.routes[path] = Reply(200, body, {"Content-Type": "application/octet-stream"})
        entry: dict[str, object] = {"filename": filename, "url": f"{self.server.url}{path}", "hashes": {}}
        entry.update(fields)
        self.files.setdefault(project, []).append(entry)
        page = {"meta": {"api-version": "1.1"}, "name": project, "files": self.files[project]}
        self.server.routes[f"/simple/{project}/"] = Reply(
            200, json.dumps(page).encode(), {"Content-Type": "application/vnd.pypi.simple.v1+json"}
        )

    def wheel(self, project: str, version: str, requires: Sequence[str] = (), **fields: object) -> None:
        dist = project.replace("-", "_")
        lines = ["Metadata-Version: 2.1", f"Name: {project}", f"Version: {version}"]
        lines += [f"Requires-Dist: {line}" for line in requires]
        body = wheel_bytes(dist, version, ("\n".join(lines) + "\n").encode())
        self.add(project, f"{dist}-{version}-py3-none-any.whl", body, **fields)
