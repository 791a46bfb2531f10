"""Finding the line of a key, table or value in a file the user wrote, to point a message at it.

tomllib and json keep no positions, so the text is read again. Lines are counted at ``\\n`` only,
as tomllib counts them in its own errors: ``str.splitlines`` also breaks at form feeds and U+2028,
which TOML allows in comments and strings, and then every later line was off by one.
"""

from __future__ import annotations

import re

from supplychain.model import Location

# A ``[table]``/``[[array]]`` header; not the ``[`` opening a multi-line array value.
_ANY_HEADER = re.compile(r"^\s*\[\[?[^\[\],]*\]\]?\s*(#.*)?$")


def lines(text: str) -> list[str]:
    """The lines of ``text`` as TOML (and JSON) count them."""
    return text.split("\n")


def line_at(text: str, offset: int) -> int:
    """1-based line of character ``offset``."""
    return text.count("\n", 0, offset) + 1


def line_of(text: str, needle: str, start: int = 0) -> int | None:
    """1-based line of the first ``needle`` at or after character ``start``."""
    index = text.find(needle, start)
    return None if index < 0 else line_at(text, index)


def _name(key: str) -> str:
    return rf"[\"']?{re.escape(key)}[\"']?"


def header_line(text: str, *names: str, prefix: bool = False) -> int | None:
    """Line of the table header ``[a.b]`` (quoted or not); with ``prefix``, of the first ``[a.b.…]``."""
    parts = r"\s*\.\s*".join(_name(name) for name in names)
    end = r"\s*\." if prefix else r"\s*\]\s*(#.*)?$"
    pattern = re.compile(rf"^\s*\[\s*{parts}{end}")
    return next((n for n, line in enumerate(lines(text), 1) if pattern.match(line)), None)


def array_lines(text: str, name: str) -> list[int]:
    """Lines of each ``[[name]]`` in order: tomllib keeps no positions, array order does."""
    pattern = re.compile(rf"^\s*\[\[\s*{_name(name)}\s*\]\]\s*(#.*)?$")
    return [n for n, line in enumerate(lines(text), 1) if pattern.match(line)]


def top_level_line(text: str, key: str) -> int | None:
    """Line of top-level ``key``: ``key = …`` (or ``key.sub = …``) before the first table, else its
    ``[key]``, ``[[key]]`` or ``[key.sub]`` header; a wrong value is then shown where it was written."""
    all_lines = lines(text)
    end = _next_header(all_lines, 0)
    found = _key_in(all_lines, rf"^\s*{_name(key)}\s*[=.]", 0, end)
    if found is None:
        header = re.compile(rf"^\s*\[\[?\s*{_name(key)}\s*[\].]")
        found = next((n for n, line in enumerate(all_lines, 1) if header.match(line)), None)
    return found


def key_line(
    text: str, key: str, *, start: int = 1, end: int | None = None, dotted: bool = False
) -> int | None:
    """Line of ``key = …`` (quoted or not) among lines ``start`` to ``end`` (1-based, end excluded).

    ``dotted`` also takes ``a.key = …``, for keys a file may write under a dotted prefix.
    """
    all_lines = lines(text)
    prefix = r"([\w.\"'-]+\.)?" if dotted else ""
    stop = len(all_lines) if end is None else end - 1
    return _key_in(all_lines, rf"^\s*{prefix}{_name(key)}\s*=", start - 1, stop)


def key_in_table(text: str, key: str, header: int) -> int | None:
    """Line of ``key = …`` in the table whose header is on line ``header``, before the next header."""
    return key_line(text, key, start=header + 1, end=_next_header(lines(text), header) + 1)


def key_path_line(text: str, path: tuple[str, ...]) -> int | None:
    """Line of a key path (``rules.age.min_days``): the key inside its ``[table]``, else the table.

    A two-part path not written as a table of its own is a key (``low-use-internal = 0``) inside
    its parent's table, or a table written only through a sub-table (``[rules.x.action]``).
    """
    if len(path) == 1:
        return top_level_line(text, path[0])
    found = header_line(text, *path[:2])
    if found is None:
        parent = header_line(text, path[0])
        inside = None if parent is None else key_in_table(text, path[1], parent)
        return inside or header_line(text, *path[:2], prefix=True)
    if len(path) == 2:
        return found
    return key_in_table(text, path[2], found) or found


def _next_header(all_lines: list[str], start: int) -> int:
    """0-based index of the first header at or after index ``start``, else the number of lines."""
    return next((i for i in range(start, len(all_lines)) if _ANY_HEADER.match(all_lines[i])), len(all_lines))


def _key_in(all_lines: list[str], pattern: str, start: int, stop: int) -> int | None:
    """1-based line of the first match among 0-based indexes ``start`` to ``stop``."""
    compiled = re.compile(pattern)
    return next((i + 1 for i in range(max(start, 0), stop) if compiled.match(all_lines[i])), None)


class Locator:
    """Lines of keys and strings in one TOML file, for errors and findings that point at them."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.lines = lines(text)
        self.file = file

    def header(self, *names: str) -> int | None:
        """Line of the table header ``[a.b]`` (quoted or not)."""
        return header_line(self.text, *names)

    def key(self, key: str, after: int | None) -> int | None:
        """Line of ``key =`` (or ``"key" =``, ``a.key =``) at or after line ``after`` (else ``after``)."""
        found = key_line(self.text, key, start=after or 1, dotted=True)
        return after if found is None else found

    def containing(self, needle: str, after: int | None) -> int | None:
        """The first line at or after ``after`` holding ``needle`` (else ``after``)."""
        found = self._first(needle, after)
        return after if found is None else found

    def string(self, value: str, after: int | None) -> int | None:
        """Line of the quoted string ``value`` at or after ``after`` (else ``after``)."""
        for quoted in (f'"{value}"', f"'{value}'", value):
            found = self._first(quoted, after)
            if found is not None:
                return found
        return after

    def _first(self, needle: str, after: int | None) -> int | None:
        return next((n for n in range(after or 1, len(self.lines) + 1) if needle in self.lines[n - 1]), None)

    def at(self, line: int | None) -> Location:
        return Location(file=self.file, line=line)
