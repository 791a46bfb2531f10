"""Poetry's ``[tool.poetry.*dependencies]`` tables → PEP 508 requirements with their origins and lines."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from supplychain.endpoints import DEFAULTS
from supplychain.errors import InputError
from supplychain.inputs.direct import local_requirement, reference_version, url_requirement
from supplychain.inputs.poetry_spec import PoetryConstraintError, python_marker, to_specifier
from supplychain.model import DeclaredRequirement, Location, Origin
from supplychain.urls import SafeUrl, scrub

if TYPE_CHECKING:
    from supplychain.locate import Locator

_INDEX_PRIORITIES = {None, "default", "primary", "supplemental"}  # "explicit" serves only named packages


class PoetryReader:
    """Reads one ``[tool.poetry]`` table; Poetry's own ``python`` entry is the interpreter, not a package."""

    def __init__(self, path: Path, locator: Locator, poetry: dict[str, Any]) -> None:
        self.path = path
        self.locator = locator
        self.poetry = poetry
        self.pins: dict[NormalizedName, SafeUrl] = {}  # ``source = "<name>"``: only that source is asked

    def has_dependencies(self) -> bool:
        """Does the project declare any dependency besides Python itself?"""
        table = self.poetry.get("dependencies")
        return isinstance(table, dict) and any(canonicalize_name(key) != "python" for key in table)

    def dependencies(self) -> list[DeclaredRequirement]:
        """Required (non-optional) dependencies of the main section."""
        return [item for item, optional in self._section(("dependencies",)) if not optional]

    def extras(self) -> dict[str, list[DeclaredRequirement]]:
        """``[tool.poetry.extras]``: extra → the optional dependencies it switches on."""
        table = self.poetry.get("extras", {})
        line = self.locator.header("tool", "poetry", "extras")
        if not isinstance(table, dict):
            raise InputError("'tool.poetry.extras' must be a table", location=self.locator.at(line))
        optional: dict[str, list[DeclaredRequirement]] = {}
        for item, _ in self._section(("dependencies",)):
            optional.setdefault(item.name, []).append(item)
        extras: dict[str, list[DeclaredRequirement]] = {}
        for extra, names in table.items():
            if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
                raise InputError(
                    f"'tool.poetry.extras.{extra}' must be an array of package names",
                    location=self.locator.at(self.locator.key(extra, line)),
                )
            chosen = [item for name in names for item in optional.get(canonicalize_name(name), [])]
            extras[canonicalize_name(extra)] = chosen
        return extras

    def group_names(self) -> dict[str, str]:
        """Canonical group name -> name as written, ``dev-dependencies`` counting as ``dev``."""
        groups = self.poetry.get("group", {})
        names: dict[str, str] = (
            {canonicalize_name(name): name for name in groups} if isinstance(groups, dict) else {}
        )
        if "dev-dependencies" in self.poetry:
            names.setdefault("dev", "dev")
        return names

    def group(self, name: str) -> list[DeclaredRequirement]:
        """Every dependency of one group (optional ones too: a group is installed whole)."""
        declared = [item for item, _ in self._section(("group", name, "dependencies"))]
        if name == "dev":
            declared += [item for item, _ in self._section(("dev-dependencies",))]
        return declared

    def _source(self, wanted: str, location: Location) -> SafeUrl:
        """The URL of the ``[[tool.poetry.source]]`` a dependency names (Poetry refuses unknown names)."""
        if wanted.lower() == "pypi":  # Poetry's implicit source
            return SafeUrl(DEFAULTS["index"])
        sources = self.poetry.get("source", [])
        for source in sources if isinstance(sources, list) else []:
            if (
                isinstance(source, dict)
                and source.get("name") == wanted
                and isinstance(source.get("url"), str)
            ):
                return SafeUrl(source["url"])
        raise InputError(
            f"dependency source {wanted!r} is not a [[tool.poetry.source]] with a url", location=location
        )

    def index_urls(self) -> tuple[SafeUrl, ...]:
        """Sources consulted for every package: primary ones first (PyPI only when none is primary)."""
        sources = self.poetry.get("source", [])
        if not isinstance(sources, list):
            return ()
        chosen = [s for s in sources if isinstance(s, dict) and isinstance(s.get("url"), str)]
        for source in chosen:
            if not isinstance(source.get("priority"), str | None):  # ``priority = []`` crashed the set test
                where = self.locator.at(self.locator.key("priority", None))
                raise InputError("tool.poetry.source: 'priority' must be a string", location=where)
        chosen = [s for s in chosen if s.get("priority") in _INDEX_PRIORITIES]
        primary = [SafeUrl(s["url"]) for s in chosen if s.get("priority") in {None, "default", "primary"}]
        supplemental = [SafeUrl(s["url"]) for s in chosen if s.get("priority") == "supplemental"]
        if not primary and not supplemental:
            return ()
        return tuple(dict.fromkeys((primary or [SafeUrl(DEFAULTS["index"])]) + supplemental))

    # --- one section ---------------------------------------------------------------------------

    def _section(self, keys: tuple[str, ...]) -> list[tuple[DeclaredRequirement, bool]]:
        table: object = self.poetry
        for key in keys:
            table = table.get(key, {}) if isinstance(table, dict) else None
        header = self.locator.header("tool", "poetry", *keys)
        if not isinstance(table, dict):
            raise InputError(
                f"'tool.poetry.{'.'.join(keys)}' must be a table",
                location=self.locator.at(header or self.locator.key(keys[-1], 1)),
            )
        declared: list[tuple[DeclaredRequirement, bool]] = []
        for name, spec in table.items():
            if canonicalize_name(name) == "python":
                continue
            own_header = self.locator.header("tool", "poetry", *keys, name)
            location = self.locator.at(own_header or self.locator.key(name, header))
            if not isinstance(spec, list):
                declared.append(self._dependency(name, spec, location))
                continue
            cursor = location.line
            for alternative in spec:  # each alternative is located at its own inline table
                cursor = self.locator.containing("{", cursor)
                declared.append(self._dependency(name, alternative, self.locator.at(cursor)))
                cursor = None if cursor is None else cursor + 1
        return declared

    def _dependency(self, name: str, spec: object, location: Location) -> tuple[DeclaredRequirement, bool]:
        if isinstance(spec, str):
            spec = {"version": spec}
        if not isinstance(spec, dict):
            raise InputError(f"dependency {name!r} must be a version string or a table", location=location)
        extras = spec.get("extras", [])
        if not isinstance(extras, list) or not all(isinstance(extra, str) for extra in extras):
            raise InputError(f"'extras' of {name!r} must be an array of strings", location=location)
        markers = self._markers(name, spec, location)
        extra_text = f"[{','.join(extras)}]" if extras else ""
        develop = spec.get("develop") is True
        origin: Origin | None = None
        if "path" in spec:
            requirement, origin = local_requirement(
                _string(spec, "path", name, location), location, base=self.path.parent, editable=develop,
                marker=markers, name=name, extras=extra_text,
            )  # fmt: skip
        elif "git" in spec or "url" in spec:
            url = _vcs_url(spec, name, location) if "git" in spec else _string(spec, "url", name, location)
            requirement = _requirement(f"{name}{extra_text} @ {url}", markers, location)
            _, origin = url_requirement(url, location, editable=develop, named=requirement)
        else:
            version = spec.get("version", "*")
            if not isinstance(version, str):
                raise InputError(f"'version' of {name!r} must be a string", location=location)
            try:
                specifier = to_specifier(version)
            except PoetryConstraintError as problem:
                raise InputError(f"dependency {name!r}: {problem}", location=location) from None
            requirement = _requirement(f"{name}{extra_text}{specifier}", markers, location)
            if "source" in spec:
                self.pins[canonicalize_name(name)] = self._source(
                    _string(spec, "source", name, location), location
                )
        declared = DeclaredRequirement(
            requirement=requirement,
            location=location,
            origin=origin,
            editable=develop and origin is not None,
            version=reference_version(requirement, origin) if origin is not None else None,
        )
        return declared, spec.get("optional") is True

    def _markers(self, name: str, spec: dict[str, Any], location: Location) -> str | None:
        terms: list[str] = []
        if "markers" in spec:
            terms.append(_string(spec, "markers", name, location))
        if "python" in spec:
            try:
                marker = python_marker(_string(spec, "python", name, location))
            except PoetryConstraintError as problem:
                raise InputError(f"'python' of {name!r}: {problem}", location=location) from None
            if marker:
                terms.append(marker)
        if "platform" in spec:
            platform = _string(spec, "platform", name, location)
            negated = platform.startswith("!=")
            value = platform.removeprefix("!=").removeprefix("==").strip()
            if not value.replace("_", "").isalnum():
                raise InputError(
                    f"'platform' of {name!r} is not a platform name: {platform!r}", location=location
                )
            terms.append(f'sys_platform {"!=" if negated else "=="} "{value}"')
        if len(terms) <= 1:
            return terms[0] if terms else None
        return " and ".join(f"({term})" for term in terms)


