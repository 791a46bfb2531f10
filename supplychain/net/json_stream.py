"""A JSON text read one member or element at a time, with the stdlib's own scanner.

``json.loads`` of a long-lived project's PyPI document (12 MB, tens of thousands of file entries)
builds every object before a parser can drop what it does not need: about twice the text's size
in objects at the first online audit's memory peak. ``Reader`` walks the outer structure itself
and hands each value to ``json.JSONDecoder.raw_decode`` (the C scanner), so a caller can turn one
release, or one file entry, into its typed form and let the dicts go before reading the next.

It accepts exactly what ``json.loads`` accepts (same decoder, same whitespace, no trailing comma,
nothing after the document) and raises the same ``json.JSONDecodeError`` for anything else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

_WHITESPACE = re.compile(r"[ \t\n\r]*")  # json.decoder's own: what may stand between tokens


class Reader:
    """A cursor over a JSON text: ``members`` and ``elements`` step through a container lazily."""

    def __init__(self, text: str, object_hook: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.text = text
        self._decoder = json.JSONDecoder(object_hook=object_hook)
        self.pos = self._skip(0)

    def peek(self) -> str:
        """The next significant character ('' at the end): ``{`` or ``[`` before a container."""
        return self.text[self.pos : self.pos + 1]

    def value(self) -> Any:
        """The whole value at the cursor, decoded as ``json.loads`` would, and the cursor past it."""
        found, end = self._decoder.raw_decode(self.text, self.pos)
        self.pos = self._skip(end)
        return found

    def members(self) -> Iterator[str]:
        """At an object: each key in turn, the cursor on its value, which the caller must read
        (``value``, or a nested ``members``/``elements``) before asking for the next key."""
        for _ in self._container("{", "}"):
            if self.peek() != '"':
                self._fail("Expecting property name enclosed in double quotes")
            key, end = self._decoder.raw_decode(self.text, self.pos)  # a string: the key as it is
            self.pos = self._skip(end)
            if self.peek() != ":":
                self._fail("Expecting ':' delimiter")
            self.pos = self._skip(self.pos + 1)
            before = self.pos
            yield key
            self._read_since(before)

    def elements(self) -> Iterator[int]:
        """At an array: each element's position in turn, the cursor on it (read it as for ``members``)."""
        for number, _ in enumerate(self._container("[", "]")):
            before = self.pos
            yield number
            self._read_since(before)

    def spans(self) -> Iterator[tuple[int, int, Any]]:
        """At an array: each element decoded, with where its text starts and ends; the cursor past it.

        ``elements`` and ``value`` in one tight loop: a page's ``files`` array runs to tens of
        thousands of entries, and the generator hand-offs doubled the cost of reading it.
        """
        text, decode, skip = self.text, self._decoder.raw_decode, self._skip
        if self.peek() != "[":
            self._fail("Expecting value" if self.peek() not in "{[" else "Expecting '['")
        at = skip(self.pos + 1)
        if text[at : at + 1] == "]":
            self.pos = skip(at + 1)
            return
        while True:
            self.pos = at
            value, end = decode(text, at)
            yield at, end, value
            at = skip(end)
            here = text[at : at + 1]
            if here == "]":
                self.pos = skip(at + 1)
                return
            if here != ",":
                self.pos = at
                self._fail("Expecting ',' delimiter")
            at = skip(at + 1)

    def end(self) -> None:
        """Only whitespace may follow the document (``json.loads``'s "Extra data")."""
        if self.pos != len(self.text):
            self._fail("Extra data")

    def _container(self, opening: str, closing: str) -> Iterator[None]:
        """Steps over a container's brackets and commas, pausing where each member or element starts."""
        if self.peek() != opening:
            self._fail("Expecting value" if self.peek() not in "{[" else f"Expecting '{opening}'")
        self.pos = self._skip(self.pos + 1)
        if self.peek() == closing:
            self.pos = self._skip(self.pos + 1)
            return
        while True:
            yield
            if not self._next(closing):
                return

    def _read_since(self, before: int) -> None:
        if self.pos == before:  # pragma: no cover  # the caller's bug, not the document's
            raise RuntimeError("a member or element was not read before the next was asked for")

    def _next(self, closing: str) -> bool:
        """After a member or element: True at ``,`` (more follow), False at the closing bracket."""
        here = self.peek()
        if here not in (",", closing):
            self._fail("Expecting ',' delimiter")
        self.pos = self._skip(self.pos + 1)
        return here == ","

    def _skip(self, index: int) -> int:
        """The first position from ``index`` that is not whitespace."""
        found = _WHITESPACE.match(self.text, index)
        assert found is not None  # the pattern matches the empty string
        return found.end()

    def _fail(self, message: str) -> NoReturn:
        raise json.JSONDecodeError(message, self.text, self.pos)
