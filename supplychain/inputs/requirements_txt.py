"""Read pip requirements files (includes, hashes, URLs, editables, index options) without running anything.

Relative local paths are taken relative to the file that names them (as uv does), never the working
directory, so the same file reads the same wherever the audit runs.
"""

from __future__ import annotations

import codecs
import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version

from supplychain.endpoints import DEFAULTS
from supplychain.errors import InputError, UsageError
from supplychain.inputs import InputOptions
from supplychain.inputs.direct import (
    file_url_requirement,
    is_url,
    local_requirement,
    named_reference,
    reference_version,
    url_requirement,
)
from supplychain.inputs.validate import checked
from supplychain.model import DeclaredRequirement, Location, Origin, RequirementSet
from supplychain.urls import SafeUrl, scrub

MAX_FILE_BYTES = 8 * 1024 * 1024
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF8, "utf-8"),
)
MAX_INCLUDE_DEPTH = 32
_NAME_PATTERN = re.compile(r"(^|/)[^/]*requirements[^/]*\.txt$|\.in$", re.IGNORECASE)
_COMMENT = re.compile(r"(^|\s+)#.*$")  # pip's COMMENT_RE: '#' starts a comment only after whitespace
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")  # pip expands only this form (POSIX names, upper case)
_NAMED_URL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
_HASH = re.compile(r"^(sha256|sha384|sha512):([0-9a-fA-F]+)$")
_HASH_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOOKS_LIKE_REQUIREMENT = re.compile(
    r"^\s*(-{1,2}[a-zA-Z]|[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[|[<>=!~;@]|$)|[a-z+]+://|\.{0,2}/)"
)

# option -> (takes a value, the name used in messages)
_VALUE_OPTIONS = {
    "-r": "--requirement", "--requirement": "--requirement",
    "-c": "--constraint", "--constraint": "--constraint",
    "-e": "--editable", "--editable": "--editable",
    "-i": "--index-url", "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "-f": "--find-links", "--find-links": "--find-links",
    "--trusted-host": "--trusted-host",
    "--only-binary": "--only-binary", "--no-binary": "--no-binary",
    "--use-feature": "--use-feature",
}  # fmt: skip
_FLAG_OPTIONS = {"--no-index", "--pre", "--prefer-binary", "--require-hashes"}
_SOURCE_OPTIONS = {"--index-url", "--extra-index-url", "--find-links", "--no-index", "--trusted-host"}
_REQUIREMENT_OPTIONS = {"--hash", "--config-settings", "-C", "--global-option"}


@dataclass(frozen=True, slots=True)
class _Line:
    """A logical line: continuations joined, comments stripped, with the number of its first physical line."""

    text: str
    number: int


@dataclass(slots=True)
class _Collected:
    requirements: list[DeclaredRequirement] = field(default_factory=list)
    constraints: list[DeclaredRequirement] = field(default_factory=list)
    index_url: SafeUrl | None = None
    extra_index_urls: list[SafeUrl] = field(default_factory=list)
    find_links: list[SafeUrl] = field(default_factory=list)
    no_index: bool = False
    trusted_hosts: list[tuple[str, Location]] = field(default_factory=list)
    parsed: set[tuple[Path, bool]] = field(default_factory=set)  # (file, as constraints) already read


class RequirementsTxtInput:
    """``requirements*.txt`` / ``*.in``: top-level requirements still to be resolved."""

    id = "requirements"

    def detect(self, path: Path) -> bool:
        if not path.is_file():
            return False
        return bool(_NAME_PATTERN.search(path.name)) or _sniff(path)

    def read(self, path: Path, options: InputOptions) -> RequirementSet:
        if options.extras or options.groups:  # silently ignoring them would audit less than asked
            raise UsageError(
                "--extra and --group select from a pyproject.toml or lock file; "
                f"{path} is a requirements file"
            )
        return read_requirements(path)


def read_requirements(path: Path, *, kind: str = "requirements") -> RequirementSet:
    """Parse ``path`` and every file it includes; markers are kept (checked evaluable), not evaluated."""
    collected = _Collected()
    _parse_file(path, collected, stack=(), constraint=False, where=None)
    return _assembled(path, collected, kind)


