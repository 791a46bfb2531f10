"""Read ``poetry.lock`` into a LockedSet: pins, file hashes, sources and the recorded dependency edges."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName

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
    roots_from_pyproject,
    sorted_hashes,
)
from supplychain.inputs.validate import checked
from supplychain.locate import array_lines, key_path_line, line_of, top_level_line
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

SUPPORTED_VERSIONS = ("1.0", "1.1", "2.0", "2.1")
# Poetry's older extras entry ``name (constraint)``, the constraint in Poetry's syntax (``^1.0``, ``*``)
_LEGACY_EXTRA = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*\([^()]*\)\s*$"
)


class PoetryLockInput:
    """``poetry.lock``; roots come from the sibling pyproject.toml when there is one, else all are direct."""

    id = "poetry-lock"

    def detect(self, path: Path) -> bool:
        return path.is_file() and path.name == "poetry.lock"

    def read(self, path: Path, options: InputOptions) -> LockedSet:
        text, data = load_lock(path)
        file = str(path)
        metadata = need_table(data, "metadata", at(file, top_level_line(text, "metadata")), "poetry.lock")
        version = metadata.get("lock-version")
        if version not in SUPPORTED_VERSIONS:
            raise InputError(
                f"poetry.lock lock-version {version!r} is not supported "
                f"(supported: {', '.join(SUPPORTED_VERSIONS)})",
                location=at(file, line_of(text, "lock-version") or top_level_line(text, "metadata")),
            )
        files_at = at(file, key_path_line(text, ("metadata", "files")) or top_level_line(text, "metadata"))
        old_files = need_table(metadata, "files", files_at, "[metadata]")
        lines = array_lines(text, "package")
        packages: list[LockedPackage] = []
        indexes: set[str] = set()
        package_at = at(file, top_level_line(text, "package"))
        for number, entry in enumerate(need_list(data, "package", package_at, "poetry.lock")):
            where = at(file, lines[number] if number < len(lines) else top_level_line(text, "package"))
            if not isinstance(entry, dict):
                raise InputError("[[package]] entry is not a table", location=where)
            name = need_str(entry, "name", where, "[[package]]")
            what = f"package {name!r}"
            ref = package_ref(name, need_str(entry, "version", where, what), where)
            files = need_list(entry, "files", where, what) or old_files.get(name, [])
            hashes = [digest(item.get("hash"), where, what) for item in files if isinstance(item, dict)]
            origin = _origin(need_table(entry, "source", where, what), sorted_hashes(hashes), where, what)
            if origin.kind is OriginKind.INDEX and origin.url is not None:
                indexes.add(origin.url.reveal())
            condition = entry.get("markers")
            packages.append(
                LockedPackage(
                    ref=ref,
                    origin=origin,
                    dependencies=tuple(_dependencies(entry, where, what)),
                    location=where,
                    marker=marker(condition, where, what) if isinstance(condition, str) else None,
                )
            )
        scope = options.lock_scope
        roots = roots_from_pyproject(path, scope.extras, scope.groups) or ()
        return checked(
            LockedSet(
                kind=self.id,
                path=file,
                packages=tuple(packages),
                roots=roots,
                index_urls=tuple(SafeUrl(url) for url in sorted(indexes)),
            )
        )


def _origin(source: dict[str, Any], hashes: tuple[str, ...], where: Location, what: str) -> Origin:
    kind = opt_str(source, "type", where, f"{what} source")  # ``type = []`` crashed the set test below
    if not source or kind in {"legacy", None}:
        url = opt_str(source, "url", where, f"{what} source")
        return Origin(kind=OriginKind.INDEX, url=SafeUrl(url) if url else None, hashes=hashes)
    url = need_str(source, "url", where, f"{what} source")
    if kind == "git":
        commit = opt_str(source, "resolved_reference", where, what) or opt_str(
            source, "reference", where, what
        )
        return Origin(kind=OriginKind.VCS, url=SafeUrl(url), commit=commit)
    if kind == "url":
        return Origin(kind=OriginKind.URL, url=SafeUrl(url), hashes=hashes)
    if kind in {"file", "directory"}:
        develop = source.get("develop") is True
        return Origin(
            kind=OriginKind.EDITABLE if develop else OriginKind.PATH, url=SafeUrl(url), hashes=hashes
        )
    raise InputError(f"{what}: unknown source type {kind!r}", location=where)


def _dependencies(entry: dict[str, Any], where: Location, what: str) -> list[LockedDependency]:
    """Edges; an optional dependency only holds under ``extra == "<e>"`` for the extras listing it."""
    extras_of: dict[str, list[str]] = {}
    for extra, specs in need_table(entry, "extras", where, what).items():
        for spec in specs if isinstance(specs, list) else []:
            named = _extra_entry_name(spec)
            if named is None:
                raise InputError(f"{what}: extras.{extra} has an invalid entry {spec!r}", location=where)
            extras_of.setdefault(named, []).append(extra)
    edges: list[LockedDependency] = []
    for name, constraints in need_table(entry, "dependencies", where, what).items():
        for constraint in constraints if isinstance(constraints, list) else [constraints]:
            edges.append(_edge(normalize(name), constraint, extras_of, where, what))
    return sorted(edges, key=lambda e: (e.name, e.marker or ""))


def _extra_entry_name(spec: object) -> NormalizedName | None:
    """The project an ``[package.extras]`` entry names: a PEP 508 requirement (markers may hold ``(``),
    or Poetry's older ``name (constraint)`` whose constraint may be Poetry syntax (``(^1.0)``, ``(*)``)."""
    if not isinstance(spec, str):
        return None
    try:
        return normalize(Requirement(spec).name)
    except InvalidRequirement:
        pass
    legacy = _LEGACY_EXTRA.match(spec)
    return normalize(legacy.group("name")) if legacy else None


def _edge(
    name: NormalizedName, constraint: object, extras_of: dict[str, list[str]], where: Location, what: str
) -> LockedDependency:
    if isinstance(constraint, str):
        return LockedDependency(name=name, specifier=constraint)
    if not isinstance(constraint, dict):
        raise InputError(f"{what}: dependency {name!r} must be a string or table", location=where)
    condition = marker(opt_str(constraint, "markers", where, what), where, f"{what} dependency {name!r}")
    if constraint.get("optional") is True:
        guard = (
            " or ".join(f'extra == "{extra}"' for extra in sorted(extras_of.get(name, []))) or 'extra == "-"'
        )
        condition = and_marker(condition, guard)
    extras = constraint.get("extras", [])
    return LockedDependency(
        name=name,
        specifier=str(constraint.get("version", "")),
        marker=condition,
        extras=tuple(sorted(str(item) for item in extras)) if isinstance(extras, list) else (),
    )
