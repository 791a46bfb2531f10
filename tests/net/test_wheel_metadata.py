"""The range reader: a wheel's METADATA through a server that honours, ignores or breaks ranges.

Wheels are built here with zipfile (small, dated so every read sees the same bytes), except six's,
which is the real wheel from PyPI (tests/fixtures/net/README.md). A ``RangedFile`` larger than its
body is a virtual file, zeros then the zip: a 2 GB or 5 GB wheel costs nothing to serve.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import struct
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplychain.errors import MalformedResponse, OfflineMiss, ResponseTooLarge
from supplychain.net import wheel_metadata
from supplychain.net.http import ByteRange, HttpSettings, build_http
from supplychain.net.wheel_metadata import (
    SparseFile,
    fetch_wheel_metadata,
    metadata_by_ranges,
    wheel_metadata_from_bytes,
)
from tests.support.server import RangedFile, ReplayServer, Reply

SIX = Path(__file__).parents[1] / "fixtures" / "net" / "six-1.17.0-py2.py3-none-any.whl"
SIX_SHA256 = "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"  # PyPI's Simple page
METADATA = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: six>=1.16\n"
GIB = 1024**3


def build(members: Sequence[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Duplicate name", UserWarning)  # one test wants two METADATA
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, compression)
    return buffer.getvalue()


def demo_wheel(compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    return build(
        [("demo/__init__.py", b"print('never run')\n"), ("demo-1.0.dist-info/METADATA", METADATA)],
        compression,
    )


def serve(
    server: ReplayServer, body: bytes, filename: str = "demo-1.0-py3-none-any.whl", **options: Any
) -> tuple[str, RangedFile]:
    served = RangedFile(200, body, {"Content-Type": "application/octet-stream"}, **options)
    server.routes[f"/files/{filename}"] = served
    return f"{server.url}/files/{filename}", served


def read(url: str, settings: HttpSettings | None = None, **options: Any) -> tuple[bytes, int]:
    """The METADATA and the number of requests sent for it."""

    async def go() -> tuple[bytes, int]:
        http = build_http(settings or HttpSettings(attempts=1))
        try:
            return await fetch_wheel_metadata(http, url, **options), http.requests_sent
        finally:
            await http.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_small_wheel_is_read_in_one_range_request(server: ReplayServer, compression: int) -> None:
    body = demo_wheel(compression)
    url, served = serve(server, body)
    assert read(url, size=len(body)) == (METADATA, 1)
    assert served.asked == ["bytes=-65536"]


def test_the_real_six_wheel_is_read_by_ranges_in_three_steps(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tail of 256 bytes holds the end record but not the central directory nor METADATA (as for torch)."""
    monkeypatch.setattr(wheel_metadata, "TAIL_BYTES", 256)
    url, served = serve(server, SIX.read_bytes(), SIX.name)
    metadata, requests = read(url, size=11050, sha256=SIX_SHA256)
    assert metadata.startswith(b"Metadata-Version: 2.1\nName: six\nVersion: 1.17.0\n")
    assert requests == 3
    assert served.asked[0] == "bytes=-256"
    assert served.sent < 2000  # from METADATA's local header to the end, no byte twice


def torch_like() -> bytes:
    """Many members (a central directory of ~200 KB) and a large RECORD after METADATA, as torch has."""
    members = [(f"torch/lib/module_{i:05}.py", b"x = 1\n") for i in range(3000)]
    members.append(("torch-2.0.dist-info/METADATA", METADATA.replace(b"demo", b"torch")))
    members.append(("torch-2.0.dist-info/RECORD", random.Random(13).randbytes(100_000)))
    return build(members)


def test_a_2_gb_wheel_costs_three_small_range_reads(server: ReplayServer) -> None:
    body = torch_like()
    served = RangedFile(200, body, size=2 * GIB)
    server.routes["/files/torch-2.0-cp311-cp311-manylinux_2_28_x86_64.whl"] = served
    url = f"{server.url}/files/torch-2.0-cp311-cp311-manylinux_2_28_x86_64.whl"
    metadata, requests = read(url, size=2 * GIB)
    assert metadata == METADATA.replace(b"demo", b"torch")
    assert requests == 3
    central_directory = struct.unpack("<4s4H2LH", body[-22:])[5]
    assert central_directory > 150_000
    assert served.sent <= wheel_metadata.TAIL_BYTES + central_directory + 16 * 1024, served.asked


