"""``audit`` and ``allowlist check`` agree about every package: one table run through both paths.

Each case is an allowlist (and maybe another team's file it imports), recorded packages with the
organisation and provenance facts the audit's sources would give, and a day. The audit path is the
policy stage of the pipeline (``audit.decide`` at SL5, where ``not-allowlisted`` fails); the check
path is ``allowlist check``'s ``review.check``, learning the same facts. Both must give the expected
covered set and the same expired and unused entries. Cases named ``bug-…`` guard a fixed bug: where
the two old implementations disagreed (policy/allowlist.py for the audit, curation/coverage.py for
the check), and the two trusted-publisher cases both got wrong (any publisher matching was enough).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from supplychain.allowlist.reader import load_allowlist
from supplychain.allowlist.review import CheckReport, check
from supplychain.audit import decide, policy_settings
from supplychain.clock import FixedClock
from supplychain.config import AuditConfig
from supplychain.endpoints import Endpoints
from supplychain.model import Known, PackageFacts, PackageRef, Provenance, Publisher, ResolvedPackage, Unknown
from supplychain.policy.loader import load_policy
from supplychain.result import AuditResult
from supplychain.target import Target
from tests.policy.helpers import graph_of
from tests.policy.recorded import FETCHED, facts_for

TODAY = date(2026, 11, 26)
SIX_HASH = facts_for("six", "1.17.0")[0].origin.hashes[0]
ZERO_HASH = "sha256:" + "0" * 64
SIGSTORE = Publisher(kind="GitHub", repository="sigstore/sigstore-python", workflow="release.yml")
OTHER = Publisher(kind="GitHub", repository="attacker/sigstore-python", workflow="release.yml")


def approve(name: str, version: str, *, expires: str = "2027-06-01", extra: str = "") -> str:
    return (
        f'[[approve]]\nname = "{name}"\nversions = ["{version}"]\nreviewer = "a"\nreason = "r"\n'
        f"expires = {expires}\napproved = 2026-06-01\n{extra}"
    )


def baseline(name: str, version: str, *, expires: str = "2027-11-01") -> str:
    return (
        f'[[baseline]]\nname = "{name}"\nversions = ["{version}"]\nrecorded = 2026-11-01\n'
        f"expires = {expires}\n"
    )


def trust(who: str, packages: str, *, expires: str = "2027-03-01", workflow: str | None = None) -> str:
    key = "publisher" if ":" in who else "organization"
    flow = f'workflow = "{workflow}"\n' if workflow else ""
    return (
        f'[[trust]]\n{key} = "{who}"\n{flow}packages = ["{packages}"]\nreviewer = "b"\nreason = "r"\n'
        f"expires = {expires}\n"
    )


def imports(criteria: str = "") -> str:
    return f'[[import]]\npath = "theirs.toml"\ncriteria = [{criteria}]\n'


def provenance(*publishers: Publisher, attested: bool = True) -> Known[Provenance]:
    value = Provenance(attested=attested, publishers=publishers, files_checked=2, verified=attested)
    return Known(value=value, source="integrity", fetched_at=FETCHED)


@dataclass(frozen=True)
class Case:
    """``ours``/``theirs`` are lists of entry blocks; expected entries name (file, block index, what)."""

    ours: list[str]
    packages: list[tuple[str, str]]
    uncovered: set[str]
    theirs: list[str] = field(default_factory=list)
    facts: Mapping[str, Mapping[str, object]] = field(default_factory=dict)  # name -> PackageFacts fields
    hashes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # name -> the input's hashes
    expired: list[tuple[str, int, str]] = field(default_factory=list)
    unused: list[tuple[str, int, str]] = field(default_factory=list)
    by: Mapping[str, str] = field(default_factory=dict)  # name -> the check's "covered by" label
    today: date = TODAY


CASES: dict[str, Case] = {
    "approval-covers-its-exact-version": Case(
        ours=[approve("six", "1.17.0")],
        packages=[("six", "1.17.0")],
        uncovered=set(),
        by={"six": "approve six==1.17.0"},
    ),
    "approval-of-another-version-covers-nothing-and-is-unused": Case(
        ours=[approve("idna", "3.9")],
        packages=[("idna", "3.10")],
        uncovered={"idna"},
        unused=[("ours", 0, "approve idna")],
    ),
    "approval-with-a-matching-hash-covers": Case(
        ours=[approve("six", "1.17.0", extra=f'hashes = ["{SIX_HASH}"]\n')],
        packages=[("six", "1.17.0")],
        uncovered=set(),
    ),
    "approval-with-hashes-covers-an-input-without-hashes": Case(
        ours=[approve("six", "1.17.0", extra=f'hashes = ["{ZERO_HASH}"]\n')],
        packages=[("six", "1.17.0")],
        hashes={"six": ()},
        uncovered=set(),
    ),
    "bug-hash-mismatched-approval-is-uncovered-but-not-unused": Case(
        # the audit called it unused (it covered nothing); the check did not (it names the version)
        ours=[approve("six", "1.17.0", extra=f'hashes = ["{ZERO_HASH}"]\n')],
        packages=[("six", "1.17.0")],
        uncovered={"six"},
    ),
    "an-entry-applies-through-its-expiry-day": Case(
        ours=[approve("six", "1.17.0", expires="2026-11-26")],
        packages=[("six", "1.17.0")],
        uncovered=set(),
    ),
    "an-entry-stops-the-day-after-its-expiry": Case(
        ours=[approve("six", "1.17.0", expires="2026-11-25")],
        packages=[("six", "1.17.0")],
        uncovered={"six"},
        expired=[("ours", 0, "approve six")],
    ),
    "bug-an-expired-entry-naming-nothing-is-expired-not-also-unused": Case(
        # the check listed it under both; the audit under expired only
        ours=[approve("idna", "3.9", expires="2026-11-01")],
        packages=[("idna", "3.10")],
        uncovered={"idna"},
        expired=[("ours", 0, "approve idna")],
    ),
    "baseline-covers-and-expires": Case(
        ours=[baseline("requests", "2.25.1"), baseline("idna", "3.10", expires="2026-11-01")],
        packages=[("requests", "2.25.1"), ("idna", "3.10")],
        uncovered={"idna"},
        expired=[("ours", 1, "baseline idna")],
        by={"requests": "baseline requests==2.25.1"},
    ),
    "trust-by-organisation-ignores-case": Case(
        ours=[trust("ATTRS", "attrs")],
        packages=[("attrs", "25.3.0")],
        uncovered=set(),
        by={"attrs": "trust organization:ATTRS (attrs)"},
    ),
    "trust-by-organisation-never-covers-a-package-without-one": Case(
        ours=[trust("six", "six")],
        packages=[("six", "1.17.0")],  # PyPI says: no organisation (Known(None))
        uncovered={"six"},
    ),
    "bug-trust-whose-organisation-is-unknown-is-not-unused": Case(
        # the audit called the trust unused when the fact could not be learned; prune would drop it
        ours=[trust("attrs", "attrs")],
        packages=[("attrs", "25.3.0")],
        facts={"attrs": {"organization": Unknown(reason="PyPI unreachable", source="pypi")}},
        uncovered={"attrs"},
    ),
    "trust-naming-no-installed-package-is-unused": Case(
        ours=[trust("attrs", "attrs"), approve("six", "1.17.0")],
        packages=[("six", "1.17.0")],
        uncovered=set(),
        unused=[("ours", 0, "trust attrs")],
    ),
    "trust-by-publisher-needs-its-attestation": Case(
        ours=[trust("github:sigstore/sigstore-python", "sigstore")],
        packages=[("sigstore", "3.6.0")],
        facts={"sigstore": {"provenance": provenance(SIGSTORE)}},
        uncovered=set(),
        by={"sigstore": "trust github:sigstore/sigstore-python (sigstore)"},
    ),
    "trust-by-publisher-with-its-workflow": Case(
        ours=[trust("github:sigstore/sigstore-python", "sigstore", workflow="release.yml")],
        packages=[("sigstore", "3.6.0")],
        facts={"sigstore": {"provenance": provenance(SIGSTORE)}},
        uncovered=set(),
    ),
    "trust-by-publisher-with-another-workflow": Case(
        ours=[trust("github:sigstore/sigstore-python", "sigstore", workflow="other.yml")],
        packages=[("sigstore", "3.6.0")],
        facts={"sigstore": {"provenance": provenance(SIGSTORE)}},
        uncovered={"sigstore"},
    ),
    "trust-by-publisher-without-attestation": Case(
        ours=[trust("github:sigstore/sigstore-python", "sigstore")],
        packages=[("sigstore", "3.6.0")],  # recorded: the Integrity API answered 404
        uncovered={"sigstore"},
    ),
    "bug-partially-attested-release-is-not-trusted": Case(
        # the check read every file's bundles and trusted any match; an unattested file rode along
        ours=[trust("github:sigstore/sigstore-python", "sigstore")],
        packages=[("sigstore", "3.6.0")],
        facts={"sigstore": {"provenance": provenance(SIGSTORE, attested=False)}},
        uncovered={"sigstore"},
    ),
    "bug-a-release-also-attested-by-another-publisher-is-not-trusted": Case(
        # both old implementations trusted a release when any one of its publishers matched
        ours=[trust("github:sigstore/sigstore-python", "sigstore")],
        packages=[("sigstore", "3.6.0")],
        facts={"sigstore": {"provenance": provenance(SIGSTORE, OTHER)}},
        uncovered={"sigstore"},
    ),
    "bug-a-release-also-published-by-another-workflow-is-not-trusted": Case(
        ours=[trust("github:sigstore/sigstore-python", "sigstore", workflow="release.yml")],
        packages=[("sigstore", "3.6.0")],
        facts={"sigstore": {"provenance": provenance(SIGSTORE, replace(SIGSTORE, workflow="nightly.yml"))}},
        uncovered={"sigstore"},
    ),
    "expired-trust-is-expired": Case(
        ours=[trust("attrs", "attrs", expires="2026-11-01")],
        packages=[("attrs", "25.3.0")],
        uncovered={"attrs"},
        expired=[("ours", 0, "trust attrs")],
    ),
    "imported-approval-with-the-criteria-covers": Case(
        ours=[imports('"safe-to-run"')],
        theirs=[approve("six", "1.17.0", extra='criteria = ["safe-to-run"]\n')],
        packages=[("six", "1.17.0")],
        uncovered=set(),
        by={"six": "approve six==1.17.0 (imported)"},
    ),
    "imported-approval-without-the-criteria-does-not": Case(
        ours=[imports('"safe-to-run"')],
        theirs=[approve("six", "1.17.0")],
        packages=[("six", "1.17.0")],
        uncovered={"six"},
    ),
    "bug-imported-entries-are-not-ours-to-report-expired-or-unused": Case(
        # the audit listed the other team's entries as ours (our file's name, their line numbers)
        ours=[imports()],
        theirs=[approve("six", "1.17.0", expires="2026-11-01"), approve("idna", "3.9")],
        packages=[("six", "1.17.0"), ("idna", "3.10")],
        uncovered={"six", "idna"},
    ),
    "bug-precedence-own-pins-then-imported-then-trusts": Case(
        # the audit tried approvals, imported approvals, trusts, then baselines; the check pins first
        ours=[baseline("attrs", "25.3.0"), trust("attrs", "attrs"), imports(), approve("six", "1.17.0")],
        theirs=[approve("attrs", "25.3.0"), approve("six", "1.17.0")],
        packages=[("attrs", "25.3.0"), ("six", "1.17.0")],
        uncovered=set(),
        by={"attrs": "baseline attrs==25.3.0", "six": "approve six==1.17.0"},
    ),
}


def _write(directory: Path, name: str, blocks: list[str]) -> tuple[Path, list[int]]:
    """The file, and the line each block's ``[[table]]`` header lands on."""
    text, lines = "version = 1\n", []
    for block in blocks:
        lines.append(text.count("\n") + 1)
        text += block
    path = directory / name
    path.write_text(text)
    return path, lines


