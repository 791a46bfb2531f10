"""The hash rule: the hashes the user's file records are the record; the index must list them."""

from __future__ import annotations

from collections.abc import Mapping

from supplychain.model import JSON, Action, Known, OriginKind, PackageFacts, ResolvedPackage
from supplychain.policy.base import Environment, Hit, Missing, Outcome, RuleSettings, missing
from supplychain.policy.internal import served_by


def _algorithm(digest: str) -> str:
    return digest.partition(":")[0]


class HashMismatchRule:
    id = "hash-mismatch"
    rationale = (
        "A hash the audited file records that the index does not list for that version means a "
        "tampered lock or a compromised index: one of them is lying about the file."
    )
    help = (
        "Compares the hashes the audited file records (`--hash`, a lock's hashes) with the hashes "
        "the serving index's Simple API lists for the files of that version. Fails when none of the "
        "recorded hashes is among them; warns when some recorded hashes are not listed (a file the "
        "index no longer serves, or a hash slipped in beside the real ones). Unknown (never a pass) "
        "when the index could not be read or lists no hash of a recorded algorithm."
    )
    params: Mapping[str, type] = {}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        recorded = package.origin.hashes
        if not recorded or package.origin.kind not in {OriginKind.INDEX, OriginKind.UNKNOWN}:
            return []
        signal = facts.index_hashes
        if not isinstance(signal, Known):
            return [missing("index_hashes", signal)]
        listed = set(signal.value)
        algorithms = {_algorithm(digest) for digest in listed}
        comparable = [digest for digest in recorded if _algorithm(digest) in algorithms]
        if not comparable:
            wanted = "/".join(sorted({_algorithm(digest) for digest in recorded}))
            return [
                Missing(
                    fact="index_hashes",
                    reason=f"the index lists no {wanted} hash for {package.ref}'s files to compare with",
                    source=signal.source,
                    settled=True,
                )
            ]
        unlisted = [digest for digest in comparable if digest not in listed]
        if not unlisted:
            return []
        index = served_by(package, facts)
        proof: dict[str, JSON] = {
            "recorded_hashes": list(recorded),
            "index_hashes": list(signal.value),
            "index": index,
            "source": signal.source,
            "fetched_at": signal.fetched_at.isoformat(),
        }
        where = f" ({package.declared_at})" if package.declared_at else ""
        if len(unlisted) == len(comparable):
            return [
                Hit(
                    message=f"{package.ref}: none of the hashes the audited file records{where} is among "
                    f"the hashes {index} lists for this version's files: a tampered lock or "
                    "a compromised index",
                    evidence=proof,
                    remediation="do not install; regenerate the hashes from a trusted copy of the "
                    "index (uv lock, pip-compile --generate-hashes) and find out which side changed",
                )
            ]
        return [
            Hit(
                message=f"{package.ref}: the audited file records {len(unlisted)} hash(es){where} that "
                f"{index} does not list for this version ({', '.join(unlisted)})",
                evidence={**proof, "unlisted_hashes": list(unlisted)},
                remediation="regenerate the hashes (uv lock, pip-compile --generate-hashes) and review "
                "any hash that does not come from the index",
                action=Action.WARN,
            )
        ]
