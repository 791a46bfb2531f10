"""PEP 740 attestations verified offline: Sigstore bundle, the file's sha256 and the Trusted Publisher.

Verification uses ``pypi-attestations`` (and through it ``sigstore``) with the production trust root
read offline, so an audit never waits on a TUF refresh. A check that fails is a fact (the attestation
does not verify); a check the library could not run (no trust root, an internal error) is not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when an attestation is verified: sigstore and its stack cost 0.3-4 s
    from pypi_attestations import AttestationBundle, Distribution


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """One file's attestations: ``verified`` True, False (with ``problem``) or None (could not check)."""

    verified: bool | None
    problem: str | None = None

    def __post_init__(self) -> None:
        if (self.verified is True) == (self.problem is not None):
            raise ValueError("a verdict has a problem exactly when it is not a pass")


def verify_provenance(data: object, filename: str, sha256: str | None) -> Verdict:
    """Verify every attestation of a provenance object against the file and its bundle's publisher.

    ``sha256`` is the digest the index lists for the file: the attestation's subject must name the
    same file with the same digest, signed by the identity of the publisher its bundle names.
    """
    if sha256 is None:
        return Verdict(verified=None, problem=f"{filename}: the index lists no sha256 to check against")
    from pydantic import ValidationError
    from pypi_attestations import Distribution
    from pypi_attestations import Provenance as AttestedProvenance

    # sigstore warns on every offline load that the trust root is not refreshed: that is the point here.
    logging.getLogger("sigstore._internal.tuf").setLevel(logging.ERROR)
    try:
        provenance = AttestedProvenance.model_validate(data)
        dist = Distribution(name=filename, digest=sha256.lower())
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        problem = f"{filename}: not a valid PEP 740 provenance ({where}: {first['msg']})"
        return Verdict(verified=False, problem=problem)
    if not provenance.attestation_bundles:
        return Verdict(verified=False, problem=f"{filename}: the provenance holds no attestation bundle")
    for bundle in provenance.attestation_bundles:
        verdict = _verify_bundle(bundle, dist)
        if verdict.verified is not True:
            return verdict
    return Verdict(verified=True)


def _verify_bundle(bundle: AttestationBundle, dist: Distribution) -> Verdict:
    import sigstore.errors
    from pypi_attestations import AttestationError

    if not bundle.attestations:
        return Verdict(verified=False, problem=f"{dist.name}: an attestation bundle holds no attestation")
    for attestation in bundle.attestations:
        try:
            attestation.verify(bundle.publisher, dist, offline=True)
        except AttestationError as error:  # VerificationError, ConversionError: what was served is bad
            return Verdict(verified=False, problem=f"{dist.name}: {error}")
        except (sigstore.errors.Error, OSError, ValueError) as error:  # no trust root, no cache directory
            problem = f"{dist.name}: attestation could not be checked ({type(error).__name__})"
            return Verdict(verified=None, problem=problem)
    return Verdict(verified=True)
