"""Each rule firing and not firing on recorded real package data (tests/policy/recorded.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from supplychain.internal import InternalScope
from supplychain.model import (
    Action,
    IndexOffer,
    InternalUsage,
    Known,
    Origin,
    OriginKind,
    PackageFacts,
    PackageRef,
    Provenance,
    Publisher,
    Unknown,
)
from supplychain.policy import RULES
from supplychain.policy.base import RuleSettings
from supplychain.policy.loader import load_policy
from supplychain.resolve.graph import Edge
from supplychain.sources.osv import match_records
from supplychain.sources.osv_records import load_record
from supplychain.urls import SafeUrl
from tests.conftest import FIXTURES, NOW
from tests.policy.helpers import env_of, hits, missing
from tests.policy.recorded import (
    FETCHED,
    affecting,
    facts_for,
    malicious_equests,
    requests_advisories,
    top_downloads,
)
from tests.sources.pypi_support import package


def run(
    rule_id: str,
    name: str,
    version: str | None = None,
    *,
    params: dict[str, object] | None = None,
    facts_change: dict[str, object] | None = None,
    package_change: dict[str, object] | None = None,
    **env_kwargs: object,
):
    package, facts = facts_for(name, version)
    facts = replace(facts, **(facts_change or {}))
    package = replace(package, **(package_change or {}))
    env = env_of([(package, facts)], **env_kwargs)  # type: ignore[arg-type]
    settings = RuleSettings(
        action=Action.FAIL,
        params={k: tuple(v) if isinstance(v, list) else v for k, v in (params or {}).items()},
    )  # type: ignore[misc]
    return RULES[rule_id].evaluate(package, facts, settings, env)


def k(value: object, source: str = "test") -> Known[object]:
    return Known(value=value, source=source, fetched_at=FETCHED)


VULN = {"min_severity": "medium", "warn_severity": "low", "unknown_severity": "high", "grace_days": 0}


def test_vulnerability_names_lowest_fixed_version_above_current() -> None:
    advisories = affecting(requests_advisories(), "2.25.1")
    out = hits(
        run("vulnerability", "requests", "2.25.1", params=VULN, facts_change={"advisories": k(advisories)})
    )
    assert [h.evidence["advisory"] for h in out] == [
        "PYSEC-2023-74",
        "PYSEC-2026-1872",
        "PYSEC-2026-1873",
        "PYSEC-2026-2275",
    ]
    assert out[0].remediation == "upgrade requests to 2.31.0 or later"
    assert out[2].remediation == "upgrade requests to 2.32.0 or later"
    assert out[0].evidence["source"] == "test"


def test_vulnerability_record_with_no_affected_range_says_so() -> None:
    """keras 2.12.0 against PYSEC-2025-75 (Keras 3): still a finding, but not a firm match."""
    record = load_record(
        (FIXTURES / "osv" / "records" / "pypa" / "keras" / "PYSEC-2025-75.yaml").read_bytes(), "PYSEC-2025-75"
    )
    ref = PackageRef.of("keras", "2.12.0")
    advisories = match_records(ref, [record], source="osv")
    target = package("keras", "2.12.0")
    facts = replace(PackageFacts.unknown(ref), advisories=k(advisories))
    settings = RuleSettings(action=Action.FAIL, params=VULN)  # type: ignore[arg-type]
    (hit,) = hits(RULES["vulnerability"].evaluate(target, facts, settings, env_of([(target, facts)])))
    assert hit.message.startswith(
        "GHSA-c9rc-mg46-23w3 (high) may affect keras==2.12.0: the record gives no affected range: "
    )
    assert hit.evidence["no_affected_range"] is True
    assert hit.action is None  # kept a finding at the advisory's tier: unknown is not safe
    assert hit.remediation is not None
    assert hit.remediation.startswith("check whether keras==2.12.0 is affected")
    requests = hits(
        run(
            "vulnerability",
            "requests",
            "2.25.1",
            params=VULN,
            facts_change={"advisories": k(affecting(requests_advisories(), "2.25.1"))},
        )
    )
    assert {h.evidence["no_affected_range"] for h in requests} == {False}


@pytest.mark.parametrize(
    ("published_days_ago", "grace_days", "action"),
    [
        (1, 2, Action.WARN),  # SL3: two days to upgrade
        (6, 7, Action.WARN),
        (2, 2, None),  # the grace is over: the level's action (fail)
        (30, 14, None),
        (0, 0, None),  # SL4/SL5: no grace
        (None, 14, None),  # an unknown publication date gets no grace
    ],
)
def test_vulnerability_published_within_grace_days_warns_instead_of_failing(
    published_days_ago: int | None, grace_days: int, action: Action | None
) -> None:
    (advisory, *_) = affecting(requests_advisories(), "2.25.1")
    published = None if published_days_ago is None else NOW - timedelta(days=published_days_ago, hours=1)
    change = {"advisories": k((replace(advisory, published=published),))}
    params = {**VULN, "grace_days": grace_days}
    (hit,) = hits(run("vulnerability", "requests", "2.25.1", params=params, facts_change=change))
    assert hit.action is action
    assert hit.evidence["within_grace"] is (action is Action.WARN)
    assert hit.evidence["grace_days"] == grace_days
    grace_note = f"(published within the policy's {grace_days}-day grace)"
    assert (grace_note in hit.message) is (action is Action.WARN)


def test_vulnerability_grace_never_raises_a_warning_to_a_failure() -> None:
    (advisory, *_) = affecting(requests_advisories(), "2.25.1")
    change = {"advisories": k((replace(advisory, published=NOW - timedelta(days=1)),))}
    warn_only = {**VULN, "min_severity": "critical", "warn_severity": "medium", "grace_days": 7}
    (hit,) = hits(run("vulnerability", "requests", "2.25.1", params=warn_only, facts_change=change))
    assert hit.action is Action.WARN
    assert hit.evidence["within_grace"] is False  # it warned by its tier already


def _transformers(version: str, latest: str | None) -> dict[str, str | None]:
    """The vulnerability rule on the real transformers records: advisory id -> remediation."""
    folder = FIXTURES / "osv" / "records" / "pypa" / "transformers"
    records = [load_record(p.read_bytes(), str(p)) for p in sorted(folder.glob("*.yaml"))]
    ref = PackageRef.of("transformers", version)
    facts = replace(
        PackageFacts.unknown(ref),
        advisories=k(match_records(ref, records, source="test")),
        latest_version=k(latest) if latest else Unknown(reason="offline", source="pypi"),
    )
    target = package("transformers", version)
    settings = RuleSettings(action=Action.FAIL, params=VULN)  # type: ignore[arg-type]
    out = hits(RULES["vulnerability"].evaluate(target, facts, settings, env_of([(target, facts)])))
    return {str(h.evidence["advisory"]): h.remediation for h in out}


def test_vulnerability_remediation_never_says_no_fix_where_a_later_release_is_fixed() -> None:
    """transformers 4.57.0 showed "no fixed version is published" next to "upgrade to 5.3.0":
    records ending in ``last_affected`` (not ``fixed``) were read as having no fix at all."""
    upgrade = _transformers("4.57.0", latest="5.3.0")
    assert upgrade["GHSA-29pf-2h5f-8g72"] == "upgrade transformers to 5.3.0 or later"  # fixed: 5.3.0
    # last_affected: 4.57.0 and 5.2.0: every later release is fixed, and 5.3.0 is published
    assert (
        upgrade["PYSEC-2025-214"]
        == "upgrade transformers to 5.3.0 (any release after 4.57.0, the last affected)"
    )
    assert (
        upgrade["GHSA-fgcw-684q-jj6r"]
        == "upgrade transformers to 5.3.0 (any release after 5.2.0, the last affected)"
    )
    assert not [r for r in upgrade.values() if r and "no fixed version" in r]
    waiting = _transformers("5.2.0", latest="5.2.0")
    assert waiting["GHSA-fgcw-684q-jj6r"] == (
        "no release after 5.2.0 (the last affected) is published yet; remove or replace transformers"
    )
    unknown_latest = _transformers("5.2.0", latest=None)
    assert unknown_latest["GHSA-fgcw-684q-jj6r"] == (
        "upgrade transformers to a release after 5.2.0 (the last affected), or remove or replace it"
    )


def test_vulnerability_silent_for_fixed_version_and_below_warn_tier() -> None:
    assert run("vulnerability", "requests", params=VULN, facts_change={"advisories": k(())}) == []
    low = {**VULN, "min_severity": "critical", "warn_severity": "critical"}
    advisories = affecting(requests_advisories(), "2.25.1")
    assert (
        run("vulnerability", "requests", "2.25.1", params=low, facts_change={"advisories": k(advisories)})
        == []
    )
    warn = {**VULN, "min_severity": "critical", "warn_severity": "medium"}
    out = hits(
        run("vulnerability", "requests", "2.25.1", params=warn, facts_change={"advisories": k(advisories)})
    )
    assert {h.action for h in out} == {Action.WARN}


def test_vulnerability_unknown_advisories_is_missing_not_pass() -> None:
    out = run(
        "vulnerability",
        "requests",
        params=VULN,
        facts_change={"advisories": Unknown(reason="OSV unreachable", source="osv")},
    )
    assert missing(out) == ["advisories"]


def test_malicious_fires_on_report_and_quarantine() -> None:
    out = hits(run("malicious", "six", facts_change={"malicious_reports": k((malicious_equests(),))}))
    assert out[0].message.startswith("MAL-2022-7433:")
    quarantined = hits(run("malicious", "six", facts_change={"project_status": k("quarantined")}))
    assert "quarantined" in quarantined[0].message
    assert run("malicious", "six") == []


def test_indie_maintained_six_fires_requests_does_not() -> None:
    out = hits(run("indie-maintained", "six", params={"min_maintainers": 2}))
    assert out[0].message.startswith("six: 1 PyPI account(s) (gutworth) and no organisation")
    assert out[0].evidence["maintainers"]["source"] == "pypi"  # type: ignore[index]
    assert run("indie-maintained", "requests", params={"min_maintainers": 2}) == []  # three owners


def test_indie_maintained_a_company_account_is_one_credential_and_people_unknown() -> None:
    """sentry-sdk (recorded): one account, getsentry, no organisation. Two questions, two answers."""
    out = hits(run("indie-maintained", "sentry-sdk", params={"min_maintainers": 2}))
    assert out[0].message == (
        "sentry-sdk: 1 PyPI account(s) (getsentry) and no organisation, no Trusted Publisher; PyPI does "
        "not say whether an account is one person or a company's shared account, so at most 1 known "
        "maintainer(s) (the policy wants at least 2)"
    )
    assert out[0].evidence["credentials"] == {"accounts": 1, "trusted_publishers": []}
    assert out[0].evidence["people"]["accounts"] == ["getsentry"]  # type: ignore[index,call-overload]
    assert "allowlist trust --account getsentry --package sentry-sdk" in (out[0].remediation or "")


def test_an_organisation_no_longer_silently_exempts_a_package_one_account_publishes() -> None:
    """certifi (recorded): organisation certifi, one account with a role (Lukasa). Before: no finding."""
    out = hits(run("indie-maintained", "certifi", params={"min_maintainers": 2}))
    assert out[0].action is Action.WARN  # organisation teams are not listed: never a failure
    assert out[0].message.startswith(
        "certifi belongs to PyPI organisation certifi, but PyPI lists only 1 account(s) with a role "
        "(Lukasa) and 0 Trusted Publisher(s) that can publish it"
    )
    attrs = hits(run("indie-maintained", "attrs", params={"min_maintainers": 2}))  # no account listed
    assert "lists only 0 account(s) with a role (none)" in attrs[0].message
    published = k(
        Provenance(attested=True, publishers=(Publisher(kind="GitHub", repository="certifi/python-certifi"),))
    )
    assert (
        run(
            "indie-maintained",
            "certifi",
            params={"min_maintainers": 2},
            facts_change={"provenance": published},
        )
        == []
    )


def test_publish_surface() -> None:
    assert hits(
        run("publish-surface", "requests", params={"max_uploaders": 2, "unless_trusted_publisher": False})
    )
    assert (
        run("publish-surface", "requests", params={"max_uploaders": 3, "unless_trusted_publisher": False})
        == []
    )
    requests = (Publisher(kind="GitHub", repository="psf/requests"),)
    claimed = k(Provenance(attested=True, publishers=requests, problems=("forged",)))  # does not verify
    assert hits(
        run(
            "publish-surface",
            "requests",
            params={"max_uploaders": 2, "unless_trusted_publisher": True},
            facts_change={"provenance": claimed},
        )
    )
    attested = k(Provenance(attested=True, publishers=requests, verified=True))
    assert (
        run(
            "publish-surface",
            "requests",
            params={"max_uploaders": 2, "unless_trusted_publisher": True},
            facts_change={"provenance": attested},
        )
        == []
    )


def test_low_popularity_uses_recorded_downloads() -> None:
    assert run("low-popularity", "six", params={"min_downloads": 10_000}) == []  # 934,334,018 in 30 days
    out = hits(run("low-popularity", "six", params={"min_downloads": 10**10}))
    assert "934,334,018" in out[0].message
    unknown = {"downloads_30d": Unknown(reason="pypistats unreachable", source="popularity")}
    assert missing(run("low-popularity", "six", params={"min_downloads": 1}, facts_change=unknown)) == [
        "downloads_30d"
    ]


def test_low_use_internal_only_for_internal_packages() -> None:
    params = {"min_environments": 2, "min_teams": 1}
    assert run("low-use-internal", "six", params=params) == []
    usage = k(InternalUsage(environments=1, teams=1))
    out = hits(
        run(
            "low-use-internal",
            "six",
            params=params,
            facts_change={"internal_usage": usage},
            internal=InternalScope(patterns=("six",)),
        )
    )
    assert "used by 1 environment(s)" in out[0].message
    six_internal = InternalScope(patterns=("six",))
    assert missing(run("low-use-internal", "six", params=params, internal=six_internal)) == ["internal_usage"]


def test_young_project_and_fresh_release() -> None:
    assert run("young-project", "sigstore", params={"min_age_days": 90}) == []
    _, facts = facts_for("sigstore")
    first = facts.first_release
    assert isinstance(first, Known)
    out = hits(
        run("young-project", "sigstore", params={"min_age_days": 90}, now=first.value + timedelta(days=5))
    )
    assert "first appeared 5 day(s) ago" in out[0].message
    upload = facts.upload_time
    assert isinstance(upload, Known)
    out = hits(
        run("fresh-release", "sigstore", params={"min_age_days": 14}, now=upload.value + timedelta(days=2))
    )
    assert "uploaded 2 day(s) ago" in out[0].message
    assert (
        run("fresh-release", "sigstore", params={"min_age_days": 14}, now=upload.value + timedelta(days=30))
        == []
    )


def test_abandoned_pycrypto_fires_click_does_not() -> None:
    params = {"max_days_since_release": 730, "statuses": ["archived", "deprecated"]}
    out = hits(run("abandoned", "pycrypto", params=params))
    assert "no release for" in out[0].message  # last upload 2014-06-20
    assert run("abandoned", "click", params=params, now=NOW) == []
    archived = hits(run("abandoned", "click", params=params, facts_change={"project_status": k("archived")}))
    assert archived[0].message == "click is marked archived on its index"


def test_no_provenance() -> None:
    assert hits(run("no-provenance", "six"))  # Integrity API answered 404 for six 1.17.0
    attested = k(
        Provenance(
            attested=True, publishers=(Publisher(kind="GitHub", repository="sigstore/sigstore-python"),)
        )
    )
    assert run("no-provenance", "sigstore", facts_change={"provenance": attested}) == []


VERIFIED_GOOGLE = Publisher(kind="Google", email="919436158236-compute@developer.gserviceaccount.com")


def test_provenance_that_does_not_verify_fails_but_a_verified_one_passes() -> None:
    bad = Provenance(
        attested=True,
        publishers=(VERIFIED_GOOGLE,),
        files_checked=1,
        problems=("six-1.17.0.tar.gz: Verification failed: subject does not match distribution digest",),
    )
    out = hits(run("provenance-invalid", "six", facts_change={"provenance": k(bad)}))
    assert out[0].message == (
        "six==1.17.0: PEP 740 attestation does not verify "
        "(six-1.17.0.tar.gz: Verification failed: subject does not match distribution digest)"
    )
    good = replace(bad, verified=True, problems=())
    assert run("provenance-invalid", "six", facts_change={"provenance": k(good)}) == []
    unknown = Unknown(reason="the index does not serve PEP 740", source="integrity")
    assert missing(run("provenance-invalid", "six", facts_change={"provenance": unknown})) == ["provenance"]


APPROVED = ("allowlist.toml:3 (approve six)", ("github:benjaminp/six@publish.yml#pypi",))


def test_publisher_changed_names_both_identities() -> None:
    now = Provenance(attested=True, publishers=(VERIFIED_GOOGLE,), files_checked=1, verified=True)
    out = hits(
        run(
            "publisher-changed",
            "six",
            facts_change={"provenance": k(now)},
            approved_publishers={"six": APPROVED},
        )
    )
    assert out[0].message == (
        "six==1.17.0 is published by google:919436158236-compute@developer.gserviceaccount.com; "
        "the approval recorded github:benjaminp/six@publish.yml#pypi"
    )
    assert out[0].evidence["approved_publishers"] == ["github:benjaminp/six@publish.yml#pypi"]
    assert out[0].evidence["publishers_now"] == [
        "google:919436158236-compute@developer.gserviceaccount.com"
    ]


def test_publisher_unchanged_or_not_recorded_passes() -> None:
    six = Publisher(kind="GitHub", repository="benjaminp/six", workflow="publish.yml", environment="pypi")
    same = Provenance(attested=True, publishers=(six,), files_checked=2, verified=True)
    change = {"provenance": k(same)}
    assert run("publisher-changed", "six", facts_change=change, approved_publishers={"six": APPROVED}) == []
    assert run("publisher-changed", "six", facts_change=change) == []  # no approval recorded one


def test_publisher_changed_when_new_version_carries_no_verified_attestation() -> None:
    six = Publisher(kind="GitHub", repository="benjaminp/six", workflow="publish.yml", environment="pypi")
    claimed = Provenance(attested=True, publishers=(six,), files_checked=2, problems=("forged",))
    for provenance in (claimed, Provenance(attested=False, files_checked=2)):
        out = hits(
            run(
                "publisher-changed",
                "six",
                facts_change={"provenance": k(provenance)},
                approved_publishers={"six": APPROVED},
            )
        )
        assert out[0].message.startswith("six==1.17.0 is published by no verified publisher")


def test_untrusted_source() -> None:
    assert run("untrusted-source", "six", params={"allow_direct": False}) == []
    other = hits(
        run(
            "untrusted-source",
            "six",
            params={"allow_direct": False},
            facts_change={"index": k("https://mirror.example/simple/")},
        )
    )
    assert "https://mirror.example/simple/" in other[0].message
    vcs = Origin(kind=OriginKind.VCS, url=SafeUrl("git+https://github.com/benjaminp/six"))
    assert hits(
        run("untrusted-source", "six", params={"allow_direct": False}, package_change={"origin": vcs})
    )
    assert run("untrusted-source", "six", params={"allow_direct": True}, package_change={"origin": vcs}) == []


@pytest.mark.parametrize(
    ("allowed", "served"),
    [
        ("https://pkgs.corp.example", "https://pkgs.corp.example.attacker.net/simple/"),
        ("http://127.0.0.1:1873", "http://127.0.0.1:18734/simple/"),
        ("https://pkgs.corp.example/simple", "https://pkgs.corp.example/simple-mirror/"),
    ],
)
def test_untrusted_source_a_look_alike_of_an_allowed_index_is_not_allowed(allowed: str, served: str) -> None:
    """A string prefix let a look-alike host, port or path pass as the allowed index."""
    out = run(
        "untrusted-source",
        "six",
        params={"allow_direct": False},
        facts_change={"index": k(served)},
        allowed_indexes=(allowed,),
    )
    assert [hit.evidence for hit in hits(out)] == [{"index": served}]


@pytest.mark.parametrize(
    ("internal", "served"),
    [
        ("https://pkgs.corp.example/simple/", "https://pkgs.corp.example.attacker.net/simple/"),
        ("http://127.0.0.1:1873/simple/", "http://127.0.0.1:18734/simple/"),
    ],
)
def test_untrusted_source_a_look_alike_of_an_internal_index_is_not_allowed(
    internal: str, served: str
) -> None:
    """The configured internal indexes are allowed sources; their look-alikes are not."""
    scope = InternalScope(indexes=(SafeUrl(internal),))
    out = run(
        "untrusted-source",
        "six",
        params={"allow_direct": False},
        facts_change={"index": k(served)},
        internal=scope,
    )
    assert [hit.evidence for hit in hits(out)] == [{"index": served}]
    ours = {"index": k(internal + "six/")}
    assert (
        run("untrusted-source", "six", params={"allow_direct": False}, facts_change=ours, internal=scope)
        == []
    )


def test_untrusted_source_same_index_in_another_spelling_is_allowed() -> None:
    served = "https://***@PKGS.corp.example:443/simple/"
    out = run(
        "untrusted-source",
        "six",
        params={"allow_direct": False},
        facts_change={"index": k(served)},
        allowed_indexes=("https://pkgs.corp.example/simple",),
    )
    assert out == []


INTERNAL_INDEX = "https://pypi.internal.example/simple/"
PUBLIC_INDEX = "https://pypi.org/simple/"


def _offers(*offers: tuple[str, tuple[str, ...]]) -> Known[object]:
    return k(tuple(IndexOffer(index=index, versions=versions) for index, versions in offers), "simple")


@pytest.mark.parametrize("served", [INTERNAL_INDEX, PUBLIC_INDEX])
def test_dependency_confusion_a_name_two_indexes_offer_fails_whichever_served_it(served: str) -> None:
    """The installer asks both; pip takes the higher version, uv the first index that has it."""
    internal = {"internal": InternalScope(indexes=(SafeUrl(INTERNAL_INDEX),))}
    offers = _offers(
        (served, ("1.0",)), *((INTERNAL_INDEX if served == PUBLIC_INDEX else PUBLIC_INDEX, ("99.0",)),)
    )
    out = hits(
        run(
            "dependency-confusion",
            "six",
            facts_change={"index": k(served), "index_offers": offers},
            **internal,
        )
    )
    other = INTERNAL_INDEX if served == PUBLIC_INDEX else PUBLIC_INDEX
    assert [h.message for h in out] == [
        f"internal package six is offered by 2 indexes the installer asks ({served} offers 1.0; "
        f"{other} offers 99.0); {served} served it"
    ]
    assert out[0].evidence["index_offers"]["value"] == [  # type: ignore[index]
        {"index": served, "versions": ["1.0"]},
        {"index": other, "versions": ["99.0"]},
    ]


def test_dependency_confusion_one_offering_index_passes() -> None:
    internal = {"internal": InternalScope(indexes=(SafeUrl(INTERNAL_INDEX),))}
    only = {"index": k(INTERNAL_INDEX), "index_offers": _offers((INTERNAL_INDEX, ("1.0", "1.1")))}
    assert run("dependency-confusion", "six", facts_change=only, **internal) == []


def test_dependency_confusion_an_internal_name_from_another_index_fails() -> None:
    """A pattern says it is ours, yet a public index served it: the confusion already happened."""
    scope = InternalScope(indexes=(SafeUrl(INTERNAL_INDEX),), patterns=("six",))
    only = {"index": k(PUBLIC_INDEX), "index_offers": _offers((PUBLIC_INDEX, ("1.17.0",)))}
    out = hits(run("dependency-confusion", "six", facts_change=only, internal=scope))
    assert [h.message for h in out] == [
        f"internal package six was served by {PUBLIC_INDEX}, not by an internal index"
    ]


def test_dependency_confusion_unknown_offers() -> None:
    internal = {"internal": InternalScope(indexes=(SafeUrl(INTERNAL_INDEX),))}
    failed = Unknown(reason="https://pypi.org/simple/: HTTP 503", source="simple")
    on_internal = {"index": k(INTERNAL_INDEX), "index_offers": failed}
    assert missing(run("dependency-confusion", "six", facts_change=on_internal, **internal)) == [
        "index_offers"
    ]
    # A public name whose internal-index check failed could be ours: unknown, not a pass.
    assert missing(run("dependency-confusion", "six", facts_change={"index_offers": failed})) == [
        "index_offers"
    ]
    assert run("dependency-confusion", "six") == []  # a public name: nothing was asked, nothing needed


def test_dependency_confusion_not_for_direct_references() -> None:
    vcs = Origin(kind=OriginKind.VCS, url=SafeUrl("git+https://github.com/benjaminp/six"))
    scope = InternalScope(patterns=("six",))
    assert run("dependency-confusion", "six", package_change={"origin": vcs}, internal=scope) == []


def _squat(name: str, maintainers: object) -> tuple[object, object]:
    """six's recorded data under the name of a reported squat (MAL-2022-7433 names ``equests``)."""
    package, facts = facts_for("six")
    ref = replace(package.ref, name=name)
    return replace(package, ref=ref), replace(
        facts, ref=ref, maintainers=maintainers, downloads_30d=Unknown(reason="removed", source="t")
    )


