"""URLs that may carry credentials, as a value type that never shows them."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

REDACTED = "***"


@dataclass(frozen=True, slots=True)
class SafeUrl:
    """A URL whose ``str``/``repr`` mask userinfo, as ``httpx.URL`` does for passwords.

    Use :meth:`reveal` only at the network door; everything printed goes through ``str``.
    ``shown``: the URL as its file wrote it, when that differs from what is fetched (``${VAR}``
    expanded from the environment): printed instead, so an expanded value is never shown.
    """

    _raw: str = field(repr=False)
    shown: str | None = field(default=None, repr=False, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        if not isinstance(self._raw, str) or not self._raw.strip():
            raise ValueError("a URL must be a non-empty string")

    def reveal(self) -> str:
        """The URL with its credentials, for the HTTP client only."""
        return self._raw

    @property
    def expanded(self) -> bool:
        """True when the URL took values from the environment (``${VAR}`` in the file that named it)."""
        return self.shown is not None

    @property
    def has_credentials(self) -> bool:
        """True when the URL carries a user or a password (a token is often the user)."""
        return bool(_split(self._raw).username or _split(self._raw).password)

    @property
    def host(self) -> str:
        """The host, lowercased (RFC 3986: hosts compare case-insensitively); ``""`` when there is none."""
        return (_split(self._raw).hostname or "").lower()

    @property
    def public(self) -> str:
        """The URL with userinfo masked as ``***``, as written (``${VAR}`` unexpanded); safe to print."""
        return redact(self._raw if self.shown is None else self.shown)

    def __str__(self) -> str:
        return self.public

    def __repr__(self) -> str:
        return f"SafeUrl({self.public!r})"


def _split(raw: str) -> SplitResult:
    try:
        return urlsplit(raw)
    except ValueError:  # ``http://[LOCALHOST]/``: a bracketed host that is no IP address
        # split it with the brackets escaped: the userinfo is still found, the host is no real one
        return urlsplit(raw.replace("[", "%5B").replace("]", "%5D"))


def redact(raw: str) -> str:
    """Mask the userinfo of ``raw`` (user and password alike: a token is often the user)."""
    try:
        parts = urlsplit(raw)
    except ValueError:  # a bracketed host that is no IP address: mask by pattern instead
        return scrub(raw)
    if "@" not in parts.netloc:
        return raw
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{host}"))


# scheme://userinfo@: the userinfo runs to the LAST "@" before the authority ends ("/", "?", "#" or
# whitespace), as urllib and httpx split it, so a quote or a raw "@" in a password is masked too.
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _place(raw: str | SafeUrl) -> tuple[str, str, int | None, tuple[str, ...]] | None:
    """Scheme, host, port and path segments as an HTTP client reaches them; None if unusable."""
    return _place_of(raw.reveal() if isinstance(raw, SafeUrl) else raw.strip())


@functools.lru_cache(maxsize=1024)
def _place_of(text: str) -> tuple[str, str, int | None, tuple[str, ...]] | None:
    """``_place`` of one spelling: an audit compares a few index URLs thousands of times."""
    try:
        # a bracketed host that is no IP address (``http://[LOCALHOST]/``) raises ValueError
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # not a number or out of range, or a bad bracketed host: names no server
        return None
    scheme = parts.scheme.lower()
    if not scheme:
        return None
    segments: list[str] = []
    for segment in map(unquote, parts.path.split("/")):
        if segment == "..":
            del segments[-1:]
        elif segment not in {"", "."}:
            segments.append(segment)
    host = (parts.hostname or "").rstrip(".")  # urllib lower-cases it and drops the userinfo
    return scheme, host, port if port is not None else _DEFAULT_PORTS.get(scheme), tuple(segments)


def usable(url: str | SafeUrl) -> bool:
    """An absolute URL naming a server (or a ``file:`` path), with a valid port if it has one."""
    place = _place(url)
    return place is not None and (bool(place[1]) or place[0] == "file")


def url_within(url: str | SafeUrl, base: str | SafeUrl) -> bool:
    """``url`` is ``base`` or below it, compared as URLs, never as strings.

    Scheme, host (any case) and port (``:443`` is https's own) must be equal; the path must start
    with all of base's segments, so ``/simple`` holds ``/simple/x/`` but not ``/simple2``.
    Credentials, query and fragment play no part.
    """
    here, there = _place(url), _place(base)
    if here is None or there is None or here[:3] != there[:3]:
        return False
    return here[3][: len(there[3])] == there[3]


def same_origin(url: str | SafeUrl, other: str | SafeUrl) -> bool:
    """Same scheme, host (any case) and port (``:443`` is https's own); paths play no part.

    What a page may send the auditor to: a URL an index names is fetched only on the index's own
    origin, never on a host the index chose (a link-local metadata address, an intranet service).
    """
    here, there = _place(url), _place(other)
    return here is not None and there is not None and bool(here[1]) and here[:3] == there[:3]


def same_index(url: str | SafeUrl, index: str | SafeUrl) -> bool:
    """``url`` (a serving index, or a page below it) belongs to ``index``: for allowed and internal indexes.

    ``https://pkgs.corp.example`` does not hold ``https://pkgs.corp.example.attacker.net``, and
    ``http://127.0.0.1:1873`` does not hold port 18734, as a string prefix did.
    """
    return url_within(url, index)


_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")


def scrub(text: str) -> str:
    """Mask the userinfo of every URL inside free text: log lines, error messages, rendered reports.

    The one scrubber; it over-masks rather than leaks (``"https://h","u@x"`` loses ``h","u``).
    """
    return _USERINFO.sub(lambda match: f"{match['scheme']}{REDACTED}@", text)


class ScrubCredentials(logging.Filter):
    """Rewrites a log record with every URL's userinfo masked.

    httpx logs each request URL at INFO, credentials included; anyone who turns logging on (or a
    library that configures the root logger) would write a private index token to the log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the message in place and keep the record: this filter cleans, it never drops."""
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_LIBRARY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "hishel",
)


def guard_library_logs(names: tuple[str, ...] = _LIBRARY_LOGGERS) -> None:
    """Install :class:`ScrubCredentials` on the HTTP stack's loggers (filters are not inherited)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ScrubCredentials) for f in logger.filters):
            logger.addFilter(ScrubCredentials())
