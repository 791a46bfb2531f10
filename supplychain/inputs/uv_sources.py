"""uv's ``[tool.uv.sources]`` and ``[[tool.uv.index]]``: where a uv project's dependencies really come from.

A source replaces the index for its package (git, URL, local path, workspace member), which is exactly
what an audit must not miss; per-package indexes are kept as index URLs, since a RequirementSet
records indexes for the whole set.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from supplychain.endpoints import DEFAULTS
from supplychain.errors import InputError
from supplychain.inputs.direct import local_requirement, reference_version, url_requirement
from supplychain.model import DeclaredRequirement, Location
from supplychain.tomlfile import load_toml
from supplychain.urls import SafeUrl, scrub

if TYPE_CHECKING:
    from supplychain.locate import Locator

MAX_WORKSPACE_LEVELS = 8


class UvSources:
    """Applies one project's uv sources to its declared requirements."""

    def __init__(self, path: Path, locator: Locator, uv: dict[str, Any]) -> None:
        self.path = path
        self.locator = locator
        self.uv = uv
        sources = uv.get("sources", {})
        line = locator.header("tool", "uv", "sources")
        if not isinstance(sources, dict):
            raise InputError("'tool.uv.sources' must be a table", location=locator.at(line))
        self.sources = {canonicalize_name(name): (name, spec) for name, spec in sources.items()}
        self.sources_line = line
        self.indexes = self._indexes()
        self.pinned_indexes: list[SafeUrl] = []
        self.pins: dict[NormalizedName, SafeUrl] = {}  # name -> the one index uv asks for it

    def _indexes(self) -> dict[str, tuple[SafeUrl, bool, bool]]:
        """name → (url, explicit, default) for each ``[[tool.uv.index]]``."""
        entries = self.uv.get("index", [])
        line = self.locator.header("tool", "uv", "index") or self.locator.key("index", 1)
        if not isinstance(entries, list):
            raise InputError("'tool.uv.index' must be an array of tables", location=self.locator.at(line))
        indexes: dict[str, tuple[SafeUrl, bool, bool]] = {}
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                raise InputError(
                    "each [[tool.uv.index]] needs a 'url' string", location=self.locator.at(line)
                )
            name = str(entry.get("name", entry["url"]))
            indexes[name] = (
                SafeUrl(entry["url"]),
                entry.get("explicit") is True,
                entry.get("default") is True,
            )
        return indexes

    def index_urls(self) -> tuple[SafeUrl, ...]:
        """uv's search order: declared indexes, then the default (PyPI unless replaced), then pinned ones."""
        if not self.indexes and not self.pinned_indexes:
            return ()
        ordered = [url for url, explicit, default in self.indexes.values() if not explicit and not default]
        defaults = [url for url, explicit, default in self.indexes.values() if default and not explicit]
        ordered += defaults or [SafeUrl(DEFAULTS["index"])]
        return tuple(dict.fromkeys(ordered + self.pinned_indexes))

    def apply(self, declared: list[DeclaredRequirement]) -> list[DeclaredRequirement]:
        """Give each requirement the origin ``[tool.uv.sources]`` assigns it, as uv would install it."""
        applied: list[DeclaredRequirement] = []
        for item in declared:
            if item.name not in self.sources or item.origin is not None:
                applied.append(item)
                continue
            raw_name, spec = self.sources[item.name]
            location = self.locator.at(self.locator.key(raw_name, self.sources_line))
            alternatives = spec if isinstance(spec, list) else [spec]
            for alternative in alternatives:
                applied.append(self._one(item, alternative, location))
            markers = [a.get("marker") for a in alternatives if isinstance(a, dict)]
            if all(isinstance(a, dict) and "index" in a for a in alternatives):
                applied[-len(alternatives) :] = [item]  # same requirement; its index is recorded above
            elif markers and all(isinstance(marker, str) for marker in markers):
                applied.append(self._fallback(item, [str(marker) for marker in markers], location))
        return applied

    def _fallback(
        self, item: DeclaredRequirement, markers: list[str], where: Location
    ) -> DeclaredRequirement:
        """Where no source's marker holds, uv takes the package from the index: the original, restricted."""
        try:
            elsewhere = " and ".join(f"({negate_marker(marker)})" for marker in markers)
        except ValueError as problem:
            raise InputError(f"uv source markers for {item.name!r}: {problem}", location=where) from None
        original = str(item.requirement.marker) if item.requirement.marker else None
        text = str(item.requirement).split(";", 1)[0].strip()
        requirement = _requirement(text, _and(original, elsewhere), where)
        return DeclaredRequirement(requirement=requirement, location=item.location, hashes=item.hashes)

    def _one(self, item: DeclaredRequirement, spec: object, where: Location) -> DeclaredRequirement:
        if not isinstance(spec, dict):
            raise InputError(f"uv source for {item.name!r} must be a table", location=where)
        marker = _and(str(item.requirement.marker) if item.requirement.marker else None, spec.get("marker"))
        extras = f"[{','.join(sorted(item.requirement.extras))}]" if item.requirement.extras else ""
        editable = spec.get("editable") is True
        if "index" in spec:
            if spec["index"] not in self.indexes:
                raise InputError(
                    f"uv source for {item.name!r} names unknown index {spec['index']!r}", location=where
                )
            self.pinned_indexes.append(self.indexes[spec["index"]][0])
            self.pins[item.name] = self.indexes[spec["index"]][0]
            requirement = _requirement(
                f"{item.requirement.name}{extras}{item.requirement.specifier}", marker, where
            )
            return DeclaredRequirement(requirement=requirement, location=item.location, hashes=item.hashes)
        if "git" in spec or "url" in spec:
            url = _git_url(spec) if "git" in spec else str(spec["url"])
            requirement = _requirement(f"{item.requirement.name}{extras} @ {url}", marker, where)
            _, origin = url_requirement(url, where, editable=False, named=requirement)
        elif "path" in spec or spec.get("workspace") is True:
            directory = Path(str(spec["path"])) if "path" in spec else self._member(item.name, where)
            editable = editable or "workspace" in spec  # uv installs workspace members editable
            requirement, origin = local_requirement(
                str(directory), where, base=self.path.parent, editable=editable, marker=marker or "",
                name=item.requirement.name, extras=extras,
            )  # fmt: skip
        else:
            raise InputError(
                f"uv source for {item.name!r} has no git, url, path, workspace or index", location=where
            )
        return DeclaredRequirement(
            requirement=requirement,
            location=item.location,
            origin=origin,
            editable=editable,
            version=reference_version(requirement, origin),
        )

    def _member(self, name: str, where: Location) -> Path:
        """The directory of workspace member ``name``, searching this project and the workspaces above it."""
        directory = self.path.parent.resolve()
        for _ in range(MAX_WORKSPACE_LEVELS):
            candidate = directory / "pyproject.toml"
            if candidate.is_file():
                tool = load_toml(candidate).get("tool", {})
                uv = tool.get("uv", {}) if isinstance(tool, dict) else {}
                workspace = uv.get("workspace") if isinstance(uv, dict) else None
                if isinstance(workspace, dict):
                    found = _find_member(directory, workspace, name)
                    if found is not None:
                        return found
            if directory.parent == directory:
                break
            directory = directory.parent
        raise InputError(
            f"{name!r} is a workspace source but no uv workspace member has that name", location=where
        )


