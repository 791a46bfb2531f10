"""The fault matrix through ``supplychain audit``: every endpoint kind under every network fault.

Each case runs the real console entry point over a two-package pin file against a loopback server
(recorded PyPI answers, the OSV emulator with real records) in which one endpoint misbehaves. The
contract (issue 7): no traceback; the facts that endpoint speaks for are Unknown with a reason that
names the fault; the reports are still written; the facts of the healthy endpoints stay Known; exit
3 under a fail-closed level (SL5) and 0/1 with the unknown facts as warnings below it (SL2).
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import io
import json
import os
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import stamina
import yaml

from supplychain.cli import audit as audit_cli
from supplychain.cli import common as cli_common
from supplychain.clock import FixedClock
from supplychain.net.http import HttpSettings
from supplychain.sources.datastore import DataStore
from supplychain.sources.osv_records import parse_record
from tests.policy.recorded import FETCHED, POLICY
from tests.sources.pypi_support import PYPI_FIXTURES
from tests.support.faults import FaultServer, RecordingServer, StreamReply, closed_port, fault_server
from tests.support.osv_api import OsvApi
from tests.support.pep740 import serve_pep740_pages
from tests.support.server import Reply
from tests.test_audit_cli import run

TIMEOUT = 1.0  # seconds per read (under load a healthy answer took over 0.3 s); attempts capped at 2
# How long a slow fault would hold a client that waited for it: far past any timeout, so a reply can
# never arrive in time however loaded the machine, and an audit that ends well before it stopped waiting.
DRAG = 60.0
MAX_BYTES = 1_000_000  # the largest recorded answer used here (requests' Simple page) is far below
PINS = "requests==2.25.1\nsix==1.17.0\n"
FORMATS = "json,sarif,markdown"
SUFFIX = {"json": ".json", "sarif": ".sarif", "markdown": ".md"}
# Hand-made answers in pypistats' documented shape (its API docs), one per package.
PYPISTATS = {
    name: {
        "data": {"last_day": 1, "last_month": month, "last_week": 7},
        "package": name,
        "type": "recent_downloads",
    }
    for name, month in (("requests", 900_000_000), ("six", 123_456))
}


@dataclass(frozen=True)
class Endpoint:
    """One endpoint kind: where it lives on the server, and which facts a fault there must unlearn."""

    env: str  # SUPPLYCHAIN_<NAME>_URL
    base: str  # path of its base URL on the server
    prefix: str  # requests to fault
    affected: tuple[tuple[str, str], ...]  # (package, fact) that must turn Unknown
    kept: tuple[tuple[str, str], ...]  # (package, fact) of this endpoint that must stay Known
    wrong_shape: bytes  # valid JSON, not the shape the API promises
    shape_reason: str


PYPI_FACTS = (
    "maintainers",
    "organization",
    "first_release",
    "latest_release",
    "upload_time",
    "yanked",
    "license",
)
ENDPOINTS: dict[str, Endpoint] = {
    "simple": Endpoint(
        env="SUPPLYCHAIN_INDEX_URL",
        base="/simple/",
        prefix="/simple/",
        # The integrity source reads the file list from the same page: it cannot check provenance either.
        affected=tuple(
            (p, f) for p in ("requests", "six") for f in ("has_wheel", "project_status", "provenance")
        ),
        kept=(("six", "index"),),
        wrong_shape=json.dumps({"meta": {"api-version": "1.1"}, "files": {"six-1.17.0.tar.gz": {}}}).encode(),
        shape_reason="files is dict, expected list",
    ),
    "pypi": Endpoint(
        env="SUPPLYCHAIN_PYPI_URL",
        base="/",
        prefix="/pypi/",
        affected=tuple((p, f) for p in ("requests", "six") for f in PYPI_FACTS),
        kept=(),
        wrong_shape=json.dumps({"ownership": "benjaminp", "releases": [], "info": "six"}).encode(),
        shape_reason="PyPI JSON: ",
    ),
    "osv": Endpoint(
        env="SUPPLYCHAIN_OSV_URL",
        base="/",
        prefix="/v1/",
        affected=tuple((p, f) for p in ("requests", "six") for f in ("advisories", "malicious_reports")),
        kept=(),
        wrong_shape=json.dumps({"results": {"vulns": []}}).encode(),
        shape_reason="OSV querybatch failed: answer has no 'results' list",
    ),
    # Only the per-record fetch fails: the batch answered, so six (no advisories) stays Known.
    "osv-vulns": Endpoint(
        env="SUPPLYCHAIN_OSV_URL",
        base="/",
        prefix="/v1/vulns/",
        affected=(("requests", "advisories"), ("requests", "malicious_reports")),
        kept=(("six", "advisories"), ("six", "malicious_reports")),
        wrong_shape=json.dumps({"id": 7, "affected": "requests"}).encode(),
        shape_reason="PYSEC-",
    ),
    # six is left out of the popularity dataset below, so only pypistats can answer for it;
    # requests falls back to the dataset (Known, from the snapshot), which is the containment.
    "popularity": Endpoint(
        env="SUPPLYCHAIN_PYPISTATS_URL",
        base="/pypistats/",
        prefix="/pypistats/",
        affected=(("six", "downloads_30d"),),
        kept=(("requests", "downloads_30d"),),
        wrong_shape=json.dumps({"data": {"last_month": "lots"}}).encode(),
        shape_reason="data.last_month is str, expected int",
    ),
    # The provenance URLs come from the index's pages (served as PEP 740 pages below), on its host.
    "integrity": Endpoint(
        env="SUPPLYCHAIN_INTEGRITY_URL",
        base="/",
        prefix="/integrity/",
        affected=(("requests", "provenance"), ("six", "provenance")),
        kept=(),
        wrong_shape=json.dumps({"attestation_bundles": "GitHub"}).encode(),
        shape_reason="attestation_bundles is str, expected list",
    ),
}
# One fact per endpoint kind, for six unless that endpoint is the faulty one: must stay Known.
HEALTHY: dict[str, tuple[str, str]] = {
    "simple": ("six", "has_wheel"),
    "pypi": ("six", "maintainers"),
    "osv": ("requests", "advisories"),
    "popularity": ("six", "downloads_30d"),
    "integrity": ("six", "provenance"),
}
FAMILY = {"osv-vulns": "osv"}


@dataclass(frozen=True)
class Fault:
    """A misbehaviour: a reply for the endpoint's requests, or a base URL that cannot be reached."""

    reason: str  # what the Unknown's reason must say
    reply: Callable[[Endpoint], Reply] | None = None
    base_url: Callable[[str], str] | None = None  # given the endpoint's base path


