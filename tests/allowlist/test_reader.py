"""The allowlist and exemptions read side: coverage, expiry, unused entries, aliases, exact errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from supplychain.allowlist.coverage import coverage
from supplychain.allowlist.exemptions import exemption_for
from supplychain.allowlist.reader import load_allowlist, load_exemptions, read_allowlist
from supplychain.errors import PolicyError
from supplychain.model import FACT_NAMES, Known, PackageRef
from supplychain.policy import RULES
from tests.policy.recorded import FETCHED, facts_for, requests_advisories

TODAY = dt.date(2026, 11, 26)
SIX_HASHES = facts_for("six", "1.17.0")[0].origin.hashes

ALLOWLIST = f"""\
# hand-made allowlist (the CONTRACTS.md format) over recorded packages
version = 1

[[approve]]
name = "Six"
versions = ["1.17.0"]
hashes = ["{SIX_HASHES[0]}"]
reviewer = "alice"
reason = "reviewed the single-file module"
expires = 2027-06-01
approved = 2026-06-01
waive = ["indie-maintained"]

[[approve]]
name = "idna"
versions = ["3.9"]
reviewer = "alice"
reason = "older review"
expires = 2027-06-01

[[trust]]
organization = "attrs"
packages = ["attrs"]
reviewer = "bob"
reason = "the attrs organisation"
expires = 2027-03-01

