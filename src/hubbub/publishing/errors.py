"""The error a post's writes raise when the person must change something."""

from __future__ import annotations


class PostError(Exception):
    """The post cannot be accepted as it is; the message says what to change."""
