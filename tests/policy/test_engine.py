"""The engine: waivers, exemptions, the unwaivable malicious rule, stale data, and the verdict rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from supplychain.allowlist.coverage import coverage
from supplychain.allowlist.reader import load_allowlist, load_exemptions
from supplychain.model import Action, Finding, Known, PackageRef, Unknown, Verdict
from supplychain.policy import RULES
from supplychain.policy.engine import evaluate, verdict_of
from supplychain.policy.loader import load_policy
from supplychain.policy.scoring import score
from tests.conftest import NOW
from tests.policy.helpers import env_of
from tests.policy.recorded import (
    FETCHED,
    affecting,
    facts_for,
    malicious_equests,
    requests_advisories,
    top_downloads,
)

TODAY = NOW.date()


def _requests_2_25_1() -> list:
    package, facts = facts_for("requests", "2.25.1")
    advisories = affecting(requests_advisories(), "2.25.1")
    return [(package, replace(facts, advisories=Known(value=advisories, source="osv", fetched_at=FETCHED)))]


def test_exemption_by_alias_suppresses_one_advisory_and_is_reported_unused_otherwise(tmp_path: Path) -> None:
    path = tmp_path / "exemptions.toml"
    path.write_text(
        'version = 1\n[[exempt]]\nname = "requests"\nadvisory = "GHSA-j8r2-6x86-q33q"\nreason = "r"\n'
        'expires = 2027-01-01\n[[exempt]]\nname = "numpy"\nrule = "yanked"\nreason = "r"\n'
        'expires = 2027-01-01\n[[exempt]]\nname = "requests"\nrule = "yanked"\nreason = "r"\n'
        "expires = 2026-01-01\n"
    )
    exemptions = load_exemptions(path, TODAY, frozenset(RULES))
    pairs = _requests_2_25_1()
    result = evaluate(
        load_policy("sl2"),
        env_of(pairs),
        coverage=coverage(None, [], {}, TODAY),
        exemptions=exemptions,
        today=TODAY,
    )
    vulns = {f.evidence["advisory"]: f for f in result.findings if f.rule == "vulnerability"}
    assert vulns["PYSEC-2023-74"].suppressed_by == f"{path}:2 (exempt requests GHSA-j8r2-6x86-q33q)"
    assert vulns["PYSEC-2026-1872"].suppressed_by is None
    assert result.verdict is Verdict.FAILED  # three other advisories still fail
    assert result.unused_entries == (f"{path}:7 (exempt numpy yanked)",)
    assert result.expired_entries == (f"{path}:12 (exempt requests yanked)",)


def test_waiver_downgrades_but_never_for_malicious(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text(
        'version = 1\n[[approve]]\nname = "six"\nversions = ["1.17.0"]\nreviewer = "a"\nreason = "r"\n'
        'expires = 2027-06-01\napproved = 2026-11-01\nwaive = ["indie-maintained"]\n'
    )
    package, facts = facts_for("six", "1.17.0")
    facts = replace(
        facts, malicious_reports=Known(value=(malicious_equests(),), source="osv", fetched_at=FETCHED)
    )
    allowlist = load_allowlist(path, TODAY)
    env = env_of([(package, facts)])
    cover = coverage(allowlist, [package], {package.ref: facts}, TODAY)
    env = replace(env, covered={name: held.located for name, held in cover.covered.items()})
    result = evaluate(load_policy("sl5"), env, coverage=cover, exemptions=None, today=TODAY)
    indie = next(f for f in result.findings if f.rule == "indie-maintained")
    assert indie.action is Action.WARN
    assert indie.suppressed_by == f"{path}:2 (approve six)"
    malicious = next(f for f in result.findings if f.rule == "malicious")
    assert malicious.action is Action.FAIL
    assert malicious.suppressed_by is None
    assert result.verdict is Verdict.FAILED
    assert not any(f.rule == "not-allowlisted" for f in result.findings)  # the approval covers it


def test_verdict_rule() -> None:
    ref = PackageRef.of("six", "1.17.0")

    def f(rule: str, action: Action = Action.FAIL, suppressed: str | None = None) -> Finding:
        return Finding(rule=rule, action=action, package=ref, message="m", suppressed_by=suppressed)

    assert verdict_of([]) is Verdict.PASSED
    assert verdict_of([f("yanked", Action.WARN), f("yanked", suppressed="x")]) is Verdict.PASSED
    assert verdict_of([f("yanked")]) is Verdict.FAILED
    assert verdict_of([f("data-unknown"), f("no-provenance")]) is Verdict.INCOMPLETE
    assert verdict_of([f("data-unknown"), f("malicious")]) is Verdict.FAILED


def _dataset_findings(level: str, datasets: dict[str, dt.datetime | None]) -> list[Finding]:
    result = evaluate(
        load_policy(level),
        env_of([facts_for("six", "1.17.0")]),
        coverage=coverage(None, [], {}, TODAY),
        exemptions=None,
        today=TODAY,
        datasets=datasets,
    )
    return [f for f in result.findings if f.rule == "data-unknown" and f.package is None]


def test_stale_dataset_is_data_unknown() -> None:
    old = {"top-packages": dt.datetime(2026, 4, 1, tzinfo=dt.UTC), "advisories": NOW - dt.timedelta(days=1)}
    stale = _dataset_findings("sl3", old)
    assert [f.message for f in stale] == [
        "dataset top-packages is 239 days old (policy maximum 60, max_popularity_age_days)"
    ]
    assert stale[0].action is Action.WARN
    assert stale[0].evidence["facts"] == ["downloads_30d", "popularity_rank", "downloads_30d_at_most"]


def test_sl3_fails_on_a_132_day_old_advisory_database_as_on_missing_advisories() -> None:
    """SL3 fails when advisories are missing (fail_facts); 132-day-old ones only warned."""
    for dataset in ("advisories", "malicious"):
        (stale,) = _dataset_findings("sl3", {dataset: NOW - dt.timedelta(days=132)})
        assert stale.message == f"dataset {dataset} is 132 days old (policy maximum 7, max_advisory_age_days)"
        assert stale.action is Action.FAIL
    assert _dataset_findings("sl2", {"advisories": NOW - dt.timedelta(days=132)})[0].action is Action.WARN


def test_sl5_accepts_a_monthly_top_packages_list_for_a_month() -> None:
    """One max age for every dataset made SL5 (7 days) exit 3 on a list published monthly."""
    assert _dataset_findings("sl5", {"top-packages": NOW - dt.timedelta(days=40)}) == []
    assert [f.action for f in _dataset_findings("sl5", {"top-packages": NOW - dt.timedelta(days=50)})] == [
        Action.FAIL
    ]
    assert [f.action for f in _dataset_findings("sl5", {"advisories": NOW - dt.timedelta(days=3)})] == [
        Action.FAIL
    ]


def test_dataset_without_modified_dates_has_unknown_age() -> None:
    """A dataset whose records carry no ``modified`` date was never stale; its age is unknown."""
    (sl5,) = _dataset_findings("sl5", {"advisories": None})
    assert sl5.message == (
        "dataset advisories has no dates, so its age is unknown (policy maximum 2, max_advisory_age_days)"
    )
    assert sl5.action is Action.FAIL
    (sl3,) = _dataset_findings("sl3", {"advisories": None})
    assert sl3.action is Action.FAIL  # advisories are in SL3's fail_facts
    (sl1,) = _dataset_findings("sl1", {"advisories": None})
    assert sl1.action is Action.WARN


def test_index_facts_older_than_the_data_age_limit_are_data_unknown() -> None:
    package, facts = facts_for("six", "1.17.0")
    learned = NOW - dt.timedelta(days=8)  # an --offline run on a week-old cache
    old = replace(
        facts,
        maintainers=Known(value=facts.maintainers.value, source="pypi", fetched_at=learned),  # type: ignore[union-attr]
        has_wheel=Known(value=True, source="simple", fetched_at=learned),
    )
    args = {"coverage": coverage(None, [], {}, TODAY), "exemptions": None, "today": TODAY}
    strict = evaluate(load_policy("sl5"), env_of([(package, old)]), **args)  # type: ignore[arg-type]
    stale = [f for f in strict.findings if f.rule == "data-unknown" and f.message.startswith("facts about")]
    assert [f.message for f in stale] == [
        "facts about six==1.17.0 are 8 days old (policy maximum 7): has_wheel, maintainers"
    ]
    assert stale[0].action is Action.FAIL
    assert strict.verdict is Verdict.INCOMPLETE
    lenient = evaluate(load_policy("sl3"), env_of([(package, old)]), **args)  # type: ignore[arg-type]
    assert not [f for f in lenient.findings if f.message.startswith("facts about")]


def test_score_ranks_but_does_not_decide() -> None:
    pairs = _requests_2_25_1()
    result = evaluate(
        load_policy("sl2"),
        env_of(pairs),
        coverage=coverage(None, [], {}, TODAY),
        exemptions=None,
        today=TODAY,
    )
    scores = score([p.ref for p, _ in pairs], result.findings)
    requests = scores[pairs[0][0].ref]
    assert requests.contributions[0][0] == "vulnerability"
    assert 0 < requests.score <= 100
    assert len(scores) == 1
    assert sum(f.action is Action.FAIL and f.suppressed_by is None for f in result.findings) == 4


def _six_with_unknowns() -> list:
    """six with its provenance and maintainers unknown: an SL5 audit is incomplete for them."""
    package, facts = facts_for("six", "1.17.0")
    gone = Unknown(reason="internal package: not asked", source="internal")
    return [(package, replace(facts, provenance=gone, maintainers=gone, organization=gone))]


def _unknown_facts(result: object) -> dict[str, str | None]:
    return {
        str(f.evidence["fact"]): f.suppressed_by
        for f in result.findings  # type: ignore[attr-defined]
        if f.rule == "data-unknown" and f.package is not None
    }


def test_an_exemption_naming_data_unknown_covers_every_unknown_fact_and_is_used(tmp_path: Path) -> None:
    """Before, data-unknown findings never met the exemptions: ignored, and reported unused."""
    path = tmp_path / "exemptions.toml"
    path.write_text(
        'version = 1\n[[exempt]]\nname = "six"\nrules = ["data-unknown"]\nreason = "ours"\n'
        "expires = 2027-01-01\n"
    )
    exemptions = load_exemptions(path, TODAY, frozenset(RULES))
    cover = coverage(None, [], {}, TODAY)
    env = env_of(_six_with_unknowns(), top=top_downloads())
    result = evaluate(load_policy("sl5"), env, coverage=cover, exemptions=exemptions, today=TODAY)
    label = f"{path}:2 (exempt six data-unknown)"
    assert _unknown_facts(result) == {"maintainers": label, "organization": label, "provenance": label}
    assert result.unused_entries == ()
    assert result.verdict is not Verdict.INCOMPLETE


def test_an_exemption_naming_facts_covers_only_those_facts(tmp_path: Path) -> None:
    path = tmp_path / "exemptions.toml"
    path.write_text(
        'version = 1\n[[exempt]]\nname = "six"\nfacts = ["provenance"]\nreason = "no PEP 740 here"\n'
        'expires = 2027-01-01\n[[exempt]]\nname = "six"\nrule = "data-unknown"\nfacts = ["maintainers"]\n'
        'reason = "r"\nexpires = 2027-01-01\n'
    )
    exemptions = load_exemptions(path, TODAY, frozenset(RULES))
    cover = coverage(None, [], {}, TODAY)
    env = env_of(_six_with_unknowns(), top=top_downloads())
    result = evaluate(load_policy("sl5"), env, coverage=cover, exemptions=exemptions, today=TODAY)
    assert _unknown_facts(result) == {
        "maintainers": f"{path}:7 (exempt six data-unknown (maintainers))",
        "organization": None,  # named by neither entry: still fails closed
        "provenance": f"{path}:2 (exempt six data-unknown (provenance))",
    }
    assert result.verdict is Verdict.INCOMPLETE


def test_an_approval_waiving_data_unknown_downgrades_it(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text(
        'version = 1\n[[approve]]\nname = "six"\nversions = ["1.17.0"]\nreviewer = "a"\nreason = "r"\n'
        'expires = 2027-06-01\napproved = 2026-11-01\nwaive = ["data-unknown"]\nfacts = ["provenance"]\n'
    )
    pairs = _six_with_unknowns()
    allowlist = load_allowlist(path, TODAY)
    package, facts = pairs[0]
    cover = coverage(allowlist, [package], {package.ref: facts}, TODAY)
    covered = {n: h.located for n, h in cover.covered.items()}
    env = replace(env_of(pairs, top=top_downloads()), covered=covered)
    result = evaluate(load_policy("sl5"), env, coverage=cover, exemptions=None, today=TODAY)
    unknown = {str(f.evidence["fact"]): f for f in result.findings if f.rule == "data-unknown"}
    assert (unknown["provenance"].action, unknown["provenance"].suppressed_by) == (
        Action.WARN,
        f"{path}:2 (approve six)",
    )
    assert (unknown["maintainers"].action, unknown["maintainers"].suppressed_by) == (Action.FAIL, None)
