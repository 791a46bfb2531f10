"""Read an installed environment (venv, site-packages, or the running interpreter's) into a LockedSet.

Only ``*.dist-info`` metadata files are read; nothing installed is imported or run.
"""

from __future__ import annotations

import json
import sysconfig
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from supplychain.errors import InputError
from supplychain.inputs import InputOptions
from supplychain.inputs.lockfile import at, digest, package_ref, sorted_hashes
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
from supplychain.resolve.locked import walk
from supplychain.urls import SafeUrl

MAX_METADATA_BYTES = 4 * 1024 * 1024


def running_site_packages() -> list[Path]:
    """The running interpreter's purelib and platlib (one directory on most systems)."""
    paths = sysconfig.get_paths()
    return sorted({Path(paths["purelib"]), Path(paths["platlib"])})


def site_packages_of(path: Path) -> list[Path]:
    """A venv (has ``pyvenv.cfg``) → its site-packages; any other directory is taken as site-packages."""
    if (path / "pyvenv.cfg").is_file():
        found = sorted(
            {
                *path.glob("lib/python*/site-packages"),
                *path.glob("lib64/python*/site-packages"),
                *path.glob("Lib/site-packages"),
            }
        )
        if not found:
            raise InputError(
                "virtual environment has no site-packages directory", location=at(str(path), None)
            )
        return found
    return [path]


class InstalledEnvInput:
    """Every installed distribution with its Requires-Dist edges and PEP 610 origin.

    An environment records no declaration of what was asked for, so the roots are the packages no
    other installed package requires (plus one member of any otherwise unreachable cycle).
    """

    id = "installed"

    def detect(self, path: Path) -> bool:
        return path.is_dir() and ((path / "pyvenv.cfg").is_file() or any(path.glob("*.dist-info")))

    def read(self, path: Path, options: InputOptions) -> LockedSet:
        directories = site_packages_of(path)
        packages: dict[str, LockedPackage] = {}
        for directory in directories:
            for info in sorted(directory.glob("*.dist-info")):
                package = _package(info)
                packages.setdefault(package.ref.name, package)
        ordered = tuple(packages[name] for name in sorted(packages))
        return LockedSet(
            kind=self.id, path=str(path), packages=ordered, roots=_roots(ordered, str(path), options)
        )


def _roots(
    packages: tuple[LockedPackage, ...], file: str, options: InputOptions
) -> tuple[DeclaredRequirement, ...]:
    required = {
        dep.name
        for package in packages
        for dep in package.dependencies or ()
        if dep.name != package.ref.name and options.target.evaluate(dep.marker)
    }
    names = [p.ref.name for p in packages if p.ref.name not in required]
    while True:
        roots = tuple(
            DeclaredRequirement(requirement=Requirement(name), location=Location(file=file))
            for name in sorted(names)
        )
        draft = LockedSet(kind="installed", path=file, packages=packages, roots=roots)
        reached = {step[1].ref.name for step in walk(draft, options.target)} if roots else set()
        missing = sorted(p.ref.name for p in packages if p.ref.name not in reached)
        if not missing:
            return roots
        names.append(missing[0])  # an installed cycle nobody outside requires: enter it at one member


def _package(info: Path) -> LockedPackage:
    metadata_path = info / "METADATA"
    file = str(metadata_path)
    try:
        with metadata_path.open("rb") as handle:
            raw = handle.read(MAX_METADATA_BYTES)
    except OSError as problem:
        raise InputError(
            f"cannot read installed metadata: {problem.strerror}", location=at(file, None)
        ) from None
    message: Message = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
    text = raw.decode("utf-8", errors="replace")
    name = message.get("Name")
    version = message.get("Version")
    if not isinstance(name, str | None) or not isinstance(version, str | None):
        # bytes that are not UTF-8 come back as email Header objects: ``.strip()`` crashed on them
        raise InputError("METADATA Name or Version is not UTF-8 text", location=at(file, 1))
    if not name or not name.strip():
        raise InputError("METADATA has no Name header", location=at(file, 1))
    if not version or not version.strip():
        raise InputError(f"METADATA of {name!r} has no Version header", location=at(file, 1))
    ref = package_ref(name.strip(), version.strip(), at(file, _header_line(text, "Version")))
    edges: list[LockedDependency] = []
    for spec in message.get_all("Requires-Dist") or []:
        try:
            parsed = Requirement(str(spec).strip())
        except InvalidRequirement as problem:
            raise InputError(
                f"invalid Requires-Dist {spec!r}: {str(problem).splitlines()[0]}",
                location=at(file, _header_line(text, "Requires-Dist", str(spec))),
            ) from None
        edges.append(
            LockedDependency(
                name=normalize(parsed.name),
                specifier=str(parsed.specifier),
                marker=str(parsed.marker) if parsed.marker else None,
                extras=tuple(sorted(parsed.extras)),
            )
        )
    return LockedPackage(ref=ref, origin=_origin(info), dependencies=tuple(edges), location=at(file, None))


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
