"""The edge reads the session only when it matters (asgi.body_limit): a body announced within
the form limit gets that limit without a look at the session store, which Django reads anyway
(a Post now without files had the session read twice)."""

from __future__ import annotations

import asyncio
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from hubbub.asgi import body_limit


def _limit(path: str, cookie: str, length: int | None) -> int:
    headers = [(b"cookie", cookie.encode())]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return asyncio.run(body_limit({"type": "http", "path": path, "headers": headers}, path))


def test_a_small_announced_body_gets_the_form_limit_without_reading_the_session(
        settings: Any) -> None:
    # No database here: a read of the session store would fail the test.
    settings.HUBBUB_MAX_UPLOAD_BYTES = 5000
    settings.HUBBUB_MAX_FORM_BYTES = 100
    cookie = f"{settings.SESSION_COOKIE_NAME}=abcdefghijklmnopqrstuvwxyz012345"  # read if asked
    for path in ("/", "/compose/autosave/", "/import/"):
        assert _limit(path, cookie, 100) == 100
        assert _limit(path, cookie, 0) == 100


def test_a_larger_or_unannounced_body_still_asks_who_sends_it(
        settings: Any, transactional_db: None) -> None:
    settings.HUBBUB_MAX_UPLOAD_BYTES = 5000
    settings.HUBBUB_MAX_FORM_BYTES = 100
    user = User.objects.create_user("edge2", password="a long enough password")
    client = Client()
    client.force_login(user)
    session = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    assert _limit("/", session, 101) == 5000
    assert _limit("/", session, None) == 5000
    assert _limit("/", session, 4000) == 5000
    # Someone not signed in, whatever they announce: the form limit (the edge then refuses
    # a body announced larger, before reading it).
    assert _limit("/", f"{settings.SESSION_COOKIE_NAME}=made-up", 4000) == 100
    assert _limit("/", "", 4000) == 100
    # A malformed length is no announcement: the session decides.
    assert _limit("/", session, -1) == 5000