def _environment(case: Case) -> tuple[list[ResolvedPackage], dict[PackageRef, PackageFacts]]:
    packages, facts = [], {}
    for name, version in case.packages:
        package, recorded = facts_for(name, version)
        if name in case.hashes:
            package = replace(package, origin=replace(package.origin, hashes=case.hashes[name]))
        packages.append(package)
        facts[package.ref] = replace(recorded, **case.facts.get(name, {}))  # type: ignore[arg-type]
    return packages, facts


def _audit(
    tmp_path: Path,
    allowlist: Path,
    packages: list[ResolvedPackage],
    facts: Mapping[PackageRef, PackageFacts],
    day: date,
) -> AuditResult:
    config = AuditConfig(
        input_path=None,
        target=Target.parse("3.12", "x86_64-manylinux_2_28"),
        endpoints=Endpoints.load({}, {}),
        cache_dir=None,
        data_dir=tmp_path,
        policy="sl5",
    )
    return decide(
        settings=policy_settings(config),
        clock=FixedClock(datetime.combine(day, time(12), tzinfo=UTC)),
        policy=load_policy("sl5"),
        graph=graph_of(packages),
        facts=facts,
        locked=True,
        inputs=("uv.lock",),
        allowlist=load_allowlist(allowlist, day),
    )


