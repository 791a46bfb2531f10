"""Read ``pdm.lock`` into a LockedSet: pins, file hashes, the requirement strings PDM records as edges,
and the indexes (and per-package index bindings) of the ``[[tool.pdm.source]]`` beside it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from supplychain.errors import InputError
from supplychain.inputs import InputOptions
from supplychain.inputs.lockfile import (
    and_marker,
    at,
    digest,
    load_lock,
    marker,
    need_list,
    need_str,
    need_table,
    opt_str,
    package_ref,
    requirement,
    roots_from_pyproject,
    sorted_hashes,
)
from supplychain.inputs.pdm_sources import PdmSources
from supplychain.inputs.validate import checked
from supplychain.locate import array_lines, line_of, top_level_line
from supplychain.model import (
    Location,
    LockedDependency,
    LockedPackage,
    LockedSet,
    Origin,
    OriginKind,
    normalize,
)
from supplychain.urls import SafeUrl

SUPPORTED_MAJOR = 4


class PdmLockInput:
    """``pdm.lock`` (lock_version 4.x); roots from the sibling pyproject.toml, else all are direct."""

    id = "pdm-lock"

    def detect(self, path: Path) -> bool:
        return path.is_file() and path.name == "pdm.lock"

    def read(self, path: Path, options: InputOptions) -> LockedSet:
        text, data = load_lock(path)
        file = str(path)
        metadata = need_table(data, "metadata", at(file, top_level_line(text, "metadata")), "pdm.lock")
        version = metadata.get("lock_version")
        if not _supported(version):
            raise InputError(
                f"pdm.lock lock_version {version!r} is not supported (supported: 4.x)",
                location=at(file, line_of(text, "lock_version") or top_level_line(text, "metadata")),
            )
        old_files = need_table(metadata, "files", at(file, top_level_line(text, "metadata")), "[metadata]")
        lines = array_lines(text, "package")
        merged: dict[tuple[str, str], tuple[LockedPackage, list[LockedDependency]]] = {}
        package_at = at(file, top_level_line(text, "package"))
        for number, entry in enumerate(need_list(data, "package", package_at, "pdm.lock")):
            where = at(file, lines[number] if number < len(lines) else top_level_line(text, "package"))
            if not isinstance(entry, dict):
                raise InputError("[[package]] entry is not a table", location=where)
            raw_name = need_str(entry, "name", where, "[[package]]")
            what = f"package {raw_name!r}"
            parsed = requirement(raw_name, where, "[[package]] name")
            raw_version = need_str(entry, "version", where, what)
            ref = package_ref(parsed.name, raw_version, where)
            extras = sorted({*parsed.extras, *(str(e) for e in need_list(entry, "extras", where, what))})
            edges = [
                _edge(spec, where, what, extras) for spec in need_list(entry, "dependencies", where, what)
            ]
            edges = [edge for edge in edges if edge.name != ref.name]
            key = (ref.name, str(ref.version))
            if key in merged:
                merged[key][1].extend(edges)
                continue
            files = need_list(entry, "files", where, what) or need_list(
                old_files, f"{raw_name} {raw_version}", where, "[metadata.files]"
            )  # a non-array value here crashed the loop below with a TypeError
            hashes = [digest(item.get("hash"), where, what) for item in files if isinstance(item, dict)]
            condition = opt_str(entry, "marker", where, what)
            package = LockedPackage(
                ref=ref,
                origin=_origin(entry, sorted_hashes(hashes), where, what),
                dependencies=None,
                location=where,
                marker=marker(condition, where, what),
            )
            merged[key] = (package, edges)
        sources = PdmSources.beside(path)
        packages = tuple(
            LockedPackage(
                ref=p.ref,
                origin=_pinned(p.origin, p.ref.name, sources),
                location=p.location,
                marker=p.marker,
                dependencies=tuple(sorted(edges, key=lambda e: (e.name, e.marker or ""))),
            )
            for p, edges in (merged[key] for key in sorted(merged))
        )
        scope = options.lock_scope
        roots = roots_from_pyproject(path, scope.extras, scope.groups) or ()
        index_urls = sources.index_urls() if sources else ()
        return checked(
            LockedSet(kind=self.id, path=file, packages=packages, roots=roots, index_urls=index_urls)
        )


def _supported(version: object) -> bool:
    if not isinstance(version, str):
        return False
    try:
        return Version(version).major == SUPPORTED_MAJOR
    except InvalidVersion:
        return False


def _pinned(origin: Origin, name: str, sources: PdmSources | None) -> Origin:
    """An index package PDM's source filters bind to one index: served by it, and pinned there."""
    url = sources.pin(name) if sources is not None and origin.kind is OriginKind.INDEX else None
    return origin if url is None else replace(origin, url=url, pinned=True)


def _edge(spec: object, where: Location, what: str, extras: list[str]) -> LockedDependency:
    """A PDM requirement string; one listed under ``name[extra]`` only holds when that extra is asked for."""
    if not isinstance(spec, str):
        raise InputError(f"{what}: a dependency must be a requirement string", location=where)
    parsed = requirement(spec, where, what)
    condition = str(parsed.marker) if parsed.marker else None
    if extras:
        condition = and_marker(condition, " or ".join(f'extra == "{extra}"' for extra in extras))
    return LockedDependency(
        name=normalize(parsed.name),
        specifier=str(parsed.specifier),
        marker=condition,
        extras=tuple(sorted(parsed.extras)),
    )


def _origin(entry: dict[str, Any], hashes: tuple[str, ...], where: Location, what: str) -> Origin:
    if "git" in entry or "hg" in entry or "svn" in entry or "bzr" in entry:
        vcs = next(key for key in ("git", "hg", "svn", "bzr") if key in entry)
        return Origin(
            kind=OriginKind.VCS,
            url=SafeUrl(need_str(entry, vcs, where, what)),
            commit=opt_str(entry, "revision", where, what),
        )
    if "path" in entry:
        editable = entry.get("editable") is True
        return Origin(
            kind=OriginKind.EDITABLE if editable else OriginKind.PATH,
            url=SafeUrl(need_str(entry, "path", where, what)),
            hashes=hashes,
        )
    if "url" in entry:
        return Origin(kind=OriginKind.URL, url=SafeUrl(need_str(entry, "url", where, what)), hashes=hashes)
    return Origin(kind=OriginKind.INDEX, hashes=hashes)
