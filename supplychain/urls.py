"""URLs that may carry credentials, as a value type that never shows them."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit, urlunsplit

REDACTED = "***"


@dataclass(frozen=True, slots=True)
class SafeUrl:
    """A URL whose ``str``/``repr`` mask userinfo, as ``httpx.URL`` does for passwords.

    Use :meth:`reveal` only at the network door; everything printed goes through ``str``.
    """

    _raw: str = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self._raw, str) or not self._raw.strip():
            raise ValueError("a URL must be a non-empty string")

    def reveal(self) -> str:
        """The URL with its credentials, for the HTTP client only."""
        return self._raw

    @property
    def has_credentials(self) -> bool:
        return bool(_split(self._raw).username or _split(self._raw).password)

    @property
    def host(self) -> str:
        return (_split(self._raw).hostname or "").lower()

    @property
    def public(self) -> str:
        """The URL with any userinfo replaced by ``***``; safe to print, log and key on."""
        return redact(self._raw)

    def __str__(self) -> str:
        return self.public

    def __repr__(self) -> str:
        return f"SafeUrl({self.public!r})"


def _split(raw: str) -> SplitResult:
    return urlsplit(raw)


def redact(raw: str) -> str:
    """Mask the userinfo of ``raw`` (user and password alike: a token is often the user)."""
    parts = urlsplit(raw)
    if "@" not in parts.netloc:
        return raw
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{host}"))
