"""What changed between an approved version and a new one, and how risky that looks, for delta reviews."""

from __future__ import annotations

from dataclasses import dataclass

from supplychain.allowlist.release_facts import ReleaseFacts
from supplychain.model import JSON, Known, Unknown

# Weights order the review queue only; they never decide coverage.
_WEIGHTS = {
    "malicious": 100,
    "publisher-changed": 60,
    "advisory-new": 40,
    "advisory": 40,
    "owners-changed": 25,
    "people-changed": 15,
    "dependency-added": 10,
    "attestation-lost": 30,
    "size-jump": 10,
    "full-review": 20,
    "unknown": 5,
    "yanked": 20,
}
SIZE_JUMP = 0.5  # a total size change of more than 50 % deserves a look


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Change:
    """One reviewable difference; ``loud`` ones are printed first and in capitals."""

    kind: str
    detail: str
    loud: bool = False

    def json(self) -> dict[str, JSON]:
        """The change as the review JSON outputs show it."""
        return {"kind": self.kind, "detail": self.detail, "loud": self.loud}


def compare(old: ReleaseFacts, new: ReleaseFacts) -> tuple[Change, ...]:
    """Every difference between two versions' recorded facts, loud ones first, then by kind."""
    changes: list[Change] = []
    unknown = [f.ref for f in (old, new) if f.metadata_unknown]
    if unknown:
        reasons = "; ".join(f"{f.ref}: {f.metadata_unknown}" for f in (old, new) if f.metadata_unknown)
        changes.append(Change(kind="unknown", detail=f"dependencies and metadata not comparable ({reasons})"))
    else:
        changes += _dependencies(old, new)
    changes += _people(old, new)
    changes += _publishers(old, new)
    changes += _files(old, new)
    changes += _advisories(old, new)
    old_meta, new_meta = dict(old.metadata), dict(new.metadata)
    for key in sorted(set(old_meta) | set(new_meta)) if not unknown else ():
        if key in {"author", "author_email", "maintainer", "maintainer_email"}:
            continue
        if old_meta.get(key) != new_meta.get(key):
            changes.append(
                Change(kind="metadata", detail=f"{key}: {old_meta.get(key)!r} -> {new_meta.get(key)!r}")
            )
    if new.yanked:
        changes.append(Change(kind="yanked", detail=f"{new.ref} is yanked on PyPI", loud=True))
    return tuple(sorted(changes, key=lambda c: (not c.loud, c.kind, c.detail)))


def _dependencies(old: ReleaseFacts, new: ReleaseFacts) -> list[Change]:
    before, after = old.dependencies(), new.dependencies()
    changes = [Change(kind="dependency-added", detail=after[n]) for n in sorted(set(after) - set(before))]
    changes += [Change(kind="dependency-removed", detail=before[n]) for n in sorted(set(before) - set(after))]
    changes += [
        Change(kind="dependency-changed", detail=f"{before[n]} -> {after[n]}")
        for n in sorted(set(before) & set(after))
        if before[n] != after[n]
    ]
    return changes


def _people(old: ReleaseFacts, new: ReleaseFacts) -> list[Change]:
    changes = []
    old_meta, new_meta = dict(old.metadata), dict(new.metadata)
    comparable = not (old.metadata_unknown or new.metadata_unknown)
    for key in ("author", "author_email", "maintainer", "maintainer_email") if comparable else ():
        if old_meta.get(key) != new_meta.get(key):
            changes.append(
                Change(kind="people-changed", detail=f"{key}: {old_meta.get(key)!r} -> {new_meta.get(key)!r}")
            )
    if (
        isinstance(old.owners, Known)
        and isinstance(new.owners, Known)
        and old.owners.value != new.owners.value
    ):
        added = sorted(set(new.owners.value) - set(old.owners.value))
        changes.append(
            Change(kind="owners-changed", detail=f"new PyPI roles: {', '.join(added) or 'none'}", loud=True)
        )
    return changes


