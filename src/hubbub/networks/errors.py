"""Error kinds a connector raises. Each has exactly one meaning for the delivery engine."""

from __future__ import annotations

from datetime import datetime


class ConnectorError(Exception):
    """Base class: something went wrong talking to a network."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AuthExpired(ConnectorError):
    """Credentials expired: refresh once; if that fails the connection needs reconnecting."""

    kind = "auth_expired"


class Revoked(ConnectorError):
    """The network no longer accepts these credentials: the person must reconnect."""

    kind = "revoked"


class RateLimited(ConnectorError):
    """Too many requests; nothing should be sent to this connection before retry_at."""

    kind = "rate_limited"

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class Transient(ConnectorError):
    """A passing failure (5xx, connection refused before sending): retry with backoff."""

    kind = "transient"

    def __init__(self, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class Rejected(ConnectorError):
    """The network refused the content; retrying the same thing cannot help."""

    kind = "rejected"


class OutcomeUnknown(ConnectorError):
    """The request may or may not have taken effect (e.g. a timeout after sending): check first."""

    kind = "outcome_unknown"


class NotFound(ConnectorError):
    """The thing asked for does not exist (e.g. an instance URL that is not a Mastodon server)."""

    kind = "not_found"
