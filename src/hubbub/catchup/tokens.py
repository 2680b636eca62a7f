"""The private Atom feed's token: `<key><secret>` in the URL, 16 hex characters that find the
person's row and 43 URL-safe ones whose SHA-256 is stored (never the secret). Checking one
always does the same work, found or not: one lookup by key, one constant-time comparison of
hashes (against a stand-in when no row matched), so an unknown, malformed or revoked token
answers alike."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.catchup.models import CatchUpState
from hubbub.catchup.services import state_for

KEY_LENGTH = 16
SECRET_BYTES = 32  # 43 characters of URL-safe base64
_TOKEN = re.compile(r"[0-9a-f]{16}[A-Za-z0-9_-]{43}")
_STAND_IN = hashlib.sha256(b"no such feed").hexdigest()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def make_token(user: User) -> str:
    """A new token for the person's feed; the one before stops working at once."""
    state = state_for(user)
    key = secrets.token_hex(KEY_LENGTH // 2)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    CatchUpState.objects.filter(pk=state.pk).update(feed_key=key, feed_hash=_hash(secret),
                                                     feed_made_at=timezone.now())
    return key + secret


def revoke(user: User) -> None:
    CatchUpState.objects.filter(user=user).update(feed_key="", feed_hash="", feed_made_at=None)


def user_id_for(token: str) -> int | None:
    """The id of the person whose feed `token` opens; None for any other string."""
    well_formed = _TOKEN.fullmatch(token) is not None
    key = token[:KEY_LENGTH] if well_formed else "-"  # "-" is never a key
    secret = token[KEY_LENGTH:] if well_formed else ""
    row = (CatchUpState.objects.filter(feed_key=key).exclude(feed_key="")
           .values_list("user_id", "feed_hash").first())
    expected = row[1] if row is not None and row[1] else _STAND_IN
    same = hmac.compare_digest(_hash(secret), expected)
    return row[0] if row is not None and same and well_formed else None
