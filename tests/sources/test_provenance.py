"""PEP 740 provenance: unknown vs none, fetched only from the index's origin, verified offline.

The attestation is a real one: pypi/pypi-attestations' test asset
``gcb_attestation_test-0.0.0.tar.gz.provenance`` (a PyPI provenance object with a Google Trusted
Publisher, logged in the production Rekor), whose statement names the sdist with the sha256 below.
The indexes around it are hand-made pages in PEP 691/740's shape on loopback.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from supplychain.clock import FixedClock
from supplychain.model import Known, PackageFacts, Provenance, Publisher, Unknown
from supplychain.net.http import HttpSettings
from supplychain.resolve.graph import DependencyGraph
from supplychain.sources.attestation import verify_provenance
from supplychain.sources.enrich import collect_facts
from tests.sources.pypi_support import (
    ABSENT,
    by_name,
    config_for,
    context_for,
    package,
    point_endpoints,
    run_with,
    serve_pep740_page,
)
from tests.support.server import ReplayServer, Reply

FIXTURES = Path(__file__).parents[1] / "fixtures" / "provenance"
FILENAME = "gcb_attestation_test-0.0.0.tar.gz"
SHA256 = "461317362419124b6012e855423a9078d6de8aed3e74fa78cc74d669b23dc6cf"  # its statement's subject
REAL = json.loads((FIXTURES / f"{FILENAME}.provenance").read_text(encoding="utf-8"))
EMAIL = "919436158236-compute@developer.gserviceaccount.com"
PUBLISHER = Publisher(kind="Google", email=EMAIL)
PROVENANCE_PATH = f"/integrity/gcb-attestation-test/0.0.0/{FILENAME}/provenance"


# --- the verification itself -------------------------------------------------------------------


def test_real_attestation_verifies_with_its_digest_and_publisher_offline() -> None:
    # Offline: the tests' loopback guard refuses any other host, so a TUF refresh would have made the
    # check fail to run (verified None), not pass.
    verdict = verify_provenance(REAL, FILENAME, SHA256)
    assert verdict.verified is True, verdict.problem


def test_tampered_digest_does_not_verify() -> None:
    other = "0" * 64
    verdict = verify_provenance(REAL, FILENAME, other)
    assert verdict.verified is False
    assert verdict.problem == f"{FILENAME}: Verification failed: subject does not match distribution digest"


def test_a_different_publisher_does_not_verify() -> None:
    claimed = copy.deepcopy(REAL)
    claimed["attestation_bundles"][0]["publisher"]["email"] = "attacker@example.iam.gserviceaccount.com"
    verdict = verify_provenance(claimed, FILENAME, SHA256)
    assert verdict.verified is False
    assert verdict.problem is not None
    assert "SAN" in verdict.problem  # the certificate names another identity


def test_a_tampered_signature_does_not_verify() -> None:
    forged = copy.deepcopy(REAL)
    envelope = forged["attestation_bundles"][0]["attestations"][0]["envelope"]
    envelope["signature"] = "MEUCIQ" + envelope["signature"][6:][::-1]
    assert verify_provenance(forged, FILENAME, SHA256).verified is False


def test_no_digest_on_the_index_leaves_verification_unknown() -> None:
    verdict = verify_provenance(REAL, FILENAME, None)
    assert verdict.verified is None
    assert verdict.problem == f"{FILENAME}: the index lists no sha256 to check against"


# --- the source: what the index's page says ----------------------------------------------------


def collect(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> PackageFacts:
    point_endpoints(monkeypatch, server)
    graph = DependencyGraph()
    graph.add_package(package("gcb-attestation-test", "0.0.0"))
    config = config_for(tmp_path)
    return by_name(
        run_with(
            HttpSettings(timeout=5),
            lambda http: collect_facts(graph, context_for(http, config, clock), sources=["integrity"]),
        )
    )["gcb-attestation-test"]


def integrity_requests(server: ReplayServer) -> list[str]:
    return [path for _method, path in server.requests if path.startswith("/integrity/")]


def test_attested_file_verifies_and_records_its_publisher(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    serve_pep740_page(server, "gcb-attestation-test", {FILENAME: (SHA256, server.url + PROVENANCE_PATH)})
    server.json(PROVENANCE_PATH, REAL)
    facts = collect(server, monkeypatch, tmp_path, clock)
    assert facts.provenance == Known(
        value=Provenance(attested=True, publishers=(PUBLISHER,), files_checked=1, verified=True),
        source="integrity",
        fetched_at=clock.now(),
    )
    assert PUBLISHER.identity == f"google:{EMAIL}"


def test_index_digest_that_differs_from_the_attestation_is_a_failed_verification(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    swapped = "f" * 64  # the index serves another file under the attested name
    serve_pep740_page(server, "gcb-attestation-test", {FILENAME: (swapped, server.url + PROVENANCE_PATH)})
    server.json(PROVENANCE_PATH, REAL)
    provenance = collect(server, monkeypatch, tmp_path, clock).provenance
    assert isinstance(provenance, Known)
    assert (provenance.value.attested, provenance.value.verified) == (True, False)
    mismatch = f"{FILENAME}: Verification failed: subject does not match distribution digest"
    assert provenance.value.problems == (mismatch,)


@pytest.mark.parametrize(
    ("api", "provenance", "reason"),
    [
        ("1.1", ABSENT, "the index does not serve PEP 740 (Simple API 1.1 predates 1.3)"),
        ("1.1", None, "the index does not serve PEP 740 (Simple API 1.1 predates 1.3)"),
        ("1.4", ABSENT, f"the index does not serve PEP 740 (its page has no provenance for {FILENAME})"),
    ],
)
def test_index_without_pep740_gives_unknown_not_false(
    api: str,
    provenance: object,
    reason: str,
    server: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    # the Integrity API of such an index answers 404 for every file: that must not read as "none"
    server.handlers.append(lambda _m, path, _b: Reply(404, b"") if path.startswith("/integrity/") else None)
    serve_pep740_page(server, "gcb-attestation-test", {FILENAME: (SHA256, provenance)}, api=api)
    facts = collect(server, monkeypatch, tmp_path, clock)
    assert facts.provenance == Unknown(reason=reason, source="integrity")
    assert integrity_requests(server) == []  # no Integrity API URL is guessed


def test_provenance_null_on_a_pep740_index_is_not_attested(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    serve_pep740_page(server, "gcb-attestation-test", {FILENAME: (SHA256, None)})
    facts = collect(server, monkeypatch, tmp_path, clock)
    assert facts.provenance == Known(
        value=Provenance(attested=False, files_checked=1), source="integrity", fetched_at=clock.now()
    )


def test_listed_provenance_that_answers_404_is_unknown(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    serve_pep740_page(server, "gcb-attestation-test", {FILENAME: (SHA256, server.url + PROVENANCE_PATH)})
    provenance = collect(server, monkeypatch, tmp_path, clock).provenance
    assert isinstance(provenance, Unknown)
    assert "404" in provenance.reason


# --- a hostile index ---------------------------------------------------------------------------


def test_hostile_index_provenance_on_another_host_is_never_fetched(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    elsewhere = ReplayServer().start()  # another origin (another port): stands in for any host
    try:
        elsewhere.json(PROVENANCE_PATH, REAL)
        serve_pep740_page(
            server, "gcb-attestation-test", {FILENAME: (SHA256, elsewhere.url + PROVENANCE_PATH)}
        )
        facts = collect(server, monkeypatch, tmp_path, clock)
        assert elsewhere.requests == []
    finally:
        elsewhere.stop()
    assert facts.provenance == Unknown(reason="provenance URL not on the index's host", source="integrity")


def test_hostile_index_pointing_at_the_metadata_address_makes_no_request(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(
        "supplychain.net.integrity.fetch_provenance_object",
        lambda _http, url: asked.append(url),  # any call at all is the bug
    )
    metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    serve_pep740_page(server, "gcb-attestation-test", {FILENAME: (SHA256, metadata)})
    facts = collect(server, monkeypatch, tmp_path, clock)
    assert asked == []
    assert [path for _m, path in server.requests] == ["/simple/gcb-attestation-test/"]
    assert facts.provenance == Unknown(reason="provenance URL not on the index's host", source="integrity")


def test_approval_records_the_verified_publisher_and_a_changed_one_fails_at_sl4(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    from supplychain.allowlist.review import verified_publishers
    from supplychain.policy import RULES
    from supplychain.policy.loader import load_policy
    from tests.policy.helpers import env_of, hits

    serve_pep740_page(server, "gcb-attestation-test", {FILENAME: (SHA256, server.url + PROVENANCE_PATH)})
    server.json(PROVENANCE_PATH, REAL)
    point_endpoints(monkeypatch, server)
    gcb = package("gcb-attestation-test", "0.0.0")
    config = config_for(tmp_path)
    recorded = run_with(
        HttpSettings(timeout=5), lambda http: verified_publishers(context_for(http, config, clock), [gcb])
    )
    assert recorded == {gcb.ref: (f"google:{EMAIL}",)}

    facts = collect(server, monkeypatch, tmp_path, clock)
    approved = ("allowlist.toml:2 (approve gcb-attestation-test)", ("github:acme/gcb@release.yml",))
    env = env_of([(gcb, facts)], approved_publishers={gcb.ref.name: approved})
    settings = load_policy("sl4").rules["publisher-changed"]
    assert settings.action.value == "fail"
    out = hits(RULES["publisher-changed"].evaluate(gcb, facts, settings, env))
    assert out[0].message == (
        f"gcb-attestation-test==0.0.0 is published by google:{EMAIL}; "
        "the approval recorded github:acme/gcb@release.yml"
    )
    same = env_of([(gcb, facts)], approved_publishers={gcb.ref.name: (approved[0], recorded[gcb.ref])})
    assert RULES["publisher-changed"].evaluate(gcb, facts, settings, same) == []
