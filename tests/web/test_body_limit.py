"""The ASGI edge (core/asgi_limits.py) driven directly, message by message; tests/security/ runs
the same through a real `hubbub serve`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from hubbub.asgi import body_limit
from hubbub.core.asgi_limits import EdgeLimits, _Body, parse_networks


class App:
    """A stand-in for Django: reads the body as Django's handler does, then answers 200."""

    def __init__(self) -> None:
        self.body = b""
        self.aborted = False
        self.scope: dict[str, Any] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scope = scope
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.aborted = True
                return
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _run(messages: list[Mapping[str, Any]], *, headers: list[tuple[bytes, bytes]] | None = None,
         limit: int = 1000, idle: float = 30.0, client: str = "127.0.0.1",
         trusted: tuple[str, ...] = ()) -> tuple[App, list[Mapping[str, Any]], int]:
    app = App()
    sent: list[Mapping[str, Any]] = []
    pending = list(messages)
    reads = 0

    async def receive() -> Mapping[str, Any]:
        nonlocal reads
        reads += 1
        if not pending:
            await asyncio.Event().wait()  # the client went quiet
        return pending.pop(0)

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(message)

    async def limit_for(scope: dict[str, Any], path: str) -> int:
        return limit

    edge = EdgeLimits(app, limit_for=limit_for, idle_seconds=lambda: idle,
                      trusted_proxies=lambda: parse_networks(trusted))
    scope = {"type": "http", "method": "POST", "path": "/accounts/login/", "root_path": "",
             "headers": headers or [], "client": (client, 5000)}
    asyncio.run(edge(scope, receive, send))
    return app, sent, reads


def _part(data: bytes, more: bool = True) -> Mapping[str, Any]:
    return {"type": "http.request", "body": data, "more_body": more}


def test_a_body_announced_too_large_is_refused_unread() -> None:
    app, sent, reads = _run([_part(b"x" * 10, False)],
                            headers=[(b"content-length", b"5000")])
    assert reads == 0
    assert app.scope == {}
    assert sent[0]["status"] == 413
    # Not closed: the server drains the body so a browser still sending can read the answer.
    assert (b"connection", b"close") not in sent[0]["headers"]
    assert "at most 1 KB" in sent[1]["body"].decode()


def test_a_streamed_body_is_cut_off_when_it_passes_the_limit() -> None:
    app, sent, reads = _run([_part(b"x" * 600) for _ in range(100)])
    assert app.aborted
    assert reads == 2
    assert [m.get("status") for m in sent[:1]] == [413]


def test_a_body_within_the_limit_reaches_the_app() -> None:
    app, sent, _ = _run([_part(b"x" * 500), _part(b"y" * 500, False)],
                        headers=[(b"content-length", b"1000")])
    assert app.body == b"x" * 500 + b"y" * 500
    assert sent[0]["status"] == 200


def test_a_body_that_stops_arriving_is_answered_408() -> None:
    app, sent, _ = _run([_part(b"x" * 10)], idle=0.05)
    assert app.aborted
    assert sent[0]["status"] == 408
    assert (b"connection", b"close") in sent[0]["headers"]  # the client stopped sending
    assert "stopped arriving" in sent[1]["body"].decode()


async def _read_all(body: _Body) -> tuple[int, bool]:
    """Reads as Django does; (parts read, whether it heard a disconnect)."""
    reads = 0
    while True:
        message = await body()
        reads += 1
        if message["type"] == "http.disconnect":
            return reads, True
        if not message.get("more_body"):
            return reads, False


def _client(parts: list[Mapping[str, Any]], gap: float) -> Any:
    """A slow client: each part comes `gap` seconds after the last."""
    async def receive() -> Mapping[str, Any]:
        await asyncio.sleep(gap)
        return parts.pop(0)
    return receive


def test_a_body_trickling_in_just_inside_each_pause_is_cut_off_by_its_pace() -> None:
    # A byte every 0.05 s never waits out the 30 s pause, but after the 0.05 s grace the pace
    # is under the 1000 bytes a second asked for.
    parts = [_part(b"x") for _ in range(200)] + [_part(b"", False)]
    body = _Body(_client(parts, 0.05), 10_000, 30.0, min_rate=1000.0, grace=0.05)
    reads, left = asyncio.run(_read_all(body))
    assert left
    assert body.refusal is not None
    assert body.refusal[0] == 408
    assert "too slowly" in body.refusal[1]
    assert reads < 200  # cut off soon after the grace, not at the end


def test_a_body_at_a_good_pace_is_not_cut_off() -> None:
    # 100 bytes a part: even a machine slow enough to make each gap a second keeps the pace
    # far above the 10 bytes a second asked for.
    parts = [_part(b"x" * 100) for _ in range(8)] + [_part(b"", False)]
    body = _Body(_client(parts, 0.02), 10_000, 30.0, min_rate=10.0, grace=0.01)
    _reads, left = asyncio.run(_read_all(body))
    assert not left
    assert body.refusal is None
    assert body.received == 800


def test_forwarded_proto_is_believed_only_from_a_trusted_proxy() -> None:
    forwarded = [(b"x-forwarded-proto", b"https")]
    app, _, _ = _run([_part(b"", False)], headers=forwarded, client="203.0.113.5",
                     trusted=("10.0.0.0/8",))
    assert (b"x-forwarded-proto", b"https") not in app.scope["headers"]
    app, _, _ = _run([_part(b"", False)], headers=forwarded, client="10.1.2.3",
                     trusted=("10.0.0.0/8",))
    assert (b"x-forwarded-proto", b"https") in app.scope["headers"]


def _limit(path: str, cookie: str = "") -> int:
    scope = {"type": "http", "path": path,
             "headers": [(b"cookie", cookie.encode())] if cookie else []}
    return asyncio.run(body_limit(scope, path))


def test_pages_that_take_files_get_the_upload_limit_when_signed_in(
        settings: Any, transactional_db: None) -> None:
    settings.HUBBUB_MAX_UPLOAD_BYTES = 5000
    settings.HUBBUB_MAX_FORM_BYTES = 100
    user = User.objects.create_user("edge", password="a long enough password")
    client = Client()
    client.force_login(user)
    session = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    for path in ("/", "/compose/autosave/", "/import/"):
        assert _limit(path, f"csrftoken=x; {session}") == 5000, path
        # A visitor is sent to log in whatever they post: the form limit.
        assert _limit(path) == 100, path
        assert _limit(path, f"{settings.SESSION_COOKIE_NAME}=made-up") == 100, path
    assert _limit("/accounts/login/", session) == _limit("/compose/count/", session) == 100
    assert _limit("/no/such/page/", session) == 100
