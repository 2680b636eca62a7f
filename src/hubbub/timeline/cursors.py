"""Paging cursors for column pages: an item's (created_at, id) as one URL-safe token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
Cursor = tuple[datetime, int]


def encode_cursor(created_at: datetime, pk: int) -> str:
    return f"{(created_at - EPOCH) // MICRO}.{pk}"


def decode_cursor(token: str | None) -> Cursor | None:
    """The (created_at, id) a token names, or None for anything malformed."""
    if not token:
        return None
    micros, sep, pk = token.partition(".")
    if not sep:
        return None
    try:
        at = EPOCH + timedelta(microseconds=int(micros))
        ident = int(pk)
    except (ValueError, OverflowError):
        return None
    if ident < 0:
        return None
    return at, ident
