"""Shared set-up for the Instagram connector's tests against the Instagram stand-in
(tests/peers/instagram, the `instagram_peer` fixture): the operator's Instagram app, accounts
and tokens, the environment that points the hub at the stand-in (HUBBUB_INSTAGRAM_GRAPH_URL,
_API_URL, _AUTHORIZE_URL, _APP_ID/_SECRET), and the hub's public address: Django's live server
on loopback serves /public/media/... from the test's MEDIA_ROOT, and the stand-in really
fetches each picture from there."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from hubbub.networks.base import Account, MediaFile
from hubbub.networks.instagram.connector import InstagramConnector
from hubbub.networks.meta.graph import clear_pauses
from tests.peers.instagram.peer import IGUser, InstagramPeer

CALLBACK = "http://127.0.0.1:8000/connections/callback/instagram/"
# The callback the hub builds under Django's test client (no HUBBUB_PUBLIC_URL).
HUB_CALLBACK = "http://testserver/connections/callback/instagram/"


@dataclass
class IGWorld:
    """The stand-in with the operator's app registered and the hub pointed at it."""

    peer: InstagramPeer
    app_id: str
    app_secret: str
    connector: InstagramConnector
    media_root: Path

    def env(self) -> dict[str, str]:
        return ig_env(self.peer, self.app_id, self.app_secret)

    def person(self, username: str = "") -> IGUser:
        return self.peer.create_user(username or f"ann.{secrets.token_hex(3)}")

    def account(self, user: IGUser | None = None, *, age_seconds: float = 0) -> Account:
        """A connected account: a long-lived token and what connecting stores."""
        who = user or self.person()
        token = self.peer.token_for(who, self.app_id, age_seconds=age_seconds)
        connected = self.connector.connect_with_token("", {"access_token": token})
        return Account(base_url=connected.base_url, credentials=connected.credentials,
                       remote_id=connected.identity.remote_id, handle=connected.identity.handle)

    def picture(self, name: str, colour: tuple[int, int, int], *, size: tuple[int, int] = (
            400, 400), fmt: str = "JPEG", alt: str = "A square") -> MediaFile:
        """A picture under MEDIA_ROOT, as the composer stores one."""
        path = self.media_root / "posts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size, colour).save(path, format=fmt)
        mime = {"JPEG": "image/jpeg", "PNG": "image/png"}[fmt]
        return MediaFile(str(path), mime, alt, path.stat().st_size, size[0], size[1])


def ig_env(peer: InstagramPeer, app_id: str, app_secret: str) -> dict[str, str]:
    return {
        "HUBBUB_INSTAGRAM_GRAPH_URL": peer.graph_root,
        "HUBBUB_INSTAGRAM_API_URL": peer.api_url,
        "HUBBUB_INSTAGRAM_AUTHORIZE_URL": peer.base_url,
        "HUBBUB_INSTAGRAM_APP_ID": app_id,
        "HUBBUB_INSTAGRAM_APP_SECRET": app_secret,
    }


def make_ig_world(peer: InstagramPeer, monkeypatch: pytest.MonkeyPatch, settings: Any,
                  public_url: str, media_root: Path,
                  callbacks: tuple[str, ...] = (CALLBACK, HUB_CALLBACK)) -> IGWorld:
    app_id, app_secret = peer.create_app(list(callbacks))
    for name, value in ig_env(peer, app_id, app_secret).items():
        monkeypatch.setenv(name, value)
    media_root.mkdir(parents=True, exist_ok=True)
    settings.MEDIA_ROOT = media_root
    settings.PUBLIC_URL = public_url.rstrip("/")
    clear_pauses()
    return IGWorld(peer, app_id, app_secret, InstagramConnector(), media_root)