def _check(
    allowlist: Path, packages: list[ResolvedPackage], facts: Mapping[PackageRef, PackageFacts], day: date
) -> tuple[CheckReport, list[str]]:
    asked: list[str] = []

    async def learn(wanted: Sequence[ResolvedPackage]) -> Mapping[PackageRef, PackageFacts]:
        asked.extend(p.ref.name for p in wanted)
        return {p.ref: facts[p.ref] for p in wanted}

    return asyncio.run(check(packages, load_allowlist(allowlist, day), day, learn)), asked


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_audit_and_allowlist_check_agree(tmp_path: Path, case: Case) -> None:
    ours, our_lines = _write(tmp_path, "allowlist.toml", case.ours)
    theirs, their_lines = _write(tmp_path, "theirs.toml", case.theirs)
    packages, facts = _environment(case)

    def named(expected: list[tuple[str, int, str]]) -> list[str]:
        files = {"ours": (ours, our_lines), "theirs": (theirs, their_lines)}
        return sorted(f"{files[f][0]}:{files[f][1][i]} ({what})" for f, i, what in expected)

    audited = _audit(tmp_path, ours, packages, facts, case.today)
    report, asked = _check(ours, packages, facts, case.today)

    audit_uncovered = {f.package.name for f in audited.findings if f.rule == "not-allowlisted" and f.package}
    check_uncovered = {c.ref.name for c in report.uncovered}
    assert audit_uncovered == check_uncovered == case.uncovered
    assert list(audited.expired_entries) == sorted(h.located for h in report.coverage.expired)
    assert list(audited.unused_entries) == sorted(h.located for h in report.coverage.unused)
    assert list(audited.expired_entries) == named(case.expired)
    assert list(audited.unused_entries) == named(case.unused)
    by = {c.ref.name: c.by.label for c in report.covered if c.by is not None}
    assert {name: by[name] for name in case.by} == case.by
    assert set(asked) <= check_uncovered | {n for n in by if by[n].startswith("trust ")}