def test_typosquat_fires_for_a_reported_squat_not_for_the_real_package() -> None:
    top = top_downloads()
    assert run("typosquat", "requests", params={"min_ratio": 10_000}, top=top) == []
    fake, facts = _squat("equests", facts_for("six")[1].maintainers)
    env = env_of([(fake, facts)], top=top)  # type: ignore[list-item]
    settings = RuleSettings(action=Action.FAIL, params={"min_ratio": 10_000})
    out = hits(RULES["typosquat"].evaluate(fake, facts, settings, env))  # type: ignore[arg-type]
    assert [(h.evidence["target"], h.evidence["technique"]) for h in out] == [("requests", "edit-distance-1")]
    assert missing(run("typosquat", "six", params={"min_ratio": 100})) == ["top_packages"]


def test_typosquat_only_warns_when_sharing_a_maintainer_with_the_target() -> None:
    top = top_downloads()
    requests_package, requests_facts = facts_for("requests")
    fake, facts = _squat("equests", requests_facts.maintainers)  # the same owners as requests
    env = env_of([(fake, facts), (requests_package, requests_facts)], top=top)  # type: ignore[list-item]
    settings = RuleSettings(action=Action.FAIL, params={"min_ratio": 10_000})
    out = hits(RULES["typosquat"].evaluate(fake, facts, settings, env))  # type: ignore[arg-type]
    assert [(h.evidence["target"], h.action) for h in out] == [("requests", Action.WARN)]
    shared = out[0].evidence["shared_with_target"]
    assert shared["organization"] is None  # type: ignore[index]
    assert shared["owners"] == sorted(m.user for m in requests_facts.maintainers.value)  # type: ignore[index,union-attr]


