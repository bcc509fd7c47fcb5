"""The one domain error type and its kinds; the API maps them to 400 / 403 / 404 / 409."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal a person can understand: a Chinese message and, for input, one per field."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class InvalidInput(DomainError):
    code = "invalid"


class NotAllowed(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """Someone else changed the complaint first, or the action does not fit its state."""

    status_code = 409
    code = "conflict"


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


class Unavailable(DomainError):
    """A dependency (storage, database) is down: try again later."""

    status_code = 503
    code = "unavailable"


class QuotaExceeded(DomainError):
    """A volume limit (per address or for the whole site) is used up until `retry_after`."""

    status_code = 429
    code = "quota_exceeded"

    def __init__(
        self,
        message: str,
        *,
        retry_after: int | None = None,
        field_errors: dict[str, str] | None = None,
    ):
        super().__init__(message, field_errors=field_errors)
        self.retry_after = retry_after
