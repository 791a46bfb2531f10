"""Read ``pylock.toml`` (PEP 751) into a LockedSet, selecting packages by their markers for the target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.markers import Marker

from supplychain.errors import InputError
from supplychain.inputs import InputOptions
from supplychain.inputs.lockfile import (
    at,
    digest,
    load_lock,
    marker,
    need_list,
    need_str,
    need_table,
    opt_str,
    package_ref,
    sorted_hashes,
)
from supplychain.locate import array_lines, key_line, top_level_line
from supplychain.model import (
    ArtifactKind,
    Location,
    LockedDependency,
    LockedPackage,
    LockedSet,
    Origin,
    OriginKind,
    normalize,
)
from supplychain.urls import SafeUrl

SUPPORTED_MAJOR = "1"


class PylockInput:
    """PEP 751 lock: package markers (with ``extras``/``dependency_groups``) are decided at read time."""

    id = "pylock"

    def detect(self, path: Path) -> bool:
        name = path.name
        return path.is_file() and name.startswith("pylock.") and name.endswith(".toml")

    def read(self, path: Path, options: InputOptions) -> LockedSet:
        text, data = load_lock(path)
        file = str(path)
        version = data.get("lock-version")
        if not isinstance(version, str) or version.split(".")[0] != SUPPORTED_MAJOR:
            raise InputError(
                f"pylock lock-version {version!r} is not supported (supported: 1.x)",
                location=at(file, key_line(text, "lock-version") or top_level_line(text, "lock-version")),
            )
        groups_at = at(file, top_level_line(text, "default-groups"))
        groups = frozenset(options.groups) or frozenset(
            item
            for item in need_list(data, "default-groups", groups_at, "pylock")
            if isinstance(item, str)
        )
        entries = need_list(data, "packages", at(file, top_level_line(text, "packages")), "pylock")
        lines = array_lines(text, "packages")
        packages: list[LockedPackage] = []
        indexes: set[str] = set()
        for number, entry in enumerate(entries):
            where = at(file, lines[number] if number < len(lines) else top_level_line(text, "packages"))
            if not isinstance(entry, dict):
                raise InputError("[[packages]] entry is not a table", location=where)
            name = need_str(entry, "name", where, "[[packages]]")
            what = f"package {name!r}"
            condition = marker(opt_str(entry, "marker", where, what), where, what)
            if condition and not _applies(condition, options, groups):
                continue
            raw_version = opt_str(entry, "version", where, what)
            if raw_version is None:
                raise InputError(
                    f"{what} has no 'version' string (unversioned packages are not supported)", location=where
                )
            origin = _origin(entry, where, what)
            if origin.kind is OriginKind.INDEX and origin.url is not None:
                indexes.add(origin.url.reveal())
            dependencies = None
            if "dependencies" in entry:
                dependencies = tuple(
                    LockedDependency(name=normalize(need_str(dep, "name", where, f"{what} dependency")))
                    if isinstance(dep, dict)
                    else _bad(where, what)
                    for dep in need_list(entry, "dependencies", where, what)
                )
            packages.append(
                LockedPackage(
                    ref=package_ref(name, raw_version, where),
                    origin=origin,
                    dependencies=dependencies,
                    location=where,
                )
            )
        return LockedSet(
            kind=self.id,
            path=file,
            packages=tuple(packages),
            roots=(),
            index_urls=tuple(SafeUrl(url) for url in sorted(indexes)),
        )


def _bad(where: Location, what: str) -> LockedDependency:
    raise InputError(f"{what}: a dependency must be a table", location=where)


def _applies(condition: str, options: InputOptions, groups: frozenset[str]) -> bool:
    """PEP 751 markers may test ``extras`` and ``dependency_groups``; packaging evaluates them as sets."""
    env: dict[str, Any] = dict(options.target.marker_environment)
    env.update(extras=frozenset(options.extras), dependency_groups=groups, extra="")
    return bool(Marker(condition).evaluate(env, context="lock_file"))


def _file_hashes(item: object, where: Location, what: str) -> list[str]:
    if not isinstance(item, dict):
        raise InputError(f"{what}: a file entry must be a table", location=where)
    hashes = need_table(item, "hashes", where, what)
    return [digest(f"{algorithm}:{value}", where, what) for algorithm, value in hashes.items()]


def _origin(entry: dict[str, Any], where: Location, what: str) -> Origin:
    if "vcs" in entry:
        vcs = need_table(entry, "vcs", where, what)
        vcs_url = opt_str(vcs, "url", where, f"{what} vcs") or need_str(vcs, "path", where, f"{what} vcs")
        return Origin(
            kind=OriginKind.VCS, url=SafeUrl(vcs_url), commit=opt_str(vcs, "commit-id", where, what)
        )
    if "directory" in entry:
        directory = need_table(entry, "directory", where, what)
        editable = directory.get("editable") is True
        return Origin(
            kind=OriginKind.EDITABLE if editable else OriginKind.PATH,
            url=SafeUrl(need_str(directory, "path", where, f"{what} directory")),
        )
    if "archive" in entry:
        archive = need_table(entry, "archive", where, what)
        url = opt_str(archive, "url", where, what)
        location = url or need_str(archive, "path", where, f"{what} archive")
        return Origin(
            kind=OriginKind.URL if url else OriginKind.PATH,
            url=SafeUrl(location),
            hashes=sorted_hashes(_file_hashes(archive, where, f"{what} archive")),
        )
    hashes: list[str] = []
    sdist = entry.get("sdist")
    if sdist is not None:
        hashes += _file_hashes(sdist, where, f"{what} sdist")
    wheels = need_list(entry, "wheels", where, what)
    for wheel in wheels:
        hashes += _file_hashes(wheel, where, f"{what} wheel")
    index = opt_str(entry, "index", where, what)
    artifact = ArtifactKind.WHEEL if wheels else ArtifactKind.SDIST if sdist is not None else None
    return Origin(
        kind=OriginKind.INDEX,
        url=SafeUrl(index) if index else None,
        hashes=sorted_hashes(hashes),
        artifact=artifact,
    )
