"""Read ``uv.lock`` (uv's universal lock, including workspaces and forks) into a LockedSet."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version

from supplychain.errors import InputError
from supplychain.inputs import InputOptions
from supplychain.inputs.direct import directory_version, filename_version
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
    sorted_hashes,
    valid_name,
)
from supplychain.inputs.validate import checked
from supplychain.locate import array_lines, top_level_line
from supplychain.model import (
    UNKNOWN_VERSION,
    ArtifactKind,
    DeclaredRequirement,
    Location,
    LockedDependency,
    LockedPackage,
    LockedSet,
    Origin,
    OriginKind,
    PackageRef,
    normalize,
)
from supplychain.urls import SafeUrl, same_index

SUPPORTED_VERSIONS = (1,)
_LOCAL = ("editable", "virtual", "directory", "path")


class UvLockInput:
    """``uv.lock``: every package with hashes and index; roots are the workspace members' requirements."""

    id = "uv-lock"

    def detect(self, path: Path) -> bool:
        return path.is_file() and path.name == "uv.lock"

    def read(self, path: Path, options: InputOptions) -> LockedSet:
        text, data = load_lock(path)
        file = str(path)
        version = data.get("version")
        if version not in SUPPORTED_VERSIONS:
            raise InputError(
                f"uv.lock version {version!r} is not supported (supported: "
                f"{', '.join(map(str, SUPPORTED_VERSIONS))})",
                location=at(file, top_level_line(text, "version")),
            )
        entries = need_list(data, "package", at(file, top_level_line(text, "package")), "uv.lock")
        lines = array_lines(text, "package")
        packages: list[LockedPackage] = []
        roots: list[DeclaredRequirement] = []
        members = _members(data, text, file)
        indexes: set[str] = set()
        for number, entry in enumerate(entries):
            where = at(file, lines[number] if number < len(lines) else top_level_line(text, "package"))
            if not isinstance(entry, dict):
                raise InputError("[[package]] entry is not a table", location=where)
            name = need_str(entry, "name", where, "[[package]]")
            what = f"package {name!r}"
            source = need_table(entry, "source", where, what)
            local = next((key for key in _LOCAL if key in source), None)
            is_member = normalize(name) in members or (
                local in {"editable", "virtual"} and source[local] == "."
            )
            dependencies = _dependencies(entry, where, what)
            if is_member:
                roots.extend(_member_roots(entry, where, what, options))
            raw_version = opt_str(entry, "version", where, what)
            if raw_version is None:
                if local is None:
                    raise InputError(f"{what} has no 'version' string", location=where)
                if is_member:
                    continue  # a dynamic-version workspace member: local code, its requirements are the roots
            origin = _origin(entry, source, where, what)
            if origin.kind is OriginKind.INDEX and origin.url is not None:
                indexes.add(origin.url.reveal())
            packages.append(
                LockedPackage(
                    ref=package_ref(name, raw_version, where)
                    if raw_version is not None
                    else PackageRef(
                        name=valid_name(name, where), version=_local_version(name, origin, path.parent)
                    ),
                    origin=origin,
                    dependencies=tuple(dependencies),
                    location=where,
                )
            )
        pins = _index_pins(entries)
        return checked(
            LockedSet(
                kind=self.id,
                path=file,
                packages=tuple(_pinned(package, pins) for package in packages),
                roots=tuple(roots),
                index_urls=tuple(SafeUrl(url) for url in sorted(indexes)),
            )
        )


def _members(data: dict[str, Any], text: str, file: str) -> set[str]:
    """``[manifest] members``: the workspace's own packages; a value of another shape is refused."""
    where = at(file, top_level_line(text, "manifest"))
    manifest = need_table(data, "manifest", where, "uv.lock")
    members = need_list(manifest, "members", where, "[manifest]")
    if not all(isinstance(member, str) for member in members):  # an int crashed normalize(): exit 70
        raise InputError("[manifest] members must be an array of names", location=where)
    return {normalize(member) for member in members}


def _index_pins(entries: list[Any]) -> dict[str, set[str]]:
    """Names a member's requirements pin to an index: uv records ``index = "<url>"`` in
    ``[package.metadata]`` for a ``[tool.uv.sources]`` entry such as ``{ index = "internal" }``."""
    pins: dict[str, set[str]] = {}
    for entry in entries:
        metadata = entry.get("metadata") if isinstance(entry, dict) else None
        if not isinstance(metadata, dict):
            continue
        groups = metadata.get("requires-dev", {})
        lists = [metadata.get("requires-dist", []), *(groups.values() if isinstance(groups, dict) else [])]
        for listed in lists:
            for raw in listed if isinstance(listed, list) else []:
                if (
                    isinstance(raw, dict)
                    and isinstance(raw.get("name"), str)
                    and isinstance(raw.get("index"), str)
                ):
                    pins.setdefault(normalize(raw["name"]), set()).add(raw["index"])
    return pins


def _pinned(package: LockedPackage, pins: dict[str, set[str]]) -> LockedPackage:
    """The package with ``origin.pinned`` when its registry is the index its name is pinned to."""
    url = package.origin.url
    indexes = pins.get(package.ref.name, set())
    if package.origin.kind is not OriginKind.INDEX or url is None:
        return package
    if not any(same_index(url, index) and same_index(index, url) for index in indexes):
        return package
    return replace(package, origin=replace(package.origin, pinned=True))


