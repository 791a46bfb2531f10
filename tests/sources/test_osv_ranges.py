"""The OSV range evaluator against the spec's cases and against a brute-force evaluation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import InvalidVersion, Version

from supplychain.sources.osv_ranges import evaluate, in_range
from supplychain.sources.osv_records import OsvAffected, OsvRange

UNIVERSE = sorted(
    {
        Version(v)
        for v in ["0.1", "0.9", "1.0a1", "1.0", "1.0.post1", "1.1.dev0", "1.1", "1.5", "2.0rc1", "2.0", "3.0"]
    }
)


def entry(*events: tuple[str, str], versions: tuple[str, ...] = (), kind: str = "ECOSYSTEM") -> OsvAffected:
    ranges = (OsvRange(type=kind, events=events),) if events else ()
    return OsvAffected(ecosystem="PyPI", name="demo", ranges=ranges, versions=versions, severity=None)


def affected(version: str, item: OsvAffected) -> bool:
    return evaluate(Version(version), item).affected


def test_introduced_zero_fixed() -> None:
    item = entry(("introduced", "0"), ("fixed", "5.4"))
    assert affected("5.3.1", item)
    assert affected("0.1", item)
    assert affected("5.4b2", item)
    assert not affected("5.4", item)
    assert not affected("6.0", item)


def test_last_affected_is_inclusive() -> None:
    item = entry(("introduced", "1.0"), ("last_affected", "1.5"))
    assert affected("1.5", item)
    assert affected("1.0", item)
    assert not affected("1.5.post1", item)
    assert not affected("0.9", item)


def test_limit_caps_the_range() -> None:
    item = entry(("introduced", "1.0"), ("limit", "1.5"))
    assert affected("1.4", item)
    assert not affected("1.5", item)
    assert not affected("2.0", item)


def test_events_out_of_order_and_reintroduced() -> None:
    item = entry(("fixed", "2.0"), ("introduced", "3.0"), ("introduced", "1.0"), ("fixed", "3.1"))
    assert [affected(v, item) for v in ["0.9", "1.0", "1.9", "2.0", "3.0", "3.1"]] == [
        False, True, True, False, True, False,
    ]  # fmt: skip


def test_local_version_compares_on_public_version() -> None:
    item = entry(("introduced", "1.0"), ("fixed", "1.13.2"))
    assert affected("1.13.1+cu116", item)
    assert not affected("1.13.2+cpu", item)
    listed = entry(versions=("1.13.1",))
    assert affected("1.13.1+cu116", listed)


def test_non_pep440_event_matches_with_a_problem() -> None:
    result = evaluate(Version("9.9"), entry(("introduced", "0"), ("fixed", "0.2.0-n653x")))
    assert result.affected
    assert result.problems
    assert "0.2.0-n653x" in result.problems[0]


def test_git_only_cannot_decide_and_says_so() -> None:
    result = evaluate(Version("1.0"), entry(("introduced", "abc"), kind="GIT"))
    assert result.affected
    assert "GIT" in result.problems[0]


def test_git_beside_ecosystem_is_ignored() -> None:
    item = OsvAffected(
        ecosystem="PyPI",
        name="demo",
        ranges=(
            OsvRange(type="GIT", events=(("introduced", "0"),)),
            OsvRange(type="ECOSYSTEM", events=(("introduced", "0"), ("fixed", "1.0"))),
        ),
        versions=(),
        severity=None,
    )
    assert not affected("1.0", item)
    assert evaluate(Version("1.0"), item).problems == ()


def test_no_ranges_no_versions_matches_every_version() -> None:
    assert affected("0.0.1", entry())
    assert affected("99", entry())


def brute_force(version: Version, events: list[tuple[str, Version | None]]) -> bool:
    """Independent formulation: v is affected when below every limit and some introduced i <= v has no
    closing event in between (a fixed f with i <= f <= v, or a last_affected l with i <= l < v).
    """
    limits = [value for kind, value in events if kind == "limit" and value is not None]
    if any(version >= limit for limit in limits):
        return False
    starts = [value or Version("0") for kind, value in events if kind == "introduced"]
    for start in starts:
        if start > version:
            continue
        closed = False
        for kind, value in events:
            if value is None:
                continue
            if kind == "fixed" and start <= value <= version:
                closed = True
            if kind == "last_affected" and start <= value < version:
                closed = True
        if not closed:
            return True
    return False


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["introduced", "fixed", "last_affected", "limit"]), st.sampled_from(UNIVERSE)
        ),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
)
def test_property_matches_brute_force(raw: list[tuple[str, Version]], zero: bool) -> None:
    events: list[tuple[str, Version | None]] = list(raw)
    if zero:
        events.append(("introduced", None))
    for version in UNIVERSE:
        assert in_range(version, events) == brute_force(version, events), (version, events)


# Spellings that equal one another as PEP 440 versions but not as strings, and near-misses.
LISTED = [
    "1.0",
    "1",
    "1.0.0",
    "v1.0",
    " 1.0 ",
    "01.00",
    "1.0+local",
    "1!1.0",
    "1.0.post1",
    "1-1",
    "1.0a1",
    "1a1",
    "V2.3",
    "2.3.0.0",
    "2.30",
    "20.3",
    "not a version",
    "",
    "1.0.dev0",
    "0!2.3",
    "2.3rc1",
]


@given(listed=st.lists(st.sampled_from(LISTED), min_size=1, max_size=8), probe=st.sampled_from(LISTED))
@settings(max_examples=300, deadline=None)
def test_listed_versions_match_as_a_plain_comparison_does(listed: list[str], probe: str) -> None:
    """Listed versions compared as a set of parsed versions find what a plain comparison finds."""
    try:
        version = Version(probe)
    except InvalidVersion:
        return
    target = Version(version.public)
    expected = any(_plain(value) == target for value in listed)
    assert evaluate(version, entry(versions=tuple(listed))).affected is expected


def _plain(value: str) -> Version | None:
    try:
        return Version(Version(value).public)
    except InvalidVersion:
        return None
