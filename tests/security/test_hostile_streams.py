"""A Mastodon stream served without chunked encoding (with a Content-Length far beyond what is
sent, or close-delimited) is read as it arrives, not when the connection ends: the event must
come through while the server still holds the connection open."""

from __future__ import annotations

import threading

import pytest

from hubbub.networks.base import Item
from hubbub.networks.mastodon.streaming import MastodonStream
from tests.security.hostile_server import hostile_server

STATUS = {
    "id": "77", "created_at": "2026-12-01T10:00:00.000Z", "content": "<p>live</p>",
    "url": "https://evil.test/@a/77", "visibility": "public", "media_attachments": [],
    "account": {"id": "9", "acct": "a@evil.test", "username": "a",
                "url": "https://evil.test/@a", "display_name": "A"},
}


@pytest.mark.parametrize("framing", ["content-length", "close"])
def test_events_of_a_stream_that_is_not_chunked_arrive_while_it_is_open(framing: str) -> None:
    with hostile_server() as server:
        server.event_stream("/api/v1/streaming/user", [("update", STATUS)], framing=framing)
        got: list[Item] = []
        arrived = threading.Event()
        stream = MastodonStream(server.base_url, "t", ["home"], read_timeout=30)

        def read() -> None:
            for item in stream:
                got.append(item)
                arrived.set()
                return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            # The server holds the connection open until released below: before the fix the
            # event sat unread in the socket until the server closed it (30 s read timeout).
            assert arrived.wait(20), "the event did not arrive while the stream was open"
            assert server.requests  # still held: nothing has been released yet
            # close() wakes the thread reading the held connection (its socket is found even
            # when http.client handed it to a close-delimited response).
            stream.close()
            for thread in stream._threads:
                thread.join(10)
                assert not thread.is_alive(), "close() did not end the stream's reader"
        finally:
            stream.close()
            server.release()
            reader.join(10)
    assert [(item.remote_id, item.extra["feed"]) for item in got] == [("77", "home")]
