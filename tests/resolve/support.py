"""Helpers for resolver tests: configs pointed at the replay server, requirement sets, hand-made indexes."""

from __future__ import annotations

import asyncio
import hashlib
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
from tests.support.server import RangedFile, ReplayServer, Reply


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


def wheel_bytes(
    dist: str,
    version: str,
    metadata: bytes,
    extra: dict[str, bytes] | None = None,
    *,
    compression: int = zipfile.ZIP_STORED,
) -> bytes:
    """A wheel holding ``metadata`` as its METADATA (plus any ``extra`` members)."""
    buffer = io.BytesIO()
    members = {**(extra or {}), f"{dist}-{version}.dist-info/METADATA": metadata}
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():  # dated, so the same wheel is the same bytes at every read
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, compression)
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

    def add(
        self,
        project: str,
        filename: str,
        body: bytes,
        *,
        hashed: bool = False,
        size: int | None = None,
        mode: str = "honour",
        **fields: object,
    ) -> RangedFile:
        """List ``body`` as ``filename``, served by ranges as ``mode`` says (see RangedFile).

        The page gives its size (``size``: a larger virtual file ending with ``body``) and, when
        ``hashed``, its sha256.
        """
        path = f"/files/{filename}"
        served = RangedFile(200, body, {"Content-Type": "application/octet-stream"}, size=size, mode=mode)
        self.server.routes[path] = served
        entry: dict[str, object] = {
            "filename": filename,
            "url": f"{self.server.url}{path}",
            "hashes": {"sha256": hashlib.sha256(body).hexdigest()} if hashed else {},
            "size": served.total,
        }
        entry.update(fields)
        self.files.setdefault(project, []).append(entry)
        page = {"meta": {"api-version": "1.1"}, "name": project, "files": self.files[project]}
        self.server.routes[f"/simple/{project}/"] = Reply(
            200, json.dumps(page).encode(), {"Content-Type": "application/vnd.pypi.simple.v1+json"}
        )
        return served

    def wheel(
        self,
        project: str,
        version: str,
        requires: Sequence[str] = (),
        *,
        hashed: bool = False,
        **fields: object,
    ) -> RangedFile:
        dist = project.replace("-", "_")
        body = wheel_bytes(dist, version, metadata_text(project, version, requires))
        return self.add(project, f"{dist}-{version}-py3-none-any.whl", body, hashed=hashed, **fields)


def metadata_text(project: str, version: str, requires: Sequence[str] = ()) -> bytes:
    lines = ["Metadata-Version: 2.1", f"Name: {project}", f"Version: {version}"]
    lines += [f"Requires-Dist: {line}" for line in requires]
    return ("\n".join(lines) + "\n").encode()
