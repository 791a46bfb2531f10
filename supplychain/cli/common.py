"""Options shared by every command that reads an environment; ``config.merge`` turns them into a config.

A command takes the input, target and network flags as one ``TargetFlags`` parameter; the
``target_options`` decorator shows typer the individual options in its place, so each option is
defined once here and every command spells it the same way.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from supplychain.config import AuditConfig, TargetFlags
from supplychain.net.http import Http, HttpSettings, build_http

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
FindLinks = Annotated[
    list[str] | None,
    typer.Option(
        "--find-links", "-f", help="A directory of distribution files or a page of links (pip's); repeatable."
    ),
]
NoIndex = Annotated[bool, typer.Option("--no-index", help="Ask no index: only --find-links locations.")]
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
# The lists a command judges against (audit, fix): spelled once here.
PolicyOption = Annotated[
    str | None, typer.Option("--policy", help="sl1..sl5 or a policy file (default: sl3).")
]
AllowlistOption = Annotated[Path | None, typer.Option("--allowlist", help="Allowlist TOML file.")]
ExemptionsOption = Annotated[Path | None, typer.Option("--exemptions", help="Exemptions TOML file.")]

R = TypeVar("R")


# Each TargetFlags field as typer sees it: its option and default, in the order --help lists them.
TARGET_OPTIONS: dict[str, tuple[object, object]] = {
    "input_format": (InputFormat, None),
    "python_version": (PythonVersion, None),
    "platform": (Platform, None),
    "index_url": (IndexUrl, None),
    "extra_index_url": (ExtraIndexUrl, None),
    "find_links": (FindLinks, None),
    "no_index": (NoIndex, False),
    "exclude_newer": (ExcludeNewer, None),
    "extra": (Extra, None),
    "group": (Group, None),
    "no_deps": (NoDeps, False),
    "offline": (Offline, False),
}
# typer gives a list, or None when not given
_REPEATABLE = frozenset({"extra_index_url", "find_links", "extra", "group"})


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


def run_with_http(config: AuditConfig, job: Callable[[Http], Awaitable[T]]) -> T:
    """Run an async job with the one HTTP client, closing it whatever happens.

    The result leaves through a holder, not as the main task's result: on Python 3.11,
    ``asyncio.run`` ends by checking its SIGINT handler, a ``partial`` naming the main task, and
    ``signal.getsignal`` formats that handler's repr, with the finished task's result, into an
    error message it then discards. The repr of a whole audit result cost 0.45 s and tens of MB.
    """
    kept: list[T] = []

    async def runner() -> None:
        http = build_http(HttpSettings(offline=config.offline, cache_dir=config.cache_dir))
        try:
            kept.append(await job(http))
        finally:
            await http.aclose()

    asyncio.run(runner())
    return kept[0]


__all__ = [
    "TARGET_OPTIONS",
    "AllowlistOption",
    "ExemptionsOption",
    "Offline",
    "PathArg",
    "PolicyOption",
    "TargetFlags",
    "run_with_http",
    "target_options",
]
