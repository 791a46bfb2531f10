"""Read the dependencies a ``pyproject.toml`` declares (PEP 621, PEP 735, Poetry) without any build.

Extras and groups are selected by ``InputOptions``; a reference to the project itself
(``all = ["me[cuda,dev]"]``) is expanded in place rather than looked up on an index.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from supplychain.errors import InputError, UsageError
from supplychain.inputs import InputOptions
from supplychain.inputs.direct import named_reference, reference_version
from supplychain.inputs.pdm_sources import PdmSources
from supplychain.inputs.poetry_deps import PoetryReader
from supplychain.inputs.requirements_txt import read_requirements
from supplychain.inputs.uv_sources import UvSources
from supplychain.inputs.validate import checked
from supplychain.locate import Locator
from supplychain.model import DeclaredRequirement, Location, RequirementSet
from supplychain.tomlfile import load_toml
from supplychain.urls import SafeUrl, scrub

MAX_GROUP_DEPTH = 32


class PyprojectInput:
    """``pyproject.toml``: the project's dependencies, selected extras and dependency groups."""

    id = "pyproject"

    def detect(self, path: Path) -> bool:
        if path.name == "pyproject.toml":
            return path.is_file()
        if not path.is_file() or path.suffix != ".toml":
            return False
        try:
            head = path.read_bytes()[:65536].decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        return bool(re.search(r"^\s*\[(project|tool\.poetry|dependency-groups)\]", head, re.MULTILINE))

    def read(self, path: Path, options: InputOptions) -> RequirementSet:
        return read_pyproject(path, extras=options.extras, groups=options.groups)


def read_pyproject(
    path: Path, *, extras: tuple[str, ...] = (), groups: tuple[str, ...] = ()
) -> RequirementSet:
    """The requirements ``pyproject.toml`` declares for the base install plus chosen extras and groups."""
    text, data = _load(path)
    locator = Locator(text, str(path))
    project = _table(data, "project", locator, locator.header("project"))
    poetry = _poetry_table(data, locator)
    name = project.get("name") or (poetry.get("name") if poetry else None)
    own_name = canonicalize_name(name) if isinstance(name, str) else None
    reader = _ProjectReader(
        path=path, locator=locator, project=project, poetry=poetry, own_name=own_name, data=data
    )
    requirements = reader.base()
    requirements += reader.extras(extras)
    requirements += reader.groups(groups)
    index_urls = reader.index_urls
    pins: dict[NormalizedName, SafeUrl] = dict(reader.poetry.pins) if reader.poetry else {}
    pdm = _tool_table(data, locator, "pdm")
    if pdm is not None and "source" in pdm:
        sources = PdmSources(pdm, locator)
        index_urls = index_urls or sources.index_urls()
        pins.update(sources.pins(item.name for item in requirements if item.origin is None))
    uv = _tool_table(data, locator, "uv")
    if uv is not None:
        uv_sources = UvSources(path, locator, uv)
        requirements = uv_sources.apply(requirements)
        index_urls = index_urls or uv_sources.index_urls()
        pins.update(uv_sources.pins)
    return checked(
        RequirementSet(
            kind="pyproject",
            path=str(path),
            requirements=tuple(requirements),
            index_urls=index_urls,
            index_pins=tuple(sorted(pins.items(), key=lambda pin: pin[0])),
        )
    )


def _tool_table(data: dict[str, Any], locator: Locator, name: str) -> dict[str, Any] | None:
    """``[tool.<name>]`` (uv, pdm), None when absent."""
    tool = _table(data, "tool", locator, None)
    table = tool.get(name)
    if table is None:
        return None
    if not isinstance(table, dict):
        raise InputError(f"'tool.{name}' must be a table", location=locator.at(locator.key(name, 1)))
    return table