def test_typosquat_remediation_names_who_pulled_in_a_transitive_look_alike() -> None:
    """The user never typed a transitive name: "check you meant equests" asked the wrong person."""
    top = top_downloads()
    fake, facts = _squat("equests", facts_for("six")[1].maintainers)
    parent, parent_facts = facts_for("certifi")
    env = env_of([(parent, parent_facts)], top=top)  # the user asked for certifi only
    env.graph.add_package(fake)  # type: ignore[arg-type]
    env.graph.add_edge(parent.ref.name, fake.ref.name, Edge())  # type: ignore[attr-defined]
    env = replace(env, facts={**env.facts, fake.ref: facts})  # type: ignore[attr-defined]
    settings = RuleSettings(action=Action.FAIL, params={"min_ratio": 10_000})
    (hit,) = hits(RULES["typosquat"].evaluate(fake, facts, settings, env))  # type: ignore[arg-type]
    assert hit.remediation == (
        "you did not ask for equests: certifi requires it; check that equests, not requests, is what it meant"
    )
    direct = env_of([(fake, facts)], top=top)  # type: ignore[list-item]
    (hit,) = hits(RULES["typosquat"].evaluate(fake, facts, settings, direct))  # type: ignore[arg-type]
    assert hit.remediation == "check you meant equests and not requests"


