"""Options shared by every command that reads an environment, and the config they build."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from supplychain import config as settings
from supplychain.endpoints import Endpoints
from supplychain.errors import UsageError
from supplychain.sources.http import Http, HttpSettings, build_http
from supplychain.target import Target
from supplychain.urls import SafeUrl

T = TypeVar("T")

PathArg = Annotated[
    Path | None,
    typer.Argument(
        help="A requirements file, pyproject.toml, lock file, venv or site-packages. "
        "Default: the project in the current directory, else the running environment.",
        show_default=False,
    ),
]
InputFormat = Annotated[
    str | None, typer.Option("--input-format", help="Override auto-detection of the input kind.")
]
PythonVersion = Annotated[
    str | None,
    typer.Option("--python-version", help="Target Python, e.g. 3.11 (default: running)."),
]
Platform = Annotated[
    str | None,
    typer.Option("--platform", help="Target platform in uv's spelling, e.g. x86_64-manylinux_2_28."),
]
IndexUrl = Annotated[str | None, typer.Option("--index-url", help="Primary package index (Simple API).")]
ExtraIndexUrl = Annotated[
    list[str] | None, typer.Option("--extra-index-url", help="Additional index; repeatable.")
]
ExcludeNewer = Annotated[
    str | None,
    typer.Option("--exclude-newer", help="Ignore files uploaded after this RFC 3339 time or date."),
]
Extra = Annotated[list[str] | None, typer.Option("--extra", help="Optional-dependency extra; repeatable.")]
Group = Annotated[list[str] | None, typer.Option("--group", help="PEP 735 dependency group; repeatable.")]
NoDeps = Annotated[
    bool,
    typer.Option("--no-deps", help="Take the file's pins as the complete set; resolve nothing."),
]
Offline = Annotated[bool, typer.Option("--offline", help="Use the cache and local data only.")]


def parse_exclude_newer(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--exclude-newer {value!r} is not an RFC 3339 timestamp or date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def build_config(
    *,
    path: Path | None,
    input_format: str | None,
    python_version: str | None,
    platform: str | None,
    index_url: str | None,
    extra_index_url: list[str] | None,
    exclude_newer: str | None,
    extra: list[str] | None,
    group: list[str] | None,
    no_deps: bool,
    offline: bool,
    policy: str | None = None,
    allowlist: Path | None = None,
    exemptions: Path | None = None,
    formats: list[str] | None = None,
    output: Path | None = None,
    cwd: Path | None = None,
) -> settings.AuditConfig:
    """Flags over ``[tool.supplychain]`` over defaults."""
    here = cwd or Path.cwd()
    file = settings.load_file_settings(here)
    indexes = tuple(SafeUrl(url) for url in [index_url, *(extra_index_url or [])] if url)
    offline = offline or os.environ.get("SUPPLYCHAIN_OFFLINE", "") == "1"
    return settings.AuditConfig(
        input_path=path,
        input_format=input_format,
        target=Target.parse(python_version, platform),
        index_urls=indexes,
        exclude_newer=parse_exclude_newer(exclude_newer),
        extras=tuple(extra or ()),
        groups=tuple(group or ()),
        no_deps=no_deps,
        offline=offline,
        endpoints=Endpoints.load(file.endpoints),
        cache_dir=settings.cache_dir(),
        data_dir=settings.data_dir(),
        policy=policy or file.policy or "sl3",
        allowlist=allowlist or (Path(file.allowlist) if file.allowlist else None),
        exemptions=exemptions or (Path(file.exemptions) if file.exemptions else None),
        # ``--format json,sarif`` and ``--format json --format sarif`` mean the same.
        formats=tuple(
            part.strip() for item in (formats or file.formats) for part in item.split(",") if part.strip()
        ),
        output_dir=output or Path(file.output or "reports"),
        internal_indexes=tuple(SafeUrl(url) for url in file.internal_indexes),
        internal_patterns=file.internal_patterns,
        allowed_indexes=tuple(SafeUrl(url) for url in file.allowed_indexes),
        inventory_db=file.inventory_db,
    )


def run_with_http(config: settings.AuditConfig, job: Callable[[Http], Awaitable[T]]) -> T:
    """Run an async job with the one HTTP client, closing it whatever happens."""

    async def runner() -> T:
        http = build_http(HttpSettings(offline=config.offline, cache_dir=config.cache_dir))
        try:
            return await job(http)
        finally:
            await http.aclose()

    return asyncio.run(runner())