def read_requirement_lines(path: Path, lines: Sequence[tuple[str, int]], *, kind: str) -> RequirementSet:
    """Requirement lines another file embeds (environment.yml's ``pip:`` list), read as pip reads the
    requirements file conda writes for them beside ``path``; each located at its own line of ``path``."""
    collected = _Collected()
    resolved = path.resolve()
    collected.parsed.add((resolved, False))
    for raw, number in lines:
        content = _COMMENT.sub("", raw).strip()
        if content:
            location = Location(file=str(path), line=number)
            _parse_located(path, content, location, collected, stack=(resolved,), constraint=False)
    return _assembled(path, collected, kind)


def _assembled(path: Path, collected: _Collected, kind: str) -> RequirementSet:
    index_urls: list[SafeUrl] = []
    if collected.index_url is not None or collected.extra_index_urls:
        index_urls.append(collected.index_url or SafeUrl(DEFAULTS["index"]))
        index_urls.extend(url for url in collected.extra_index_urls if url not in index_urls)
    read = checked(
        RequirementSet(
            kind=kind,
            path=str(path),
            requirements=tuple(collected.requirements),
            constraints=tuple(collected.constraints),
            index_urls=tuple(index_urls),
            find_links=tuple(dict.fromkeys(collected.find_links)),
            no_index=collected.no_index,
            trusted_hosts=tuple(collected.trusted_hosts),
        )
    )
    _refuse_conflicting_pins(read.requirements)  # after the checks: every version here is valid
    return read


def _refuse_conflicting_pins(requirements: tuple[DeclaredRequirement, ...]) -> None:
    """Two ``==`` pins of one name to different versions under the same marker: pip refuses the
    file ("Cannot install ... conflicting"), and auditing either pin alone would hide the other."""
    seen: dict[tuple[str, str], tuple[DeclaredRequirement, Version]] = {}
    for declared in requirements:
        if declared.origin is not None:
            continue
        try:
            version = declared.pinned_version
        except ValueError:  # InvalidVersion, or past int()'s digit limit: the checks keep such pins out
            continue
        if version is None:
            continue
        key = (declared.name, str(declared.requirement.marker or ""))
        first = seen.setdefault(key, (declared, version))
        if first[1] != version:
            raise InputError(
                f"{declared.name} is pinned twice to different versions: {first[0].requirement} "
                f"({first[0].location}) and {declared.requirement} ({declared.location}); "
                "pip refuses conflicting requirements: keep one",
                location=declared.location,
            )


def _sniff(path: Path) -> bool:
    """A small text file whose first meaningful lines all look like requirement or option lines."""
    try:
        head = decode(path.read_bytes()[:16384])
    except (OSError, UnicodeDecodeError):
        return False
    lines = [_COMMENT.sub("", line).strip() for line in head.splitlines()[:50]]
    meaningful = [line for line in lines if line and not line.endswith("\\")]
    return bool(meaningful) and all(_LOOKS_LIKE_REQUIREMENT.match(line) for line in meaningful)


def _read_text(path: Path, where: Location | None) -> str:
    location = where or Location(file=str(path))
    try:
        if (
            path.exists() and not path.is_file()
        ):  # a directory, FIFO or device (-r /dev/zero) would hang or mislead
            what = "a directory" if path.is_dir() else "not a regular file"
            raise InputError(f"{str(path)!r} is {what}, not a requirements file", location=location)
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise InputError(f"{path} is larger than {MAX_FILE_BYTES} bytes", location=location)
    except OSError as problem:
        what = "cannot read included file" if where else "cannot read"
        raise InputError(f"{what} {str(path)!r}: {problem.strerror}", location=location) from None
    try:
        text = decode(data)
    except UnicodeDecodeError:
        raise InputError(
            "not UTF-8 text, nor UTF-16/UTF-32 with a byte-order mark (binary file?)",
            location=Location(file=str(path)),
        ) from None
    if "\x00" in text:
        raise InputError("not a text file (contains NUL bytes)", location=Location(file=str(path)))
    return text