def test_build_from_source_pycrypto_is_sdist_only() -> None:
    out = hits(run("build-from-source", "pycrypto"))
    assert out[0].message == "pycrypto==2.6.1 has no wheel: installing it runs its build backend"
    assert run("build-from-source", "six") == []


def test_unpinned_and_unhashed() -> None:
    assert run("unpinned", "six", params={"require_hashes": True}) == []
    out = hits(
        run("unpinned", "six", params={"require_hashes": False}, locked=False, specifiers={"six": ">=1"})
    )
    assert "not pinned by the input" in out[0].message
    assert (
        run("unpinned", "six", params={"require_hashes": False}, locked=False, specifiers={"six": "==1.17.0"})
        == []
    )
    bare = Origin(kind=OriginKind.INDEX)
    assert hits(run("unpinned", "six", params={"require_hashes": True}, package_change={"origin": bare}))


def test_yanked_requests_2_32_0() -> None:
    out = hits(run("yanked", "requests", "2.32.0"))
    assert (
        out[0].message == "requests==2.32.0 is yanked: Yanked due to conflicts with CVE-2024-35195 mitigation"
    )
    assert out[0].remediation == "move to 2.34.2"
    assert run("yanked", "requests", "2.25.1") == []


def test_license() -> None:
    allowed = ("MIT", "Apache-2.0")
    assert run("license", "six", params={"missing_only": False}, allowed_licenses=allowed) == []
    out = hits(run("license", "pycrypto", params={"missing_only": False}, allowed_licenses=allowed))
    assert out[0].message == (
        "pycrypto's licence 'Public domain' is not a recognisable licence "
        "(no SPDX expression, classifier or known spelling)"
    )
    assert run("license", "pycrypto", params={"missing_only": True}, allowed_licenses=allowed) == []


