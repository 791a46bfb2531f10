"""Read ``Pipfile.lock`` (pipenv's JSON lock) into a LockedSet; it records no edges, so all are direct."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from packaging.version import Version

from supplychain.errors import InputError
from supplychain.files import read_capped
from supplychain.inputs import InputOptions
from supplychain.inputs.direct import directory_version, filename_version, is_url
from supplychain.inputs.lockfile import (
    at,
    digest,
    marker,
    need_str,
    opt_str,
    package_ref,
    sorted_hashes,
    valid_name,
)
from supplychain.inputs.validate import checked
from supplychain.locate import line_of
from supplychain.model import (
    UNKNOWN_VERSION,
    Location,
    LockedPackage,
    LockedSet,
    Origin,
    OriginKind,
    PackageRef,
)
from supplychain.urls import SafeUrl

SUPPORTED_SPECS = (6,)
VCS_KEYS = ("git", "hg", "svn", "bzr")  # pipenv's VCS_LIST
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
        sources: dict[object, str] = {
            source.get("name"): source["url"]
            for source in listed
            if isinstance(source, dict) and isinstance(source.get("url"), str)
        }
        if any(not url.strip() for url in sources.values()):  # SafeUrl("") raised ValueError: exit 70
            raise InputError(
                "_meta.sources has an empty 'url'", location=at(file, line_of(text, '"sources"'))
            )
        # Both sections, each version of a name once: ``develop`` may pin another version than
        # ``default`` (pipenv installs that one with --dev), and both are installed somewhere.
        packages: dict[PackageRef, LockedPackage] = {}
        for section in _sections(options):
            table = data.get(section, {})
            start = text.find(f'"{section}"')
            if not isinstance(table, dict):
                raise InputError(
                    f"{section!r} must be an object", location=at(file, line_of(text, f'"{section}"'))
                )
            for name, entry in table.items():
                where = at(file, line_of(text, json.dumps(name) + ":", max(start, 0)))
                package = _package(name, entry, where, sources, path.parent)
                packages.setdefault(package.ref, package)  # the same pin in both: default's entry
        indexes = sorted({url for url in sources.values() if isinstance(url, str)})
        # pipenv installs from a source with ``verify_ssl = false`` under pip's --trusted-host
        unverified = [
            (_host(source["url"]), at(file, line_of(text, json.dumps(source["url"]))))
            for source in listed
            if isinstance(source, dict)
            and isinstance(source.get("url"), str)
            and source.get("verify_ssl") is False
        ]
        return checked(
            LockedSet(
                kind=self.id,
                path=file,
                packages=tuple(packages[ref] for ref in sorted(packages)),
                roots=(),
                index_urls=tuple(SafeUrl(url) for url in indexes),
                trusted_hosts=tuple((host, where) for host, where in unverified if host),
            )
        )


def _host(url: str) -> str:
    """``host[:port]`` of a source URL, without its credentials (what pipenv passes to --trusted-host)."""
    return urlsplit(url.strip()).netloc.rpartition("@")[2]


def _sections(options: InputOptions) -> tuple[str, ...]:
    """Both sections, unless ``--group`` narrows the scope to groups other than develop (no --dev)."""
    groups = options.scope.groups if options.scope is not None else None
    if groups is not None and not {"develop", "dev"} & set(groups):
        return ("default",)
    return SECTIONS


def _package(
    name: str, entry: Any, where: Location, sources: dict[Any, Any], directory: Path
) -> LockedPackage:
    what = f"package {name!r}"
    if not isinstance(entry, dict):
        raise InputError(f"{what} must be an object", location=where)
    hashes = entry.get("hashes", [])
    if not isinstance(hashes, list):
        raise InputError(f"{what}: 'hashes' must be an array", location=where)
    digests = sorted_hashes(digest(item, where, what) for item in hashes)
    vcs = next((key for key in VCS_KEYS if key in entry), None)
    origin: Origin
    if vcs is not None:
        ref = opt_str(entry, "ref", where, what)
        origin = Origin(kind=OriginKind.VCS, url=SafeUrl(need_str(entry, vcs, where, what)), commit=ref)
    elif "path" in entry or "file" in entry:
        location = need_str(entry, "path" if "path" in entry else "file", where, what)
        remote = is_url(location) and not location.startswith("file:")
        kind = OriginKind.URL if remote else OriginKind.PATH
        kind = OriginKind.EDITABLE if entry.get("editable") is True else kind
        origin = Origin(kind=kind, url=SafeUrl(location), hashes=digests)
    else:
        named = opt_str(entry, "index", where, what) or "pypi"  # a list or table here raised TypeError
        index = sources.get(named) if len(sources) != 1 else next(iter(sources.values()))
        origin = Origin(
            kind=OriginKind.INDEX, url=SafeUrl(index) if isinstance(index, str) else None, hashes=digests
        )
    condition = entry.get("markers")
    return LockedPackage(
        ref=PackageRef(name=valid_name(name, where), version=_version(name, entry, origin, where, directory)),
        origin=origin,
        dependencies=None,
        location=where,
        marker=marker(condition if isinstance(condition, str) else None, where, what),
    )


def _version(name: str, entry: dict[str, Any], origin: Origin, where: Location, directory: Path) -> Version:
    """``==1.2.3`` and ``===1.2.3`` pins; a git, path or file entry states none, so it is learned or unknown.

    A ``===`` pin that is not PEP 440 cannot be compared with any advisory: its version is unknown.
    """
    what = f"package {name!r}"
    raw = entry.get("version")
    direct = origin.kind is not OriginKind.INDEX
    if direct and (raw is None or raw == "*"):
        return _direct_version(name, entry, origin, directory)
    operator = "===" if isinstance(raw, str) and raw.startswith("===") else "=="
    if not isinstance(raw, str) or not raw.startswith(operator):
        raise InputError(f"{what}: 'version' must be a string like '==1.2.3', got {raw!r}", location=where)
    value = raw[len(operator) :].strip()
    if operator == "===":
        try:
            return Version(value)
        except ValueError:  # not PEP 440 (or past int()'s digit limit)
            return UNKNOWN_VERSION
    return package_ref(name, value, where).version


def _direct_version(name: str, entry: dict[str, Any], origin: Origin, lock_directory: Path) -> Version:
    if origin.kind is OriginKind.VCS or origin.url is None:
        return UNKNOWN_VERSION
    location = origin.url.reveal()
    if "path" in entry:
        directory = lock_directory / location
        if directory.is_dir():
            return directory_version(directory) or UNKNOWN_VERSION
    found = filename_version(unquote(urlsplit(location).path).rsplit("/", 1)[-1], name)
    return found or UNKNOWN_VERSION
