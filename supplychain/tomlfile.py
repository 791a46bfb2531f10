"""Reading TOML files a user wrote, with errors that name the file and line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from supplychain.errors import InputError
from supplychain.model import Location

_AT_LINE = re.compile(r"at line (\d+)")
MAX_TOML_BYTES = 32 * 1024 * 1024


def load_toml(path: Path, error: type[InputError] = InputError) -> dict[str, Any]:
    """Parse ``path``; malformed TOML raises ``error`` with the line tomllib reported."""
    try:
        if path.stat().st_size > MAX_TOML_BYTES:
            raise error(
                f"file is larger than {MAX_TOML_BYTES} bytes", location=Location(file=str(path))
            )
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise error("not UTF-8 text (binary file?)", location=Location(file=str(path))) from None
    except OSError as problem:
        raise error(f"cannot read: {problem.strerror}", location=Location(file=str(path))) from None
    return loads_toml(text, str(path), error)


def loads_toml(text: str, file: str, error: type[InputError] = InputError) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        message = str(problem)
        match = _AT_LINE.search(message)
        line = int(match.group(1)) if match else None
        detail = message.split(" (at ", maxsplit=1)[0]
        raise error(f"not valid TOML: {detail}", location=Location(file=file, line=line)) from None


def find_line(text: str, needle: str) -> int | None:
    """1-based line of the first occurrence of ``needle``, for locating keys in parsed TOML."""
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1