def decode(data: bytes) -> str:
    """Text as pip reads it: a UTF-32, UTF-16 or UTF-8 byte-order mark picks the codec, else UTF-8.

    pip's ``auto_decode`` honours these marks (Windows editors write UTF-16 with one); UTF-32 is
    tested first because its little-endian mark begins with UTF-16's.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec)
    return data.decode("utf-8")


def logical_lines(text: str) -> list[_Line]:
    """Join ``\\`` continuations, then strip comments: pip's join_lines and ignore_comments, in order."""
    joined: list[tuple[int, str]] = []
    pending: list[str] = []
    first = 0
    for number, physical in enumerate(text.splitlines(), start=1):
        line = physical
        if not line.endswith("\\") or _COMMENT.match(line):
            if _COMMENT.match(line):
                line = " " + line  # a comment line ends a continuation and is then dropped whole
            if pending:
                pending.append(line)
                joined.append((first, "".join(pending)))
                pending = []
            else:
                joined.append((number, line))
        else:
            if not pending:
                first = number
            pending.append(line.strip("\\"))
    if pending:
        joined.append((first, "".join(pending)))
    stripped = ((number, _COMMENT.sub("", line).strip()) for number, line in joined)
    return [_Line(text=line, number=number) for number, line in stripped if line]


@dataclass(frozen=True, slots=True)
class _Expanded:
    """A line with pip's ``${VAR}`` expanded, and how to hide each value again in what is printed."""

    text: str
    values: tuple[tuple[str, str], ...] = ()  # (value, "${NAME}"), longest value first

    def hide(self, text: str) -> str:
        """``text`` with every expanded value put back as the ``${NAME}`` it came from."""
        for value, name in self.values:
            text = text.replace(value, name)
        return text

    def url(self, raw: str) -> SafeUrl:
        """A URL from this line, fetched as expanded but always printed as written."""
        return SafeUrl(raw, shown=self.hide(raw) if self.values else None)


def _expand(text: str, location: Location) -> _Expanded:
    """pip's expansion; the values are secrets as often as not (an index token), so never printed."""
    values: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        value = os.environ.get(match.group(1))
        if value is None:
            raise InputError(
                f"environment variable {match.group(1)} is not set (used as ${{{match.group(1)}}})",
                location=location,
            )
        if value:
            values[value] = match.group(0)
        return value

    expanded = _ENV_VAR.sub(replace, text)
    return _Expanded(expanded, tuple(sorted(values.items(), key=lambda item: -len(item[0]))))


def _parse_file(
    path: Path,
    collected: _Collected,
    *,
    stack: tuple[Path, ...],
    constraint: bool,
    where: Location | None,
) -> None:
    resolved = path.resolve()
    if resolved in stack:
        cycle = " -> ".join(p.name for p in (*stack[stack.index(resolved) :], resolved))
        raise InputError(f"include cycle: {cycle}", location=where)
    if len(stack) >= MAX_INCLUDE_DEPTH:
        raise InputError(f"includes nested deeper than {MAX_INCLUDE_DEPTH} files", location=where)
    if (resolved, constraint) in collected.parsed:
        # a diamond: its lines are already collected. Re-reading made each file including the next
        # twice double the work per level: 30 such files meant 2**30 reads, a hang.
        return
    collected.parsed.add((resolved, constraint))
    text = _read_text(path, where)
    for line in logical_lines(text):
        location = Location(file=str(path), line=line.number)
        _parse_located(path, line.text, location, collected, stack=(*stack, resolved), constraint=constraint)


def _parse_located(
    path: Path,
    text: str,
    location: Location,
    collected: _Collected,
    *,
    stack: tuple[Path, ...],
    constraint: bool,
) -> None:
    """One logical line with ``${VAR}`` expanded; an error shows the line as written, never a value."""
    expanded = _expand(text, location)
    try:
        _parse_line(path, expanded, location, collected, stack=stack, constraint=constraint)
    except InputError as error:
        if not expanded.values or error.location != location:
            raise
        raise InputError(expanded.hide(error.message), location=location, hint=error.hint) from None


