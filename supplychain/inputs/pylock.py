"""Read ``pylock.toml`` (PEP 751) into a LockedSet, selecting packages by their markers for the target.

The file is validated by ``packaging.pylock``, the PyPA reference reader: required keys, normalised
names, one source per package, and wheel and sdist file names that agree with the package's name
and version. What it leaves to the consumer (hash syntax, marker evaluation, dependency entries)
is checked here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.pylock import (
    Package,
    PackageArchive,
    PackageSdist,
    PackageWheel,
    Pylock,
    PylockUnsupportedVersionError,
    PylockValidationError,
)
from packaging.utils import canonicalize_name
from packaging.version import Version

from supplychain.dates import timestamp_or_none
from supplychain.errors import InputError
from supplychain.inputs import InputOptions
from supplychain.inputs.direct import directory_version, filename_version
from supplychain.inputs.lockfile import at, digest, load_lock, need_str, sorted_hashes
from supplychain.inputs.validate import checked, marker_problem
from supplychain.locate import array_lines, key_line, top_level_line
from supplychain.model import (
    UNKNOWN_VERSION,
    ArtifactKind,
    Location,
    LockedDependency,
    LockedPackage,
    LockedSet,
    Origin,
    OriginKind,
    PackageRef,
    normalize,
)
from supplychain.urls import SafeUrl

SUPPORTED_MAJOR = "1"
_PACKAGE_CONTEXT = re.compile(r"^packages\[(\d+)\]")


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
        lines = array_lines(text, "packages")
        lock = _validated(data, text, file, lines)
        envs = _environments(lock, options)
        holds: dict[str, bool] = {}  # a lock repeats few distinct markers
        packages: list[LockedPackage] = []
        indexes: set[str] = set()
        for number, package in enumerate(lock.packages):
            where = at(file, lines[number] if number < len(lines) else top_level_line(text, "packages"))
            what = f"package {package.name!r}"
            if package.marker is not None:
                key = str(package.marker)
                if key not in holds:
                    holds[key] = _applies(package.marker, envs, where, what)
                if not holds[key]:
                    continue
            origin = _origin(package, where, what)
            if origin.kind is OriginKind.INDEX and origin.url is not None:
                indexes.add(origin.url.reveal())
            packages.append(
                LockedPackage(
                    ref=PackageRef(name=package.name, version=_version(package, path.parent)),
                    origin=origin,
                    dependencies=_dependencies(package, where, what),
                    location=where,
                )
            )
        return checked(
            LockedSet(
                kind=self.id,
                path=file,
                packages=tuple(packages),
                roots=(),
                index_urls=tuple(SafeUrl(url) for url in sorted(indexes)),
            )
        )


# uv writes ``hashes = {}`` for a file its index listed without a hash (its PyTorch mirror tests do);
# PEP 751 wants one and packaging.pylock refuses the whole lock. Such a file is validated with this
# stand-in, which ``_hashes`` drops again: the package records no hash for it, as the file says.
_NO_HASH = "no hash: hashes = {} in the file"  # not hex: never a real digest


def _as_tools_write_it(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with what real writers put where PEP 751 is stricter, made acceptable to packaging.

    An empty ``hashes`` table of a wheel, sdist or archive gets the stand-in; an ``upload-time``
    written as an RFC 3339 string (pipenv's tests, hand-edited files) becomes the datetime it spells.
    Both are file metadata an audit reads nothing else from: no reason to refuse the whole lock.
    """
    packages = data.get("packages")
    if not isinstance(packages, list):
        return data

    def mark(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        copied = dict(item)
        if copied.get("hashes") == {}:
            copied["hashes"] = {"sha256": _NO_HASH}
        stamp = timestamp_or_none(copied.get("upload-time"))
        if stamp is not None:
            copied["upload-time"] = stamp
        return copied

    def marked(package: Any) -> Any:
        if not isinstance(package, dict):
            return package
        copied = {key: mark(value) for key, value in package.items()}
        if isinstance(copied.get("wheels"), list):
            copied["wheels"] = [mark(wheel) for wheel in copied["wheels"]]
        return copied

    return {**data, "packages": [marked(package) for package in packages]}


def _validated(data: dict[str, Any], text: str, file: str, lines: list[int]) -> Pylock:
    """The document as ``packaging.pylock`` reads it; its complaint is located at the package or key."""
    try:
        return Pylock.from_dict(_as_tools_write_it(data))
    except PylockUnsupportedVersionError as problem:
        raise InputError(str(problem), location=at(file, key_line(text, "lock-version"))) from None
    except PylockValidationError as problem:
        context = problem.context or ""
        if context == "packages" and "packages" not in data:
            raise InputError(
                "pylock has no 'packages' array (PEP 751 requires one, even if empty)",
                location=at(file, None),
            ) from None
        entry = _PACKAGE_CONTEXT.match(context)
        if entry and int(entry.group(1)) < len(lines):
            line: int | None = lines[int(entry.group(1))]
        else:
            line = top_level_line(text, context.split(".")[0].split("[")[0]) if context else None
        raise InputError(f"not a valid pylock file: {problem}", location=at(file, line)) from None


def _environments(lock: Pylock, options: InputOptions) -> list[dict[str, Any]]:
    """The scope's marker environments with PEP 751's ``extras`` and ``dependency_groups`` sets.

    An open scope selects every extra and group the lock declares or its markers name; a narrowed
    one those given (no group given: the lock's ``default-groups``).
    """
    scope = options.lock_scope
    extras = (*(lock.extras or ()), *_named(lock, "extras")) if scope.extras is None else scope.extras
    if scope.groups is None:
        groups: Sequence[str] = (*(lock.dependency_groups or ()), *_named(lock, "dependency_groups"))
    else:
        groups = scope.groups or lock.default_groups or ()
    chosen = {
        "extra": "",
        "extras": frozenset(canonicalize_name(e) for e in extras),
        "dependency_groups": frozenset(canonicalize_name(g) for g in groups),
    }
    return [{**env, **chosen} for env in scope.environments]


def _named(lock: Pylock, key: str) -> set[str]:
    """Extras or groups the package markers name (``'dev' in dependency_groups``).

    ``extras`` and ``dependency-groups`` are optional in PEP 751: a lock that leaves them out still
    guards packages by them, and an open scope must select those packages too.
    """
    pattern = re.compile(rf"""['"]([^'"]+)['"]\s+(?:not\s+)?in\s+{key}\b""")
    return {
        found.group(1)
        for package in lock.packages
        if package.marker is not None
        for found in pattern.finditer(str(package.marker))
    }


def _applies(condition: Marker, envs: list[dict[str, Any]], where: Location, what: str) -> bool:
    """Does it hold in any of ``envs``? PEP 751 markers may test ``extras`` and ``dependency_groups``,
    which packaging evaluates as sets."""
    reason = marker_problem(condition, lock_file=True)
    if reason is not None:
        raise InputError(f"{what}: invalid marker {str(condition)!r}: {reason}", location=where)
    return any(condition.evaluate(env, context="lock_file") for env in envs)


def _version(package: Package, lock_directory: Path) -> Version:
    """The stated version, else what a file name or a directory's static metadata says, else unknown.

    PEP 751 leaves ``version`` out for directory, VCS and archive packages (``uv export`` writes the
    project itself that way); guessing would audit the wrong release, so unknown stays unknown.
    """
    if package.version is not None:
        return package.version
    files: list[PackageArchive | PackageSdist | PackageWheel] = [*(package.wheels or ())]
    files += [item for item in (package.sdist, package.archive) if item is not None]
    for item in files:
        found = filename_version(_filename(item), package.name)
        if found is not None:
            return found
    if package.directory is not None:
        directory = lock_directory / package.directory.path
        if directory.is_dir():
            return directory_version(directory) or UNKNOWN_VERSION
    return UNKNOWN_VERSION


def _filename(item: PackageArchive | PackageSdist | PackageWheel) -> str:
    if isinstance(item, PackageArchive):
        location = item.path or item.url or ""
        return location.rsplit("/", 1)[-1]
    try:
        return item.filename
    except PylockValidationError:
        return ""


def _hashes(hashes: Any, where: Location, what: str) -> list[str]:
    return [
        digest(f"{algorithm}:{value}", where, what)
        for algorithm, value in hashes.items()
        if (algorithm, value) != ("sha256", _NO_HASH)
    ]


def _dependencies(package: Package, where: Location, what: str) -> tuple[LockedDependency, ...] | None:
    if package.dependencies is None:
        return None
    return tuple(
        LockedDependency(name=normalize(need_str(entry, "name", where, f"{what} dependency")))
        for entry in package.dependencies
    )


def _origin(package: Package, where: Location, what: str) -> Origin:
    if package.vcs is not None:
        vcs = package.vcs
        return Origin(kind=OriginKind.VCS, url=SafeUrl(vcs.url or vcs.path or ""), commit=vcs.commit_id)
    if package.directory is not None:
        editable = package.directory.editable is True
        return Origin(
            kind=OriginKind.EDITABLE if editable else OriginKind.PATH, url=SafeUrl(package.directory.path)
        )
    if package.archive is not None:
        archive = package.archive
        return Origin(
            kind=OriginKind.URL if archive.url else OriginKind.PATH,
            url=SafeUrl(archive.url or archive.path or ""),
            hashes=sorted_hashes(_hashes(archive.hashes, where, f"{what} archive")),
        )
    hashes: list[str] = []
    if package.sdist is not None:
        hashes += _hashes(package.sdist.hashes, where, f"{what} sdist")
    for wheel in package.wheels or ():
        hashes += _hashes(wheel.hashes, where, f"{what} wheel")
    artifact = ArtifactKind.WHEEL if package.wheels else ArtifactKind.SDIST if package.sdist else None
    return Origin(
        kind=OriginKind.INDEX,
        url=SafeUrl(package.index) if package.index else None,
        hashes=sorted_hashes(hashes),
        artifact=artifact,
    )
