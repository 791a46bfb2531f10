"""One error tree; each error carries its user-facing message and exit code.

SupplychainError                 exit 2 unless stated
├── UsageError                   bad flags or arguments
├── InputError                   a user's file is malformed (file, line, what is wrong)
│   ├── PolicyError              a policy, allowlist or exemptions file is malformed
│   └── AdvisoryDataError        an OSV record or archive is malformed or unsafe
├── ResolutionError              no set of versions satisfies the requirements
├── DataUnavailableError         exit 3: data the run needs could not be had (index, database)
└── FetchError                   a network fault; sources turn it into Unknown(reason)
    ├── OfflineMiss              --offline and the cache has no answer
    ├── HttpStatusError          4xx/5xx after retries
    ├── ResponseTooLarge         the body passed the size limit
    └── MalformedResponse        not the documented format or shape (bad JSON, a broken page)
"""

from __future__ import annotations

from supplychain.model import Location


class SupplychainError(Exception):
    """Base of every error the CLI maps to an exit code; ``diagnostics()`` is what the user sees."""

    exit_code = 2

    def __init__(self, message: str, *, location: Location | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def diagnostics(self) -> str:
        """The message as the user sees it: ``file:line: message`` and a hint line when there is one."""
        where = f"{self.location}: " if self.location else ""
        hint = f"\n  hint: {self.hint}" if self.hint else ""
        return f"{where}{self.message}{hint}"


class UsageError(SupplychainError):
    """A flag or argument that cannot be used as given."""


class InputError(SupplychainError):
    """A user-supplied file is malformed; always names file and line."""


class PolicyError(InputError):
    """A policy, allowlist or exemptions file is malformed; may carry several problems at once."""

    def __init__(self, problems: list[tuple[Location, str]]) -> None:
        self.problems = sorted(problems, key=lambda p: (p[0].file, p[0].line or 0, p[1]))
        first_location, first_message = self.problems[0]
        super().__init__(first_message, location=first_location)

    def diagnostics(self) -> str:
        """Every problem, one ``location: message`` line each, so a bad file is fixed in one pass."""
        return "\n".join(f"{location}: {message}" for location, message in self.problems)


class AdvisoryDataError(InputError):
    """An advisory database or archive is malformed or unsafe to read."""


class ResolutionError(SupplychainError):
    """The requirements cannot be satisfied together; the message explains the conflict."""


class DataUnavailableError(SupplychainError):
    """Data the run needs could not be had (an index, a database, a download): exit 3, not bad input."""

    exit_code = 3


class FetchError(SupplychainError):
    """A network fault, already mapped from httpx; ``reason`` becomes an Unknown's reason."""

    exit_code = 3

    @property
    def reason(self) -> str:
        """The message, as the reason of the ``Unknown`` a source returns for this fault."""
        return self.message


class OfflineMiss(FetchError):
    """``--offline`` and no cached answer."""


class HttpStatusError(FetchError):
    """The server answered with an error status (after retries for 429/5xx)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class ResponseTooLarge(FetchError):
    """The body exceeded the configured maximum size."""


class MalformedResponse(FetchError):
    """The body is not what the endpoint promises (bad JSON, wrong shape, truncated)."""