def _json(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, body, {"Content-Type": "application/json", **(headers or {})})


FAULTS: dict[str, Fault] = {
    "refused": Fault("connection failed", base_url=lambda base: f"http://127.0.0.1:{closed_port()}{base}"),
    "dns": Fault("DNS lookup failed", base_url=lambda base: f"http://pypi-mirror.invalid{base}"),
    "timeout": Fault("timed out", reply=lambda _e: Reply(200, b"{}", delay=DRAG)),
    # Headers at once, then the body stalls longer than the read timeout.
    "stalled-body": Fault("timed out", reply=lambda _e: StreamReply(200, chunks=[b"{", b"}"], interval=DRAG)),
    # Each byte inside the read timeout, the whole far beyond it (slowloris): must not hold the audit.
    "trickled-body": Fault(
        "timed out",
        reply=lambda _e: StreamReply(
            200, chunks=[b"{", *[b" "] * int(DRAG / (TIMEOUT / 3)), b"}"], interval=TIMEOUT / 3
        ),
    ),
    "429-retry-after": Fault(
        "HTTP 429 after", reply=lambda _e: _json(b"{}", 429, headers={"Retry-After": "1"})
    ),
    "429": Fault("HTTP 429 after", reply=lambda _e: _json(b"{}", 429)),
    "500": Fault("HTTP 500 after", reply=lambda _e: _json(b"{}", 500)),
    "502": Fault("HTTP 502 after", reply=lambda _e: Reply(502, b"<html>bad gateway</html>")),
    "503": Fault("HTTP 503 after", reply=lambda _e: _json(b"{}", 503, headers={"Retry-After": "0"})),
    "truncated": Fault(
        "truncated",
        reply=lambda _e: _json(b'{"info": ', headers={"Content-Length": "400", "Connection": "close"}),
    ),
    "malformed-json": Fault("not valid JSON", reply=lambda _e: _json(b'{"info": nope')),
    "wrong-shape": Fault("", reply=lambda e: _json(e.wrong_shape)),
    "oversized": Fault("exceeds", reply=lambda _e: _json(b"[" + b"0," * MAX_BYTES + b"0]")),
    "oversized-unannounced": Fault(
        "exceeds",
        reply=lambda _e: StreamReply(
            200,
            headers={"Content-Type": "application/json"},
            chunks=[b" " * 65536] * 20,
            declare_length=False,
        ),
    ),
    "redirect-loop": Fault("more than 5 redirects", reply=lambda _e: Reply(302, b"", {"Location": "./"})),
    "redirect-other-host": Fault("redirect to another host", reply=lambda _e: Reply(307, b"")),
}
SLOW = frozenset({"timeout", "stalled-body", "trickled-body"})
CASES = [
    (endpoint, fault)
    for endpoint in ENDPOINTS
    for fault in FAULTS
    # The record fetch shares the OSV base URL: an unreachable host is the "osv" case. Provenance is
    # fetched from the URL the index's page gives, never from a configured Integrity base URL.
    if not (endpoint in {"osv-vulns", "integrity"} and FAULTS[fault].base_url is not None)
]
# A PEP 740 provenance object in its documented shape (hand-made: the recorded packages carry none).
# Its bundle holds no attestation, so it never verifies: the facts are Known either way.
PROVENANCE = {
    "version": 1,
    "attestation_bundles": [
        {
            "publisher": {"kind": "GitHub", "repository": "psf/requests", "workflow": "publish.yml"},
            "attestations": [],
        }
    ],
}


