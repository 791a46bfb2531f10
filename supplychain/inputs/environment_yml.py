"""Read a conda ``environment.yml``: its conda packages are listed by channel, its ``pip:`` list resolved.

conda installs the ``pip:`` entries by writing them to a requirements file beside the environment
file and running ``pip install -r`` on it, so they are read exactly as a requirements file is (options,
URLs, ``-e .`` relative to the environment file). The conda packages are not resolved (a conda
solver and channel data would be needed): each is listed at the version its spec fixes, else at an
unknown version, and none stands in for a PyPI project of the same name.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from supplychain.endpoints import DEFAULTS
from supplychain.errors import InputError, UsageError
from supplychain.inputs import InputOptions
from supplychain.inputs.conda import (
    channel_url,
    conda_name,
    conda_origin,
    conda_version,
    is_virtual,
    parse_match_spec,
)
from supplychain.inputs.requirements_txt import read_requirement_lines
from supplychain.inputs.validate import check_url
from supplychain.inputs.yamlfile import at, is_null, load_yaml, mapping, scalar, sequence, yaml_head
from supplychain.model import UNKNOWN_VERSION, Location, LockedPackage, PackageRef, RequirementSet
from supplychain.urls import SafeUrl

_SNIFF = re.compile(r"^dependencies\s*:", re.MULTILINE)
_NOT_ENVIRONMENT = re.compile(r"^(package|\[|\{)", re.MULTILINE)  # conda-lock, TOML, JSON


class EnvironmentYmlInput:
    """``environment.yml``: conda packages (listed with their channel) and the ``pip:`` requirements."""

    id = "environment-yml"

    def detect(self, path: Path) -> bool:
        head = yaml_head(path)
        return head is not None and bool(_SNIFF.search(head)) and not _NOT_ENVIRONMENT.search(head)

    def read(self, path: Path, options: InputOptions) -> RequirementSet:
        if options.extras or options.groups:  # silently ignoring them would audit less than asked
            raise UsageError(
                f"--extra and --group select from a pyproject.toml or lock file; {path} is an environment.yml"
            )
        file = str(path)
        _, root = load_yaml(path)
        if root is None:
            raise InputError(
                "empty file: an environment.yml needs 'dependencies'", location=Location(file=file)
            )
        top = mapping(root, file, "environment.yml")
        if "dependencies" not in top:
            raise InputError("environment.yml has no 'dependencies' list", location=at(file, root))
        channels = _channels(top.get("channels"), file)
        only = channels[0] if len(channels) == 1 else None
        listed: dict[PackageRef, LockedPackage] = {}
        pip_lines: list[tuple[str, int]] = []
        for item in sequence(top["dependencies"], file, "dependencies"):
            if isinstance(item, MappingNode):
                for installer, entries in mapping(item, file, "a dependencies entry").items():
                    if installer != "pip":
                        raise InputError(
                            f"dependencies: {installer!r} entries are not supported (only 'pip:')",
                            location=at(file, item),
                        )
                    pip_lines += [
                        (scalar(entry, file, "a pip: entry"), at(file, entry).line or 0)
                        for entry in ([] if is_null(entries) else sequence(entries, file, "pip:"))
                    ]
                continue
            package = _conda_package(item, file, only)
            if package is not None:
                listed.setdefault(package.ref, package)
        read = read_requirement_lines(path, pip_lines, kind=self.id)
        return dataclasses.replace(
            read,
            index_urls=_indexes(read.index_urls, top, file),
            listed=tuple(listed[ref] for ref in sorted(listed)),
        )


def _channels(node: Node | None, file: str) -> list[SafeUrl]:
    """The channels the file lists, in priority order (``nodefaults`` is an instruction, not a channel)."""
    if node is None or is_null(node):
        return []
    found: list[SafeUrl] = []
    for item in sequence(node, file, "channels"):
        url = channel_url(scalar(item, file, "a channel"), at(file, item))
        if url is not None and url not in found:
            check_url(url, at(file, item), "channel")
            found.append(url)
    return found


def _conda_package(item: Node, file: str, only: SafeUrl | None) -> LockedPackage | None:
    """One conda spec as a listed package; a virtual package (``__cuda``) is the system's, not listed."""
    if not isinstance(item, ScalarNode):
        raise InputError("a dependencies entry must be a string or a 'pip:' list", location=at(file, item))
    where = at(file, item)
    spec = parse_match_spec(item.value, where)
    if is_virtual(spec.name):
        return None
    name = conda_name(spec.name, where)
    exact = spec.exact_version
    version = conda_version(exact, spec.build) if exact is not None else UNKNOWN_VERSION
    channel = channel_url(spec.channel, where) if spec.channel else only
    check_url(channel, where, f"conda package {name!r}")
    return LockedPackage(
        ref=PackageRef(name=name, version=version),
        origin=conda_origin(channel),
        dependencies=None,
        location=where,
    )


def _indexes(from_lines: tuple[SafeUrl, ...], top: dict[str, Node], file: str) -> tuple[SafeUrl, ...]:
    """conda-lock's ``pip-repositories`` are asked besides PyPI (only they with ``allow-pypi-requests:
    false``), after any index the ``pip:`` lines name."""
    node = top.get("pip-repositories")
    if node is None or is_null(node):
        return from_lines
    repositories: list[SafeUrl] = []
    for item in sequence(node, file, "pip-repositories"):
        text = scalar(item, file, "a pip repository").strip()
        if not text:
            raise InputError("pip-repositories has an empty URL", location=at(file, item))
        repositories.append(SafeUrl(text))
        check_url(repositories[-1], at(file, item), "pip repository")
    allow = top.get("allow-pypi-requests")
    refused = allow is not None and scalar(allow, file, "allow-pypi-requests").lower() == "false"
    pypi = [] if refused else [SafeUrl(DEFAULTS["index"])]
    found = list(from_lines) or pypi
    found += [url for url in repositories if url not in found]
    return tuple(found)
