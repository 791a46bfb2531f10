"""Read an installed conda environment: ``conda-meta/*.json`` records, and what pip put beside them.

Each JSON record is one conda package (its channel, version, build, hashes and the files it
installed). Python packages conda installed also leave a ``*.dist-info`` in site-packages; those are
the conda package's own files (listed in its record, or marked ``INSTALLER: conda``) and are not read
again as PyPI packages. Every other distribution there was installed by pip: it is audited as a PyPI
package, exactly as in a virtual environment.
"""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import Any

from supplychain.errors import InputError
from supplychain.files import read_capped
from supplychain.inputs import InputOptions
from supplychain.inputs.conda import (
    base_channel,
    channel_url,
    conda_name,
    conda_origin,
    conda_version,
    is_virtual,
    parse_match_spec,
)
from supplychain.inputs.installed import distribution_records, read_distribution
from supplychain.inputs.lockfile import digest, package_ref, sorted_hashes
from supplychain.inputs.site_packages import conda_prefix, prefix_site_packages
from supplychain.inputs.validate import checked
from supplychain.model import (
    Location,
    LockedDependency,
    LockedPackage,
    LockedSet,
    Origin,
    OriginKind,
    PackageRef,
)
from supplychain.urls import SafeUrl

MAX_RECORD_BYTES = 64 * 1024 * 1024
# Records conda writes for packages pip installed (``conda list``'s ``pypi`` channel, conda-pypi):
# PyPI packages, audited as such.
_PYPI_CHANNELS = frozenset({"pypi", "conda-pypi"})
_UNNAMED_CHANNELS = frozenset({"", "<unknown>", "@"})


class CondaMetaInput:
    """An installed conda environment (a directory with ``conda-meta/``, or that directory itself)."""

    id = "conda-meta"

    def detect(self, path: Path) -> bool:
        return path.is_dir() and conda_prefix(path) is not None

    def read(self, path: Path, options: InputOptions) -> LockedSet:
        prefix = conda_prefix(path)
        if prefix is None:
            raise InputError(
                f"{path} is not a conda environment (no conda-meta directory)",
                location=Location(file=str(path)),
            )
        meta = prefix / "conda-meta"
        try:
            # conda skips ``._name.json``: macOS' AppleDouble files beside the real records
            names = sorted(
                p for p in meta.iterdir() if p.name.endswith(".json") and not p.name.startswith("._")
            )
        except OSError as problem:
            raise InputError(
                f"cannot list {meta}: {problem.strerror}", location=Location(file=str(meta))
            ) from None
        packages: dict[PackageRef, LockedPackage] = {}
        owned: set[str] = set()  # what conda installed, relative to the prefix
        for record in names:
            data = _load(record)
            package = _package(data, record)
            packages.setdefault(package.ref, package)
            owned.update(_files(data, record))
        owned |= {posixpath.dirname(file) for file in owned}
        for directory in prefix_site_packages(prefix):
            for record in distribution_records(directory):
                if _conda_owned(record, prefix, owned):
                    continue
                package = read_distribution(record)
                packages.setdefault(package.ref, package)
        ordered = tuple(packages[ref] for ref in sorted(packages))
        return checked(LockedSet(kind=self.id, path=str(prefix), packages=ordered, roots=()))


def _load(record: Path) -> dict[str, Any]:
    file = str(record)
    try:
        raw = read_capped(record, MAX_RECORD_BYTES)
        if raw is None:
            raise InputError(f"file is larger than {MAX_RECORD_BYTES} bytes", location=Location(file=file))
        data = json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as problem:
        raise InputError(
            f"not valid JSON: {problem.msg}", location=Location(file=file, line=problem.lineno)
        ) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text (a corrupt record?)", location=Location(file=file)) from None
    except OSError as problem:
        raise InputError(f"cannot read: {problem.strerror}", location=Location(file=file)) from None
    except RecursionError:
        raise InputError("not valid JSON: nested too deeply", location=Location(file=file)) from None
    except ValueError as problem:  # an integer of 4,300+ digits
        raise InputError(f"not valid JSON: {problem}", location=Location(file=file)) from None
    if not isinstance(data, dict):
        raise InputError("a conda-meta record must be a JSON object", location=Location(file=file, line=1))
    return data


def _string(data: dict[str, Any], key: str, where: Location) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(f"conda-meta record: {key!r} must be a string", location=where)
    return value


def _required(data: dict[str, Any], key: str, where: Location) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"conda-meta record: {key!r} must be a non-empty string", location=where)
    return value


def _package(data: dict[str, Any], record: Path) -> LockedPackage:
    where = Location(file=str(record), line=1)
    name = _required(data, "name", where)
    version = _required(data, "version", where)
    channel = _string(data, "channel", where) or ""
    package_type = _string(data, "package_type", where) or ""
    if channel in _PYPI_CHANNELS or package_type.startswith("virtual_python"):
        return LockedPackage(
            ref=package_ref(name, version, where),
            origin=Origin(kind=OriginKind.INDEX),
            dependencies=None,
            location=where,
        )
    hashes = [
        digest(f"{algorithm}:{value}", where, f"conda-meta record {name!r}")
        for algorithm in ("md5", "sha256")
        if isinstance(value := data.get(algorithm), str) and value
    ]
    return LockedPackage(
        ref=PackageRef(
            name=conda_name(name, where), version=conda_version(version, _string(data, "build", where))
        ),
        origin=conda_origin(_channel(data, channel, where), sorted_hashes(hashes)),
        dependencies=_depends(data.get("depends"), where),
        location=where,
    )


def _channel(data: dict[str, Any], channel: str, where: Location) -> SafeUrl | None:
    """The channel the package came from: its file URL's, else the record's ``channel`` field."""
    url = data.get("url")
    if isinstance(url, str) and "://" in url:
        return base_channel(url, where)
    if channel in _UNNAMED_CHANNELS:
        return None
    return channel_url(channel, where)


def _depends(depends: object, where: Location) -> tuple[LockedDependency, ...]:
    if depends is None:
        return ()
    if not isinstance(depends, list) or not all(isinstance(item, str) for item in depends):
        raise InputError("conda-meta record: 'depends' must be a list of strings", location=where)
    names = {parse_match_spec(spec, where).name for spec in depends}
    return tuple(
        LockedDependency(name=conda_name(name, where)) for name in sorted(names) if not is_virtual(name)
    )


def _files(data: dict[str, Any], record: Path) -> list[str]:
    files = data.get("files", [])
    if not isinstance(files, list) or not all(isinstance(item, str) for item in files):
        raise InputError(
            "conda-meta record: 'files' must be a list of strings",
            location=Location(file=str(record), line=1),
        )
    return [posixpath.normpath(item) for item in files]


def _conda_owned(record: Path, prefix: Path, owned: set[str]) -> bool:
    """Did a conda package install this distribution record (its files, or ``INSTALLER: conda``)?"""
    relative = record.relative_to(prefix).as_posix()
    if relative in owned:
        return True
    installer = record / "INSTALLER"
    try:
        return (
            installer.is_file() and installer.read_text(encoding="utf-8", errors="replace").strip() == "conda"
        )
    except OSError:
        return False