def _publishers(old: ReleaseFacts, new: ReleaseFacts) -> list[Change]:
    """A different PEP 740 publisher between versions is the loudest signal a delta review has."""
    match old.publishers, new.publishers:
        case Known(value=before), Known(value=after) if before and after and set(before) != set(after):
            return [
                Change(
                    kind="publisher-changed",
                    detail=f"PUBLISHER CHANGED: {', '.join(before)} -> {', '.join(after)}",
                    loud=True,
                )
            ]
        case Known(value=before), Known(value=after) if before and not after:
            return [
                Change(
                    kind="attestation-lost",
                    detail=f"no attestations; {old.ref} had {', '.join(before)}",
                    loud=True,
                )
            ]
        case (Known(), Unknown(reason=reason)) | (Unknown(reason=reason), Known()):
            return [Change(kind="unknown", detail=f"publisher not comparable: {reason}")]
    return []


def _files(old: ReleaseFacts, new: ReleaseFacts) -> list[Change]:
    changes = []
    old_kinds = {_kind(f.filename) for f in old.files}
    new_kinds = {_kind(f.filename) for f in new.files}
    if old_kinds != new_kinds:
        changes.append(
            Change(kind="files", detail=f"distributions {sorted(old_kinds)} -> {sorted(new_kinds)}")
        )
    if len(old.files) != len(new.files):
        changes.append(Change(kind="files", detail=f"{len(old.files)} files -> {len(new.files)} files"))
    before, after = old.total_size, new.total_size
    if before and after != before:
        ratio = (after - before) / before
        kind = "size-jump" if abs(ratio) > SIZE_JUMP else "size"
        changes.append(Change(kind=kind, detail=f"total size {before} -> {after} bytes ({ratio:+.0%})"))
    return changes


def _kind(filename: str) -> str:
    return "wheel" if filename.endswith(".whl") else "sdist"


def _is_malicious(advisory_id: str, aliases: tuple[str, ...]) -> bool:
    return advisory_id.startswith("MAL-") or any(alias.startswith("MAL-") for alias in aliases)


def _advisories(old: ReleaseFacts, new: ReleaseFacts) -> list[Change]:
    if isinstance(new.advisories, Unknown):
        return [Change(kind="unknown", detail=f"advisories of {new.ref}: {new.advisories.reason}")]
    before = {a for a, _ in old.advisories.value} if isinstance(old.advisories, Known) else set()
    changes = [
        Change(
            kind="malicious" if _is_malicious(advisory_id, aliases) else "advisory-new",
            detail=f"{advisory_id} ({', '.join(aliases) or 'no aliases'}) affects {new.ref}",
            loud=True,
        )
        for advisory_id, aliases in new.advisories.value
        if advisory_id not in before
    ]
    fixed = before - {advisory_id for advisory_id, _ in new.advisories.value}
    changes += [
        Change(kind="advisory-fixed", detail=f"{a} no longer affects {new.ref}") for a in sorted(fixed)
    ]
    return changes


def full_review_evidence(new: ReleaseFacts) -> tuple[Change, ...]:
    """For a package never approved: what a first review starts from."""
    changes = [Change(kind="full-review", detail=f"{new.ref} has no approved version to compare with")]
    changes += [Change(kind="dependency", detail=line) for line in new.dependencies().values()]
    if new.metadata_unknown:
        changes.append(Change(kind="unknown", detail=f"dependencies and metadata: {new.metadata_unknown}"))
    if isinstance(new.advisories, Known):
        changes += [
            Change(kind="malicious" if _is_malicious(a, aliases) else "advisory", detail=a, loud=True)
            for a, aliases in new.advisories.value
        ]
    else:
        changes.append(Change(kind="unknown", detail=f"advisories: {new.advisories.reason}"))
    if isinstance(new.publishers, Known):
        detail = ", ".join(new.publishers.value) or "no PEP 740 attestations"
        changes.append(Change(kind="publisher", detail=detail))
    changes.append(Change(kind="files", detail=f"{len(new.files)} files, {new.total_size} bytes"))
    return tuple(sorted(changes, key=lambda c: (not c.loud, c.kind, c.detail)))


def risk(changes: tuple[Change, ...]) -> int:
    """A triage number for ordering the review queue, riskiest first."""
    return sum(_WEIGHTS.get(change.kind, 1) for change in changes)
