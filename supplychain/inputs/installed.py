"""Read an installed environment (venv, site-packages, or the running interpreter's) into a LockedSet.

Only metadata files are read: ``*.dist-info/METADATA`` and, for legacy installs, ``*.egg-info``
(a directory with ``PKG-INFO`` and ``requires.txt``, or a single PKG-INFO-format file). Nothing
installed is imported or run.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName

from supplychain.errors import InputError
from supplychain.inputs import InputOptions
from supplychain.inputs.lockfile import at, digest, package_ref, sorted_hashes
from supplychain.inputs.site_packages import is_environment, site_packages_of
from supplychain.inputs.validate import check_requirement, checked
from supplychain.model import (
    DeclaredRequirement,
    Location,
    LockedDependency,
    LockedPackage,
    LockedSet,
    Origin,
    OriginKind,
    normalize,
)
from supplychain.target import Target
from supplychain.urls import SafeUrl

MAX_METADATA_BYTES = 4 * 1024 * 1024


class InstalledEnvInput:
    """Every installed distribution with its Requires-Dist edges and PEP 610 origin.

    An environment records no declaration of what was asked for, so the roots are the packages no
    other installed package requires (plus one member of any otherwise unreachable cycle).
    """

    id = "installed"

    def detect(self, path: Path) -> bool:
        return path.is_dir() and is_environment(path)

    def read(self, path: Path, options: InputOptions) -> LockedSet:
        packages: dict[str, LockedPackage] = {}
        for directory in site_packages_of(path):
            for record in _records(directory):
                package = _package(record)
                packages.setdefault(package.ref.name, package)
        ordered = tuple(packages[name] for name in sorted(packages))
        roots = _roots(ordered, str(path), options.target)
        return checked(LockedSet(kind=self.id, path=str(path), packages=ordered, roots=roots))


def distribution_records(directory: Path) -> Iterator[Path]:
    """Distribution records in a site-packages ``directory`` (``*.dist-info``, then ``*.egg-info``)."""
    return _records(directory)


def read_distribution(record: Path) -> LockedPackage:
    """The installed package one distribution record describes, with its edges and PEP 610 origin."""
    return _package(record)


def _records(directory: Path) -> Iterator[Path]:
    """Distribution records in ``directory``: ``*.dist-info`` first, then legacy ``*.egg-info``."""
    yield from sorted(path for path in directory.glob("*.dist-info") if path.is_dir())
    yield from sorted(directory.glob("*.egg-info"))


def _roots(packages: tuple[LockedPackage, ...], file: str, target: Target) -> tuple[DeclaredRequirement, ...]:
    required = {
        dep.name
        for package in packages
        for dep in package.dependencies or ()
        if dep.name != package.ref.name and target.evaluate(dep.marker)
    }
    names = [p.ref.name for p in packages if p.ref.name not in required]
    by_name = {package.ref.name: package for package in packages}
    while missing := sorted(set(by_name) - _reachable(by_name, names, target)):
        names.append(missing[0])  # an installed cycle nobody outside requires: enter it at one member
    return tuple(
        DeclaredRequirement(requirement=Requirement(name), location=Location(file=file))
        for name in sorted(names)
    )


def _reachable(
    by_name: dict[NormalizedName, LockedPackage], starts: list[NormalizedName], target: Target
) -> set[NormalizedName]:
    """Names reached from ``starts`` over edges whose markers hold, extras carried along the edges."""
    extras_of: dict[NormalizedName, frozenset[str]] = {}
    queue = deque((name, frozenset[str]()) for name in starts)
    while queue:
        name, extras = queue.popleft()
        package = by_name.get(name)
        before = extras_of.get(name)
        if package is None or (before is not None and extras <= before):
            continue
        now = extras_of[name] = (before or frozenset()) | extras
        queue.extend(
            (dep.name, frozenset(dep.extras))
            for dep in package.dependencies or ()
            if target.evaluate(dep.marker, now)
        )
    return set(extras_of)


def _read_capped(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_METADATA_BYTES)
    except OSError as problem:
        raise InputError(
            f"cannot read installed metadata: {problem.strerror}", location=at(str(path), None)
        ) from None


def _package(record: Path) -> LockedPackage:
    """One distribution record; an egg-info's ``requires.txt`` serves when PKG-INFO has no Requires-Dist."""
    if record.suffix == ".dist-info":
        metadata_path = record / "METADATA"
    else:
        metadata_path = record / "PKG-INFO" if record.is_dir() else record
    file = str(metadata_path)
    raw = _read_capped(metadata_path)
    message: Message = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
    text = raw.decode("utf-8", errors="replace")
    label = metadata_path.name
    name = message.get("Name")
    version = message.get("Version")
    if not isinstance(name, str | None) or not isinstance(version, str | None):
        # bytes that are not UTF-8 come back as email Header objects: ``.strip()`` crashed on them
        raise InputError(f"{label} Name or Version is not UTF-8 text", location=at(file, 1))
    if not name or not name.strip():
        raise InputError(f"{label} has no Name header", location=at(file, 1))
    if not version or not version.strip():
        raise InputError(f"{label} of {name!r} has no Version header", location=at(file, 1))
    ref = package_ref(name.strip(), version.strip(), at(file, _header_line(text, "Version")))
    requires = [
        (str(spec).strip(), at(file, _header_line(text, "Requires-Dist", str(spec))))
        for spec in message.get_all("Requires-Dist") or []
    ]
    if not requires and record.suffix == ".egg-info" and (record / "requires.txt").is_file():
        requires = _egg_requires(record / "requires.txt")
    edges = [_edge(spec, where) for spec, where in requires]
    origin = _origin(record) if record.suffix == ".dist-info" else Origin(kind=OriginKind.UNKNOWN)
    return LockedPackage(ref=ref, origin=origin, dependencies=tuple(edges), location=at(file, None))