def serve_provenance(server: FaultServer) -> None:
    """PEP 740 pages linking a provenance per file on the index's host, and its answer.

    The pages are served at API 1.4, where PEP 792's missing status marker means ``active``: a
    healthy SL5 baseline needs ``project_status`` known too."""
    url = server.url
    serve_pep740_pages(server, lambda project, filename: f"{url}/integrity/{project}/{filename}/provenance")
    answer = _json(json.dumps(PROVENANCE).encode())
    server.handlers.append(lambda _m, path, _b: answer if path.startswith("/integrity/") else None)


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[RecordingServer]:
    """Another host (127.0.0.2) the redirect faults point at; nothing may ever reach it."""
    with RecordingServer() as other:
        yield other


@dataclass
class Project:
    server: FaultServer
    root: Path
    elsewhere: RecordingServer


@pytest.fixture
def project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, elsewhere: RecordingServer) -> Iterator[Project]:
    with fault_server() as server:
        server.mount("/", PYPI_FIXTURES)
        serve_provenance(server)
        OsvApi(osv_records()).install(server)
        for name, document in PYPISTATS.items():
            server.json(f"/pypistats/api/packages/{name}/recent", document)
        for endpoint in ENDPOINTS.values():
            monkeypatch.setenv(endpoint.env, server.url + endpoint.base)
        shrink_network_limits(monkeypatch)
        monkeypatch.setattr(audit_cli, "clock_factory", lambda: FixedClock(FETCHED))
        install_popularity_without_six(Path(os.environ["SUPPLYCHAIN_DATA_DIR"]), tmp_path)
        monkeypatch.chdir(tmp_path)
        (tmp_path / "requirements.txt").write_text(PINS)
        # SL5 with the recorded datasets' age accepted (top packages of 2026-04-01, a MAL- report of 2022).
        ages = "max_popularity_age_days = 365\nmax_advisory_age_days = 3650\n"
        (tmp_path / "sl5.toml").write_text(f'extends = "sl5"\n{ages}')
        (tmp_path / "sl2.toml").write_text(f'extends = "sl2"\n{ages}')
        yield Project(server=server, root=tmp_path, elsewhere=elsewhere)


@functools.cache
def osv_records() -> tuple[dict[str, Any], ...]:
    """The real PyPA records for requests and a real MAL- report (tests/fixtures/policy), as OSV's
    emulator and its PyPI database (which holds both kinds) serve them."""
    return (
        *(
            yaml.load(io.StringIO(p.read_text()), Loader=yaml.BaseLoader)
            for p in sorted((POLICY / "advisories").glob("*.yaml"))
        ),
        json.loads((POLICY / "malicious" / "MAL-2022-7433.json").read_text()),
    )


