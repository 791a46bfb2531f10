"""``supplychain fix``: print the plan that makes the environment pass, and with ``--apply`` carry it out.

A requirements file's pins are rewritten in place (atomically); a lock file is never edited by
hand: the command of the tool that wrote it is printed instead.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from supplychain.cli import app
from supplychain.cli.audit import clock_factory, progress_factory
from supplychain.cli.common import (
    AllowlistOption,
    ExemptionsOption,
    PathArg,
    PolicyOption,
    TargetFlags,
    run_with_http,
    target_options,
)
from supplychain.errors import UsageError
from supplychain.fix import FixPlan, PackageFix

# lock kind -> the command that moves one package to a version (None: the tool takes no version)
LOCK_COMMANDS = {
    "uv-lock": "uv lock --upgrade-package {name}=={version}",
    "poetry-lock": "poetry update {name}  # then check the lock has {name} {version}",
    "pdm-lock": "pdm update {name}  # then check the lock has {name} {version}",
    "pipfile-lock": "pipenv upgrade {name}=={version}",
    "pylock": "uv lock --upgrade-package {name}=={version} && uv export --format pylock.toml -o {path}",
    "conda-lock": "conda-lock lock --lockfile {path} --update {name}  # then check it has {name} {version}",
}


@app.command()
@target_options()
def fix(
    *,
    path: PathArg = None,
    policy: PolicyOption = None,
    allowlist: AllowlistOption = None,
    exemptions: ExemptionsOption = None,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Rewrite a requirements file's pins; for a lock, print the commands that update it.",
        ),
    ] = False,
    flags: TargetFlags,
) -> None:
    """Propose, for each failing package, the newest version that passes, resolved with the rest.

    Exit 0 when every failing package has a fix that resolves, 1 when some findings remain.
    """
    from supplychain.audit import load_lists
    from supplychain.fix import plan_fixes

    config = flags.config(path, policy=policy, allowlist=allowlist, exemptions=exemptions)
    clock = clock_factory()
    lists = load_lists(config, clock)
    with progress_factory(True) as progress:
        plan = run_with_http(config, lambda http: plan_fixes(config, clock, http, progress, lists=lists))
    sys.stdout.write(plan_text(plan))
    if apply and plan.proposals:
        sys.stdout.write(apply_plan(plan))
    remains = any(f.remains for f in plan.fixes) or plan.resolved is False
    raise typer.Exit(1 if remains else 0)


def plan_text(plan: FixPlan) -> str:
    """The plan as the terminal shows it: per package from, to, what it clears, what remains and why."""
    lines = [f"fix plan for {plan.input_path} (policy {plan.policy}):"]
    if not plan.fixes:
        lines.append("  nothing fails: no change needed")
    for fix in plan.fixes:
        target = f"-> {fix.proposed}" if fix.proposed is not None else "(no passing version)"
        if fix.conflicting is not None:
            target = f"(withdrawn: {fix.conflicting} passes but conflicts with another pin)"
        lines.append(f"  {fix.name} {fix.current} {target}")
        lines += [f"      clears   {_finding(f)}" for f in fix.clears]
        lines += [f"      remains  {_finding(f)}: {why}" for f, why in fix.remains]
    if plan.resolved is True:
        lines.append(
            "resolution: the environment resolves with these versions, every other package at its pin"
        )
        if plan.added:
            lines.append(f"  and brings in {', '.join(plan.added)}")
    elif plan.resolved is False:
        lines.append(f"resolution failed: {plan.resolution}")
    return "\n".join(lines) + "\n"


def _finding(finding: object) -> str:
    if not isinstance(finding, dict):
        return str(finding)
    return f"{finding.get('rule')}: {finding.get('message')}"


def apply_plan(plan: FixPlan) -> str:
    """Rewrite a requirements file's pins, or return the lock tool's commands (a lock is never edited)."""
    if plan.input_kind in LOCK_COMMANDS:
        template = LOCK_COMMANDS[plan.input_kind]
        commands = [
            template.format(name=n, version=v, path=plan.input_path) for n, v in plan.proposals.items()
        ]
        return "run, to update the lock with the tool that wrote it:\n" + "".join(
            f"  {c}\n" for c in commands
        )
    if plan.input_kind != "requirements":
        wanted = ", ".join(f"{n}>={v}" for n, v in plan.proposals.items())
        return f"{plan.input_kind} input: change the requirements to {wanted} by hand\n"
    lines = []
    for fix in plan.fixes:
        if fix.proposed is not None:
            lines.append(_rewrite(fix))
    return "".join(lines)


def _rewrite(fix: PackageFix) -> str:
    """Change ``name==current`` to ``name==proposed`` on the line that declares it."""
    from supplychain.files import write_atomic

    where = fix.declared_at
    if where is None or where.line is None:
        return f"{fix.name}: not declared in the file (a dependency): add {fix.name}>={fix.proposed}\n"
    file = Path(where.file)
    text = file.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    line = lines[where.line - 1]
    if "--hash" in line or line.rstrip().endswith("\\"):
        return f"{where}: {fix.name} has hashes: regenerate the file (pip-compile --generate-hashes)\n"
    name = r"[-_.]+".join(re.escape(part) for part in re.split(r"[-_.]+", fix.name))
    pattern = re.compile(
        rf"^(\s*{name}\s*(\[[^\]]*\])?\s*)===?\s*{re.escape(str(fix.current))}(?=[\s;#]|$)", re.I
    )
    rewritten, count = pattern.subn(rf"\g<1>=={fix.proposed}", line)
    if count != 1:
        raise UsageError(f"{where}: cannot find the pin {fix.name}=={fix.current} to rewrite")
    lines[where.line - 1] = rewritten
    write_atomic(file, "".join(lines))
    return f"{where}: {fix.name}=={fix.current} -> {fix.name}=={fix.proposed}\n"
