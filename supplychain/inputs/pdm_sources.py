"""PDM's ``[[tool.pdm.source]]``: the indexes a PDM project asks, and the names bound to one of them.

PDM (2.5+, ``pdm.utils.filtered_sources``) filters its sources per package: the sources whose
``include_packages`` match the name are the only ones asked for it; otherwise every source whose
``exclude_packages`` does not match. A name left with a single index is pinned there, as a uv
``{ index = ... }`` source is: another index's copy cannot be installed instead. pdm.lock records no
index per package, so PDM installs a lock through the same filter, read from the pyproject beside it.

Sources only in PDM's user configuration (``pdm config pypi.<name>.url``) are not visible here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import NormalizedName, canonicalize_name

from supplychain.endpoints import DEFAULTS
from supplychain.errors import InputError
from supplychain.locate import Locator, array_lines
from supplychain.tomlfile import load_toml
from supplychain.urls import SafeUrl, same_index

if TYPE_CHECKING:
    from collections.abc import Iterable

    from supplychain.model import Location


def _pdm_pattern(pattern: str) -> str:
    """A pattern as PDM normalises it (``pdm._types._normalize_pattern``), globs kept."""
    return re.sub(r"[^A-Za-z0-9?*\[\]-]+", "-", pattern).lower()


@dataclass(frozen=True, slots=True)
class _Source:
    name: str
    url: SafeUrl | None  # None: set only in PDM's user configuration, which is not visible here
    index: bool  # ``type = "index"`` (the default), not ``find_links``
    include: tuple[str, ...]
    exclude: tuple[str, ...]

    def preference(self, name: str) -> bool | None:
        """True: bound here by ``include_packages``; False: excluded; None: asked like any source."""
        if any(fnmatchcase(name, pattern) for pattern in self.include):
            return True
        if any(fnmatchcase(name, pattern) for pattern in self.exclude):
            return False
        return None


class PdmSources:
    """One project's ``[[tool.pdm.source]]`` list, in PDM's order: PyPI first unless a source named
    ``pypi`` replaces it, then the project's sources (a repeated name keeps its first place)."""

    def __init__(self, pdm: dict[str, Any], locator: Locator) -> None:
        entries = pdm.get("source", [])
        lines = array_lines(locator.text, "tool.pdm.source")
        if not isinstance(entries, list):
            where = locator.at(locator.key("source", locator.header("tool", "pdm")))
            raise InputError("'tool.pdm.source' must be an array of tables", location=where)
        declared: dict[str, _Source] = {}
        for number, entry in enumerate(entries):
            source = _source(entry, locator.at(lines[number] if number < len(lines) else None))
            declared[source.name] = source
        self.declared = bool(declared)
        default = SafeUrl(DEFAULTS["index"])  # PDM's ``pypi.url``
        if "pypi" not in declared:
            declared = {"pypi": _Source("pypi", default, True, (), ()), **declared}
        elif declared["pypi"].url is None:
            declared["pypi"] = replace(declared["pypi"], url=default)
        self.sources = tuple(declared.values())

    @classmethod
    def beside(cls, lock: Path) -> PdmSources | None:
        """The sources of the pyproject.toml next to a pdm.lock; None without one or without sources."""
        pyproject = lock.parent / "pyproject.toml"
        if not pyproject.is_file():
            return None
        data = load_toml(pyproject)
        tool = data.get("tool", {})
        pdm = tool.get("pdm", {}) if isinstance(tool, dict) else {}
        if not isinstance(pdm, dict) or "source" not in pdm:
            return None
        return cls(pdm, Locator(pyproject.read_text(encoding="utf-8"), str(pyproject)))

    def index_urls(self) -> tuple[SafeUrl, ...]:
        """Every index PDM asks for a name nothing binds (find-links sources are not indexes)."""
        if not self.declared:
            return ()
        return tuple(dict.fromkeys(s.url for s in self.sources if s.index and s.url is not None))

    def pin(self, name: str) -> SafeUrl | None:
        """The one index ``include_packages``/``exclude_packages`` leave for ``name``, if they narrow
        its sources to a single index; None when PDM asks every source, or more than one index."""
        key = canonicalize_name(name)
        preferences = [(source, source.preference(key)) for source in self.sources]
        chosen = [s for s, p in preferences if p is True] or [s for s, p in preferences if p is None]
        if len(chosen) == len(self.sources) or not chosen or not all(s.index for s in chosen):
            return None
        first = chosen[0].url
        for url in (s.url for s in chosen):  # one index however it is spelled: each holds the other
            if first is None or url is None or not (same_index(url, first) and same_index(first, url)):
                return None
        return first

    def pins(self, names: Iterable[str]) -> dict[NormalizedName, SafeUrl]:
        """Name -> its index, for each of ``names`` PDM's package filters pin to one index."""
        found: dict[NormalizedName, SafeUrl] = {}
        for name in names:
            url = self.pin(name)
            if url is not None:
                found[canonicalize_name(name)] = url
        return found


def _source(entry: object, where: Location) -> _Source:
    """One ``[[tool.pdm.source]]``; a source without ``url`` takes it from PDM's configuration."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise InputError("each [[tool.pdm.source]] needs a 'name' string", location=where)
    name = entry["name"]
    patterns: dict[str, tuple[str, ...]] = {}
    for key in ("include_packages", "exclude_packages"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InputError(
                f"[[tool.pdm.source]] {name!r}: '{key}' must be an array of strings", location=where
            )
        patterns[key] = tuple(_pdm_pattern(item) for item in value)
    url = entry.get("url")
    if url is not None and (not isinstance(url, str) or not url):
        raise InputError(f"[[tool.pdm.source]] {name!r}: 'url' must be a string", location=where)
    kind = entry.get("type", "index")
    if kind not in {"index", "find_links"}:
        raise InputError(
            f'[[tool.pdm.source]] {name!r}: \'type\' must be "index" or "find_links"', location=where
        )
    return _Source(
        name,
        SafeUrl(url) if url is not None else None,
        kind == "index",
        patterns["include_packages"],
        patterns["exclude_packages"],
    )