def shrink_network_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's one client, with test-sized limits (the commands build it in ``run_with_http``)."""

    def small(**values: Any) -> HttpSettings:
        return HttpSettings(**values, timeout=TIMEOUT, max_bytes=MAX_BYTES, attempts=2)

    monkeypatch.setattr(cli_common, "HttpSettings", small)
    stamina.set_testing(True, attempts=2)  # conftest's _fast_retries turns testing off afterwards


def install_popularity_without_six(data_dir: Path, scratch: Path) -> None:
    """The recorded top-packages subset minus six, so only pypistats can say how popular six is."""
    data = json.loads((PYPI_FIXTURES / "top-pypi-packages.subset.json").read_text())
    data["rows"] = [row for row in data["rows"] if row["project"] != "six"]
    subset = scratch / "top-pypi-packages.without-six.json"
    subset.write_text(json.dumps(data))
    DataStore(data_dir).import_path(subset)


def audit(
    project: Project, level: str, capsys: pytest.CaptureFixture[str], *extra: str, formats: str = FORMATS
) -> Result:
    """One ``supplychain audit`` run writing ``formats`` to a directory; checks what every run owes."""
    out_dir = project.root / f"reports-{level}"
    args = ["audit", "requirements.txt", "--no-deps", "--policy", f"{level}.toml"]
    code, out, err = run([*args, "--format", formats, "--output", str(out_dir), *extra], capsys)
    assert "Traceback" not in out + err, err[-2500:]
    assert "internal error" not in err, err
    written = {p.suffix: p for p in out_dir.iterdir()} if out_dir.is_dir() else {}
    assert sorted(written) == sorted(SUFFIX[f] for f in formats.split(",")), (code, out, err)
    document = json.loads(written[".json"].read_text())
    assert document["verdict"] in {"passed", "failed", "incomplete"}
    if ".sarif" in written:
        assert json.loads(written[".sarif"].read_text())["runs"], "the SARIF report has no run"
    if ".md" in written:
        assert document["verdict"].upper() in written[".md"].read_text().upper()
    return Result(code=code, out=out, err=err, document=document)


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str
    document: dict[str, Any]

    def fact(self, package: str, fact: str) -> dict[str, Any]:
        entry = next(p for p in self.document["packages"] if p["name"] == package)
        return entry["facts"][fact]  # type: ignore[no-any-return]

    def unknowns(self) -> set[tuple[str, str]]:
        return {(u["package"].split("==")[0], u["fact"]) for u in self.document["unknowns"]}


