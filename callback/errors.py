"""What the service refuses, and why: the errors domain code raises, with no HTTP in them.

Each carries a stable `code` for clients, a `message` in the asker's language and the
`field` at fault. Its kind says what went wrong; the HTTP edges turn the kind into a
status code (`callback/http_errors.py`), the CLI into its own words.
"""

from __future__ import annotations

from typing import TypeVar

from callback.texts.messages import message, request_language


class Refused(Exception):
    """A request the service will not carry out, with the reason in the asker's words."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.field = field


class Malformed(Refused):
    """The request cannot be read at all (not JSON, not an object)."""


class Invalid(Refused):
    """A value was read and is not acceptable (a number, a time, a field)."""


class Unauthorized(Refused):
    """No valid credentials came with the request."""


class NotAllowed(Refused):
    """Credentials or origin are known, and not allowed this."""


class NotFound(Refused):
    """What the request names does not exist (or is not shown to this asker)."""


class Conflict(Refused):
    """What the request names exists, and its current state does not allow this."""


class RetryLater(Refused):
    """A limit was reached; the same request may succeed after `retry_after` seconds.

    `limit` names which one (per_address, per_number, ...) for the answer to say so.
    """

    def __init__(
        self, code: str, retry_after: int, locale: str | None = None, limit: str | None = None
    ) -> None:
        super().__init__(code, message(code, locale))
        self.retry_after = max(retry_after, 1)
        self.limit = limit or code


R = TypeVar("R", bound=Refused)


def refusal(kind: type[R], code: str, language: str | None = None, field: str | None = None) -> R:
    """Return the refusal `code` of `kind`, worded in `language`, else this request's."""
    return kind(code, message(code, language or request_language()), field)
