"""Reading TOML files a user wrote, with errors that name the file and line."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from supplychain.dirs import cache_dir
from supplychain.errors import InputError
from supplychain.files import read_capped, write_atomic
from supplychain.model import Location

_AT_LINE = re.compile(r"at line (\d+)")
MAX_TOML_BYTES = 32 * 1024 * 1024
_CACHE_FROM_BYTES = 64 * 1024  # smaller files parse faster than a cache lookup
_CACHE_FORMAT = "1"


def load_toml(path: Path, error: type[InputError] = InputError) -> dict[str, Any]:
    """Parse ``path``; malformed TOML raises ``error`` with the line tomllib reported."""
    try:
        data = read_capped(path, MAX_TOML_BYTES)
        if data is None:
            raise error(f"file is larger than {MAX_TOML_BYTES} bytes", location=Location(file=str(path)))
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise error("not UTF-8 text (binary file?)", location=Location(file=str(path))) from None
    except OSError as problem:
        raise error(f"cannot read: {problem.strerror}", location=Location(file=str(path))) from None
    return loads_toml(text, str(path), error)


def loads_toml(text: str, file: str, error: type[InputError] = InputError) -> dict[str, Any]:
    """Parse TOML; a syntax error becomes the user's error with file and line (exit 2)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        message = str(problem)
        match = _AT_LINE.search(message)
        line = int(match.group(1)) if match else None
        detail = message.split(" (at ", maxsplit=1)[0]
        raise error(f"not valid TOML: {detail}", location=Location(file=file, line=line)) from None
    except RecursionError:  # tomllib recurses per nested array or inline table: ``a = [[[[...`` crashed it
        raise error(
            "not valid TOML: arrays or tables nested too deeply", location=Location(file=file)
        ) from None
    except ValueError as problem:  # an integer past Python's digit limit (``a = 111...``, 4,300+ digits)
        raise error(f"not valid TOML: {problem}", location=Location(file=file)) from None


def loads_toml_cached(text: str, file: str, error: type[InputError] = InputError) -> dict[str, Any]:
    """``loads_toml`` remembering the parse of large files (lock files) by content hash.

    tomllib is pure Python: a 400-package ``uv.lock`` took half a second to parse on every run,
    a third of a warm audit. The parse is stored as JSON (read back by the C decoder) under the
    cache directory, keyed by the SHA-256 of the text, so any edit is a miss. A document holding
    values JSON cannot carry (TOML dates) is not stored; an unreadable entry is a miss.
    """
    if len(text) < _CACHE_FROM_BYTES:
        return loads_toml(text, file, error)
    digest = hashlib.sha256(f"{_CACHE_FORMAT}\n{text}".encode()).hexdigest()
    path = cache_dir() / "parsed-toml" / f"{digest}.json"
    try:
        cached = json.loads(path.read_bytes())
        if isinstance(cached, dict):
            return cached
    except (OSError, ValueError, RecursionError):
        pass
    data = loads_toml(text, file, error)
    _store(path, data)
    return data


def _store(path: Path, data: dict[str, Any]) -> None:
    try:
        body = json.dumps(data, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return  # dates, or non-finite floats: parse again next time
    with contextlib.suppress(OSError):  # an entry not stored is parsed again next time
        write_atomic(path, body, private=True, durable=False)


def parse_toml(text: str, file: str) -> dict[str, Any]:
    """``loads_toml`` for files that list every problem at once: a syntax error is a PolicyError (exit 2)."""
    from supplychain.errors import PolicyError

    try:
        return loads_toml(text, file)
    except InputError as problem:
        raise PolicyError([(problem.location or Location(file=file), problem.message)]) from None