def test_the_healthy_baseline_knows_every_fact_it_needs(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a fault nothing is unknown: so an exit 3 below comes from the fault alone."""
    strict = audit(project, "sl5", capsys)
    assert strict.code == 1, strict.out + strict.err
    assert strict.document["unknowns"] == []
    for endpoint in ENDPOINTS.values():
        for package, fact in (*endpoint.affected, *endpoint.kept):
            assert "value" in strict.fact(package, fact), (package, fact, strict.fact(package, fact))
    assert strict.fact("six", "downloads_30d")["source"] == "pypistats"


def inject(project: Project, endpoint: Endpoint, fault: Fault, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    if fault.base_url is not None:
        monkeypatch.setenv(endpoint.env, fault.base_url(endpoint.base))
        return []
    reply = fault.reply
    assert reply is not None
    if fault is FAULTS["redirect-other-host"]:
        target = project.elsewhere.url + "/stolen"
        return project.server.fault(
            endpoint.prefix, lambda: dataclasses.replace(reply(endpoint), headers={"Location": target})
        )
    return project.server.fault(endpoint.prefix, lambda: reply(endpoint))


@pytest.mark.parametrize(("endpoint_name", "fault_name"), CASES)
def test_fault_is_contained_and_reported(
    endpoint_name: str,
    fault_name: str,
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint, fault = ENDPOINTS[endpoint_name], FAULTS[fault_name]
    hits = inject(project, endpoint, fault, monkeypatch)
    started = time.monotonic()
    strict = audit(project, "sl5", capsys, "--quiet")
    elapsed = time.monotonic() - started
    if fault.reply is not None:
        assert hits, "the fault was never reached"
    expected = endpoint.shape_reason if fault_name == "wrong-shape" else fault.reason

    # 1. Fail closed: exit 3, and the verdict line says why.
    assert strict.code == 3, strict.out + strict.err
    assert strict.document["verdict"] == "incomplete"
    assert strict.out.startswith("INCOMPLETE: policy sl5.toml, 2 packages"), strict.out
    # 2. Every fact the endpoint speaks for is Unknown, with a reason naming the fault.
    for package, fact in endpoint.affected:
        signal = strict.fact(package, fact)
        assert "value" not in signal, (package, fact, signal)
        assert expected in signal["unknown"], (package, fact, signal)
    listed = {(u["package"].split("==")[0], u["fact"]): u["reason"] for u in strict.document["unknowns"]}
    assert set(listed) <= set(endpoint.affected), set(listed) - set(endpoint.affected)
    assert listed, "no unknown fact reached the report"
    assert all(expected in reason for reason in listed.values()), listed
    # 3. The partial reports say it too: SARIF carries the data-unknown results with their reason.
    sarif = (project.root / "reports-sl5" / "supplychain.sarif").read_text()
    assert expected.replace('"', '\\"') in sarif or expected in sarif
    # 4. Contained: this endpoint's other answers and every other endpoint's facts stay Known.
    for package, fact in endpoint.kept:
        assert "value" in strict.fact(package, fact), (package, fact, strict.fact(package, fact))
    family = FAMILY.get(endpoint_name, endpoint_name)
    for other, (package, fact) in HEALTHY.items():
        if other != family and (package, fact) not in endpoint.affected:
            assert "value" in strict.fact(package, fact), (other, fact, strict.fact(package, fact))
    assert project.elsewhere.seen == [], "a redirect to another host was followed"
    # Bounded: the audit gave up on a dragging server long before the server would have finished.
    assert elapsed < DRAG / 2, f"{elapsed:.1f} s"

    if fault_name in SLOW and endpoint_name != "osv":
        return  # the lenient leg below is the same for every fault; slow ones pay it once, on OSV
    # 3 (below fail-closed): the same unknowns only warn; the audit passes or fails on what it knows.
    lenient = audit(project, "sl2", capsys, formats="json")
    assert lenient.code in {0, 1}, lenient.out + lenient.err
    assert lenient.document["verdict"] != "incomplete"
    warned = [f for f in lenient.document["findings"] if f["rule"] == "data-unknown"]
    assert all(f["action"] == "warn" for f in warned), warned
    needed_at_sl2 = lenient.unknowns()
    assert needed_at_sl2 <= set(endpoint.affected)
    for package, fact in needed_at_sl2:
        assert expected in lenient.fact(package, fact)["unknown"]
    if endpoint_name != "integrity":  # provenance is not asked for below SL4
        assert warned, "the unknown facts were not reported as warnings"
        printed = " ".join(lenient.out.split())  # the terminal wraps long lines
        assert f"Unknown facts ({len(needed_at_sl2)}), by source and reason:" in printed
        assert expected in printed
        assert printed.endswith(f"{len(needed_at_sl2)} unknown"), lenient.out


def test_osv_database_on_disk_unreadable_is_unknown_not_a_crash(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """A corrupt record file in the data store: advisories Unknown (no fallback to a guess)."""
    store = DataStore(Path(os.environ["SUPPLYCHAIN_DATA_DIR"]))
    store.write_records([parse_record(r, "fixture") for r in osv_records()], origin="fixture")
    healthy = audit(project, "sl5", capsys)
    assert healthy.code == 1
    assert healthy.fact("requests", "advisories")["source"].startswith("osv-db:")
    for data in sorted(store.root.glob("*.jsonl")):
        data.write_bytes(b'{"id": "PYSEC-2023-74", "affected": [' + b"\x00" * 10)
    broken = audit(project, "sl5", capsys)
    assert broken.code == 3, broken.out + broken.err
    for package in ("requests", "six"):
        assert "advisory database unreadable" in broken.fact(package, "advisories")["unknown"]
    assert "value" in broken.fact("six", "maintainers")


def test_osv_database_index_of_the_wrong_shape_is_unknown(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    store = DataStore(Path(os.environ["SUPPLYCHAIN_DATA_DIR"]))
    store.write_records([parse_record(r, "fixture") for r in osv_records()], origin="fixture")
    for index in sorted(store.root.glob("*.index.sqlite")):
        index.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    broken = audit(project, "sl5", capsys)
    assert broken.code == 3, broken.out + broken.err
    assert "advisory database unreadable" in broken.fact("requests", "advisories")["unknown"]


def test_an_unreadable_data_store_manifest_is_named_not_a_traceback(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """The store's own index of datasets is garbage: exit 2 naming the file (a local file to fix)."""
    manifest = Path(os.environ["SUPPLYCHAIN_DATA_DIR"]) / "manifest.json"
    manifest.write_text('{"datasets": ')
    args = ["audit", "requirements.txt", "--no-deps", "--policy", "sl5.toml", "--format", "json"]
    code, out, err = run(args, capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {manifest}: unreadable manifest"), err
    assert "Traceback" not in err


def test_offline_without_an_advisory_database_is_unknown(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--offline`` with an empty cache: nothing known from the network, exit 3, reports written."""
    strict = audit(project, "sl5", capsys, "--offline")
    assert strict.code == 3
    assert "no advisory data" in strict.fact("requests", "advisories")["unknown"]
    assert "--offline" in strict.fact("six", "maintainers")["unknown"]
    assert project.server.requests == []


RESOLVE_REASON = {"wrong-shape": "not a Simple API project page"}


# One fault per code path of the resolver's page fetch (the 429/5xx and timeout variants share theirs).
RESOLVE_FAULTS = [
    "refused",
    "dns",
    "trickled-body",
    "503",
    "truncated",
    "malformed-json",
    "wrong-shape",
    "oversized-unannounced",
    "redirect-other-host",
]


@pytest.mark.parametrize("fault_name", RESOLVE_FAULTS)
def test_resolving_over_a_faulty_index_stops_with_exit_3(
    fault_name: str, project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --no-deps the graph itself needs the index: no graph, no verdict, even at SL2.

    The message names the index (a broken index is not a conflict in the user's requirements).
    """
    fault = FAULTS[fault_name]
    inject(project, ENDPOINTS["simple"], fault, monkeypatch)
    code, out, err = run(["audit", "requirements.txt", "--policy", "sl2.toml", "--format", "json"], capsys)
    assert code == 3, out + err
    assert "Traceback" not in out + err
    assert err.startswith("error: could not read the index: "), err
    assert "/simple/requests/: " in err
    assert RESOLVE_REASON.get(fault_name, fault.reason) in err
    assert project.elsewhere.seen == []


# Answers that started as a 200 and broke off: the candidates for a half-stored cache entry.
MIDWAY = ["truncated", "stalled-body", "oversized-unannounced"]


@pytest.mark.parametrize("fault_name", MIDWAY)
@pytest.mark.parametrize("endpoint_name", ["simple", "pypi", "integrity"])  # the facts-cached sources
def test_a_failed_answer_is_not_remembered(
    endpoint_name: str,
    fault_name: str,
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Once the endpoint recovers, the next run learns the facts: no cache kept the failure or a part body."""
    endpoint = ENDPOINTS[endpoint_name]
    inject(project, endpoint, FAULTS[fault_name], monkeypatch)
    assert audit(project, "sl5", capsys, "--quiet", formats="json").code == 3
    project.server.handlers.pop(0)  # the fault handler, installed first
    recovered = audit(project, "sl5", capsys, "--quiet", formats="json")
    assert recovered.document["unknowns"] == [], recovered.document["unknowns"]
    assert recovered.code == 1
    for package, fact in endpoint.affected:
        assert "value" in recovered.fact(package, fact), (package, fact)


def test_a_compressed_bomb_is_refused_by_its_decoded_size(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """16 KB of gzip that inflates to 16 MB: the limit counts decoded bytes, so the fact is Unknown."""
    bomb = gzip.compress(b" " * (16 * MAX_BYTES), compresslevel=9)
    assert len(bomb) < MAX_BYTES // 10
    reply = Reply(200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    hits = project.server.fault("/pypi/", lambda: reply)
    strict = audit(project, "sl5", capsys, "--quiet", formats="json")
    assert hits
    assert strict.code == 3
    for package, fact in ENDPOINTS["pypi"].affected:
        assert f"exceeds {MAX_BYTES} bytes" in strict.fact(package, fact)["unknown"]


# ``db update`` downloads OSV's database archive and the top-packages list; hand-made bad answers.
DB_FAULTS: dict[str, tuple[str, Reply | None, str]] = {
    "archive-500": ("/all.zip", _json(b"{}", 500), "HTTP 500 after"),
    "archive-truncated": (
        "/all.zip",
        Reply(200, b"PK\x03\x04", {"Content-Length": "4000", "Connection": "close"}),
        "truncated",
    ),
    "archive-garbage": ("/all.zip", Reply(200, b"<html>captive portal</html>"), "unreadable archive"),
    "archive-redirect-other-host": ("/all.zip", None, "redirect to another host"),
    "top-malformed-json": ("/top.json", _json(b'{"rows": '), "not valid JSON"),
    "top-wrong-shape": ("/top.json", _json(b'{"rows": "many"}'), "not a top-packages dataset"),
}


@pytest.mark.parametrize("case", list(DB_FAULTS))
def test_db_update_under_a_fault_keeps_the_installed_data(
    case: str, project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed or garbage download is an error naming the URL; the data already installed stays usable."""
    store = DataStore(Path(os.environ["SUPPLYCHAIN_DATA_DIR"]))
    store.write_records([parse_record(r, "fixture") for r in osv_records()], origin="fixture")
    before = {path.name: path.read_bytes() for path in store.root.iterdir()}
    path, reply, reason = DB_FAULTS[case]
    if reply is None:
        reply = Reply(302, b"", {"Location": project.elsewhere.url + "/all.zip"})
    project.server.routes[path] = reply
    project.server.routes.setdefault(
        "/all.zip", Reply(200, zipped_records(), {"Content-Type": "application/zip"})
    )
    project.server.routes.setdefault(
        "/top.json", Reply(200, (PYPI_FIXTURES / "top-pypi-packages.subset.json").read_bytes())
    )
    monkeypatch.setenv("SUPPLYCHAIN_OSV_DATABASE_URL", project.server.url + "/all.zip")
    monkeypatch.setenv("SUPPLYCHAIN_TOP_PACKAGES_URL", project.server.url + "/top.json")
    code, out, err = run(["db", "update"], capsys)
    # a download that failed is data unavailable (3); a download that arrived malformed is bad data (2)
    assert code == (2 if case in {"archive-garbage", "top-wrong-shape"} else 3), out + err
    assert "Traceback" not in err
    assert err.startswith((f"error: {project.server.url}{path}", "error: download failed: ")), err
    assert f"{project.server.url}{path}" in err, err  # the URL, not a deleted temp file
    assert reason in err, err
    assert project.elsewhere.seen == []
    if path == "/all.zip":  # nothing was replaced
        assert {p.name: p.read_bytes() for p in store.root.iterdir()} == before
    strict = audit(project, "sl5", capsys, "--quiet", formats="json")
    assert strict.fact("requests", "advisories")["source"].startswith("osv-db:")
    assert strict.code == 1


def zipped_records() -> bytes:
    """The real PyPA records for requests as OSV's all.zip lays them out (one JSON file per record)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for record in osv_records():
            archive.writestr(f"{record['id']}.json", json.dumps(record))
    return buffer.getvalue()


def test_a_retry_after_beyond_the_cap_gives_up_at_once_and_says_so(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """429 asking for an hour: no retry (the audit would stall), and the reason counts one attempt."""
    hits = project.server.fault("/pypi/", lambda: _json(b"{}", 429, headers={"Retry-After": "3600"}))
    strict = audit(project, "sl5", capsys, "--quiet", formats="json")
    assert strict.code == 3
    assert sorted(hits) == ["/pypi/requests/json", "/pypi/six/json"]  # one request each
    assert strict.fact("six", "maintainers")["unknown"].endswith("/pypi/six/json: HTTP 429 after 1 attempt")
