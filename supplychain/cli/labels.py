"""``--help`` labels an option's value with a word (``--index-url INDEX_URL``), never a Python type.

Recent typer prints each parameter's annotation in ``--help``: ``--quiet <bool>``, ``--format
<list[str]>``, ``path <path>``. A flag takes no value, and a type tells the user nothing about what
to pass. ``LabelledGroup``, the root command's class, relabels every command before typer renders it:
flags get no label, value options their own ``metavar`` or, failing that, their long name in capitals
(as argparse does), choices keep typer's ``<text|json>``; arguments are named by their own row.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption

# typer's Context class moved between versions (click's before 0.26, typer's own copy since), so the
# overrides below take the context as ``Any`` and only pass it back to typer.
Context = Any


class _UnlabelledArgument(TyperArgument):
    """An argument row shows the argument's name and help, without a type."""

    def display_type_rich(self, ctx: Context) -> str | None:
        return None


def _label(parameter: object) -> None:
    if isinstance(parameter, TyperArgument):
        parameter.__class__ = _UnlabelledArgument
    elif isinstance(parameter, TyperOption) and parameter.metavar is None:
        if parameter.is_flag or parameter.count:
            parameter.metavar = ""
        elif not parameter.type_descriptor.is_choice:
            long_names = [name for name in parameter.opts if name.startswith("--")] or parameter.opts
            parameter.metavar = long_names[0].lstrip("-").replace("-", "_").upper()


def label_command(command: Any, ctx: Context) -> None:
    """Relabel ``command``'s parameters (its help option included), and its subcommands' (idempotent)."""
    for parameter in command.get_params(ctx):
        _label(parameter)
    for subcommand in getattr(command, "commands", {}).values():
        label_command(subcommand, ctx)


class LabelledGroup(TyperGroup):
    """The root command group: labels its own options and each subcommand's before typer uses them."""

    def get_params(self, ctx: Context) -> Any:
        """The root's own parameters, relabelled before typer renders them in ``--help``."""
        parameters = super().get_params(ctx)
        for parameter in parameters:
            _label(parameter)
        return parameters

    def get_command(self, ctx: Context, cmd_name: str) -> Any:
        """The subcommand, relabelled with its own subcommands before typer renders its ``--help``."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            label_command(command, ctx)
        return command
