"""The typer application: parses options, calls the pipeline, renders, maps errors to exit codes.

Each command group lives in its own module here and registers itself on ``app``.
"""

from __future__ import annotations

import sys

import typer

from supplychain.errors import SupplychainError

app = typer.Typer(
    name="supplychain",
    help="Audit the supply chain of a Python environment against SL1-SL5 policies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    # Imported for their side effect of adding commands to ``app``.
    from supplychain.cli import (
        allowlist,  # noqa: F401
        audit,  # noqa: F401
        db,  # noqa: F401
        explain,  # noqa: F401
        inventory,  # noqa: F401
        policy,  # noqa: F401
        tree,  # noqa: F401
    )


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: the one ``except SupplychainError``; ``--debug`` shows tracebacks.

    typer runs in standalone mode, so usage errors exit 2 with click's message.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:
        args.remove("--debug")
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
        sys.stderr.write(
            f"internal error ({type(error).__name__}); rerun with --debug for the traceback\n"
        )
        sys.exit(70)
