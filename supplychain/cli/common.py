"""Options shared by every command that reads an environment, and the config they build.

A command takes the input, target and network flags as one ``TargetFlags`` parameter; the
``target_options`` decorator shows typer the individual options in its place, so each option is
defined once here and every command spells it the same way.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from supplychain import config as settings
from supplychain import dirs
from supplychain.dates import parse_date, parse_timestamp
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
    typer.Option(
        "--exclude-newer",
        help="Ignore files uploaded at or after this RFC 3339 time, or after this whole day "
        "(YYYY-MM-DD, local time, as uv does).",
    ),
]
Extra = Annotated[list[str] | None, typer.Option("--extra", help="Optional-dependency extra; repeatable.")]
Group = Annotated[list[str] | None, typer.Option("--group", help="PEP 735 dependency group; repeatable.")]
NoDeps = Annotated[
    bool,
    typer.Option("--no-deps", help="Take the file's pins as the complete set; resolve nothing."),
]
Offline = Annotated[bool, typer.Option("--offline", help="Use the cache and local data only.")]

# uv's "local date" form of --exclude-newer; anything else must be an RFC 3339 time.
_BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

R = TypeVar("R")


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetFlags:
    """The input, target and network flags as the user gave them (unset: ``None``, empty, off)."""

    input_format: str | None = None
    python_version: str | None = None
    platform: str | None = None
    index_url: str | None = None
    extra_index_url: tuple[str, ...] = ()
    exclude_newer: str | None = None
    extra: tuple[str, ...] = ()
    group: tuple[str, ...] = ()
    no_deps: bool = False
    offline: bool = False

    def config(
        self,
        path: Path | None = None,
        *,
        policy: str | None = None,
        allowlist: Path | None = None,
        exemptions: Path | None = None,
        formats: list[str] | None = None,
        output: Path | None = None,
        cwd: Path | None = None,
    ) -> settings.AuditConfig:
        """These flags for the input at ``path``, over ``[tool.supplychain]`` (see ``build_config``)."""
        return build_config(
            path=path,
            input_format=self.input_format,
            python_version=self.python_version,
            platform=self.platform,
            index_url=self.index_url,
            extra_index_url=list(self.extra_index_url),
            exclude_newer=self.exclude_newer,
            extra=list(self.extra),
            group=list(self.group),
            no_deps=self.no_deps,
            offline=self.offline,
            policy=policy,
            allowlist=allowlist,
            exemptions=exemptions,
            formats=formats,
            output=output,
            cwd=cwd,
        )


# Each TargetFlags field as typer sees it: its option and default, in the order --help lists them.
TARGET_OPTIONS: dict[str, tuple[object, object]] = {
    "input_format": (InputFormat, None),
    "python_version": (PythonVersion, None),
    "platform": (Platform, None),
    "index_url": (IndexUrl, None),
    "extra_index_url": (ExtraIndexUrl, None),
    "exclude_newer": (ExcludeNewer, None),
    "extra": (Extra, None),
    "group": (Group, None),
    "no_deps": (NoDeps, False),
    "offline": (Offline, False),
}
_REPEATABLE = frozenset({"extra_index_url", "extra", "group"})  # typer gives a list, or None when not given


def target_options(*names: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Show the command's ``TargetFlags`` parameter to typer as these options (default: all of them).

    The options take the parameter's place, so ``--help`` lists them where the command put it;
    the command receives them back as one ``TargetFlags``.
    """
    chosen = names or tuple(TARGET_OPTIONS)
    unknown = sorted(set(chosen) - set(TARGET_OPTIONS))
    if unknown:
        raise ValueError(f"not target options: {', '.join(unknown)}")
    order = [name for name in TARGET_OPTIONS if name in chosen]

    def decorate(command: Callable[..., R]) -> Callable[..., R]:
        signature = inspect.signature(command, eval_str=True)
        markers = [p for p in signature.parameters.values() if p.annotation is TargetFlags]
        if len(markers) != 1:
            raise TypeError(f"{command.__name__} needs exactly one TargetFlags parameter")
        marker = markers[0]
        options = [
            inspect.Parameter(
                name, marker.kind, default=TARGET_OPTIONS[name][1], annotation=TARGET_OPTIONS[name][0]
            )
            for name in order
        ]
        parameters = list(signature.parameters.values())
        at = parameters.index(marker)
        shown = signature.replace(parameters=[*parameters[:at], *options, *parameters[at + 1 :]])

        @functools.wraps(command)
        def with_flags(**given: Any) -> R:
            flags: dict[str, Any] = {}
            for name in order:
                value = given.pop(name)
                flags[name] = tuple(value or ()) if name in _REPEATABLE else value
            given[marker.name] = TargetFlags(**flags)
            return command(**given)

        # typer builds the options from the signature and the evaluated annotations
        with_flags.__signature__ = shown  # type: ignore[attr-defined]
        with_flags.__annotations__ = {p.name: p.annotation for p in shown.parameters.values()}
        return with_flags

    return decorate


def parse_exclude_newer(value: str | None) -> datetime | None:
    """An RFC 3339 time (UTC when it has no offset), or a bare date meaning that whole day.

    uv reads ``2026-01-01`` as the day in the system's time zone: files uploaded before the next
    local midnight stay (``ExcludeNewerValue::from_str`` in uv-distribution-types). Like uv, the
    resolver drops files uploaded at or after the cut-off, so a date's cut-off is that midnight.
    """
    if value is None:
        return None
    if _BARE_DATE.fullmatch(value):
        try:
            next_day = parse_date(value) + timedelta(days=1)
            next_midnight = datetime.combine(next_day, time()).astimezone()  # naive: local time
        except (ValueError, OverflowError):
            raise UsageError(f"--exclude-newer {value!r} is not a calendar date") from None
        return next_midnight.astimezone(UTC)
    try:
        return parse_timestamp(value, assume_utc=True)
    except ValueError:
        raise UsageError(f"--exclude-newer {value!r} is not an RFC 3339 timestamp or date") from None


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
        cache_dir=dirs.cache_dir(),
        data_dir=dirs.data_dir(),
        policy=policy or file.policy or "sl3",
        allowlist=allowlist or (Path(file.allowlist) if file.allowlist else None),
        exemptions=exemptions or (Path(file.exemptions) if file.exemptions else None),
        # ``--format json,sarif`` and ``--format json --format sarif`` mean the same.
        formats=tuple(
            part.strip() for item in (formats or file.formats) for part in item.split(",") if part.strip()
        ),
        output_dir=output or Path(file.output or "reports"),
        internal=file.internal,
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