def zip64_wheel(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """zip64 records throughout, and an end record that defers to them (0xFFFF / 0xFFFFFFFF)."""
    with monkeypatch.context() as patched:
        patched.setattr(zipfile, "ZIP64_LIMIT", 0)
        patched.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 0)
        body = demo_wheel()
    assert body[-22 - 20 - 56 : -22 - 20 - 52] == zipfile.stringEndArchive64
    end = struct.pack("<4s4H2LH", zipfile.stringEndArchive, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return body[:-22] + end


def test_a_zip64_wheel_past_4_gb_is_read(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url, served = serve(server, zip64_wheel(monkeypatch), size=5 * GIB)
    assert read(url, size=5 * GIB) == (METADATA, 1)
    assert served.asked == ["bytes=-65536"]


def test_a_server_ignoring_ranges_gives_the_whole_file_checked_against_its_hash(
    server: ReplayServer,
) -> None:
    body = demo_wheel()
    url, _ = serve(server, body, mode="ignore")
    assert read(url, size=len(body), sha256=hashlib.sha256(body).hexdigest()) == (METADATA, 1)
    with pytest.raises(MalformedResponse, match="does not have the sha256 the index lists"):
        read(url, size=len(body), sha256="0" * 64)


def test_a_server_ignoring_ranges_for_a_file_over_the_limit_is_a_clear_refusal(server: ReplayServer) -> None:
    body = build([("big.bin", random.Random(1).randbytes(50_000)), ("demo-1.0.dist-info/METADATA", METADATA)])
    url, served = serve(server, body, mode="ignore")
    with pytest.raises(ResponseTooLarge) as refused:
        read(url, size=len(body), max_bytes=20_000)
    assert refused.value.reason == (
        f"demo-1.0-py3-none-any.whl: the index ignores range requests and the file of {len(body)} bytes "
        "exceeds the 20000-byte limit for reading a whole wheel"
    )
    assert served.asked == ["bytes=-65536"]


def test_a_content_range_one_byte_off_is_refused(server: ReplayServer) -> None:
    body = demo_wheel()
    url, _ = serve(server, body, mode="shifted")
    with pytest.raises(MalformedResponse) as refused:
        read(url, size=len(body))
    n = len(body)
    expected = f": asked for bytes 0-{n - 1} of {n}, got 'bytes 1-{n - 1}/{n}' with {n} bytes"
    assert refused.value.reason.endswith(expected)


def test_a_content_range_of_another_file_size_is_refused(server: ReplayServer) -> None:
    body = demo_wheel()
    url, _ = serve(server, body, mode="wrong-total")
    with pytest.raises(MalformedResponse) as refused:
        read(url)
    n = len(body)
    expected = f": asked for bytes 0-{n} of {n + 1}, got 'bytes 0-{n - 1}/{n + 1}' with {n} bytes"
    assert refused.value.reason.endswith(expected)


def test_a_file_of_another_size_than_the_index_lists_is_refused(server: ReplayServer) -> None:
    body = demo_wheel()
    url, _ = serve(server, body)
    with pytest.raises(MalformedResponse, match=f"the file has {len(body)} bytes, the index said 999999"):
        read(url, size=999_999)


@pytest.mark.parametrize("cut", [1, 22, 200])
def test_a_truncated_wheel_is_not_readable(server: ReplayServer, cut: int) -> None:
    url, _ = serve(server, demo_wheel()[:-cut])
    with pytest.raises(MalformedResponse, match="not a readable wheel"):
        read(url)


def test_a_wheel_whose_metadata_does_not_inflate_to_its_crc_is_refused(server: ReplayServer) -> None:
    body = bytearray(demo_wheel(zipfile.ZIP_STORED))
    at = bytes(body).index(b"Requires-Dist: six")
    body[at] ^= 0x20  # one flipped bit inside the member: its CRC-32 no longer matches
    url, _ = serve(server, bytes(body))
    with pytest.raises(MalformedResponse, match="CRC"):
        read(url)


@pytest.mark.parametrize(
    ("members", "match"),
    [
        ([("demo/__init__.py", b"")], "no demo-\\*.dist-info/METADATA"),
        ([("other-1.0.dist-info/METADATA", METADATA)], "no demo-\\*.dist-info/METADATA"),
        ([("demo-1.0.dist-info/METADATA", METADATA)] * 2, "more than one"),
    ],
)
def test_the_metadata_must_be_the_wheels_own_and_only_one(
    server: ReplayServer, members: list[tuple[str, bytes]], match: str
) -> None:
    url, _ = serve(server, build(members))
    with pytest.raises(MalformedResponse, match=match):
        read(url)


def test_a_pep_658_file_is_read_instead_of_the_wheel(server: ReplayServer) -> None:
    url, served = serve(server, demo_wheel())
    server.routes["/files/demo-1.0-py3-none-any.whl.metadata"] = Reply(200, b"Metadata-Version: 2.1\n")
    assert read(url, metadata_file=True) == (b"Metadata-Version: 2.1\n", 1)
    assert served.asked == []


def test_a_missing_pep_658_file_falls_back_to_ranges(server: ReplayServer) -> None:
    url, served = serve(server, demo_wheel())
    assert read(url, metadata_file=True) == (METADATA, 2)
    assert served.asked == ["bytes=-65536"]


def test_offline_the_range_reader_fetches_nothing(server: ReplayServer, tmp_path: Path) -> None:
    """Range answers are never cached: offline, only the metadata store (resolve) can answer."""
    url, served = serve(server, demo_wheel())
    assert read(url, HttpSettings(attempts=1, cache_dir=tmp_path))[0] == METADATA
    with pytest.raises(OfflineMiss):
        read(url, HttpSettings(attempts=1, cache_dir=tmp_path, offline=True))
    assert len(served.asked) == 1


def test_the_sparse_file_merges_what_it_holds_and_names_what_it_lacks() -> None:
    sparse = SparseFile(100)
    sparse.add(80, bytes(range(80, 100)))
    sparse.add(10, bytes(range(10, 20)))
    assert sparse.missing(0, 100) == (0, 10)
    assert sparse.missing(15, 100) == (20, 80)
    sparse.add(15, bytes(range(15, 85)))  # overlaps both spans: one span 10-100 remains
    assert sparse.holds(10, 100)
    assert sparse.missing(10, 100) == (100, 100)
    sparse.seek(12)
    assert sparse.read(5) == bytes(range(12, 17))
    sparse.seek(-3, 2)
    assert sparse.read() == bytes(range(97, 100))
    with pytest.raises(OSError, match="before the start"):
        sparse.seek(-101, 2)


def test_a_whole_wheel_in_memory_is_read_the_same_way() -> None:
    assert wheel_metadata_from_bytes(SIX.read_bytes(), SIX.name).startswith(
        b"Metadata-Version: 2.1\nName: six\n"
    )


SIX_BYTES = SIX.read_bytes()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(0, len(SIX_BYTES) - 1),
    flips=st.lists(st.tuples(st.integers(0, len(SIX_BYTES) - 1), st.integers(1, 255)), max_size=4),
    tail=st.integers(1, 4096),
)
def test_a_mutated_wheel_is_read_or_refused_never_a_crash(
    cut: int, flips: list[tuple[int, int]], tail: int
) -> None:
    """The real six wheel cut short and with bytes flipped, read from a tail of any length."""
    body = bytearray(SIX_BYTES[: len(SIX_BYTES) - cut])
    for at, xor in flips:
        if at < len(body):
            body[at] ^= xor
    data = bytes(body)
    sparse = SparseFile(len(data))
    sparse.add(max(len(data) - tail, 0), data[max(len(data) - tail, 0) :])

    async def fetch(start: int, stop: int) -> ByteRange:
        return ByteRange(offset=start, total=len(data), content=data[start:stop], whole=False)

    try:
        metadata = asyncio.run(metadata_by_ranges(sparse, SIX.name, fetch))
    except MalformedResponse:
        return
    assert metadata.startswith(b"Metadata-Version")
