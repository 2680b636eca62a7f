"""A network scripted by the test: pages to serve, errors to raise, items to stream."""

from __future__ import annotations

import queue
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from hubbub.networks.base import (
    Account,
    Capabilities,
    Connector,
    Draft,
    Identity,
    Item,
    MediaFile,
    MediaLimits,
    Page,
    Published,
    Validation,
)

CAPS = Capabilities(text_limit=500, counting="plain",
                    media=MediaLimits(max_count=4, mime_types=("image/png",),
                                      image_max_bytes=1_000_000),
                    feeds=("home", "mentions"))


class ScriptedStream:
    def __init__(self, feeds: Sequence[str]) -> None:
        self.feeds = tuple(feeds)
        self.items: queue.Queue[Item | BaseException | None] = queue.Queue()
        self.closed = False

    def __iter__(self) -> ScriptedStream:
        return self

    def __next__(self) -> Item:
        got = self.items.get()
        if got is None:
            raise StopIteration
        if isinstance(got, BaseException):
            raise got
        return got

    def close(self) -> None:
        self.closed = True
        self.items.put(None)


class ScriptedConnector(Connector):
    slug: ClassVar[str] = "scripted"
    name: ClassVar[str] = "Scripted"
    auth_kind = "oauth2"

    # feed key -> cursor ("" for the newest page) -> Page or an exception to raise
    pages: ClassVar[dict[str, dict[str, Page | BaseException]]] = {}
    calls: ClassVar[list[tuple[str, str | None]]] = []
    streams: ClassVar[list[ScriptedStream]] = []
    stream_error: ClassVar[BaseException | None] = None
    streamable: ClassVar[frozenset[str]] = frozenset({"home"})

    @classmethod
    def reset(cls) -> None:
        cls.pages = {}
        cls.calls = []
        cls.streams = []
        cls.stream_error = None
        cls.streamable = frozenset({"home"})

    def capabilities(self, account: Account) -> Capabilities:
        return CAPS

    def whoami(self, account: Account) -> Identity:
        return Identity(remote_id="1", handle="@me@scripted.example")

    def validate(self, draft: Draft, capabilities: Capabilities) -> Validation:
        return Validation(count=len(draft.text), limit=500)

    def publish(self, account: Account, draft: Draft, idempotency_key: str,
                media_ids: tuple[str, ...], prepared: Any = None) -> Published:
        raise NotImplementedError

    def upload_media(self, account: Account, media: MediaFile) -> str:
        raise NotImplementedError

    def find_published(self, *args: Any, **kwargs: Any) -> Published | None:
        return None

    def delete(self, account: Account, remote_id: str) -> None:
        return None

    def fetch(self, account: Account, feed: str, cursor: str | None = None) -> Page:
        type(self).calls.append((feed, cursor))
        answer = type(self).pages.get(feed, {}).get(cursor or "")
        if answer is None:
            return Page(items=())
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def can_stream(self, feed: str) -> bool:
        return feed in type(self).streamable

    def stream(self, account: Account, feeds: Sequence[str]) -> Iterator[Item]:
        if type(self).stream_error is not None:
            raise type(self).stream_error
        stream = ScriptedStream(feeds)
        type(self).streams.append(stream)
        return stream