def _parse_line(
    path: Path,
    expanded: _Expanded,
    location: Location,
    collected: _Collected,
    *,
    stack: tuple[Path, ...],
    constraint: bool,
) -> None:
    content = expanded.text
    if content.startswith("-"):
        _parse_option_line(path, expanded, location, collected, stack=stack, constraint=constraint)
        return
    declared = _shown_as_written(parse_requirement_line(content, location, base=path.parent), expanded)
    (collected.constraints if constraint else collected.requirements).append(declared)


def _shown_as_written(declared: DeclaredRequirement, expanded: _Expanded) -> DeclaredRequirement:
    """A direct reference whose URL took an environment value prints the ``${VAR}`` form instead."""
    origin = declared.origin
    if not expanded.values or origin is None or origin.url is None:
        return declared
    return replace(declared, origin=replace(origin, url=expanded.url(origin.url.reveal())))


def _split_options(content: str, location: Location) -> list[tuple[str, str | None]]:
    """``--opt value``, ``--opt=value`` and ``-ovalue`` → (canonical option, value)."""
    try:
        tokens = shlex.split(content, posix=True)
    except ValueError as problem:
        raise InputError(f"cannot split options: {problem}", location=location) from None
    options: list[tuple[str, str | None]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        name, equals, value = token.partition("=") if token.startswith("--") else (token, "", "")
        if not token.startswith("--") and len(token) > 2 and token[:2] in _VALUE_OPTIONS:
            name, equals, value = token[:2], "=", token[2:]
        if name in _FLAG_OPTIONS and not equals:
            options.append((name, None))
        elif name in _VALUE_OPTIONS or name in _REQUIREMENT_OPTIONS:
            if not equals:
                if index >= len(tokens):
                    raise InputError(f"option {name} needs a value", location=location)
                value = tokens[index]
                index += 1
            options.append((_VALUE_OPTIONS.get(name, name), value))
        elif token.startswith("-"):
            raise InputError(f"unknown option {name!r}", location=location)
        else:
            raise InputError(f"unexpected argument {token!r} after an option", location=location)
    return options


def _parse_option_line(
    path: Path,
    expanded: _Expanded,
    location: Location,
    collected: _Collected,
    *,
    stack: tuple[Path, ...],
    constraint: bool,
) -> None:
    content = expanded.text
    if content.startswith(("-e", "--editable")):
        option, _, rest = content.partition(" ") if " " in content else (content, "", "")
        if option.startswith("--editable="):
            rest = option.partition("=")[2]
        elif option not in {"-e", "--editable"}:
            rest = option[2:]
        if not rest.strip():
            raise InputError("option --editable needs a value", location=location)
        declared = _shown_as_written(
            parse_requirement_line(rest.strip(), location, base=path.parent, editable=True), expanded
        )
        (collected.constraints if constraint else collected.requirements).append(declared)
        return
    for option, value in _split_options(content, location):
        if option in {"--requirement", "--constraint"}:
            assert value is not None
            if is_url(value):
                raise InputError(
                    f"{option} {scrub(value)!r}: remote requirement files are not fetched; download it first",
                    location=location,
                )
            _parse_file(
                path.parent / value,
                collected,
                stack=stack,
                constraint=constraint or option == "--constraint",
                where=location,
            )
        elif option in _SOURCE_OPTIONS:
            _source_option(option, value, expanded, location, collected, path=path)
        elif option in _REQUIREMENT_OPTIONS:
            raise InputError(
                f"option {option} belongs after a requirement on the same line", location=location
            )


def _source_option(
    option: str,
    value: str | None,
    expanded: _Expanded,
    location: Location,
    collected: _Collected,
    *,
    path: Path,
) -> None:
    """Where packages come from: indexes, find-links locations, ``--no-index``, TLS-exempt hosts."""
    if option == "--index-url":
        collected.index_url = _index_url(value, location, option, expanded)
    elif option == "--extra-index-url":
        collected.extra_index_urls.append(_index_url(value, location, option, expanded))
    elif option == "--find-links":
        assert value is not None
        link = value if is_url(value) else (path.parent / value).resolve().as_uri()
        collected.find_links.append(expanded.url(link))
    elif option == "--no-index":
        collected.no_index = True
    elif value:  # --trusted-host, kept as written: pip accepts any value and matches what it can
        collected.trusted_hosts.append((expanded.hide(value), location))


def _index_url(value: str | None, location: Location, option: str, expanded: _Expanded) -> SafeUrl:
    if not value or not is_url(value):
        raise InputError(f"{option} {scrub(value or '')!r} is not a URL", location=location)
    return expanded.url(value)


def _split_requirement_options(content: str) -> tuple[str, str]:
    """pip's break_args_options: the requirement is every token before the first ``-``/``--`` token."""
    tokens = content.split(" ")
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:index]).strip(), " ".join(tokens[index:])
    return content.strip(), ""