[[baseline]]
name = "requests"
versions = ["2.25.1"]
hashes = []
recorded = 2025-11-01
expires = 2026-11-01
reason = "baseline at adoption"
"""


def test_coverage_expiry_unused_and_waivers(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text(ALLOWLIST)
    allowlist = load_allowlist(path, TODAY)
    pairs = [
        facts_for("six", "1.17.0"),
        facts_for("idna", "3.10"),
        facts_for("attrs", "25.3.0"),
        facts_for("requests", "2.25.1"),
    ]
    result = coverage(allowlist, [p for p, _ in pairs], {p.ref: f for p, f in pairs}, TODAY)
    covered = {ref.name: held.located for ref, held in result.covered.items()}
    assert covered == {"six": f"{path}:4 (approve six)", "attrs": f"{path}:21 (trust attrs)"}
    held, waived = next(w for ref, w in result.waivers.items() if ref.name == "six")
    assert (held.located, waived) == (f"{path}:4 (approve six)", ("indie-maintained",))
    assert [h.located for h in result.expired] == [f"{path}:28 (baseline requests)"]  # expired 2026-11-01
    assert [h.located for h in result.unused] == [f"{path}:14 (approve idna)"]  # 3.10 installed, 3.9 approved


def test_a_hash_mismatch_is_not_covered(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text(ALLOWLIST.replace(SIX_HASHES[0], "sha256:" + "0" * 64))
    package, facts = facts_for("six", "1.17.0")
    result = coverage(load_allowlist(path, TODAY), [package], {package.ref: facts}, TODAY)
    assert package.ref not in result.covered


def test_malformed_allowlist_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text(
        'version = 1\n\n[[approve]]\nname = "six"\nversions = ["one"]\nreviewer = "a"\n'
        'expires = "2027-01-01"\nwaive = ["malicious"]\n\n[[trust]]\npackages = ["x"]\n'
        'reviewer = "b"\nreason = "r"\nexpires = 2027-01-01\nteam = "x"\n'
    )
    with pytest.raises(PolicyError) as caught:
        load_allowlist(path, TODAY)
    assert caught.value.diagnostics().splitlines() == [
        f"{path}:3: approve[0].expires: must be a TOML date such as 2027-06-01, not '2027-01-01'",
        f"{path}:3: approve[0].reason: missing",
        f"{path}:3: approve[0].versions: 'one' is not a valid version",
        f"{path}:3: approve[0].waive: 'malicious' can never be waived",
        f"{path}:10: trust[0].publisher: give exactly one of publisher, organization or account",
        f"{path}:10: trust[0].team: unknown key (known: account, expires, organization, packages, publisher, "
        "reason, "
        "reviewer, workflow)",
    ]


def test_approval_longer_than_a_year_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text(
        'version = 1\n[[approve]]\nname = "six"\nversions = ["1.17.0"]\nreviewer = "a"\n'
        'reason = "r"\nexpires = 2028-06-01\napproved = 2026-06-01\n'
    )
    with pytest.raises(PolicyError) as caught:
        load_allowlist(path, TODAY)
    assert (
        caught.value.diagnostics()
        == f"{path}:2: approve[0].expires: 2028-06-01 is more than one year after 2026-06-01"
    )


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        # The bypass: a future approval date, and an expiry within a year of it but years from today.
        ("approved = 2030-07-01\nexpires = 2031-06-01", "approve[0].approved: 2030-07-01 is in the future"),
        ("approved = 2026-11-28\nexpires = 2027-06-01", "approve[0].approved: 2026-11-28 is in the future"),
        ("approved = 2026-10-01\nexpires = 2026-09-01", "approve[0].approved: 2026-10-01 is after expires"),
    ],
    ids=["future-approved", "approved-two-days-ahead", "approved-after-expires"],
)
def test_allowlist_future_or_inverted_dates_are_refused(tmp_path: Path, entry: str, expected: str) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text(
        'version = 1\n[[approve]]\nname = "six"\nversions = ["1.17.0"]\nreviewer = "a"\nreason = "r"\n'
        f"{entry}\n"
    )
    with pytest.raises(PolicyError) as caught:
        load_allowlist(path, TODAY)
    assert caught.value.exit_code == 2
    assert caught.value.diagnostics().startswith(f"{path}:2: {expected}")


def test_allowlist_future_baseline_recorded_date_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text(
        'version = 1\n[[baseline]]\nname = "x"\nversions = ["1"]\n'
        "recorded = 2030-07-01\nexpires = 2031-06-01\n"
    )
    with pytest.raises(PolicyError) as caught:
        read_allowlist(path, TODAY)
    assert caught.value.diagnostics() == (
        f"{path}:2: baseline[0].recorded: 2030-07-01 is in the future (today is 2026-11-26)"
    )


def test_allowlist_approval_dated_tomorrow_is_accepted(tmp_path: Path) -> None:
    """East of UTC a reviewer's date is already tomorrow's UTC date: that is not a future date."""
    path = tmp_path / "allowlist.toml"
    path.write_text(
        'version = 1\n[[approve]]\nname = "six"\nversions = ["1.17.0"]\nreviewer = "a"\nreason = "r"\n'
        "approved = 2026-11-27\nexpires = 2027-11-27\n"
    )
    (approval,) = load_allowlist(path, TODAY).approvals
    assert approval.approved == dt.date(2026, 11, 27)


def test_exemption_by_advisory_alias(tmp_path: Path) -> None:
    path = tmp_path / "exemptions.toml"
    path.write_text(
        'version = 1\n[[exempt]]\nname = "Requests"\nadvisory = "CVE-2023-32681"\n'
        'reason = "we never follow redirects"\nexpires = 2027-01-01\n'
    )
    exemptions = load_exemptions(path, TODAY, frozenset(RULES))
    ref = PackageRef.of("requests", "2.25.1")
    by_id = {a.id: a for a in requests_advisories()}
    assert exemption_for(exemptions, ref, "vulnerability", by_id["PYSEC-2023-74"], TODAY) is not None
    assert exemption_for(exemptions, ref, "vulnerability", by_id["PYSEC-2026-1872"], TODAY) is None
    assert (
        exemption_for(exemptions, ref, "vulnerability", by_id["PYSEC-2023-74"], dt.date(2027, 1, 2)) is None
    )


def test_malformed_exemptions(tmp_path: Path) -> None:
    path = tmp_path / "exemptions.toml"
    path.write_text(
        'version = 2\n[[exempt]]\nname = "x"\nrule = "malicious"\nreason = "r"\nexpires = 2027-01-01\n'
        '[[exempt]]\nname = "y"\nrule = "vulnerability"\nadvisory = "GHSA-x"\nreason = "r"\n'
        "expires = 2027-01-01\n"
    )
    with pytest.raises(PolicyError) as caught:
        load_exemptions(path, TODAY, frozenset(RULES))
    assert caught.value.diagnostics().splitlines() == [
        f"{path}:1: version must be 1, not 2",
        f"{path}:2: exempt[0].rule: 'malicious' can never be exempted",
        f"{path}:7: exempt[1].rule: give exactly one of rule (or rules, or facts) or advisory",
    ]


def test_malformed_exemptions_of_unknown_facts(tmp_path: Path) -> None:
    path = tmp_path / "exemptions.toml"
    path.write_text(
        'version = 1\n[[exempt]]\nname = "x"\nrules = ["data-unknown", "malicious"]\nreason = "r"\n'
        'expires = 2027-01-01\n[[exempt]]\nname = "y"\nfacts = ["maintainer"]\nreason = "r"\n'
        'expires = 2027-01-01\n[[exempt]]\nname = "z"\nrule = "yanked"\nrules = ["unpinned"]\n'
        'reason = "r"\nexpires = 2027-01-01\n'
    )
    with pytest.raises(PolicyError) as caught:
        load_exemptions(path, TODAY, frozenset(RULES))
    known = ", ".join(sorted(FACT_NAMES))
    assert caught.value.diagnostics().splitlines() == [
        f"{path}:2: exempt[0].rules: 'malicious' can never be exempted",
        f"{path}:7: exempt[1].facts: unknown fact 'maintainer' (known: {known})",
        f"{path}:12: exempt[2].rules: give rule or rules, not both",
    ]


def test_trust_by_publisher_needs_matching_attestation(tmp_path: Path) -> None:
    from supplychain.model import Provenance, Publisher

    path = tmp_path / "allowlist.toml"
    path.write_text(
        'version = 1\n[[trust]]\npublisher = "github:sigstore/sigstore-python"\npackages = ["sigstore"]\n'
        'reviewer = "b"\nreason = "r"\nexpires = 2027-03-01\n'
    )
    allowlist = load_allowlist(path, TODAY)
    package, facts = facts_for("sigstore", "3.6.0")
    assert package.ref not in coverage(allowlist, [package], {package.ref: facts}, TODAY).covered
    publisher = Publisher(kind="GitHub", repository="sigstore/sigstore-python", workflow="release.yml")
    claimed = Provenance(attested=True, publishers=(publisher,), problems=("signature does not verify",))
    unverified = replace(facts, provenance=Known(value=claimed, source="integrity", fetched_at=FETCHED))
    assert package.ref not in coverage(allowlist, [package], {package.ref: unverified}, TODAY).covered
    verified = replace(claimed, verified=True, problems=())
    attested = replace(facts, provenance=Known(value=verified, source="integrity", fetched_at=FETCHED))
    assert package.ref in coverage(allowlist, [package], {package.ref: attested}, TODAY).covered


# --- one reader: every rejection once, with file:line, whichever side reads the file -----------------

ENTRY = 'reviewer = "a"\nreason = "r"\nexpires = 2027-06-01\n'
REJECTIONS = [
    # (hand-made file text, the one diagnostic expected after "{path}:")
    (
        'version = 1\n[[approve]]\nname = "six"\nversions = []\n' + ENTRY,
        "2: approve[0].versions: must list at least one",
    ),
    (
        'version = 1\n[[approve]]\nname = "six"\nreviewer = "a"\nreason = "r"\nexpires = 2027-06-01\n',
        "2: approve[0].versions: missing",
    ),
    (
        'version = 1\n[[approve]]\nname = "six"\nversions = ["1.0"]\nhashes = ["sha256:XY"]\n' + ENTRY,
        "2: approve[0].hashes: 'sha256:XY' is not 'algorithm:hex'",
    ),
    (
        'version = 1\n[[trust]]\npublisher = "pytorch"\npackages = ["torch"]\n' + ENTRY,
        "2: trust[0].publisher: 'pytorch' is not a PEP 740 identity kind:repository",
    ),
    (
        'version = 1\n[[trust]]\norganization = "o"\npackages = []\n' + ENTRY,
        "2: trust[0].packages: must list at least one",
    ),
    (
        'version = 1\n[[trust]]\norganization = "o"\npackages = ["x"]\napproved = 2026-11-01\n' + ENTRY,
        "2: trust[0].approved: unknown key (known: account, expires, organization, packages, publisher, "
        "reason, "
        "reviewer, workflow)",
    ),
    (
        'version = 1\n[[trust]]\norganization = "o"\npackages = ["x"]\n'
        + ENTRY.replace("2027-06-01", "2028-01-01"),
        "2: trust[0].expires: 2028-01-01 is more than one year after 2026-11-26",
    ),
    (
        'version = 1\n[[baseline]]\nname = "x"\nversions = ["1"]\n'
        "recorded = 2026-01-01\nexpires = 2027-02-01\n",
        "2: baseline[0].expires: 2027-02-01 is more than one year after 2026-01-01",
    ),
    ("version = 1\n\n[[import]]\ncriteria = []\n", "3: import[0].path: missing"),
    ('# comment\nversion = "1"\n', "2: version must be 1, not '1'"),
    ("version = true\n", "1: version must be 1, not True"),
    (
        'version = 1\n[[approve]]\nname = "six"\nversions = ["1.0"]\nreviewer = "a"\nexpires = 2027-06-01\n'
        'reason = """a\u2028b\u2029c\n"""\n[[approve]]\nname = 1\nversions = ["1.0"]\n' + ENTRY,
        "9: approve[1].name: must be a non-empty string",  # U+2028/9 end no line in TOML
    ),
    ('[[approve]]\nname = "six"\nversions = ["1.0"]\n' + ENTRY, "1: version must be 1, not None"),
    ("version = 1\nteam = 'x'\n", "2: unknown key 'team' (known: approve, baseline, import, trust, version)"),
    ("version = 1\napprove = 3\n", "2: approve must be an array of tables ([[approve]])"),
    ('version = 1\n[[approve]]\nname = "six"\n\nbroken = \n', "5: not valid TOML: Invalid value"),
]


@pytest.mark.parametrize(
    ("text", "expected"), REJECTIONS, ids=[e.split(": ", 1)[1][:40] for _, e in REJECTIONS]
)
def test_each_rejection_reported_once_with_its_line_by_audit_and_curation(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text(text)
    seen = []
    for read in (load_allowlist, read_allowlist):
        with pytest.raises(PolicyError) as caught:
            read(path, TODAY)
        seen.append(caught.value.diagnostics())
    assert seen == [f"{path}:{expected}"] * 2


def test_a_baseline_without_reason_gets_the_adoption_reason(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text(
        'version = 1\n[[baseline]]\nname = "X"\nversions = ["1.0"]\n'
        "recorded = 2026-11-01\nexpires = 2027-11-01\n"
    )
    (entry,) = load_allowlist(path, TODAY).baselines
    assert (entry.name, entry.reason, entry.line) == ("x", "baseline at adoption", 2)


def test_approval_records_publishers_for_publisher_changed(tmp_path: Path) -> None:
    from supplychain.allowlist.coverage import approved_publishers
    from supplychain.allowlist.writer import dumps_allowlist

    path = tmp_path / "allowlist.toml"
    path.write_text(
        'version = 1\n[[approve]]\nname = "six"\nversions = ["1.16.0"]\nreviewer = "a"\nreason = "r"\n'
        'expires = 2027-06-01\npublishers = ["github:benjaminp/six@publish.yml#pypi"]\n'
        '[[approve]]\nname = "six"\nversions = ["1.17.0"]\nreviewer = "a"\nreason = "r"\n'
        'expires = 2027-06-01\npublishers = ["github:benjaminp/six@release.yml"]\n'
    )
    allowlist = load_allowlist(path, TODAY)
    # the newest approved version's publishers are what a later version is compared with
    assert approved_publishers(allowlist) == {
        "six": (f"{path}:9 (approve six)", ("github:benjaminp/six@release.yml",))
    }
    assert 'publishers = [\n    "github:benjaminp/six@release.yml",\n]' in dumps_allowlist(allowlist)


def test_approval_publisher_without_a_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text(
        'version = 1\n[[approve]]\nname = "six"\nversions = ["1.17.0"]\nreviewer = "a"\nreason = "r"\n'
        'expires = 2027-06-01\npublishers = ["benjaminp/six"]\n'
    )
    with pytest.raises(PolicyError) as caught:
        load_allowlist(path, TODAY)
    assert caught.value.diagnostics() == (
        f"{path}:2: approve[0].publishers: 'benjaminp/six' is not a PEP 740 identity "
        "kind:repository[@workflow]"
    )
