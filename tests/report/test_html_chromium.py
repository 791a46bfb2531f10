"""The HTML report in a real headless Chromium: it renders (non-blank screenshot) and the table sorts."""

from __future__ import annotations

import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from supplychain.report import write_reports
from tests.report.audited import real_audit

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.chromium,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium "
        "(scripts/test-services installs it; or apt-get install -y chromium)",
    ),
]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1400,1000",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def _pixels(png: bytes) -> set[bytes]:
    """Distinct pixels of an 8-bit non-interlaced RGB/RGBA PNG (what Chromium writes): a tiny decoder."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, header = 8, b"", b""
    while offset < len(png):
        (length,), kind = struct.unpack(">I", png[offset : offset + 4]), png[offset + 4 : offset + 8]
        body = png[offset + 8 : offset + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0)
    assert colour in (2, 6)
    size = 4 if colour == 6 else 3
    raw, stride = zlib.decompress(idat), width * size
    previous, seen, position = bytearray(stride), set(), 0
    for _ in range(height):
        kind, line = raw[position], bytearray(raw[position + 1 : position + 1 + stride])
        position += 1 + stride
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        seen.update(bytes(line[i : i + size]) for i in range(0, stride, size * 7))  # every 7th pixel
        previous = line
    return seen


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str | None]] = []
        self.table: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr" and any(k == "data-name" for k, _ in attrs):
            self.rows.append(dict(attrs))
        if tag == "table" and ("id", "packages") in attrs:
            self.table = dict(attrs)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    (path,) = write_reports(real_audit("uv"), ["html"], tmp_path_factory.mktemp("html"))
    return path


def test_screenshot_is_not_blank(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={shot}", report.as_uri())
    colours = _pixels(shot.read_bytes())
    # A blank or error page has a handful of colours; the report has text, badges, risk colours.
    assert len(colours) > 20, len(colours)
    assert any(c[:3] == bytes.fromhex("bf8700") for c in colours)  # the verdict badge (incomplete)


def _dump(report: Path, tmp_path: Path, fragment: str) -> _Rows:
    parsed = _Rows()
    parsed.feed(_chromium(tmp_path, "--dump-dom", f"{report.as_uri()}#{fragment}").stdout)
    return parsed


def test_clicking_the_score_header_twice_sorts_by_score_descending(report: Path, tmp_path: Path) -> None:
    result = real_audit("uv")
    dom = _dump(report, tmp_path, "click=score,score")
    assert dom.table.get("data-sorted") == "score:descending"
    order = [row["data-name"] for row in dom.rows]
    ranked = sorted(result.scores, key=lambda ref: (-result.scores[ref].score, ref.name))
    expected = [ref.name for ref in ranked]
    assert order == expected
    assert order != sorted(order)  # the sort changed the page's initial (name) order


def test_clicking_depth_once_sorts_ascending_and_filter_hides_rows(report: Path, tmp_path: Path) -> None:
    dom = _dump(report, tmp_path, "click=depth&filter=nvidia")
    depths = [int(str(row["data-depth"])) for row in dom.rows]
    assert depths == sorted(depths)
    visible = [row["data-name"] for row in dom.rows if "hidden" not in row]
    assert visible
    assert all("nvidia" in str(name) for name in visible)
    assert len(visible) < len(dom.rows)
