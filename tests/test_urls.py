"""Index URLs are compared as URLs (urls.same_index), never as string prefixes."""

from __future__ import annotations

import pytest

from supplychain.urls import SafeUrl, same_index, same_origin, url_within


@pytest.mark.parametrize(
    ("url", "index"),
    [
        # A look-alike host shares the allowed host as a string prefix.
        ("https://pkgs.corp.example.attacker.net/simple/", "https://pkgs.corp.example"),
        ("https://pkgs.corp.example-evil.net/simple/", "https://pkgs.corp.example/"),
        # A look-alike port: 18734 starts with 1873.
        ("http://127.0.0.1:18734/simple/", "http://127.0.0.1:1873"),
        # A path prefix that is not a whole segment.
        ("https://pkgs.corp.example/simple2/", "https://pkgs.corp.example/simple"),
        ("https://pkgs.corp.example/simple-private/x/", "https://pkgs.corp.example/simple/"),
        # A dot segment climbs out of the index before the request is sent.
        ("https://pkgs.corp.example/simple/../evil/", "https://pkgs.corp.example/simple/"),
        # Another scheme, another port.
        ("http://pkgs.corp.example/simple/", "https://pkgs.corp.example/simple/"),
        ("https://pkgs.corp.example:8443/simple/", "https://pkgs.corp.example/simple/"),
        # Credentials are no host: the host is after the last "@".
        ("https://pkgs.corp.example@evil.example/simple/", "https://pkgs.corp.example/simple/"),
        # Unusable URLs hold nothing and are held by nothing.
        ("https://pkgs.corp.example:99999/simple/", "https://pkgs.corp.example/"),
        ("pkgs.corp.example/simple/", "pkgs.corp.example/"),
    ],
)
def test_a_different_index_is_not_the_same_index(url: str, index: str) -> None:
    assert not same_index(url, index)


@pytest.mark.parametrize(
    ("url", "index"),
    [
        ("https://pkgs.corp.example/simple/", "https://pkgs.corp.example/simple"),
        ("https://pkgs.corp.example/simple", "https://pkgs.corp.example/simple/"),
        ("https://pkgs.corp.example/simple/foo/", "https://pkgs.corp.example/simple/"),
        ("https://pkgs.corp.example/simple/", "https://pkgs.corp.example"),
        # Case: scheme and host are case-insensitive.
        ("HTTPS://PKGS.Corp.Example/simple/", "https://pkgs.corp.example/simple/"),
        # Default ports are the same server.
        ("https://pkgs.corp.example:443/simple/", "https://pkgs.corp.example/simple/"),
        ("http://pkgs.corp.example/simple/", "http://pkgs.corp.example:80/simple/"),
        # Credentials, on either side, redacted or not, play no part.
        ("https://bot:s3cret@pkgs.corp.example/simple/", "https://pkgs.corp.example/simple/"),
        ("https://pkgs.corp.example/simple/", "https://***@pkgs.corp.example/simple/"),
        (SafeUrl("https://bot:s3cret@pkgs.corp.example/simple/"), SafeUrl("https://pkgs.corp.example/")),
        ("http://127.0.0.1:1873/simple/", "http://127.0.0.1:1873"),
    ],
)
def test_the_same_index_however_it_is_spelled(url: str | SafeUrl, index: str | SafeUrl) -> None:
    assert same_index(url, index)


def test_the_path_is_case_sensitive() -> None:
    assert not url_within("https://pkgs.corp.example/Simple/", "https://pkgs.corp.example/simple/")


@pytest.mark.parametrize(
    ("url", "index", "same"),
    [
        ("https://pypi.org/integrity/six/1.17.0/six.whl/provenance", "https://pypi.org/simple/six/", True),
        ("https://PyPI.org:443/integrity/x", "https://pypi.org/simple/", True),
        ("http://169.254.169.254/latest/meta-data/", "https://pypi.org/simple/six/", False),
        ("http://pypi.org/integrity/x", "https://pypi.org/simple/", False),  # another scheme
        ("https://pypi.org:8443/integrity/x", "https://pypi.org/simple/", False),  # another port
        ("https://pypi.org.attacker.net/integrity/x", "https://pypi.org/simple/", False),
        ("https://u:tok@pypi.org/x", "https://pypi.org/simple/", True),  # credentials play no part
        ("/integrity/x", "https://pypi.org/simple/", False),  # names no server
    ],
)
def test_same_origin_is_scheme_host_and_port(url: str, index: str, same: bool) -> None:
    assert same_origin(url, index) is same