SL3_LICENSES = load_policy("sl3").allowed_licenses


# Declared licences as real packages write them (tests/fixtures/resolve/**.METADATA: License text or,
# without one, the License :: classifiers joined as the licence fact joins them).
@pytest.mark.parametrize(
    "declared",
    [
        "MIT License",  # inspect_ai; markdown-it-py's classifier
        "Apache 2.0",  # aiosignal
        "Apache License 2.0",
        "Apache 2.0 License",  # transformers
        "Apache",  # accelerate
        "Apache Software License",  # classifier
        "BSD",  # nest_asyncio2 and ten more
        "BSD License",  # jinja2's classifier
        "Modified BSD License",  # jsonpatch
        "ISC License",  # shellingham
        "Python Software Foundation License",  # pathlib_abc's classifier
        "Mozilla Public License 2.0 (MPL 2.0)",  # certifi's classifier
        "MIT OR Apache-2.0",  # sniffio
        "BSD License OR MIT License",
    ],
)
def test_license_allowed_licences_spelled_differently_pass(declared: str) -> None:
    """43% of licence failures were allowed licences spelled otherwise ("MIT License", "Apache 2.0")."""
    facts_change = {"license": k(declared, "pypi")}
    params = {"missing_only": False}
    allowed = SL3_LICENSES
    assert run("license", "six", params=params, facts_change=facts_change, allowed_licenses=allowed) == []


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ("GPLv3", "six's licence 'GPLv3' (SPDX: GPL-3.0-only) is not in the allowed list"),
        ("Apache-2.0 AND CNRI-Python", "six's licence Apache-2.0 AND CNRI-Python is not in the allowed list"),
        (
            "GNU General Public License v3 (GPLv3) OR MIT License",  # two classifiers: a choice or parts
            "six's licence 'GNU General Public License v3 (GPLv3) OR MIT License' "
            "(SPDX: GPL-3.0-only AND MIT; GPL-3.0-only OR MIT) is not in the allowed list",
        ),
        (
            "(MIT OR GPL-3.0-only) AND GPL-2.0-only",
            "six's licence (MIT OR GPL-3.0-only) AND GPL-2.0-only is not in the allowed list",
        ),
        ("Dual License", "six's licence 'Dual License' is not a recognisable licence"),  # python-dateutil
        ("UNKNOWN", "six's licence 'UNKNOWN' is not a recognisable licence"),  # zipfile_zstd
    ],
)
def test_license_outside_the_allowed_set_or_unknown_still_fails(declared: str, message: str) -> None:
    facts_change = {"license": k(declared, "pypi")}
    params = {"missing_only": False}
    (hit,) = hits(
        run("license", "six", params=params, facts_change=facts_change, allowed_licenses=SL3_LICENSES)
    )
    assert hit.message.startswith(message)
    assert hit.evidence["license"]["value"] == declared  # type: ignore[index]  # the raw value is kept
    assert isinstance(hit.evidence["spdx"], list)


