"""Where a baseline comes from: a saved JSON report, or a git ref's version of the input file (``git show``).

Git runs as a subprocess with a list argv (never a shell) and only reads: no checkout, no hooks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from supplychain.errors import InputError, UsageError
from supplychain.files import read_capped
from supplychain.model import JSON, Location

MAX_REPORT_BYTES = 256 * 1024 * 1024  # a 2,000-package report with every fact is ~30 MB
GIT_TIMEOUT_SECONDS = 60
# Files an input is read together with (a lock's project file): fetched from the ref when present.
COMPANIONS = ("pyproject.toml", "Pipfile")


def load_report(path: Path) -> dict[str, JSON]:
    """A saved ``audit --format json`` report; anything else is a clear input error (exit 2)."""
    where = Location(file=str(path))
    try:
        data = read_capped(path, MAX_REPORT_BYTES)
    except OSError as problem:
        raise InputError(f"cannot read the report: {problem.strerror or problem}", location=where) from None
    if data is None:
        raise InputError(f"report is larger than {MAX_REPORT_BYTES} bytes", location=where)
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as problem:
        line = problem.lineno if isinstance(problem, json.JSONDecodeError) else None
        raise InputError(f"not valid JSON: {problem}", location=Location(file=str(path), line=line)) from None
    if not isinstance(document, dict) or document.get("schema") != "audit-1":
        raise InputError(
            "not a supplychain JSON report (schema audit-1)",
            location=where,
            hint="write one with `supplychain audit PATH --format json --output DIR`",
        )
    return document


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    git = shutil.which("git")
    if git is None:
        raise UsageError("--baseline names a git ref, but git is not installed")
    try:
        return subprocess.run(  # noqa: S603 - a fixed program and a list argv, no shell
            [git, *args], cwd=cwd, capture_output=True, check=False, timeout=GIT_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.TimeoutExpired) as problem:
        raise UsageError(f"git {args[0]} failed: {problem}") from None


def git_show(ref: str, path: Path) -> tuple[bytes | None, str]:
    """The bytes of ``path`` as committed at ``ref`` (None: not in that commit), and where it was read."""
    if not ref or ref.startswith("-") or any(c in ref for c in "\0\n:"):
        raise UsageError(f"--baseline {ref!r}: not an existing report file nor a git ref")
    directory = path.resolve().parent
    top = _git(["rev-parse", "--show-toplevel"], directory)
    if top.returncode != 0:
        raise UsageError(
            f"--baseline {ref!r}: not an existing report file, and {path} is not in a git repository"
        )
    root = Path(top.stdout.decode(errors="replace").strip())
    relative = path.resolve().relative_to(root.resolve()).as_posix()
    commit = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], root)
    if commit.returncode != 0:
        raise UsageError(f"--baseline {ref!r}: not an existing report file nor a commit of {root}")
    if _git(["cat-file", "-e", f"{ref}:{relative}"], root).returncode != 0:
        return None, f"git {ref}:{relative} (absent)"
    shown = _git(["show", f"{ref}:{relative}"], root)
    if shown.returncode != 0:
        lines = shown.stderr.decode(errors="replace").strip().splitlines()
        reason = lines[0] if lines else "git show failed"
        raise UsageError(f"--baseline {ref!r}: cannot read {relative} at that ref ({reason})")
    return shown.stdout, f"git {ref}:{relative}"


def baseline_input(ref: str, path: Path, into: Path) -> tuple[Path | None, str]:
    """Write ``path`` as it was at ``ref`` (and its project file, if committed) into ``into``.

    Returns the copy to audit (None: the file did not exist at ``ref``) and where it was read from.
    """
    if not path.is_file():
        raise UsageError(f"--baseline {ref!r} needs an input file to compare, got {path}")
    data, label = git_show(ref, path)
    if data is None:
        return None, label
    copy = into / path.name
    copy.write_bytes(data)
    for name in COMPANIONS:
        sibling = path.parent / name
        if name != path.name and sibling.is_file():
            companion = git_show(ref, sibling)[0]
            if companion is not None:  # not committed at that ref: the input is read without it
                (into / name).write_bytes(companion)
    return copy, label


__all__ = ["baseline_input", "git_show", "load_report"]