def _load(path: Path) -> tuple[str, dict[str, Any]]:
    """The text (for locating lines) and the parsed document; an error at the end names the last line."""
    try:
        data = load_toml(path)  # size, encoding and syntax checks, with the line tomllib reports
    except InputError as problem:
        if problem.location is None or problem.location.line is not None:
            raise
        if not problem.message.startswith("not valid TOML"):
            raise
        last = max(1, len(path.read_text(encoding="utf-8").splitlines()))
        location = Location(file=str(path), line=last)
        raise InputError(f"{problem.message} (at the end of the file)", location=location) from None
    return path.read_text(encoding="utf-8"), data


def _table(data: dict[str, Any], key: str, locator: Locator, line: int | None) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"'{key}' must be a table", location=locator.at(locator.key(key, 1)))
    return value


def _poetry_table(data: dict[str, Any], locator: Locator) -> dict[str, Any] | None:
    tool = _table(data, "tool", locator, None)
    poetry = tool.get("poetry")
    if poetry is None:
        return None
    if not isinstance(poetry, dict):
        raise InputError("'tool.poetry' must be a table", location=locator.at(locator.key("poetry", 1)))
    return poetry


class _ProjectReader:
    """Holds the parsed file while collecting requirements from each of its tables."""

    def __init__(
        self,
        *,
        path: Path,
        locator: Locator,
        project: dict[str, Any],
        poetry: dict[str, Any] | None,
        own_name: str | None,
        data: dict[str, Any],
    ) -> None:
        self.path = path
        self.locator = locator
        self.project = project
        self.own_name = own_name
        self.data = data
        self.project_line = locator.header("project")
        self.poetry = PoetryReader(path, locator, poetry) if poetry is not None else None
        self.index_urls: tuple[SafeUrl, ...] = self.poetry.index_urls() if self.poetry else ()
        self.optional = self._optional_dependencies()

    # --- PEP 621 ---------------------------------------------------------------------------

    def base(self) -> list[DeclaredRequirement]:
        dynamic = self.project.get("dynamic", [])
        if "dependencies" in self.project:
            return self._expand_self(self._strings(self.project["dependencies"], "dependencies"), set())
        if self.poetry is not None and self.poetry.has_dependencies():
            return self.poetry.dependencies()
        if isinstance(dynamic, list) and "dependencies" in dynamic:
            return self._dynamic_dependencies()
        return []

    def _strings(
        self, value: object, key: str, *, header: tuple[str, ...] = ("project",)
    ) -> list[DeclaredRequirement]:
        start = self.locator.header(*header) if header else 1
        key_line = self.locator.key(key, start)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InputError(
                f"'{'.'.join((*header, key))}' must be an array of requirement strings",
                location=self.locator.at(key_line),
            )
        declared = []
        cursor = key_line
        for item in value:
            cursor = self.locator.string(item, cursor)
            declared.append(self._declared(item, self.locator.at(cursor)))
        return declared

    def _declared(self, text: str, location: Location) -> DeclaredRequirement:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as problem:
            reason = str(problem).splitlines()[0]
            raise InputError(f"invalid requirement {scrub(text)!r}: {reason}", location=location) from None
        if requirement.url is None:
            return DeclaredRequirement(requirement=requirement, location=location)
        # ``name @ url``: the URL, VCS or path is where it comes from, not the index
        requirement, origin = named_reference(requirement, location, base=self.path.parent)
        return DeclaredRequirement(
            requirement=requirement,
            location=location,
            origin=origin,
            version=reference_version(requirement, origin),
        )

    def _optional_dependencies(self) -> dict[str, list[DeclaredRequirement]]:
        table = self.project.get("optional-dependencies", {})
        line = self.locator.header("project", "optional-dependencies") or self.project_line
        if not isinstance(table, dict):
            raise InputError(
                "'project.optional-dependencies' must be a table",
                location=self.locator.at(self.locator.key("optional-dependencies", line)),
            )
        optional: dict[str, list[DeclaredRequirement]] = {
            canonicalize_name(extra): self._strings(value, extra, header=("project", "optional-dependencies"))
            if self.locator.header("project", "optional-dependencies")
            else self._strings(value, extra)
            for extra, value in table.items()
        }
        dynamic = self.project.get("dynamic", [])
        if isinstance(dynamic, list) and "optional-dependencies" in dynamic and not table:
            files = self._setuptools_dynamic().get("optional-dependencies", {})
            if isinstance(files, dict):
                for extra, spec in files.items():
                    optional[canonicalize_name(extra)] = self._from_files(
                        spec, f"optional-dependencies.{extra}"
                    )
        if self.poetry is not None and not optional:
            optional = self.poetry.extras()
        return optional

    def extras(self, selected: tuple[str, ...]) -> list[DeclaredRequirement]:
        requirements: list[DeclaredRequirement] = []
        for extra in selected:
            key = canonicalize_name(extra)
            if key not in self.optional:
                known = ", ".join(sorted(self.optional)) or "none"
                raise UsageError(f"{self.path} has no extra {extra!r} (known extras: {known})")
            requirements += self._expand_self(self.optional[key], {key})
        return requirements

    def _expand_self(self, declared: list[DeclaredRequirement], seen: set[str]) -> list[DeclaredRequirement]:
        """``me[a,b]`` inside ``me``'s own lists means "also extras a and b" (cycles stop)."""
        expanded: list[DeclaredRequirement] = []
        for item in declared:
            if self.own_name is None or item.name != self.own_name:
                expanded.append(item)
                continue
            for extra in sorted(canonicalize_name(e) for e in item.requirement.extras):
                if extra in seen or extra not in self.optional:
                    continue
                expanded += self._expand_self(self.optional[extra], seen | {extra})
        return expanded

    # --- dynamic dependencies from setuptools' file: ------------------------------------------

    def _setuptools_dynamic(self) -> dict[str, Any]:
        tool = self.data.get("tool", {})
        setuptools = tool.get("setuptools", {}) if isinstance(tool, dict) else {}
        dynamic = setuptools.get("dynamic", {}) if isinstance(setuptools, dict) else {}
        return dynamic if isinstance(dynamic, dict) else {}

    def _dynamic_dependencies(self) -> list[DeclaredRequirement]:
        spec = self._setuptools_dynamic().get("dependencies") or self._hatch_requirements_files()
        if spec is None:
            raise InputError(
                "dependencies are dynamic (computed by the build backend); reading them means running it",
                location=self.locator.at(self.locator.key("dynamic", self.project_line)),
                hint="point supplychain at a requirements or lock file of this project instead",
            )
        return self._from_files(spec, "dependencies")

    def _hatch_requirements_files(self) -> dict[str, object] | None:
        """The hatch-requirements-txt plugin: ``[tool.hatch.metadata.hooks.requirements_txt] files``."""
        tool = self.data.get("tool", {})
        hatch = tool.get("hatch", {}) if isinstance(tool, dict) else {}
        metadata = hatch.get("metadata", {}) if isinstance(hatch, dict) else {}
        hooks = metadata.get("hooks", {}) if isinstance(metadata, dict) else {}
        plugin = hooks.get("requirements_txt") if isinstance(hooks, dict) else None
        return {"file": plugin.get("files")} if isinstance(plugin, dict) and "files" in plugin else None

    def _from_files(self, spec: object, key: str) -> list[DeclaredRequirement]:
        files = spec.get("file") if isinstance(spec, dict) else None
        name = key.rsplit(".", 1)[-1]
        line = self.locator.key(name, self.locator.header("tool", "setuptools", "dynamic")) or (
            self.locator.header("tool", "setuptools", "dynamic", name)  # written as its own table
        )
        if isinstance(files, str):
            files = [files]
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise InputError(
                f"'tool.setuptools.dynamic.{key}' must be {{file = [...]}} naming requirements files",
                location=self.locator.at(line),
            )
        declared: list[DeclaredRequirement] = []
        root = self.path.parent.resolve()
        for name in files:
            target = self.path.parent / name
            where = self.locator.at(self.locator.string(name, line))
            if not target.resolve().is_relative_to(root):  # setuptools refuses these too
                message = f"names {name!r}, outside the project directory"
                raise InputError(f"'tool.setuptools.dynamic.{key}' {message}", location=where)
            if not target.is_file():
                message = f"names {name!r}, which is not a file"
                raise InputError(f"'tool.setuptools.dynamic.{key}' {message}", location=where)
            declared += read_requirements(target).requirements
        return declared

    # --- PEP 735 dependency groups and Poetry groups -------------------------------------------

    def groups(self, selected: tuple[str, ...]) -> list[DeclaredRequirement]:
        table = self.data.get("dependency-groups", {})
        if not isinstance(table, dict):
            raise InputError(
                "'dependency-groups' must be a table",
                location=self.locator.at(self.locator.key("dependency-groups", 1)),
            )
        pep735: dict[str, tuple[str, object, tuple[str, ...]]] = {}
        for header, groups in self._legacy_groups():  # uv's and PDM's tables from before PEP 735
            for name, value in groups.items():
                pep735[canonicalize_name(name)] = (name, value, header)
        for name, value in table.items():
            pep735[canonicalize_name(name)] = (name, value, ("dependency-groups",))
        poetry_groups = self.poetry.group_names() if self.poetry else {}
        requirements: list[DeclaredRequirement] = []
        for group in selected:
            key = canonicalize_name(group)
            if key in pep735:
                requirements += self._expand_self(self._group(key, pep735, ()), set())
            elif key in poetry_groups and self.poetry is not None:
                requirements += self.poetry.group(poetry_groups[key])
            else:
                known = ", ".join(sorted({*pep735, *poetry_groups})) or "none"
                raise UsageError(f"{self.path} has no dependency group {group!r} (known groups: {known})")
        return requirements

    def _legacy_groups(self) -> list[tuple[tuple[str, ...], dict[str, object]]]:
        """``[tool.uv] dev-dependencies`` (group "dev") and ``[tool.pdm.dev-dependencies]``."""
        tool = self.data.get("tool", {})
        tool = tool if isinstance(tool, dict) else {}
        uv, pdm = tool.get("uv", {}), tool.get("pdm", {})
        found: list[tuple[tuple[str, ...], dict[str, object]]] = []
        if isinstance(uv, dict) and "dev-dependencies" in uv:
            found.append((("tool", "uv"), {"dev": uv["dev-dependencies"]}))
        if isinstance(pdm, dict) and isinstance(pdm.get("dev-dependencies"), dict):
            found.append((("tool", "pdm", "dev-dependencies"), dict(pdm["dev-dependencies"])))
        return found

    def _group(
        self, key: str, groups: dict[str, tuple[str, object, tuple[str, ...]]], chain: tuple[str, ...]
    ) -> list[DeclaredRequirement]:
        name, value, table = groups[key]
        header = self.locator.header(*table)
        line = self.locator.key("dev-dependencies" if table == ("tool", "uv") else name, header)
        label = "tool.uv.dev-dependencies" if table == ("tool", "uv") else ".".join((*table, name))
        if len(chain) >= MAX_GROUP_DEPTH or not isinstance(value, list):
            raise InputError(
                f"'{label}' must be an array of requirement strings and {{include-group = \"...\"}} tables",
                location=self.locator.at(line),
            )
        declared: list[DeclaredRequirement] = []
        cursor = line
        for item in value:
            if isinstance(item, str):
                cursor = self.locator.string(item, cursor)
                declared.append(self._declared(item, self.locator.at(cursor)))
            elif (
                isinstance(item, dict)
                and set(item) == {"include-group"}
                and isinstance(item["include-group"], str)
            ):
                included = canonicalize_name(item["include-group"])
                cursor = self.locator.string(item["include-group"], cursor)
                if included not in groups:
                    raise InputError(
                        f"dependency group {name!r} includes unknown group {item['include-group']!r}",
                        location=self.locator.at(cursor),
                    )
                if included in (*chain, key):
                    path = (*chain, key)
                    cycle = " -> ".join((*path[path.index(included) :], included))
                    raise InputError(
                        f"dependency group include cycle: {cycle}", location=self.locator.at(cursor)
                    )
                declared += self._group(included, groups, (*chain, key))
            else:
                raise InputError(
                    f"'{label}' entries must be strings or {{include-group = \"...\"}}",
                    location=self.locator.at(cursor),
                )
        return declared