def test_not_allowlisted() -> None:
    assert hits(run("not-allowlisted", "six"))
    six = facts_for("six")[0].ref
    assert run("not-allowlisted", "six", covered={six: "allowlist.toml:3"}) == []
    older = PackageRef.of("six", "1.16.0")  # an entry for another version of the name covers nothing here
    assert hits(run("not-allowlisted", "six", covered={older: "allowlist.toml:3"}))


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_has_id_rationale_help(rule_id: str) -> None:
    rule = RULES[rule_id]
    assert rule.id == rule_id
    assert rule.rationale.endswith(".")
    assert "\n" not in rule.rationale
    assert rule.help


def test_low_popularity_fires_when_absent_from_a_top_list_whose_cutoff_is_below_the_minimum() -> None:
    """No count, but not in the top N with a cut-off of 57,487: fewer than a 100,000 minimum."""
    no_count = {
        "downloads_30d": Unknown(reason="pypistats unreachable", source="popularity"),
        "downloads_30d_at_most": k(57_487, "top-pypi-packages: not in the top 15,000"),
    }
    out = hits(run("low-popularity", "six", params={"min_downloads": 100_000}, facts_change=no_count))
    assert "at most 57,487 downloads in 30 days" in out[0].message
    assert out[0].evidence["downloads_30d_at_most"]["value"] == 57_487  # type: ignore[index]


