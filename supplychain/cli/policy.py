"""``supplychain policy show|diff|validate``: read, compare and check policies without running an audit."""

from __future__ import annotations

import sys
from typing import Annotated

import tomli_w
import typer

from supplychain.cli import app
from supplychain.policy.loader import load_policy

policy_app = typer.Typer(
    help="Show, compare and validate policies (sl1..sl5 or a policy file).", no_args_is_help=True
)
app.add_typer(policy_app, name="policy")

Spec = Annotated[str, typer.Argument(help="A level (sl1..sl5) or a policy file.")]


def _flatten(prefix: str, value: object, out: dict[str, object]) -> None:
    if isinstance(value, dict):
        for key, item in sorted(value.items()):
            _flatten(f"{prefix}.{key}" if prefix else key, item, out)
    else:
        out[prefix] = value


@policy_app.command("show")
def show(spec: Spec) -> None:
    """Print the complete policy (after ``extends``) as TOML."""
    data = load_policy(spec).as_dict()
    sys.stdout.write(tomli_w.dumps({k: v for k, v in data.items() if k != "name"}))


@policy_app.command("diff")
def diff(a: Spec, b: Spec) -> None:
    """Every setting that differs between two policies, one ``key: A -> B`` per line."""
    left: dict[str, object] = {}
    right: dict[str, object] = {}
    _flatten("", {k: v for k, v in load_policy(a).as_dict().items() if k not in {"name", "level"}}, left)
    _flatten("", {k: v for k, v in load_policy(b).as_dict().items() if k not in {"name", "level"}}, right)
    lines = [
        f"{key}: {left.get(key, '(absent)')!r} -> {right.get(key, '(absent)')!r}"
        for key in sorted(set(left) | set(right))
        if left.get(key) != right.get(key)
    ]
    sys.stdout.write("\n".join(lines) + "\n" if lines else f"{a} and {b} are the same\n")


@policy_app.command("validate")
def validate(spec: Annotated[str, typer.Argument(help="A policy file.")]) -> None:
    """Check a policy file; every mistake is listed with file and line (exit 2)."""
    policy = load_policy(spec)
    sys.stdout.write(f"{spec}: valid (level {policy.level})\n")