def parse_requirement_line(
    content: str, location: Location, *, base: Path, editable: bool = False
) -> DeclaredRequirement:
    """One requirement with its per-line options (``--hash``) into a DeclaredRequirement."""
    text, option_text = _split_requirement_options(content)
    hashes: set[str] = set()
    for option, value in _split_options(option_text, location) if option_text else []:
        if option == "--hash":
            hashes.add(_check_hash(value or "", location))
        elif option not in _REQUIREMENT_OPTIONS:
            raise InputError(f"option {option} cannot follow a requirement", location=location)
    if not text:
        raise InputError("options without a requirement", location=location)
    requirement, origin = _requirement_and_origin(text, location, base=base, editable=editable)
    if origin is not None and hashes:
        origin = Origin(kind=origin.kind, url=origin.url, hashes=tuple(sorted(hashes)), commit=origin.commit)
    return DeclaredRequirement(
        requirement=requirement,
        location=location,
        origin=origin,
        hashes=tuple(sorted(hashes)),
        editable=editable,
        version=reference_version(requirement, origin) if origin is not None else None,
    )


def _check_hash(value: str, location: Location) -> str:
    match = _HASH.match(value)
    if not match or len(match.group(2)) != _HASH_LENGTHS[match.group(1)]:
        raise InputError(
            f"--hash {value!r} is not of the form sha256:<64 hex digits> (sha384/sha512 also accepted)",
            location=location,
        )
    return f"{match.group(1)}:{match.group(2).lower()}"


def _requirement_and_origin(
    text: str, location: Location, *, base: Path, editable: bool
) -> tuple[Requirement, Origin | None]:
    if text.startswith("file:"):
        return file_url_requirement(text, location, base=base, editable=editable)
    if is_url(text):
        return url_requirement(text, location, editable=editable)
    if _looks_like_path(text, base):
        return local_requirement(text, location, base=base, editable=editable)
    try:
        requirement = Requirement(text)
    except InvalidRequirement as problem:
        reason = str(problem).splitlines()[0]
        raise InputError(f"invalid requirement {scrub(text)!r}: {reason}", location=location) from None
    if requirement.url is not None:
        return named_reference(requirement, location, base=base, editable=editable)
    if editable:
        raise InputError(f"--editable needs a local path or VCS URL, not {text!r}", location=location)
    return requirement, None


def _looks_like_path(text: str, base: Path) -> bool:
    """pip's rule: a path separator, a leading dot, or an archive name that exists beside the file."""
    head = text.split(";", 1)[0].strip()
    if _NAMED_URL.match(head):
        return False  # "name @ url": a PEP 508 direct reference, whatever the URL looks like
    if "/" in head or "\\" in head or head.startswith("."):
        return True
    bare = re.sub(r"\[[^\]]*\]$", "", head)
    if not bare.endswith((".whl", ".tar.gz", ".zip")):
        return False
    try:
        return (base / bare).exists()
    except OSError:  # not a usable path (too long, …): it is then parsed, and refused, as a requirement
        return False