def test_low_popularity_stays_unknown_when_the_top_list_cutoff_is_above_the_minimum() -> None:
    """At most 57,487 says nothing about a 10,000 minimum: unknown, and the reason says why."""
    no_count = {
        "downloads_30d": Unknown(reason="pypistats unreachable", source="popularity"),
        "downloads_30d_at_most": k(57_487, "top-pypi-packages: not in the top 15,000"),
    }
    out = run("low-popularity", "six", params={"min_downloads": 10_000}, facts_change=no_count)
    assert missing(out) == ["downloads_30d"]
    assert "at most 57,487 downloads/30d, which does not settle the policy minimum 10,000" in out[0].reason  # type: ignore[union-attr]
    in_list = {**no_count, "downloads_30d_at_most": k(None)}
    assert missing(run("low-popularity", "six", params={"min_downloads": 100_000}, facts_change=in_list)) == [
        "downloads_30d"
    ]


def test_malicious_an_unknown_pep_792_status_is_data_unknown_not_a_pass() -> None:
    """An index that does not state the status cannot vouch the project is not quarantined."""
    unknown = {
        "project_status": Unknown(
            reason="index API version 1.1 does not report project status", source="simple"
        )
    }
    assert missing(run("malicious", "six", facts_change=unknown)) == ["project_status"]


