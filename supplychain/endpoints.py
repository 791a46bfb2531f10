"""Base URLs of every service, overridable by configuration and ``SUPPLYCHAIN_<NAME>_URL``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from supplychain.urls import SafeUrl

DEFAULTS: dict[str, str] = {
    "index": "https://pypi.org/simple/",
    "pypi": "https://pypi.org/",
    "osv": "https://api.osv.dev/",
    "pypistats": "https://pypistats.org/",
    "integrity": "https://pypi.org/",
    "top_packages": "https://hugovk.github.io/top-pypi-packages/top-pypi-packages.min.json",
    "osv_database": "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoints:
    """One base URL per service; each ends with ``/`` except whole-file URLs."""

    index: SafeUrl
    pypi: SafeUrl
    osv: SafeUrl
    pypistats: SafeUrl
    integrity: SafeUrl
    top_packages: SafeUrl
    osv_database: SafeUrl

    @classmethod
    def load(
        cls, configured: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None
    ) -> Endpoints:
        """Defaults < ``[tool.supplychain.endpoints]`` < ``SUPPLYCHAIN_<NAME>_URL``."""
        env = os.environ if environ is None else environ
        values = dict(DEFAULTS)
        values.update(configured or {})
        for name in DEFAULTS:
            override = env.get(f"SUPPLYCHAIN_{name.upper()}_URL")
            if override:
                values[name] = override
        return cls(**{name: SafeUrl(_with_slash(name, values[name])) for name in DEFAULTS})

    def names(self) -> tuple[str, ...]:
        """Every endpoint's field name: what ``[endpoints]`` in the config may set."""
        return tuple(f.name for f in fields(self))


def _with_slash(name: str, url: str) -> str:
    if name in {"top_packages", "osv_database"} or url.endswith("/"):
        return url
    return url + "/"