def _string(spec: dict[str, Any], key: str, name: str, location: Location) -> str:
    value = spec[key]
    if not isinstance(value, str) or not value:
        raise InputError(f"{key!r} of {name!r} must be a non-empty string", location=location)
    return value


def _vcs_url(spec: dict[str, Any], name: str, location: Location) -> str:
    """Poetry ``git`` (HTTPS or ``git@host:path``) plus rev/tag/branch → a pip ``git+`` URL."""
    git = _string(spec, "git", name, location)
    if git.startswith("git@") and ":" in git:
        host, _, repository = git[4:].partition(":")
        git = f"ssh://git@{host}/{repository}"
    url = git if git.startswith("git+") else f"git+{git}"
    revision = next((spec[key] for key in ("rev", "tag", "branch") if isinstance(spec.get(key), str)), None)
    if revision:
        url += f"@{revision}"
    if isinstance(spec.get("subdirectory"), str):
        url += f"#subdirectory={spec['subdirectory']}"
    return url


def _requirement(text: str, marker: str | None, location: Location) -> Requirement:
    full = text + (f" ; {marker}" if marker else "")
    try:
        return Requirement(full)
    except InvalidRequirement as problem:
        reason = str(problem).splitlines()[0]
        raise InputError(f"invalid dependency {scrub(full)!r}: {reason}", location=location) from None
