"""A secret key the hub makes for a new Nostr account is shown once, from the server side, and
never travels in a cookie (Django's message cookie is signed, not encrypted: anyone holding it
can read it). Connected through the web form to a real relay on 127.0.0.1."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.networks.nostr import keys
from tests.peers.nostr import NostrPeer

pytestmark = pytest.mark.django_db


def _readings(value: str) -> list[str]:
    """A cookie's value as sent, and every way Django's signing could be read back from it
    (payload:timestamp:signature, its payload base64, '.'-prefixed when zlib-compressed)."""
    readings = [value]
    for part in value.split(":"):
        compressed = part.startswith(".")
        raw = part.lstrip(".")
        try:
            data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
            if compressed:
                data = zlib.decompress(data)
        except (ValueError, zlib.error):
            continue
        readings.append(data.decode("utf-8", "replace"))
    return readings


def _messages_in(value: str) -> list[str]:
    request = RequestFactory().get("/")
    messages = CookieStorage(request)._decode(value)
    return [str(m) for m in messages or []]


def _assert_no_secret_in_cookies(response: Any, *secrets: str) -> None:
    for name, morsel in response.cookies.items():
        readings = _readings(morsel.value)
        if name == "messages" and morsel.value:
            readings += _messages_in(morsel.value)
        for reading in readings:
            for secret in secrets:
                assert secret not in reading, f"the secret key is in the {name} cookie"


def test_a_generated_nostr_key_is_shown_once_and_never_in_a_cookie(
    client: Client, nostr_peer: NostrPeer
) -> None:
    owner = User.objects.create_user("owner", password="a long enough pass phrase")
    client.force_login(owner)
    connect = client.post(reverse("connections:connect_start", args=["nostr"]),
                          {"relays": nostr_peer.url, "nsec": ""})
    assert connect.status_code == 302, connect.content.decode()
    connection = Connection.objects.get(user=owner, network="nostr")
    secret_hex = connection.credentials["secret_key_hex"]
    nsec = keys.keypair_from_secret_hex(secret_hex).nsec

    # The answer to the connect carries the flash in the message cookie, but not the key.
    assert any("Connected" in m for m in _messages_in(connect.cookies["messages"].value))
    _assert_no_secret_in_cookies(connect, nsec, secret_hex)

    # Kept server-side until shown, encrypted even there.
    stored = repr(dict(client.session.items()))
    assert nsec not in stored
    assert secret_hex not in stored

    shown = client.get(connect["Location"])
    assert shown.status_code == 200
    html = shown.content.decode()
    assert html.count(nsec) == 1
    assert "will not show it again" in html
    assert f"Connected {connection.handle}" in html  # the ordinary flash still arrives
    assert "no-store" in shown["Cache-Control"]

    reload = client.get(reverse("connections:list"))
    assert reload.status_code == 200
    assert nsec not in reload.content.decode()
    assert "no-store" not in reload.get("Cache-Control", "")

    for response in (shown, reload):
        _assert_no_secret_in_cookies(response, nsec, secret_hex)