def test_check_learns_facts_only_for_packages_a_trust_names_and_no_pin_covers(tmp_path: Path) -> None:
    ours, _ = _write(
        tmp_path, "allowlist.toml", [approve("six", "1.17.0"), trust("attrs", "attrs"), trust("six", "six")]
    )
    packages, facts = _environment(
        Case(ours=[], packages=[("six", "1.17.0"), ("attrs", "25.3.0"), ("idna", "3.10")], uncovered=set())
    )
    report, asked = _check(ours, packages, facts, TODAY)
    assert asked == ["attrs"]  # six: its approval covers it; idna: no trust names it
    assert {c.ref.name for c in report.uncovered} == {"idna"}


def test_bug_an_imported_approval_is_named_by_its_own_file(tmp_path: Path) -> None:
    """The audit named another team's approval with our file's path and their line number."""
    ours, _ = _write(tmp_path, "allowlist.toml", [imports()])
    theirs, lines = _write(
        tmp_path, "theirs.toml", [approve("six", "1.17.0", extra='waive = ["indie-maintained"]\n')]
    )
    packages, facts = _environment(Case(ours=[], packages=[("six", "1.17.0")], uncovered=set()))
    audited = _audit(tmp_path, ours, packages, facts, TODAY)
    indie = next(f for f in audited.findings if f.rule == "indie-maintained")
    assert indie.suppressed_by == f"{theirs}:{lines[0]} (approve six)"
