"""``gist``: an unknown's reason without what is particular to one package, so reasons group."""

from __future__ import annotations

import pytest

from supplychain.report.unknowns import gist
from supplychain.sources.popularity import NOT_ASKED


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (
            f"{NOT_ASKED} (HTTP 500 after 2 attempts at https://pypistats.org/api/packages/six/recent (ok))",
            "HTTP 500 after 2 attempts at https://pypistats.org (ok)",
        ),
        (f"x {NOT_ASKED} (a (b) c) tail", "x a (b) c tail"),
        (f"{NOT_ASKED} (unclosed (", f"{NOT_ASKED} (unclosed ("),  # unbalanced: left as it is
        ("plain https://h.example/p/q: gone", "plain https://h.example: gone"),
    ],
)
def test_the_earlier_failure_is_unwrapped_and_urls_cut_to_their_origin(reason: str, expected: str) -> None:
    assert gist(reason) == expected
