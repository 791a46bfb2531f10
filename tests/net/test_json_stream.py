"""``Reader`` walks JSON one member at a time and accepts exactly what ``json.loads`` accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplychain.net.json_stream import Reader

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pypi"
RECORDED = sorted(FIXTURES.glob("*/*/*json"))  # PyPI JSON documents and Simple API JSON pages


def walked(text: str) -> object:
    """The document rebuilt container by container through ``members``/``elements``."""
    reader = Reader(text)

    def one() -> object:
        if reader.peek() == "{":
            return {key: one() for key in reader.members()}
        if reader.peek() == "[":
            return [one() for _ in reader.elements()]
        return reader.value()

    found = one()
    reader.end()
    return found


VALID = [
    "{}",
    "[]",
    ' \n{ "a" : [ 1 , 2.5 , {"b": null} ] , "c" : "\\u00e9\\"" }\t',
    '{"a": 1, "a": 2, "b": 3}',  # a repeated key keeps its first place and its last value
    '{"a": NaN, "b": -Infinity}',
    "[[], {}, [[1]], true, false]",
    '"just a string"',
    "42",
]
INVALID = [
    "",
    "   ",
    '{"a": 1,}',
    "[1,]",
    '{"a" 1}',
    '{"a": 1 "b": 2}',
    "{'a': 1}",
    '{"a": 1} x',
    '{"a": 1}{}',
    '{"a": [1, 2',
    '{"a": {"b": ',
    '{"a": "unterminated',
    "[1 2]",
    "{,}",
    "[,]",
    '{"a": 1}]',
    '{"a":\x01 1}',
]


@pytest.mark.parametrize("text", VALID)
def test_a_walk_builds_what_json_loads_builds(text: str) -> None:
    built, loaded = walked(text), json.loads(text)
    assert built == loaded
    if isinstance(loaded, dict):
        assert isinstance(built, dict)
        assert list(built) == list(loaded)  # member order too


@pytest.mark.parametrize("text", INVALID)
def test_what_json_loads_refuses_the_walk_refuses(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    with pytest.raises(json.JSONDecodeError):
        walked(text)


def spanned(text: str) -> object:
    """The document rebuilt with ``spans`` for arrays; each span's text decodes to its element."""
    reader = Reader(text)

    def one() -> object:
        if reader.peek() == "{":
            return {key: one() for key in reader.members()}
        if reader.peek() == "[":
            elements = []
            for start, end, value in reader.spans():
                assert json.loads(text[start:end]) == value
                elements.append(value)
            return elements
        return reader.value()

    found = one()
    reader.end()
    return found


@pytest.mark.parametrize("text", VALID)
def test_spans_build_what_json_loads_builds(text: str) -> None:
    assert spanned(text) == json.loads(text)


@pytest.mark.parametrize("text", INVALID)
def test_spans_refuse_what_json_loads_refuses(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        spanned(text)


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_recorded_pypi_answers_walk_to_the_same_document(path: Path) -> None:
    text = path.read_text()
    assert walked(text) == json.loads(text)


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_recorded_pypi_answers_cut_anywhere_are_refused(path: Path) -> None:
    text = path.read_text().rstrip()
    for cut in (1, len(text) // 3, len(text) // 2, len(text) - 1):
        with pytest.raises(json.JSONDecodeError):
            walked(text[:cut])


def test_the_object_hook_is_applied_to_each_value_read() -> None:
    reader = Reader('{"a": {"x": 1}, "b": [{"x": 2}]}', object_hook=lambda obj: ("hooked", obj["x"]))
    read = [(key, reader.value()) for key in reader.members()]
    assert read == [("a", ("hooked", 1)), ("b", [("hooked", 2)])]
