"""Shared set-up for the Threads connector's tests against the Threads stand-in
(tests/peers/threads, the `threads_peer` fixture): the operator's Threads app, people and their
tokens, the hub's public address (a live server, from which the stand-in fetches images) and
the environment that points the hub at the stand-in (HUBBUB_THREADS_GRAPH_URL,
HUBBUB_THREADS_AUTHORIZE_URL, HUBBUB_THREADS_APP_ID/SECRET)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from hubbub.networks.base import Account, Draft, MediaFile, Published
from hubbub.networks.meta.graph import clear_pauses
from hubbub.networks.threads.connector import ThreadsConnector
from hubbub.networks.threads.oauth import SCOPES
from tests.peers.threads.peer import ThreadsPeer, ThreadsUser

CALLBACK = "http://127.0.0.1:8000/connections/callback/threads/"
# The callback the hub builds under Django's test client (no HUBBUB_PUBLIC_URL).
HUB_CALLBACK = "http://testserver/connections/callback/threads/"


@dataclass
class ThreadsWorld:
    """The stand-in with the operator's app registered and the hub pointed at it."""

    peer: ThreadsPeer
    app_id: str
    app_secret: str
    connector: ThreadsConnector
    media_root: Path

    def env(self) -> dict[str, str]:
        return threads_env(self.peer, self.app_id, self.app_secret)

    def person(self, username: str = "") -> ThreadsUser:
        return self.peer.create_user(username or f"ann_{secrets.token_hex(3)}")

    def account_of(self, user: ThreadsUser, **token: Any) -> Account:
        access = self.peer.token_for(user, self.app_id, SCOPES, **token)
        return Account(base_url=self.peer.graph_root,
                       credentials={"access_token": access, "user_id": user.id},
                       remote_id=user.id, handle=f"@{user.username}")

    def account(self) -> tuple[Account, ThreadsUser]:
        user = self.person()
        return self.account_of(user), user

    def picture(self, name: str, size: tuple[int, int] = (8, 8),
                colour: tuple[int, int, int] = (200, 0, 0), fmt: str = "PNG",
                alt: str = "") -> MediaFile:
        """A picture under MEDIA_ROOT, as the composer leaves one."""
        path = self.media_root / "uploads" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size, colour).save(path, fmt)
        mime = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif",
                "WEBP": "image/webp"}[fmt]
        return MediaFile(str(path), mime, alt, path.stat().st_size, size[0], size[1])

    def publish(self, account: Account, draft: Draft,
                key: str = "k") -> tuple[Published, dict[str, Any]]:
        """What the engine does for one part: upload, prepare, stage (stored), publish."""
        ids = tuple(self.connector.upload_media(account, m) for m in draft.media)
        prepared = self.connector.prepare(account, draft, key)
        prepared["stage"] = self.connector.stage(account, draft, ids, prepared)
        return self.connector.publish(account, draft, key, ids, prepared), prepared

    def live_posts(self, user: ThreadsUser) -> list[dict[str, Any]]:
        """The user's posts that show (carousel items are stored as posts of their own)."""
        return [p for p in self.peer.posts(user)
                if not p.get("deleted") and not p.get("is_carousel_item")]


def threads_env(peer: ThreadsPeer, app_id: str, app_secret: str) -> dict[str, str]:
    return {
        "HUBBUB_THREADS_GRAPH_URL": peer.graph_root,
        "HUBBUB_THREADS_AUTHORIZE_URL": peer.base_url,
        "HUBBUB_THREADS_APP_ID": app_id,
        "HUBBUB_THREADS_APP_SECRET": app_secret,
    }


def make_threads_world(peer: ThreadsPeer, monkeypatch: pytest.MonkeyPatch, settings: Any,
                       public_url: str, media_root: Path,
                       callbacks: tuple[str, ...] = (CALLBACK, HUB_CALLBACK)) -> ThreadsWorld:
    app_id, app_secret = peer.create_app(list(callbacks))
    for name, value in threads_env(peer, app_id, app_secret).items():
        monkeypatch.setenv(name, value)
    media_root.mkdir(parents=True, exist_ok=True)
    settings.MEDIA_ROOT = media_root
    settings.PUBLIC_URL = public_url.rstrip("/")
    clear_pauses()
    return ThreadsWorld(peer, app_id, app_secret, ThreadsConnector(), media_root)


def unique(text: str) -> str:
    return f"{text} {secrets.token_hex(4)}"


def since() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=5)