def _edge(spec: str, where: Location) -> LockedDependency:
    try:
        parsed = Requirement(spec)
    except InvalidRequirement as problem:
        raise InputError(
            f"invalid Requires-Dist {spec!r}: {str(problem).splitlines()[0]}", location=where
        ) from None
    check_requirement(parsed, where, f"Requires-Dist {parsed.name[:40]!r}")
    return LockedDependency(
        name=normalize(parsed.name),
        specifier=str(parsed.specifier),
        marker=str(parsed.marker) if parsed.marker else None,
        extras=tuple(sorted(parsed.extras)),
    )


def _egg_requires(path: Path) -> list[tuple[str, Location]]:
    """setuptools' ``requires.txt``: ``[extra]``, ``[:marker]`` and ``[extra:marker]`` sections → markers.

    The same conversion as ``importlib.metadata`` (``_convert_egg_info_reqs_to_simple_reqs``).
    """
    file = str(path)
    text = _read_capped(path).decode("utf-8", errors="replace")
    section = ""
    found: list[tuple[str, Location]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        extra, _, condition = section.partition(":")
        condition = f"({condition})" if extra and condition else condition
        marker = " and ".join(term for term in (condition, f'extra == "{extra}"' if extra else "") if term)
        space = " " if "@" in line else ""  # PEP 508: a URL needs a space before its ';'
        found.append((line + (f"{space}; {marker}" if marker else ""), at(file, number)))
    return found


def _header_line(text: str, header: str, value: str | None = None) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            return None  # the body starts: headers are over
        key, _, rest = line.partition(":")
        if key.strip().lower() == header.lower() and (value is None or rest.strip() == value.strip()):
            return number
    return None


def _origin(info: Path) -> Origin:
    """PEP 610 ``direct_url.json`` decides VCS/editable/path/URL; without it the index installed it."""
    direct = info / "direct_url.json"
    if not direct.is_file():
        return Origin(kind=OriginKind.INDEX)
    file = str(direct)
    try:
        data = json.loads(direct.read_text(encoding="utf-8"))
    except json.JSONDecodeError as problem:
        raise InputError(f"not valid JSON: {problem.msg}", location=at(file, problem.lineno)) from None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        raise InputError("direct_url.json has no 'url' string", location=at(file, 1))
    url = SafeUrl(data["url"])
    if isinstance(vcs := data.get("vcs_info"), dict):
        commit = vcs.get("commit_id")
        return Origin(kind=OriginKind.VCS, url=url, commit=commit if isinstance(commit, str) else None)
    if isinstance(dir_info := data.get("dir_info"), dict):
        return Origin(
            kind=OriginKind.EDITABLE if dir_info.get("editable") is True else OriginKind.PATH, url=url
        )
    hashes: list[str] = []
    if isinstance(archive := data.get("archive_info"), dict):
        if isinstance(table := archive.get("hashes"), dict):
            hashes += [
                digest(f"{alg}:{value}", at(file, None), "archive_info") for alg, value in table.items()
            ]
        elif isinstance(archive.get("hash"), str):
            hashes.append(digest(archive["hash"], at(file, None), "archive_info"))
    kind = OriginKind.PATH if data["url"].startswith("file:") else OriginKind.URL
    return Origin(kind=kind, url=url, hashes=sorted_hashes(hashes))
