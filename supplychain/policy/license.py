"""The licence rule: every package's licence is known, and one the organisation accepted.

A licence fact holds what the project declared (a PEP 639 ``License-Expression``, else a short
``License`` text, else its trove classifiers joined with ``OR``). It is read as SPDX here: a valid
expression through ``packaging.licenses``, other spellings through the explicit table below, so
"MIT License" or "Apache 2.0" pass where ``MIT`` and ``Apache-2.0`` are allowed. Only what is really
outside the allowed set, or not recognisable as a licence, fails.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

from supplychain.model import JSON, Known, PackageFacts, ResolvedPackage
from supplychain.policy.base import Environment, Hit, Outcome, RuleSettings, evidence, missing

# Free-text spellings and trove-classifier names that are not SPDX expressions, and what they mean.
# A family name that could be more than one licence lists each: it passes only when all are allowed.
# "BSD License" is the classifier of both the 2- and 3-clause licences; "Apache Software License" is
# read as Apache-2.0, the only Apache licence published since 2004.
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "MIT License": ("MIT",),
    "The MIT License (MIT)": ("MIT",),
    "MIT/X11": ("MIT",),
    "Expat": ("MIT",),
    "MIT No Attribution License (MIT-0)": ("MIT-0",),
    "Apache": ("Apache-2.0",),
    "Apache 2": ("Apache-2.0",),
    "Apache 2.0": ("Apache-2.0",),
    "Apache License 2.0": ("Apache-2.0",),
    "Apache License, Version 2.0": ("Apache-2.0",),
    "Apache Software License": ("Apache-2.0",),
    "Apache Software License 2.0": ("Apache-2.0",),
    "ASL 2.0": ("Apache-2.0",),
    "BSD": ("BSD-2-Clause", "BSD-3-Clause"),
    "BSD License": ("BSD-2-Clause", "BSD-3-Clause"),
    "BSD 2-Clause": ("BSD-2-Clause",),
    "2-Clause BSD": ("BSD-2-Clause",),
    "Simplified BSD": ("BSD-2-Clause",),
    "FreeBSD": ("BSD-2-Clause",),
    "BSD 3-Clause": ("BSD-3-Clause",),
    "3-Clause BSD": ("BSD-3-Clause",),
    "New BSD": ("BSD-3-Clause",),
    "Modified BSD": ("BSD-3-Clause",),
    "Revised BSD": ("BSD-3-Clause",),
    "BSD Zero Clause License (0BSD)": ("0BSD",),
    "ISC License (ISCL)": ("ISC",),
    "ISCL": ("ISC",),
    "PSF": ("PSF-2.0",),
    "PSFL": ("PSF-2.0",),
    "Python Software Foundation License": ("PSF-2.0",),
    "Python License (CNRI Python License)": ("CNRI-Python",),
    "Mozilla Public License 2.0 (MPL 2.0)": ("MPL-2.0",),
    "MPL 2.0": ("MPL-2.0",),
    "MPL2": ("MPL-2.0",),
    "Mozilla Public License 1.1 (MPL 1.1)": ("MPL-1.1",),
    "The Unlicense (Unlicense)": ("Unlicense",),
    "zlib/libpng License": ("Zlib",),
    "Boost Software License 1.0 (BSL-1.0)": ("BSL-1.0",),
    "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": ("CC0-1.0",),
    "Eclipse Public License 2.0 (EPL-2.0)": ("EPL-2.0",),
    "Historical Permission Notice and Disclaimer (HPND)": ("HPND",),
    "GNU General Public License v2 (GPLv2)": ("GPL-2.0-only",),
    "GNU General Public License v2 or later (GPLv2+)": ("GPL-2.0-or-later",),
    "GNU General Public License v3 (GPLv3)": ("GPL-3.0-only",),
    "GPLv3": ("GPL-3.0-only",),
    "GNU General Public License v3 or later (GPLv3+)": ("GPL-3.0-or-later",),
    "GNU General Public License (GPL)": (
        "GPL-2.0-only",
        "GPL-2.0-or-later",
        "GPL-3.0-only",
        "GPL-3.0-or-later",
    ),
    "GNU Lesser General Public License v2 (LGPLv2)": ("LGPL-2.0-only",),
    "GNU Lesser General Public License v2 or later (LGPLv2+)": ("LGPL-2.0-or-later",),
    "GNU Lesser General Public License v3 (LGPLv3)": ("LGPL-3.0-only",),
    "GNU Lesser General Public License v3 or later (LGPLv3+)": ("LGPL-3.0-or-later",),
    "GNU Affero General Public License v3": ("AGPL-3.0-only",),
    "GNU Affero General Public License v3 or later (AGPLv3+)": ("AGPL-3.0-or-later",),
}
# Words a spelling may add or drop without changing the licence: "Apache License, Version 2.0" is
# "Apache 2.0"; a repeated word ("The MIT License (MIT)") counts once.
_NOISE = frozenset({"the", "license", "licence", "licensed", "version", "under"})
_WORD = re.compile(r"[a-z0-9.+]+")
_OR = re.compile(r"\s+OR\s+", re.IGNORECASE)
_TOKEN = re.compile(r"\(|\)|[^\s()]+")


def _key(text: str) -> str:
    words = [w.removeprefix("v") if re.fullmatch(r"v\d.*", w) else w for w in _WORD.findall(text.lower())]
    return " ".join(dict.fromkeys(w for w in words if w not in _NOISE))


_BY_KEY = {_key(spelling): meaning for spelling, meaning in _SPELLINGS.items()}


def _canonical(text: str) -> str | None:
    try:
        return canonicalize_license_expression(text)
    except InvalidLicenseExpression:
        return None


@functools.lru_cache(maxsize=4096)
def _one(text: str) -> tuple[str, ...]:
    """The SPDX expressions one declared licence may be; empty when it is not recognisable.

    Cached: the policy's allowed list is read again for every package, and licences repeat.

    After the table, the spelling's words joined by hyphens are tried as an SPDX id: "ISC License"
    is ``ISC``, "BSD 3 Clause" is ``BSD-3-Clause``.
    """
    expression = _canonical(text)
    if expression is not None:
        return (expression,)
    key = _key(text)
    if key in _BY_KEY:
        return _BY_KEY[key]
    hyphenated = _canonical(key.replace(" ", "-")) if key else None
    return (hyphenated,) if hyphenated is not None else ()


def spdx_readings(declared: str) -> tuple[str, ...]:
    """Every SPDX expression ``declared`` may mean (one for a precise licence); empty: unrecognised.

    Classifiers arrive joined with ``OR`` ("BSD License OR MIT License"), but several classifiers
    may as well mean parts under each licence as a choice: both readings are kept, so the licence
    passes only when all of them are allowed.
    """
    whole = _one(declared.strip())
    if whole:
        return whole
    parts = [_one(part) for part in _OR.split(declared.strip())]
    if len(parts) < 2 or not all(parts):
        return ()
    combined = {
        operator.join(f"({p})" if " " in p else p for p in choice)
        for choice in itertools.product(*parts)
        for operator in (" OR ", " AND ")
    }
    return tuple(sorted(combined))


@functools.lru_cache(maxsize=64)
def _accepted(allowed: tuple[str, ...]) -> frozenset[str]:
    """The allowed licences as lower-case SPDX ids, worked out once per policy."""
    return frozenset((spelled[0] if len(spelled := _one(item)) == 1 else item).lower() for item in allowed)


def license_allowed(expression: str, allowed: tuple[str, ...]) -> bool:
    """A canonical SPDX expression is allowed when it can be satisfied with allowed licences only.

    ``OR`` needs one side, ``AND`` both (it binds tighter), ``X WITH exception`` needs ``X``: an
    exception only adds permissions. Licence ids compare case-insensitively, as SPDX says.
    """
    accepted = _accepted(allowed)
    tokens: list[str] = _TOKEN.findall(expression)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def any_of() -> bool:
        result = all_of()
        while peek() == "OR":
            take()
            result = all_of() or result
        return result

    def all_of() -> bool:
        result = single()
        while peek() == "AND":
            take()
            result = single() and result
        return result

    def single() -> bool:
        if peek() == "(":
            take()
            result = any_of()
            take()  # ")": the expression was validated by packaging
            return result
        name = take()
        if peek() == "WITH":
            take()
            exception = take()
            return name.lower() in accepted or f"{name} WITH {exception}".lower() in accepted
        return name.lower() in accepted

    return any_of()


class LicenseRule:
    id = "license"
    rationale = "A licence nobody checked can oblige the organisation to things it cannot do."
    help = (
        "Fails when the licence is missing, or (unless `missing_only`) not recognisable as a "
        "licence, or not satisfiable with the policy's `allowed_licenses` (SPDX ids; an "
        "OR-expression passes when one branch is allowed). Declared licences are read as SPDX: PEP "
        "639 expressions, trove classifiers and common spellings (`MIT License`, `Apache 2.0`); a "
        "family name such as `BSD License` passes only when every licence it may mean is allowed. "
        "The evidence keeps the declared value and its SPDX reading."
    )
    params: Mapping[str, type] = {"missing_only": bool}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        signal = facts.license
        if not isinstance(signal, Known):
            return [missing("license", signal)]
        value = (signal.value or "").strip()
        if not value:
            return [
                Hit(
                    message=f"{package.ref.name} declares no licence",
                    evidence=evidence("license", signal),
                    remediation="ask the project to declare a licence, or approve it after legal review",
                )
            ]
        if settings.flag("missing_only"):
            return []
        readings = spdx_readings(value)
        if readings and all(license_allowed(reading, env.allowed_licenses) for reading in readings):
            return []
        found: dict[str, JSON] = {**evidence("license", signal), "spdx": list(readings)}
        if not readings:
            return [
                Hit(
                    message=f"{package.ref.name}'s licence {value!r} is not a recognisable licence "
                    "(no SPDX expression, classifier or known spelling)",
                    evidence=found,
                    remediation="review the licence text; approve the package after legal review",
                )
            ]
        shown = readings[0] if readings == (value,) else f"{value!r} (SPDX: {'; '.join(readings)})"
        return [
            Hit(
                message=f"{package.ref.name}'s licence {shown} is not in the allowed list",
                evidence=found,
                remediation="add the licence to allowed_licenses after review, or replace the package",
            )
        ]
