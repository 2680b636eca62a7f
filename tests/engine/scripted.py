"""A connector whose answers a test scripts, for the engine's own state-machine tests.

The real network behaviour is proven against the Mastodon mock server in tests/integration;
this one lets the engine's rules (late posts, attempt limits, compare-and-set) be checked
exactly and fast.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import Any, ClassVar

from hubbub.networks.base import (
    Account,
    Capabilities,
    Connected,
    Connector,
    Draft,
    Identity,
    MediaFile,
    MediaLimits,
    Problem,
    Published,
    Validation,
)
from hubbub.networks.errors import ConnectorError

CAPS = Capabilities(text_limit=100, counting="plain", media=MediaLimits(4, ("image/png",), 10**6))


class ScriptedConnector(Connector):
    slug: ClassVar[str] = "scripted"
    name: ClassVar[str] = "Scripted"
    auth_kind: ClassVar[Any] = "keypair"

    def __init__(self) -> None:
        self.answers: deque[ConnectorError | None] = deque()
        self.published: dict[str, Published] = {}
        self.calls: list[str] = []
        self.found: Published | None = None
        self.prepares = 0
        self.prepared_seen: list[Any] = []
        self.drafts: list[Draft] = []
        self.deleted: list[str] = []
        self.delete_answers: deque[ConnectorError | None] = deque()
        self.refresh_answer: ConnectorError | dict[str, Any] | None = None
        self.find_answers: deque[ConnectorError | None] = deque()

    def capabilities(self, account: Account) -> Capabilities:
        return CAPS

    def default_capabilities(self) -> Capabilities:
        return CAPS

    def connect_with_token(self, base_url: str, credentials: dict[str, Any]) -> Connected:
        return Connected(base_url, credentials, Identity("1", "@me"))

    def whoami(self, account: Account) -> Identity:
        return Identity("1", "@me")

    def validate(self, draft: Draft, capabilities: Capabilities) -> Validation:
        over = len(draft.text) - capabilities.text_limit
        problems = (Problem("too_long", f"{over} characters over the limit"),) if over > 0 else ()
        return Validation(len(draft.text), capabilities.text_limit, problems)

    def prepare(self, account: Account, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        self.prepares += 1
        return {"record_key": f"k{self.prepares}"}

    def upload_media(self, account: Account, media: MediaFile) -> str:
        return "m1"

    def publish(self, account: Account, draft: Draft, idempotency_key: str,
                media_ids: tuple[str, ...], prepared: Any = None) -> Published:
        self.calls.append(idempotency_key)
        self.prepared_seen.append(prepared)
        self.drafts.append(draft)
        answer = self.answers.popleft() if self.answers else None
        if answer is not None:
            raise answer
        result = self.published.setdefault(
            idempotency_key, Published(f"r{len(self.published) + 1}", "http://x.test/1"))
        return result

    def find_published(self, account: Account, draft: Draft, idempotency_key: str,
                       since: datetime, prepared: Any = None) -> Published | None:
        self.prepared_seen.append(prepared)
        answer = self.find_answers.popleft() if self.find_answers else None
        if answer is not None:
            raise answer
        return self.found

    def refresh_credentials(self, account: Account) -> dict[str, Any] | None:
        if isinstance(self.refresh_answer, ConnectorError):
            raise self.refresh_answer
        return self.refresh_answer

    def delete(self, account: Account, remote_id: str) -> None:
        answer = self.delete_answers.popleft() if self.delete_answers else None
        if answer is not None:
            raise answer
        self.deleted.append(remote_id)


class StagingConnector(ScriptedConnector):
    """Scripted, with a staged write before publish (as Threads' and Instagram's containers)."""

    slug: ClassVar[str] = "staging"

    def __init__(self) -> None:
        super().__init__()
        self.stages = 0
        self.stage_answers: deque[ConnectorError | None] = deque()
        self.staged_with: list[tuple[str, ...]] = []

    def stage(self, account: Account, draft: Draft, media_ids: tuple[str, ...],
              prepared: Any) -> dict[str, Any]:
        self.staged_with.append(media_ids)
        answer = self.stage_answers.popleft() if self.stage_answers else None
        if answer is not None:
            raise answer
        self.stages += 1
        return {"container": f"c{self.stages}", "record_key": prepared["record_key"]}
