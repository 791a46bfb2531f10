"""The typer application: parses options, calls the pipeline, renders, maps errors to exit codes.

Each command group lives in its own module here and registers itself on ``app``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from supplychain.cli.labels import LabelledGroup
from supplychain.errors import SupplychainError

app = typer.Typer(
    name="supplychain",
    help="Audit the supply chain of a Python environment against SL1-SL5 policies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LabelledGroup,
)


# command name -> the module that adds it to ``app`` (the order ``--help`` lists them in)
COMMANDS = ("audit", "diff", "fix", "explain", "tree", "allowlist", "db", "inventory", "policy", "cache")


def version_line() -> str:
    """``supplychain VERSION from PACKAGE_DIR (python X.Y.Z)``, as pip says it.

    The directory shows which code is running: on PyPI the name ``supplychain`` belongs to an
    unrelated project, so a version alone would not tell the two apart.
    """
    from importlib import metadata  # with zipfile and more: 40 ms that only --version needs

    try:
        version = metadata.version("supplychain")
    except metadata.PackageNotFoundError:
        version = "(version unknown: not installed as a distribution)"
    return f"supplychain {version} from {Path(__file__).parents[1]} (python {platform.python_version()})"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(version_line())
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and where it runs from, then exit.",
            is_eager=True,
            callback=_show_version,
        ),
    ] = False,
) -> None:
    """Keeps ``app`` a command group even when only one command is registered (see ``main``)."""


def register_commands(only: str | None = None) -> typer.Typer:
    """Import the command modules (each adds itself to ``app``): all, or just the one invoked.

    Importing every command pulled in the SBOM library, the curation code and more on each run;
    a pre-commit ``supplychain audit`` paid for all of it. Library users and tests call this
    without an argument to get every command.
    """
    import importlib

    for name in COMMANDS if only not in COMMANDS else (only,):
        importlib.import_module(f"supplychain.cli.{name}")
    return app


def main(argv: list[str] | None = None) -> None:
    """Console entry point: the one ``except SupplychainError``; ``--debug`` shows tracebacks.

    typer runs in standalone mode, so usage errors exit 2 with click's message.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:
        args.remove("--debug")
    if args[:1] != ["--version"]:  # the version needs no command: 0.1 s instead of a full import
        register_commands(args[0] if args else None)
    try:
        app(args=args, prog_name="supplychain")
    except SupplychainError as error:
        if debug:
            raise
        sys.stderr.write(f"error: {error.diagnostics()}\n")
        sys.exit(error.exit_code)
    except Exception as error:
        if debug:
            raise
        sys.stderr.write(f"internal error ({type(error).__name__}); rerun with --debug for the traceback\n")
        sys.exit(70)


def run(on_exit: Callable[[int], None] | None = None) -> None:
    """The console script: ``main``, then leave without the interpreter's teardown.

    ``on_exit`` is told the exit code first (``supplychain.console`` keeps the result there).

    Freeing every object and joining the HTTP stack's threads took 0.15-0.25 s of a one-second
    audit. Nothing is lost: reports are fsynced and renamed, the caches' transactions are
    committed and their connections closed; output and logs are flushed here.
    """
    try:
        main()
        code = 0
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            code = done.code or 0
        else:
            sys.stderr.write(f"{done.code}\n")
            code = 1
    if on_exit is not None:
        on_exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # a closed pipe (`| head`)
            stream.flush()
    os._exit(code)
