"""Poetry's version constraint language (``^1.2``, ``~1.2``, ``*``, ``||``) translated to PEP 440 and PEP 508.

Follows poetry-core's documented rules: a caret allows changes that do not modify the left-most
non-zero component; a tilde allows patch-level changes (minor-level when only a major is given).
"""

from __future__ import annotations

import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

# Space after an operator belongs to it ("> = 1" is not valid, ">= 1.2" is); then "," or spaces separate.
_OPERATOR_SPACE = re.compile(r"(\^|~=|~|===|==|!=|<=|>=|<|>|=)\s+")
_SEPARATOR = re.compile(r"\s*,\s*|\s+")
_OPERATOR = re.compile(r"^(===|==|!=|<=|>=|~=|<|>|=|\^|~)?(.*)$")


class PoetryConstraintError(ValueError):
    """A constraint poetry would reject or that has no PEP 440 equivalent."""


def _version(text: str, constraint: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise PoetryConstraintError(f"{text!r} in {constraint!r} is not a version") from None


def _bump(release: tuple[int, ...], index: int) -> str:
    upper = [*release[:index], release[index] + 1]
    upper += [0] * (len(release) - len(upper))
    return ".".join(str(part) for part in upper)


def _single(part: str, constraint: str) -> list[str]:
    match = _OPERATOR.match(part)
    assert match is not None  # the pattern matches every string
    operator, rest = match.group(1) or "", match.group(2)
    if rest in {"*", "x", "X", ""} and operator in {"", "==", "="}:
        return []
    if operator == "^":
        version = _version(rest, constraint)
        release = version.release
        nonzero = [index for index, value in enumerate(release) if value]
        return [f">={rest}", f"<{_bump(release, nonzero[0] if nonzero else len(release) - 1)}"]
    if operator == "~":
        version = _version(rest, constraint)
        release = version.release
        return [f">={rest}", f"<{_bump(release, 0 if len(release) == 1 else 1)}"]
    if operator in {"", "="}:
        return [f"=={rest}"]
    return [f"{operator}{rest}"]


def to_specifiers(constraint: str) -> list[list[str]]:
    """A Poetry constraint → alternatives (``||``), each a list of PEP 440 clauses (empty: any version)."""
    alternatives: list[list[str]] = []
    for alternative in constraint.split("||"):
        text = _OPERATOR_SPACE.sub(r"\1", alternative.strip())
        clauses = [clause for part in _SEPARATOR.split(text) if part for clause in _single(part, constraint)]
        try:
            SpecifierSet(",".join(clauses))
        except InvalidSpecifier as problem:
            raise PoetryConstraintError(f"{constraint!r} is not a valid constraint: {problem}") from None
        alternatives.append(clauses)
    return alternatives


def to_specifier(constraint: str) -> str:
    """A Poetry version constraint as one PEP 440 specifier; ``||`` unions have none and are rejected."""
    alternatives = to_specifiers(constraint)
    if len(alternatives) > 1:
        raise PoetryConstraintError(
            f"{constraint!r} is a union ('||'), which a PEP 440 specifier cannot express; "
            "split it into alternatives restricted by 'python' or 'markers'"
        )
    return ",".join(alternatives[0])


def python_marker(constraint: str) -> str | None:
    """``python = "^3.8"`` → ``python_version >= "3.8" and python_version < "4.0"`` (None: any Python)."""
    alternatives: list[str] = []
    for clauses in to_specifiers(constraint):
        if not clauses:
            return None
        terms = []
        for clause in clauses:
            match = _OPERATOR.match(clause)
            assert match is not None  # the pattern matches every string
            operator, version = match.group(1), match.group(2)
            release = version.rstrip(".*").split(".")
            variable = "python_version" if len(release) <= 2 and "*" not in version else "python_full_version"
            terms.append(f'{variable} {operator} "{version}"')
        alternatives.append(" and ".join(terms))
    if len(alternatives) == 1:
        return alternatives[0]
    return " or ".join(f"({alternative})" for alternative in alternatives)
