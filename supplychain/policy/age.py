"""Rules on time: projects too new to trust, releases inside a cooldown, projects nobody maintains."""

from __future__ import annotations

from collections.abc import Mapping

from supplychain.model import Known, PackageFacts, ResolvedPackage
from supplychain.policy.base import Environment, Hit, Outcome, RuleSettings, evidence, missing
from supplychain.policy.internal import is_internal


class YoungProjectRule:
    id = "young-project"
    rationale = "Typosquats and throwaway attack packages are days old when they strike."
    help = (
        "Fails when the project's first release is less than `min_age_days` old (internal packages exempt)."
    )
    params: Mapping[str, type] = {"min_age_days": int}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        if is_internal(package, facts, env):
            return []
        first = facts.first_release
        if not isinstance(first, Known):
            return [missing("first_release", first)]
        age = (env.now - first.value).days
        minimum = settings.integer("min_age_days")
        if age >= minimum:
            return []
        return [
            Hit(
                message=f"{package.ref.name} first appeared {age} day(s) ago (policy minimum {minimum})",
                evidence=evidence("first_release", first),
                remediation=f"wait until {minimum} days after its first release, or approve it after review",
            )
        ]


class FreshReleaseRule:
    id = "fresh-release"
    rationale = "Most compromised releases are caught within days; a cooldown lets others find them first."
    help = "Fails when this version was uploaded less than `min_age_days` ago."
    params: Mapping[str, type] = {"min_age_days": int}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        upload = facts.upload_time
        if not isinstance(upload, Known):
            return [missing("upload_time", upload)]
        age = (env.now - upload.value).days
        minimum = settings.integer("min_age_days")
        if age >= minimum:
            return []
        return [
            Hit(
                message=f"{package.ref} was uploaded {age} day(s) ago (cooldown {minimum} days)",
                evidence=evidence("upload_time", upload),
                remediation=f"pin the previous release until {package.ref} is {minimum} days old "
                "(e.g. uv's --exclude-newer)",
            )
        ]


class AbandonedRule:
    id = "abandoned"
    rationale = "An unmaintained project will not fix the next vulnerability found in it."
    help = (
        "Fails when the project's latest release is older than `max_days_since_release`, or its "
        "PEP 792 status is one of `statuses` (e.g. archived, deprecated; used when the index reports one)."
    )
    params: Mapping[str, type] = {"max_days_since_release": int, "statuses": tuple}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        status = facts.project_status
        # The status is an extra trigger, used when the index reports it: PyPI's Simple API still
        # answers version 1.1, without PEP 792 status, so requiring it would fail every closed audit.
        if isinstance(status, Known) and status.value in settings.strings("statuses"):
            outcomes.append(
                Hit(
                    message=f"{package.ref.name} is marked {status.value} on its index",
                    evidence=evidence("project_status", status),
                    remediation="replace it with a maintained alternative",
                )
            )
        latest = facts.latest_release
        if not isinstance(latest, Known):
            return [*outcomes, missing("latest_release", latest)]
        idle = (env.now - latest.value).days
        maximum = settings.integer("max_days_since_release")
        if idle > maximum:
            outcomes.append(
                Hit(
                    message=f"{package.ref.name} has had no release for {idle} days "
                    f"(policy maximum {maximum})",
                    evidence=evidence("latest_release", latest),
                    remediation="replace it with a maintained alternative, or own a fork",
                )
            )
        return outcomes
