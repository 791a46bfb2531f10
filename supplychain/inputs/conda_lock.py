"""Read conda-lock's unified lock (``conda-lock.yml``, format versions 1 and 2) into a LockedSet.

Each ``package:`` entry is one package on one platform, installed by conda (``manager: conda``, from
its channel) or by pip (``manager: pip``, audited as the PyPI package it is). Every platform and
category is read: a package locked for any of them is installed somewhere. The same package on
several platforms is one package here, with every platform's file hashes and a marker naming those
platforms (``--platform`` narrows by it; ``--group`` keeps ``main`` and the groups named).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from yaml.nodes import Node

from supplychain.endpoints import DEFAULTS
from supplychain.errors import InputError
from supplychain.inputs import InputOptions
from supplychain.inputs.conda import (
    base_channel,
    conda_name,
    conda_origin,
    conda_version,
    is_virtual,
    platforms_marker,
    split_file_name,
)
from supplychain.inputs.lockfile import digest, package_ref, sorted_hashes, valid_name
from supplychain.inputs.validate import check_url, checked
from supplychain.inputs.yamlfile import at, is_null, load_yaml, mapping, scalar, sequence, yaml_head
from supplychain.model import (
    Location,
    LockedDependency,
    LockedPackage,
    LockedSet,
    Origin,
    OriginKind,
    PackageRef,
    normalize,
)
from supplychain.urls import SafeUrl, same_origin

SUPPORTED_VERSIONS = ("1", "2")
_SNIFF = re.compile(r"^package\s*:", re.MULTILINE)
_MANAGER = re.compile(r"^\s*-?\s*manager\s*:\s*(conda|pip)\s*$", re.MULTILINE)
_PYPI_FILES = "https://files.pythonhosted.org/"
_HASHES = ("md5", "sha256")


@dataclass(slots=True)
class _Entry:
    """One package gathered over its platforms."""

    package: LockedPackage
    hashes: set[str] = field(default_factory=set)
    platforms: set[str] = field(default_factory=set)
    dependencies: dict[str, LockedDependency] = field(default_factory=dict)


class CondaLockInput:
    """``conda-lock.yml``: conda packages listed with their channel, pip packages audited as PyPI's."""

    id = "conda-lock"

    def detect(self, path: Path) -> bool:
        head = yaml_head(path)
        return head is not None and bool(_SNIFF.search(head)) and bool(_MANAGER.search(head))

    def read(self, path: Path, options: InputOptions) -> LockedSet:
        file = str(path)
        _, root = load_yaml(path)
        if root is None:
            raise InputError("empty file: not a conda-lock file", location=Location(file=file))
        top = mapping(root, file, "conda-lock file")
        version = top.get("version")
        if version is None or scalar(version, file, "version") not in SUPPORTED_VERSIONS:
            shown = "none" if version is None else repr(scalar(version, file, "version"))
            raise InputError(
                f"conda-lock file version {shown} is not supported "
                f"(supported: {', '.join(SUPPORTED_VERSIONS)})",
                location=at(file, version if version is not None else root),
            )
        if "package" not in top:
            raise InputError("conda-lock file has no 'package' list", location=at(file, root))
        groups = options.lock_scope.groups
        entries: dict[tuple[str, PackageRef], _Entry] = {}
        for node in [] if is_null(top["package"]) else sequence(top["package"], file, "package"):
            fields = mapping(node, file, "a package entry")
            where = at(file, node)
            categories = _categories(fields, file, where)
            if groups is not None and "main" not in categories and not categories & set(groups):
                continue
            read = _package(fields, file, where)
            if read is None:
                continue
            manager, package, hashes, dependencies = read
            entry = entries.setdefault((manager, package.ref), _Entry(package=package))
            entry.hashes.update(hashes)
            platform = fields.get("platform")
            entry.platforms.add("" if platform is None else scalar(platform, file, "platform"))
            for dependency in dependencies:
                entry.dependencies.setdefault(dependency.name, dependency)
        packages = [
            LockedPackage(
                ref=entry.package.ref,
                origin=_with_hashes(entry.package.origin, entry.hashes),
                dependencies=tuple(entry.dependencies[name] for name in sorted(entry.dependencies)),
                location=entry.package.location,
                marker=platforms_marker(entry.platforms),
            )
            for _key, entry in sorted(entries.items(), key=lambda item: (item[0][1], item[0][0] != "pip"))
        ]
        return checked(LockedSet(kind=self.id, path=file, packages=tuple(packages), roots=()))