_NEGATED = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    ">=": "<",
    ">": "<=",
    "<=": ">",
    "in": "not in",
    "not in": "in",
}
_TOKEN = re.compile(
    r'\s*(\(|\)|"[^"]*"|\'[^\']*\'|not in\b|===|==|!=|<=|>=|~=|<|>|\bin\b|\band\b|\bor\b|[A-Za-z_.]+)'
)


def negate_marker(marker: str) -> str:
    """The PEP 508 marker true exactly where ``marker`` is false (PEP 508 has no ``not``): De Morgan."""
    text = str(Marker(marker))  # normalised: every comparison is "left op right", groups in parentheses
    tokens = [match.group(1) for match in _TOKEN.finditer(text)]
    position = 0

    def expression() -> str:
        nonlocal position
        terms = [term()]
        while position < len(tokens) and tokens[position] == "or":
            position += 1
            terms.append(term())
        return " and ".join(f"({t})" for t in terms) if len(terms) > 1 else terms[0]

    def term() -> str:
        nonlocal position
        atoms = [atom()]
        while position < len(tokens) and tokens[position] == "and":
            position += 1
            atoms.append(atom())
        return " or ".join(f"({a})" for a in atoms) if len(atoms) > 1 else atoms[0]

    def atom() -> str:
        nonlocal position
        if tokens[position] == "(":
            position += 1
            inner = expression()
            position += 1  # ")"
            return inner
        left, operator, right = tokens[position : position + 3]
        position += 3
        if operator not in _NEGATED:
            raise ValueError(f"cannot negate the {operator!r} comparison in {marker!r}")
        return f"{left} {_NEGATED[operator]} {right}"

    return str(Marker(expression()))


def _find_member(root: Path, workspace: dict[str, Any], name: str) -> Path | None:
    members = workspace.get("members", [])
    excluded = workspace.get("exclude", [])
    patterns = [p for p in members if isinstance(p, str)] if isinstance(members, list) else []
    skipped = (
        {path for p in excluded if isinstance(p, str) for path in root.glob(p)}
        if isinstance(excluded, list)
        else set()
    )
    for directory in sorted({path for pattern in patterns for path in root.glob(pattern)} - skipped):
        pyproject = directory / "pyproject.toml"
        if not pyproject.is_file():
            continue
        project = load_toml(pyproject).get("project", {})
        if isinstance(project, dict) and canonicalize_name(str(project.get("name", ""))) == name:
            return directory
    if canonicalize_name(str(_project_name(root))) == name:
        return root
    return None


def _project_name(root: Path) -> object:
    project = load_toml(root / "pyproject.toml").get("project", {})
    return project.get("name", "") if isinstance(project, dict) else ""


def _git_url(spec: dict[str, Any]) -> str:
    url = str(spec["git"])
    url = url if url.startswith("git+") else f"git+{url}"
    revision = next((str(spec[key]) for key in ("rev", "tag", "branch") if key in spec), None)
    if revision:
        url += f"@{revision}"
    if "subdirectory" in spec:
        url += f"#subdirectory={spec['subdirectory']}"
    return url


def _and(first: str | None, second: object) -> str | None:
    terms = [term for term in (first, second if isinstance(second, str) else None) if term]
    if len(terms) <= 1:
        return terms[0] if terms else None
    return " and ".join(f"({term})" for term in terms)


def _requirement(text: str, marker: str | None, location: Location) -> Requirement:
    full = text + (f" ; {marker}" if marker else "")
    try:
        return Requirement(full)
    except InvalidRequirement as problem:
        reason = str(problem).splitlines()[0]
        raise InputError(f"invalid uv source {scrub(full)!r}: {reason}", location=location) from None
