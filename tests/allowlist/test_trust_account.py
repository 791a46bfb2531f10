"""``allowlist trust --account``: the one-line cure for a company's shared PyPI account."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from supplychain.allowlist import edits
from supplychain.allowlist.coverage import trusted
from supplychain.allowlist.reader import load_allowlist
from supplychain.model import Known, Maintainer, Role, Unknown
from tests.policy.recorded import FETCHED, facts_for

TODAY = date(2026, 11, 26)


def test_trust_account_covers_sentry_sdk_only_while_getsentry_is_its_only_account(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    edit = edits.trust(
        publisher=None,
        organization=None,
        account="getsentry",
        workflow=None,
        packages=["sentry-sdk"],
        reviewer="alice",
        reason="Sentry's release account",
        expires=date(2027, 3, 1),
        today=TODAY,
    )
    edits.update(path, TODAY, edit)
    assert 'account = "getsentry"' in path.read_text()
    (entry,) = load_allowlist(path, TODAY).trusts
    assert entry.identity == "account:getsentry"
    _package, facts = facts_for("sentry-sdk")  # recorded: roles = [getsentry (Owner)]
    assert trusted(entry, facts)
    second = (*facts.maintainers.value, Maintainer(user="newcomer", role=Role.OWNER))  # type: ignore[union-attr]
    handed_over = replace(facts, maintainers=Known(value=second, source="pypi", fetched_at=FETCHED))
    assert not trusted(entry, handed_over)  # another account with a role: the trust no longer holds
    assert not trusted(entry, replace(facts, maintainers=Unknown(reason="offline", source="pypi")))