def _categories(fields: dict[str, Node], file: str, where: Location) -> set[str]:
    """Version 1's ``category``, version 2's ``categories``; none stated is ``main``."""
    if "categories" in fields and not is_null(fields["categories"]):
        return {
            scalar(item, file, "a category") for item in sequence(fields["categories"], file, "categories")
        }
    if "category" in fields and not is_null(fields["category"]):
        return {scalar(fields["category"], file, "category")}
    return {"main"}


def _text(fields: dict[str, Node], key: str, file: str, where: Location, what: str) -> str:
    node = fields.get(key)
    if node is None or is_null(node):
        raise InputError(f"{what} has no {key!r}", location=where)
    value = scalar(node, file, f"{what}: {key!r}").strip()
    if not value:
        raise InputError(f"{what} has an empty {key!r}", location=at(file, node))
    return value


def _package(
    fields: dict[str, Node], file: str, where: Location
) -> tuple[str, LockedPackage, list[str], list[LockedDependency]] | None:
    """(manager, package, its file's hashes, its edges); None for a virtual package."""
    name = _text(fields, "name", file, where, "a package entry")
    what = f"package {name[:60]!r}"
    manager = _text(fields, "manager", file, where, what)
    if manager not in {"conda", "pip"}:
        raise InputError(f"{what}: manager {manager[:40]!r} is not 'conda' or 'pip'", location=where)
    if manager == "conda" and is_virtual(name):
        return None
    version = _text(fields, "version", file, where, what)
    url = _text(fields, "url", file, where, what)
    hashes = _hashes(fields.get("hash"), file, where, what)
    if manager == "conda" and not any(item.startswith("md5:") for item in hashes):
        raise InputError(f"{what}: a conda package needs an md5 hash", location=where)
    dependencies = _dependencies(fields.get("dependencies"), manager, file, where, what)
    if manager == "conda":
        build_node = fields.get("build")
        build = None if build_node is None or is_null(build_node) else scalar(build_node, file, "build")
        if build is None and (split := split_file_name(url.rsplit("/", 1)[-1])) is not None:
            build = split[2]
        ref = PackageRef(name=conda_name(name, where), version=conda_version(version, build))
        origin = conda_origin(base_channel(url, where))
    else:
        ref = package_ref(name, version, where)
        check_url(SafeUrl(url), where, what)
        origin = _pip_origin(url)
    return (
        manager,
        LockedPackage(ref=ref, origin=origin, dependencies=None, location=where),
        hashes,
        dependencies,
    )


def _hashes(node: Node | None, file: str, where: Location, what: str) -> list[str]:
    if node is None or is_null(node):
        raise InputError(f"{what} has no 'hash'", location=where)
    found = []
    for algorithm, value in mapping(node, file, f"{what}: 'hash'").items():
        if algorithm in _HASHES and not is_null(value):
            found.append(digest(f"{algorithm}:{scalar(value, file, f'{what}: hash')}", at(file, value), what))
    return found


def _dependencies(
    node: Node | None, manager: str, file: str, where: Location, what: str
) -> list[LockedDependency]:
    """The edges an entry records: conda specs keep only the name (conda's syntax is not PEP 440)."""
    if node is None or is_null(node):
        return []
    edges = []
    for name, spec in mapping(node, file, f"{what}: 'dependencies'").items():
        if manager == "conda":
            if is_virtual(name):
                continue
            edges.append(LockedDependency(name=conda_name(name, where)))
            continue
        text = "" if is_null(spec) else scalar(spec, file, f"{what}: dependency {name[:40]!r}")
        try:
            specifier = str(SpecifierSet(text))
        except InvalidSpecifier:
            specifier = ""
        edges.append(LockedDependency(name=normalize(str(valid_name(name, where))), specifier=specifier))
    return edges


def _pip_origin(url: str) -> Origin:
    """A file on PyPI's file host came from PyPI; any other URL is where pip installs it from directly."""
    if same_origin(url, _PYPI_FILES):
        return Origin(kind=OriginKind.INDEX, url=SafeUrl(DEFAULTS["index"]))
    if url.startswith(("git+", "hg+", "svn+", "bzr+")):
        return Origin(kind=OriginKind.VCS, url=SafeUrl(url))
    return Origin(kind=OriginKind.PATH if url.startswith("file:") else OriginKind.URL, url=SafeUrl(url))


def _with_hashes(origin: Origin, hashes: set[str]) -> Origin:
    return Origin(kind=origin.kind, url=origin.url, hashes=sorted_hashes(hashes), commit=origin.commit)
