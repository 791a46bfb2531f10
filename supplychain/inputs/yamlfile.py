"""Read a YAML input (environment.yml, conda-lock.yml) as nodes that keep their lines; nothing is constructed.

Every scalar stays a string (``version: 1.10`` is ``"1.10"``, ``optional: false`` is ``"false"``), no
tag is honoured, and anchors/aliases are refused: neither file format uses them, and an alias lets a
small file name one node a billion times.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from supplychain.errors import InputError
from supplychain.files import read_capped
from supplychain.model import Location

MAX_YAML_BYTES = 32 * 1024 * 1024
_MAY_ALIAS = re.compile(r"(^|[\s\[{,])[&*]\S")
_KINDS = {MappingNode: "a mapping", SequenceNode: "a list", ScalarNode: "a string"}


def load_yaml(path: Path) -> tuple[str, Node | None]:
    """The text and the one document's root node (None: an empty file); bad YAML is a located error."""
    file = str(path)
    try:
        data = read_capped(path, MAX_YAML_BYTES)
        if data is None:
            raise InputError(f"file is larger than {MAX_YAML_BYTES} bytes", location=Location(file=file))
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text (binary file?)", location=Location(file=file)) from None
    except OSError as problem:
        raise InputError(f"cannot read: {problem.strerror}", location=Location(file=file)) from None
    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # libyaml when built; scalars stay strings
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        reason = getattr(problem, "problem", None) or str(problem).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"not valid YAML: {reason}", location=Location(file=file, line=line)) from None
    except RecursionError:
        raise InputError("not valid YAML: nested too deeply", location=Location(file=file)) from None
    if root is not None and _MAY_ALIAS.search(text):  # most files have no ``&``/``*`` a node could follow
        _refuse_aliases(root, file)
    return text, root


def yaml_head(path: Path) -> str | None:
    """The start of a ``.yml``/``.yaml`` file, for cheap sniffing; None for anything else."""
    if not path.is_file() or path.suffix.lower() not in {".yml", ".yaml"}:
        return None
    try:
        with path.open("rb") as handle:
            return handle.read(65536).decode("utf-8", errors="replace")
    except OSError:
        return None


def _refuse_aliases(root: Node, file: str) -> None:
    """Each node reached once: a node reached twice is an alias (``*name``)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise InputError("YAML anchors and aliases are not supported", location=at(file, node))
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            stack.extend(item for pair in node.value for item in pair)


def at(file: str, node: Node) -> Location:
    """Where ``node`` starts in ``file``."""
    return Location(file=file, line=node.start_mark.line + 1)


def kind(node: Node) -> str:
    """What a node is, for messages: a mapping, a list or a string."""
    return _KINDS.get(type(node), "a value")


def is_null(node: Node) -> bool:
    """An empty or ``null``/``~`` plain scalar: YAML's null, which BaseLoader leaves a string."""
    return (
        isinstance(node, ScalarNode)
        and node.style is None
        and node.value in {"", "~", "null", "Null", "NULL"}
    )


def mapping(node: Node, file: str, what: str) -> dict[str, Node]:
    """A mapping's string keys to their value nodes; another kind or a repeated key is an input error."""
    if not isinstance(node, MappingNode):
        raise InputError(f"{what} must be a mapping, not {kind(node)}", location=at(file, node))
    found: dict[str, Node] = {}
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            raise InputError(f"{what}: a key must be a string, not {kind(key)}", location=at(file, key))
        if key.value in found:
            raise InputError(f"{what}: key {key.value!r} appears twice", location=at(file, key))
        found[key.value] = value
    return found


def sequence(node: Node, file: str, what: str) -> list[Node]:
    """A list's item nodes; another kind is an input error."""
    if not isinstance(node, SequenceNode):
        raise InputError(f"{what} must be a list, not {kind(node)}", location=at(file, node))
    return list(node.value)


def scalar(node: Node, file: str, what: str) -> str:
    """A scalar's text; another kind is an input error."""
    if not isinstance(node, ScalarNode):
        raise InputError(f"{what} must be a string, not {kind(node)}", location=at(file, node))
    return str(node.value)
