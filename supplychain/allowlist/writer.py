"""Writing the allowlist file as canonical sorted TOML, so reviews diff cleanly; reading is ``reader``."""

from __future__ import annotations

from datetime import date
from typing import Any

import tomli_w

from supplychain.allowlist.entries import FORMAT_VERSION, Allowlist, Approval, Baseline, Trust

HEADER = (
    "# Security team allowlist, written by `supplychain allowlist`; changes go through code review.\n"
    "# Entries are sorted; every entry expires within a year.\n\n"
)


def one_year_after(day: date) -> date:
    """The same calendar day next year (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def canonical(allowlist: Allowlist) -> Allowlist:
    """Entries in the order the writer keeps them: by name, then versions; imported approvals dropped."""
    return Allowlist(
        approvals=tuple(sorted(allowlist.approvals, key=lambda a: (a.name, a.versions))),
        trusts=tuple(sorted(allowlist.trusts, key=lambda t: (t.identity, t.packages, t.workflow or ""))),
        baselines=tuple(sorted(allowlist.baselines, key=lambda b: (b.name, b.versions))),
        imports=tuple(sorted(allowlist.imports, key=lambda i: i.path)),
        path=allowlist.path,
    )


# --- writing ----------------------------------------------------------------------------------


def dumps_allowlist(allowlist: Allowlist) -> str:
    """Canonical TOML: sorted entries, optional keys only when set, so diffs show just what changed."""
    ordered = canonical(allowlist)
    document: dict[str, Any] = {"version": FORMAT_VERSION}
    if ordered.approvals:
        document["approve"] = [_approval_table(a) for a in ordered.approvals]
    if ordered.trusts:
        document["trust"] = [_trust_table(t) for t in ordered.trusts]
    if ordered.baselines:
        document["baseline"] = [_baseline_table(b) for b in ordered.baselines]
    if ordered.imports:
        document["import"] = [
            _drop_empty({"path": i.path, "criteria": list(i.criteria)}) for i in ordered.imports
        ]
    return HEADER + tomli_w.dumps(document, multiline_strings=False)


def _drop_empty(table: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in table.items() if value is not None and value != []}


def _approval_table(a: Approval) -> dict[str, Any]:
    return _drop_empty(
        {
            "name": a.name,
            "versions": [str(v) for v in sorted(a.versions)],
            "hashes": list(a.hashes),
            "reviewer": a.reviewer,
            "reason": a.reason,
            "expires": a.expires,
            "approved": a.approved,
            "criteria": list(a.criteria),
            "waive": list(a.waive),
            "facts": list(a.facts),
            "publishers": list(a.publishers),
        }
    )


def _trust_table(t: Trust) -> dict[str, Any]:
    return _drop_empty(
        {
            "publisher": t.publisher,
            "organization": t.organization,
            "account": t.account,
            "workflow": t.workflow,
            "packages": list(t.packages),
            "reviewer": t.reviewer,
            "reason": t.reason,
            "expires": t.expires,  # no ``approved`` key: a [[trust]] entry has none
        }
    )


def _baseline_table(b: Baseline) -> dict[str, Any]:
    table = _drop_empty(
        {
            "name": b.name,
            "versions": [str(v) for v in sorted(b.versions)],
            "recorded": b.recorded,
            "expires": b.expires,
            "reason": b.reason,
        }
    )
    table["hashes"] = list(b.hashes)  # always present: the contract shows ``hashes = []`` for baselines
    return table
