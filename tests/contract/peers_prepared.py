"""The part the X, LinkedIn and Facebook contract peers share: their connectors take no
idempotency key and settle an unknown outcome with what prepare() recorded, but the suite calls
publish and find_published without a prepared value. PreparedOnce plays the engine's part."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hubbub.networks.base import Account, Connector, Draft, Published


class PreparedOnce(Connector):
    """Mixed in before a connector class: prepare() once per idempotency key (the first
    attempt's), its result passed back to every publish and find_published with that key."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}

    def publish(self, account: Account, draft: Draft, idempotency_key: str,
                media_ids: tuple[str, ...],
                prepared: Mapping[str, Any] | None = None) -> Published:
        if prepared is None:
            if idempotency_key not in self.stored:
                self.stored[idempotency_key] = self.prepare(account, draft, idempotency_key)
            prepared = self.stored[idempotency_key]
        return super().publish(account, draft, idempotency_key, media_ids, prepared)

    def find_published(self, account: Account, draft: Draft, idempotency_key: str,
                       since: datetime,
                       prepared: Mapping[str, Any] | None = None) -> Published | None:
        return super().find_published(account, draft, idempotency_key, since,
                                      prepared or self.stored.get(idempotency_key))
