"""``--help`` labels an option's value with a word (``--index-url INDEX_URL``), never a Python type.

typer prints a parameter's type in ``--help``: ``--policy <text>``, ``path <path>``. A type tells the
user nothing about what to pass. ``LabelledGroup``, the root command's class, relabels every command
before typer renders it: flags get no label, value options their own ``metavar`` or, failing that,
their long name in capitals (as argparse does), choices keep typer's ``<text|json>``; arguments are
named by their own row. Written for the typer versions ``pyproject.toml`` allows (0.26 to 0.28).
"""

from __future__ import annotations

import copy
from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption

# typer's Context class moved between versions (click's before 0.26, typer's own copy since), so the
# overrides below take the context as ``Any`` and only pass it back to typer.
Context = Any

_UNLABELLED: dict[type, type] = {}


def _no_metavar(_self: object, param: object, ctx: Context) -> str:
    return ""  # typer prints ``<name>`` for None; an empty label prints nothing


def _unlabelled(kind: type) -> type:
    """``kind`` (a click parameter type) whose value has no label in ``--help`` or the usage line."""
    if kind not in _UNLABELLED:
        _UNLABELLED[kind] = type(f"Unlabelled{kind.__name__}", (kind,), {"get_metavar": _no_metavar})
    return _UNLABELLED[kind]


def _is_choice(option: TyperOption) -> bool:
    descriptor = getattr(option, "type_descriptor", None)  # typer 0.29 (outside the pin, still read)
    if descriptor is not None:
        return bool(descriptor.is_choice)
    return getattr(getattr(option, "type", None), "choices", None) is not None


class _UnlabelledArgument(TyperArgument):
    """typer 0.29 asks the argument itself for its type column."""

    def display_type_rich(self, ctx: Context) -> str | None:
        return None


def _label(parameter: object) -> None:
    if isinstance(parameter, TyperArgument):
        parameter.__class__ = _UnlabelledArgument
        value_type = getattr(parameter, "type", None)  # 0.26-0.28 print its metavar as the column
        if value_type is not None and type(value_type) not in _UNLABELLED.values():
            # A copy: typer shares one instance of a simple type (``str``) among parameters.
            quiet = copy.copy(value_type)
            quiet.__class__ = _unlabelled(type(value_type))
            setattr(parameter, "type", quiet)  # noqa: B010 (the attribute is not typed in 0.29)
    elif isinstance(parameter, TyperOption) and parameter.metavar is None:
        if parameter.is_flag or parameter.count:
            parameter.metavar = ""
        elif not _is_choice(parameter):  # a choice keeps ``<text|json>``
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