def _edge(raw: object, where: Location, what: str, extra: str | None = None) -> LockedDependency:
    if not isinstance(raw, dict):
        raise InputError(f"{what}: a dependency must be an inline table", location=where)
    name = valid_name(need_str(raw, "name", where, f"{what} dependency"), where)
    version = opt_str(raw, "version", where, f"{what} dependency {name!r}")
    extras = raw.get("extra", [])
    if not isinstance(extras, list) or not all(isinstance(item, str) for item in extras):
        raise InputError(f"{what} dependency {name!r}: 'extra' must be an array of strings", location=where)
    condition = marker(opt_str(raw, "marker", where, what), where, f"{what} dependency {name!r}")
    if extra is not None:
        condition = and_marker(condition, f'extra == "{extra}"')
    return LockedDependency(
        name=normalize(name),
        specifier=f"=={version}" if version else "",
        marker=condition,
        extras=tuple(sorted(extras)),
    )


def _dependencies(entry: dict[str, Any], where: Location, what: str) -> list[LockedDependency]:
    """Plain dependencies plus optional ones guarded by ``extra == "<name>"`` of this package."""
    edges = [_edge(raw, where, what) for raw in need_list(entry, "dependencies", where, what)]
    for extra, raws in sorted(need_table(entry, "optional-dependencies", where, what).items()):
        if not isinstance(raws, list):
            raise InputError(f"{what}: optional-dependencies.{extra} must be an array", location=where)
        edges.extend(_edge(raw, where, what, extra) for raw in raws)
    return edges


def _member_roots(
    entry: dict[str, Any],
    where: Location,
    what: str,
    options: InputOptions,
) -> list[DeclaredRequirement]:
    """A member's requirements for the selected extras and groups (``dev`` is on, as in ``uv sync``)."""
    scope = options.lock_scope
    selected = [_edge(raw, where, what) for raw in need_list(entry, "dependencies", where, what)]
    optional = need_table(entry, "optional-dependencies", where, what)
    wanted = set(optional) if scope.extras is None else set(scope.extras) & set(optional)
    own = normalize(need_str(entry, "name", where, "[[package]]"))
    done: set[str] = set()
    while pending := sorted(wanted - done):  # ``all = ["helm[models,images]"]`` names the member's own extras
        for extra in pending:
            done.add(extra)
            edges = [_edge(raw, where, what) for raw in need_list(optional, extra, where, what)]
            wanted.update(e for edge in edges if edge.name == own for e in edge.extras if e in optional)
            selected.extend(edge for edge in edges if edge.name != own)
    groups = entry.get("dev-dependencies", {})
    if not isinstance(groups, dict):
        raise InputError(f"{what}: 'dev-dependencies' must be a table", location=where)
    for group, raws in sorted(groups.items()):
        if group == "dev" or scope.groups is None or group in scope.groups:
            if not isinstance(raws, list):
                raise InputError(f"{what}: dev-dependencies.{group} must be an array", location=where)
            selected.extend(_edge(raw, where, what) for raw in raws)
    return [_declared(dep, where) for dep in selected]


def _declared(dep: LockedDependency, where: Location) -> DeclaredRequirement:
    extras = f"[{','.join(dep.extras)}]" if dep.extras else ""
    condition = f"; {dep.marker}" if dep.marker else ""
    text = f"{dep.name}{extras}{dep.specifier}{condition}"
    try:
        requirement = Requirement(text)
    except InvalidRequirement as problem:  # a garbled version or extra of a member's dependency
        raise InputError(f"invalid dependency {text!r}: {problem}", location=where) from None
    return DeclaredRequirement(requirement=requirement, location=where)


def _local_version(name: str, origin: Origin, lock_directory: Path) -> Version:
    """A versionless local dependency (uv omits a dynamic version): its static metadata, else unknown.

    It is not a workspace member but something the members install, so it is audited, never dropped.
    """
    if origin.url is None:
        return UNKNOWN_VERSION
    location = lock_directory / origin.url.reveal()
    if location.is_dir():
        return directory_version(location) or UNKNOWN_VERSION
    return filename_version(location.name, name) or UNKNOWN_VERSION


def _origin(entry: dict[str, Any], source: dict[str, Any], where: Location, what: str) -> Origin:
    hashes: list[str] = []
    sdist = need_table(entry, "sdist", where, what)
    if "hash" in sdist:
        hashes.append(digest(sdist["hash"], where, f"{what} sdist"))
    wheels = need_list(entry, "wheels", where, what)
    for wheel in wheels:
        if isinstance(wheel, dict) and "hash" in wheel:
            hashes.append(digest(wheel["hash"], where, f"{what} wheel"))
    artifact = ArtifactKind.WHEEL if wheels else ArtifactKind.SDIST if sdist else None
    kind, url, commit = _source(source, where, what)
    return Origin(kind=kind, url=url, hashes=sorted_hashes(hashes), artifact=artifact, commit=commit)


def _source(
    source: dict[str, Any], where: Location, what: str
) -> tuple[OriginKind, SafeUrl | None, str | None]:
    for key, kind in (
        ("registry", OriginKind.INDEX),
        ("git", OriginKind.VCS),
        ("url", OriginKind.URL),
        ("editable", OriginKind.EDITABLE),
        ("virtual", OriginKind.PATH),
        ("directory", OriginKind.PATH),
        ("path", OriginKind.PATH),
    ):
        if key in source:
            value = need_str(source, key, where, f"{what} source")
            commit = value.rsplit("#", 1)[1] if kind is OriginKind.VCS and "#" in value else None
            return kind, SafeUrl(value), commit
    raise InputError(f"{what}: source {source!r} names no registry, git, url or path", location=where)
