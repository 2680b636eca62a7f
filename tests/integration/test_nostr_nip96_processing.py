"""NIP-96 delayed processing, through the whole engine against the relay and the stand-in
(tests/peers/blossom_server.py, setting `processing`): a 202 with a processing_url is asked
until the server says the file is done, and the note describes the file the server serves
then; a processing error is a refusal in the server's words; a server still processing after
the bounded questions leaves the upload's own description (the original is served
meanwhile)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from hubbub.networks.nostr import nip96
from hubbub.publishing.models import DeliveryState
from hubbub.publishing.services import create_post
from tests.integration.test_nostr_media import (
    ALT,
    _connect,
    _file_sha,
    _imeta,
    _notes,
    _png,
    _run_due,
)
from tests.peers.blossom import BlossomPeer
from tests.peers.nostr import NostrPeer

pytestmark = pytest.mark.django_db
S = DeliveryState


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def _polls(peer: BlossomPeer) -> list[int]:
    return [e["status"] for e in peer.log() if e["path"] == "processing"]


def test_a_file_still_processing_is_asked_for_until_it_is_done(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User
) -> None:
    blossom_peer.settings(nip96=True, processing=2)
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    post = create_post(user=owner, text="processed", connections=[connection], media=[_png()])
    _run_due()
    assert post.deliveries.get().state == S.SENT
    sha = _file_sha(post)
    [upload] = [e for e in blossom_peer.log() if e["method"] == "POST"]
    assert (upload["status"], upload["sha256"]) == (202, sha)
    assert _polls(blossom_peer) == [200, 200, 201]
    [meta] = _imeta(_notes(nostr_peer, connection)[0])
    # The note describes what the server serves now: the WebP it made, not the PNG sent.
    status, headers, body = blossom_peer.get(meta["url"].removeprefix(blossom_peer.url))
    assert status == 200
    assert headers["Content-Type"] == "image/webp"
    assert meta["x"] == hashlib.sha256(body).hexdigest() != sha
    assert (meta["m"], meta["size"], meta["dim"], meta["alt"]) == \
        ("image/webp", str(len(body)), "12x9", ALT)


def test_a_processing_error_fails_the_post_in_the_servers_words(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User
) -> None:
    blossom_peer.settings(nip96=True, processing=1, processing_fails=True)
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    post = create_post(user=owner, text="broken", connections=[connection], media=[_png()])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.FAILED
    assert "The media server could not process the picture (it said: The picture could not " \
        "be converted.)" in delivery.last_error
    assert _polls(blossom_peer) == [200, 200]
    assert _notes(nostr_peer, connection) == []


def test_a_server_processing_too_long_leaves_the_uploads_own_description(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(nip96, "POLLS", 3)
    blossom_peer.settings(nip96=True, processing=50)
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    post = create_post(user=owner, text="slow", connections=[connection], media=[_png()])
    _run_due()
    assert post.deliveries.get().state == S.SENT
    assert _polls(blossom_peer) == [200, 200, 200]  # bounded: asked three times, no more
    [meta] = _imeta(_notes(nostr_peer, connection)[0])
    sha = _file_sha(post)
    # What the 202 said: the address, and the original's hash, which the server serves
    # meanwhile at that address.
    assert meta["url"] == f"{blossom_peer.url}/{sha}.webp"
    status, _headers, body = blossom_peer.get(f"/{sha}.webp")
    assert status == 200
    assert hashlib.sha256(body).hexdigest() == sha