def test_untrusted_source_a_conda_channel_is_no_allowed_index_even_with_allow_direct() -> None:
    """A conda channel serves conda packages: no allowed PyPI index, listed or not, covers it."""
    forge = "https://conda.anaconda.org/conda-forge"
    conda = Origin(kind=OriginKind.CONDA, url=SafeUrl(forge))
    out = hits(
        run(
            "untrusted-source",
            "six",
            params={"allow_direct": True},
            package_change={"origin": conda},
            allowed_indexes=(forge,),
        )
    )
    assert [hit.evidence for hit in out] == [{"origin": {"kind": "conda", "url": forge}}]
    assert out[0].message == (
        f"six is a conda package from the conda channel {forge}, not from an allowed index"
    )


SIX_WHEEL_SHA = "sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"
SIX_SDIST_SHA = "sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81"


def _hash_check(recorded: tuple[str, ...], listed: object) -> list[object]:
    pypi = SafeUrl("https://pypi.org/simple/")
    origin = Origin(kind=OriginKind.INDEX, url=pypi, hashes=tuple(sorted(recorded)))
    return run(
        "hash-mismatch", "six", facts_change={"index_hashes": listed}, package_change={"origin": origin}
    )


def test_hash_mismatch_on_lock_hashes_none_of_which_the_index_lists() -> None:
    listed = k((SIX_WHEEL_SHA, SIX_SDIST_SHA))
    assert _hash_check((SIX_SDIST_SHA, SIX_WHEEL_SHA), listed) == []
    (hit,) = hits(_hash_check(("sha256:" + "0" * 64, "sha256:" + "1" * 64), listed))
    assert hit.action is None  # the policy's action: fail
    assert hit.evidence["index_hashes"] == [SIX_WHEEL_SHA, SIX_SDIST_SHA]
    (partly,) = hits(_hash_check((SIX_WHEEL_SHA, "sha256:" + "1" * 64), listed))
    assert partly.action is Action.WARN


def test_hash_mismatch_is_unknown_when_the_index_cannot_confirm() -> None:
    unreachable = Unknown(reason="not in the cache (--offline)", source="simple")
    assert missing(_hash_check((SIX_WHEEL_SHA,), unreachable)) == ["index_hashes"]
    sha512 = ("sha512:" + "a" * 128,)  # the index lists sha256 only: nothing to compare with
    assert missing(_hash_check(sha512, k((SIX_WHEEL_SHA,)))) == ["index_hashes"]
    assert _hash_check((), unreachable) == []  # nothing recorded: nothing to confirm


def test_an_index_served_hash_is_not_a_recorded_one() -> None:
    served = Origin(kind=OriginKind.INDEX, served_hashes=(SIX_WHEEL_SHA,))
    out = hits(run("unpinned", "six", params={"require_hashes": True}, package_change={"origin": served}))
    assert "no recorded hash" in out[0].message
