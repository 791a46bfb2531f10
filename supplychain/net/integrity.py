"""PyPI's Integrity API (PEP 740): a file's provenance object parsed into its publishers."""

from __future__ import annotations

from supplychain.errors import MalformedResponse
from supplychain.model import Publisher
from supplychain.net.http import Http
from supplychain.net.shape import ShapeError, expect, optional
from supplychain.urls import redact

ACCEPT = "application/vnd.pypi.integrity.v1+json"


async def fetch_provenance(http: Http, url: str) -> tuple[Publisher, ...]:
    """GET and parse one file's provenance; a 404 (no provenance) is the caller's HttpStatusError."""
    return parse_provenance(await http.get_json(url, accept=ACCEPT), url)


async def fetch_provenance_object(http: Http, url: str) -> tuple[object, tuple[Publisher, ...]]:
    """GET one file's provenance: the raw object (for verification) and its parsed publishers."""
    data = await http.get_json(url, accept=ACCEPT)
    return data, parse_provenance(data, url)


def parse_provenance(data: object, url: str) -> tuple[Publisher, ...]:
    """The publisher of each attestation bundle; empty when the file carries none.

    A provenance object of the wrong shape is refused whole (``MalformedResponse``): a publisher
    half-read could name the wrong identity.
    """
    try:
        answer = expect(data, dict, "provenance")
        publishers = []
        for raw in expect(answer.get("attestation_bundles"), list, "attestation_bundles"):
            publisher = expect(expect(raw, dict, "attestation_bundles[]").get("publisher"), dict, "publisher")
            publishers.append(
                Publisher(
                    kind=expect(publisher.get("kind"), str, "publisher.kind"),
                    repository=optional(publisher.get("repository"), str, "publisher.repository") or None,
                    workflow=optional(publisher.get("workflow"), str, "publisher.workflow") or None,
                    environment=optional(publisher.get("environment"), str, "publisher.environment") or None,
                    email=optional(publisher.get("email"), str, "publisher.email") or None,
                )
            )
    except ShapeError as error:
        raise MalformedResponse(f"{redact(url)}: not a PEP 740 provenance object ({error})") from None
    return tuple(publishers)
