"""Read ``Pipfile.lock`` (pipenv's JSON lock) into a LockedSet; it records no edges, so all are direct."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from supplychain.errors import InputError
from supplychain.files import read_capped
from supplychain.inputs import InputOptions
from supplychain.inputs.lockfile import at, digest, marker, package_ref, sorted_hashes
from supplychain.locate import line_of
from supplychain.model import Location, LockedPackage, LockedSet, Origin, OriginKind, normalize
from supplychain.urls import SafeUrl

SUPPORTED_SPECS = (6,)
SECTIONS = ("default", "develop")
MAX_JSON_BYTES = 32 * 1024 * 1024


class PipfileLockInput:
    """``Pipfile.lock``: ``default`` and ``develop`` packages with hashes and their named index."""

    id = "pipfile-lock"

    def detect(self, path: Path) -> bool:
        return path.is_file() and path.name == "Pipfile.lock"

    def read(self, path: Path, options: InputOptions) -> LockedSet:
        file = str(path)
        try:
            raw = read_capped(path, MAX_JSON_BYTES)
            if raw is None:
                raise InputError(f"file is larger than {MAX_JSON_BYTES} bytes", location=at(file, None))
            text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text did
            data = json.loads(text)
        except json.JSONDecodeError as problem:
            raise InputError(f"not valid JSON: {problem.msg}", location=at(file, problem.lineno)) from None
        except (OSError, UnicodeDecodeError) as problem:
            raise InputError(f"cannot read: {problem}", location=at(file, None)) from None
        except RecursionError:  # ``[[[[...`` nested past the interpreter's limit crashed json
            raise InputError("not valid JSON: nested too deeply", location=at(file, None)) from None
        except ValueError as problem:  # an integer of 4,300+ digits
            raise InputError(f"not valid JSON: {problem}", location=at(file, None)) from None
        if not isinstance(data, dict):
            raise InputError("Pipfile.lock must be a JSON object", location=at(file, 1))
        meta = data.get("_meta", {})
        spec = meta.get("pipfile-spec") if isinstance(meta, dict) else None
        if spec not in SUPPORTED_SPECS:
            raise InputError(
                f"Pipfile.lock pipfile-spec {spec!r} is not supported (supported: "
                f"{', '.join(map(str, SUPPORTED_SPECS))})",
                location=at(file, line_of(text, '"pipfile-spec"')),
            )
        listed = meta.get("sources", [])
        if not isinstance(listed, list):  # ``"sources": null`` crashed the loop below
            raise InputError("_meta.sources must be an array", location=at(file, line_of(text, '"sources"')))
        sources = {
            source.get("name"): source.get("url")
            for source in listed
            if isinstance(source, dict) and isinstance(source.get("url"), str)
        }
        packages: dict[str, LockedPackage] = {}
        for section in SECTIONS:
            table = data.get(section, {})
            start = text.find(f'"{section}"')
            if not isinstance(table, dict):
                raise InputError(
                    f"{section!r} must be an object", location=at(file, line_of(text, f'"{section}"'))
                )
            for name, entry in table.items():
                where = at(file, line_of(text, json.dumps(name) + ":", max(start, 0)))
                package = _package(name, entry, where, sources)
                packages.setdefault(package.ref.name, package)  # default wins over develop
        indexes = sorted({url for url in sources.values() if isinstance(url, str)})
        return LockedSet(
            kind=self.id,
            path=file,
            packages=tuple(packages[name] for name in sorted(packages)),
            roots=(),
            index_urls=tuple(SafeUrl(url) for url in indexes),
        )


def _package(name: str, entry: Any, where: Location, sources: dict[Any, Any]) -> LockedPackage:
    what = f"package {name!r}"
    if not isinstance(entry, dict):
        raise InputError(f"{what} must be an object", location=where)
    version = entry.get("version")
    if not isinstance(version, str) or not version.startswith("=="):
        if any(key in entry for key in ("git", "path", "file")) and version is None:
            raise InputError(f"{what} has no locked version (a {_kind(entry)} requirement)", location=where)
        raise InputError(
            f"{what}: 'version' must be a string like '==1.2.3', got {version!r}", location=where
        )
    hashes = entry.get("hashes", [])
    if not isinstance(hashes, list):
        raise InputError(f"{what}: 'hashes' must be an array", location=where)
    origin: Origin
    if "git" in entry:
        origin = Origin(kind=OriginKind.VCS, url=SafeUrl(str(entry["git"])), commit=entry.get("ref"))
    elif "path" in entry or "file" in entry:
        kind = OriginKind.EDITABLE if entry.get("editable") is True else OriginKind.PATH
        origin = Origin(kind=kind, url=SafeUrl(str(entry.get("path") or entry.get("file"))))
    else:
        index = sources.get(entry.get("index", "pypi")) if len(sources) != 1 else next(iter(sources.values()))
        origin = Origin(
            kind=OriginKind.INDEX,
            url=SafeUrl(index) if isinstance(index, str) else None,
            hashes=sorted_hashes(digest(item, where, what) for item in hashes),
        )
    condition = entry.get("markers")
    return LockedPackage(
        ref=package_ref(normalize(name), version[2:], where),
        origin=origin,
        dependencies=None,
        location=where,
        marker=marker(condition if isinstance(condition, str) else None, where, what),
    )


def _kind(entry: dict[str, Any]) -> str:
    return "git" if "git" in entry else "path"
