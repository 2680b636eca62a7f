"""Nostr notes with pictures, through the whole engine, against the real relay and the Blossom
stand-in (tests/peers/blossom_server.py): the picture is uploaded with a signed BUD-11
authorization, the note carries its address and a NIP-92 imeta tag, and reads back with its
alt text; refusals, a server that is down, a file too large, and crashes between the upload
and the publish, after which exactly one note exists."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from hubbub.connections.models import Connection
from hubbub.connections.services import account_for, capabilities_for, save_connection
from hubbub.jobs import scheduler
from hubbub.networks.errors import Rejected
from hubbub.networks.nostr.connector import NostrConnector
from hubbub.networks.registry import get_connector
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState, Post
from hubbub.publishing.services import NewMedia, create_post
from hubbub.publishing.target_drafts import left_out_note
from tests.peers.blossom import MAX_BYTES, BlossomPeer
from tests.peers.nostr import NostrPeer
from tests.peers.procgroup import free_ports

pytestmark = pytest.mark.django_db
S = DeliveryState
ALT = "A blue square on a white table"


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def _connect(owner: User, relay: str, media_server: str = "") -> Connection:
    connected = get_connector("nostr").connect_with_token(
        relay, {"nsec": "", "media_server": media_server})
    return save_connection(owner, "nostr", connected)


def _png(name: str = "square.png", size: tuple[int, int] = (12, 9),
         alt: str = ALT) -> NewMedia:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "PNG")
    return NewMedia(SimpleUploadedFile(name, out.getvalue(), content_type="image/png"), alt)


def _run_due() -> None:
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)


def _notes(peer: NostrPeer, connection: Connection) -> list[dict[str, Any]]:
    return peer.query({"authors": [connection.remote_id], "kinds": [1]})


def _imeta(note: dict[str, Any]) -> list[dict[str, str]]:
    found = []
    for tag in note["tags"]:
        if tag[0] == "imeta":
            found.append(dict(part.split(" ", 1) for part in tag[1:]))
    return found


def _file_sha(post: Post) -> str:
    [media] = post.media.all()
    return hashlib.sha256(Path(media.file.path).read_bytes()).hexdigest()


# --- the whole way ---------------------------------------------------------------------------


def test_a_picture_goes_to_the_media_server_and_the_note_reads_back_with_it(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User, media_root: Path
) -> None:
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    assert connection.credentials["media_server"] == blossom_peer.url
    assert capabilities_for(connection, refresh=True).media.max_count == 4
    post = create_post(user=owner, text="My #desk today", connections=[connection],
                       media=[_png()])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SENT, delivery.last_error
    [note] = _notes(nostr_peer, connection)
    assert note["id"] == delivery.remote_id
    sha = _file_sha(post)
    [meta] = _imeta(note)
    assert meta["x"] == sha
    assert meta["m"] == "image/png"
    assert meta["dim"] == "12x9"
    assert meta["alt"] == ALT
    assert meta["url"] == f"{blossom_peer.url}/{sha}.png"
    assert int(meta["size"]) == Path(post.media.get().file.path).stat().st_size
    # The address is in the content, after the text, as Nostr clients expect.
    assert note["content"] == f"My #desk today\n\n{meta['url']}"
    assert ["t", "desk"] in note["tags"]
    # The media server serves the very bytes, under their hash.
    status, headers, body = blossom_peer.get(f"/{sha}.png")
    assert (status, headers["Content-Type"]) == (200, "image/png")
    assert hashlib.sha256(body).hexdigest() == sha
    # The upload was authorized as BUD-11 says: kind 24242, t upload, x, expiration, server.
    [upload] = blossom_peer.uploads()
    assert upload["status"] == 201
    auth = upload["auth"]
    assert (auth["kind"], auth["pubkey"]) == (24242, connection.remote_id)
    tags = {t[0]: t[1] for t in auth["tags"]}
    assert (tags["t"], tags["x"], tags["server"]) == ("upload", sha, "127.0.0.1")
    assert 0 < int(tags["expiration"]) - auth["created_at"] <= 600
    # Read back by the hub: the picture and its description.
    page = get_connector("nostr").fetch(account_for(connection), "author")
    [item] = page.items
    assert item.text == "My #desk today"  # the address is shown as the picture, not as text
    assert item.extra["media"] == [{"type": "image", "url": meta["url"],
                                    "preview_url": meta["url"], "description": ALT}]


def test_two_pictures_and_no_text(nostr_peer: NostrPeer, blossom_peer: BlossomPeer,
                                  owner: User, media_root: Path) -> None:
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    post = create_post(user=owner, text="", connections=[connection],
                       media=[_png("a.png", (4, 4), "first"), _png("b.png", (5, 3), "second")])
    _run_due()
    assert post.deliveries.get().state == S.SENT
    [note] = _notes(nostr_peer, connection)
    metas = _imeta(note)
    assert [(m["alt"], m["dim"]) for m in metas] == [("first", "4x4"), ("second", "5x3")]
    assert note["content"] == "\n".join(m["url"] for m in metas)


def _noise(side: int = 300) -> NewMedia:
    """A PNG of noise (270 KB at 300 px): well over a small limit, so it must be fitted."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), random.Random(7).randbytes(side * side * 3)).save(
        out, "PNG")
    assert len(out.getvalue()) > 40_000
    return NewMedia(SimpleUploadedFile("noise.png", out.getvalue(), content_type="image/png"),
                    "Static")


def test_a_picture_over_the_limit_goes_fitted(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User, media_root: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from hubbub.networks.nostr import mapping

    monkeypatch.setattr(mapping, "MEDIA_MAX_BYTES", 40_000)
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    post = create_post(user=owner, text="noise", connections=[connection], media=[_noise()])
    _run_due()
    assert post.deliveries.get().state == S.SENT
    [note] = _notes(nostr_peer, connection)
    [meta] = _imeta(note)
    status, headers, body = blossom_peer.get(meta["url"].removeprefix(blossom_peer.url))
    assert status == 200
    assert len(body) <= 40_000
    assert int(meta["size"]) == len(body)
    assert hashlib.sha256(body).hexdigest() == meta["x"] != _file_sha(post)
    with Image.open(io.BytesIO(body)) as sent:
        assert meta["dim"] == f"{sent.width}x{sent.height}"
        assert meta["m"] == headers["Content-Type"] == Image.MIME[sent.format or ""]


def test_a_reply_with_a_picture_keeps_its_thread(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User, media_root: Path
) -> None:
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    alice = nostr_peer.keygen()
    root = nostr_peer.sign(alice, "show me your desk")
    assert nostr_peer.publish(root).ok
    post = create_post(user=owner, text="here it is", connections=[connection],
                       media=[_png()], reply_to={connection.pk: root["id"]})
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SENT, delivery.last_error
    assert delivery.prepared is not None
    assert delivery.prepared["0"]["reply"]["parent_id"] == root["id"]  # read once, in prepare
    [note] = _notes(nostr_peer, connection)
    assert note == delivery.prepared["0"]["stage"]["event"]  # signed once, in stage
    assert note["tags"][:2] == [["e", root["id"], nostr_peer.url, "root", alice.pk],
                                ["p", alice.pk]]
    assert [m["alt"] for m in _imeta(note)] == [ALT]


def test_a_server_that_announces_nip96_is_used_through_nip96(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User, media_root: Path
) -> None:
    blossom_peer.settings(nip96=True)
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    assert connection.credentials["media_api"] == f"{blossom_peer.url}/api/v2/media"
    # The size its document states is the account's limit.
    assert connection.credentials["media_max_bytes"] == MAX_BYTES
    assert capabilities_for(connection, refresh=True).media.image_max_bytes == MAX_BYTES
    [said] = NostrConnector().account_notes(account_for(connection))
    assert said == f"Pictures are stored on the media server {blossom_peer.url} (NIP-96)."
    post = create_post(user=owner, text="via NIP-96", connections=[connection], media=[_png()])
    _run_due()
    assert post.deliveries.get().state == S.SENT
    sha = _file_sha(post)
    [upload] = blossom_peer.log()
    assert (upload["method"], upload["path"], upload["status"]) == ("POST", "/api/v2/media", 201)
    assert upload["fields"]["alt"] == ALT
    assert upload["fields"]["no_transform"] == "true"
    auth = upload["auth"]
    assert (auth["kind"], auth["pubkey"]) == (27235, connection.remote_id)
    assert auth["tags"] == [["u", f"{blossom_peer.url}/api/v2/media"], ["method", "POST"],
                            ["payload", sha]]
    [note] = _notes(nostr_peer, connection)
    [meta] = _imeta(note)
    assert (meta["x"], meta["alt"], meta["dim"]) == (sha, ALT, "12x9")
    status, _headers, body = blossom_peer.get(meta["url"].removeprefix(blossom_peer.url))
    assert status == 200
    assert hashlib.sha256(body).hexdigest() == sha


def test_a_picture_over_a_nip96_servers_stated_size_goes_fitted_to_it(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User, media_root: Path
) -> None:
    blossom_peer.settings(nip96=True, max_bytes=40_000)
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    post = create_post(user=owner, text="fits", connections=[connection], media=[_noise()])
    _run_due()
    assert post.deliveries.get().state == S.SENT
    [upload] = blossom_peer.log()
    assert upload["status"] == 201
    assert upload["size"] <= 40_000
    [meta] = _imeta(_notes(nostr_peer, connection)[0])
    assert int(meta["size"]) == upload["size"]


def test_a_nip96_refusal_reaches_the_person_with_the_servers_words(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User, media_root: Path
) -> None:
    blossom_peer.settings(nip96=True, allowed_pubkeys=["ab" * 32])
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    post = create_post(user=owner, text="not allowed", connections=[connection],
                       media=[_png()])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.FAILED
    assert delivery.last_error.startswith(
        "The media server refused this account's upload (HTTP 403) (it said: This key may not "
        "upload to this server).")
    assert _notes(nostr_peer, connection) == []


# --- the setting -----------------------------------------------------------------------------


def test_without_a_media_server_nostr_takes_no_pictures_and_says_why(
    nostr_peer: NostrPeer, owner: User
) -> None:
    connection = _connect(owner, nostr_peer.url)
    assert "media_server" not in connection.credentials
    connector = NostrConnector()
    caps = capabilities_for(connection, refresh=True)
    assert caps.media.max_count == 0
    [note] = connector.account_notes(account_for(connection))
    assert "add a Blossom server" in note
    with pytest.raises(Rejected, match="add a Blossom server"):
        connector.upload_media(account_for(connection), _media_file())
    # The composer's preview says why the picture stays behind there.
    assert left_out_note((_media_file(),), caps, "nostr") == (
        "Sent without the picture: this Nostr account has no media server (add one on the "
        "Connections page).")


def _media_file() -> Any:
    from hubbub.networks.base import MediaFile

    return MediaFile(path="/nonexistent.png", mime_type="image/png", alt_text="x", size=10)


@pytest.mark.parametrize(("typed", "words"), [
    ("ftp://media.example", "not a web address"),
    ("https://media.example/upload", "by its root"),
    ("http://10.1.2.3", "cannot be reached from this hub"),
])
def test_a_media_server_address_that_cannot_be_used_is_refused_in_words(
    nostr_peer: NostrPeer, typed: str, words: str
) -> None:
    with pytest.raises(Rejected, match=words):
        get_connector("nostr").connect_with_token(nostr_peer.url,
                                                  {"nsec": "", "media_server": typed})


# --- the server refuses ----------------------------------------------------------------------


def _put(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(f"{url}/upload", data=body, method="PUT",
                                     headers={"Content-Type": "image/png", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("X-Reason", "")


def test_the_server_refuses_unsigned_and_forged_authorizations(
    blossom_peer: BlossomPeer, nostr_peer: NostrPeer
) -> None:
    body = b"\x89PNG not really"
    sha = hashlib.sha256(body).hexdigest()
    assert _put(blossom_peer.url, body, {}) == (
        401, "Missing Nostr authorization (Authorization: Nostr <token>)")
    keys = nostr_peer.keygen()
    now = int(timezone.now().timestamp())
    good = nostr_peer.sign(keys, "upload", kind=24242, tags=[
        ["t", "upload"], ["x", sha], ["expiration", str(now + 60)]])
    forged = {**good, "sig": good["sig"][:-2] + ("00" if good["sig"][-2:] != "00" else "11")}

    def header(event: dict[str, Any]) -> dict[str, str]:
        raw = base64.urlsafe_b64encode(json.dumps(event).encode()).decode().rstrip("=")
        return {"Authorization": f"Nostr {raw}"}

    assert _put(blossom_peer.url, body, header(forged)) == (
        401, "The authorization event's signature is not valid")
    other = nostr_peer.sign(keys, "upload", kind=24242, tags=[
        ["t", "upload"], ["x", "0" * 64], ["expiration", str(now + 60)]])
    assert _put(blossom_peer.url, body, header(other)) == (
        401, "The authorization event does not name this blob (x tag)")
    assert _put(blossom_peer.url, body, header(good))[0] == 201


def test_a_key_the_server_does_not_take_fails_the_post_with_a_sentence(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User, media_root: Path
) -> None:
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    blossom_peer.settings(allowed_pubkeys=["ab" * 32])
    post = create_post(user=owner, text="not allowed", connections=[connection],
                       media=[_png()])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.FAILED
    assert delivery.last_error == (
        "The media server refused this account's upload (HTTP 403) (it said: This key may not "
        "upload to this server). Check that the server lets this Nostr key upload, or choose "
        "another server on the Connections page.")
    assert _notes(nostr_peer, connection) == []


def test_a_blossom_server_that_refuses_the_size_gets_the_picture_fitted_smaller(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User, media_root: Path
) -> None:
    """Blossom states no limit before it is asked: each 413 to HEAD /upload (no bytes sent)
    has the picture fitted to half, until the server takes it."""
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    blossom_peer.settings(max_bytes=400_000)
    post = create_post(user=owner, text="shrunk", connections=[connection],
                       media=[_noise(700)])
    _run_due()
    assert post.deliveries.get().state == S.SENT
    [note] = _notes(nostr_peer, connection)
    [meta] = _imeta(note)
    status, _headers, body = blossom_peer.get(meta["url"].removeprefix(blossom_peer.url))
    assert status == 200
    assert len(body) <= 400_000
    assert hashlib.sha256(body).hexdigest() == meta["x"]
    log = [(e["method"], e["status"]) for e in blossom_peer.log()]
    assert log[0] == ("HEAD", 413)
    assert log[-1] in {("PUT", 200), ("PUT", 201)}
    assert [m for m, _s in log].count("PUT") == 1  # no bytes went before the size fitted


def test_a_file_too_large_for_the_server_is_refused_before_its_bytes_go(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User, media_root: Path
) -> None:
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    blossom_peer.settings(max_bytes=50)
    post = create_post(user=owner, text="too big", connections=[connection], media=[_png()])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.FAILED
    assert delivery.last_error == (
        "The media server refuses files this large (it said: File too large: at most 50 "
        "bytes). Attach a smaller picture.")
    assert [(e["method"], e["status"]) for e in blossom_peer.log()] == [("HEAD", 413)]
    assert _notes(nostr_peer, connection) == []


def test_a_descriptor_for_other_bytes_is_not_used(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User, media_root: Path
) -> None:
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    blossom_peer.settings(wrong_hash=True)
    post = create_post(user=owner, text="changed", connections=[connection], media=[_png()])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.FAILED
    assert "says it stored a different file" in delivery.last_error
    assert _notes(nostr_peer, connection) == []


def test_a_media_server_that_is_down_is_retried_later(
    nostr_peer: NostrPeer, owner: User, media_root: Path
) -> None:
    (port,) = free_ports(1)  # nobody listens there
    connection = _connect(owner, nostr_peer.url, f"http://127.0.0.1:{port}")
    post = create_post(user=owner, text="later", connections=[connection], media=[_png()])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SCHEDULED
    assert delivery.error_kind == "transient"
    assert delivery.last_error == (
        "Could not reach the media server: the connection was refused")
    assert delivery.media_ids == []
    assert _notes(nostr_peer, connection) == []


# --- crashes between the upload and the publish ---------------------------------------------


class Crash(BaseException):
    """The worker process dying (nothing in the engine catches it)."""


@pytest.fixture
def crash_once(monkeypatch: pytest.MonkeyPatch) -> Any:
    def arm(method: str) -> None:
        real = getattr(NostrConnector, method)
        calls = {"n": 0}

        def crashing(self: NostrConnector, *args: Any, **kwargs: Any) -> Any:
            result = real(self, *args, **kwargs)  # the network did its part...
            calls["n"] += 1
            if calls["n"] == 1:
                raise Crash  # ...and the process died before the engine wrote it down
            return result

        monkeypatch.setattr(NostrConnector, method, crashing)

    return arm


def _after_the_crash(delivery: Delivery) -> None:
    """What happens next in real life: the lease runs out, the sweeper marks the delivery
    unknown, the next worker checks the relays and goes on."""
    Delivery.objects.filter(pk=delivery.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1))
    assert engine.sweep_expired_leases() == 1
    for _ in range(3):
        _run_due()


@pytest.mark.parametrize("method", ["upload_media", "stage", "publish"])
def test_a_crash_between_upload_and_publish_leaves_exactly_one_note(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User, media_root: Path,
    crash_once: Any, method: str
) -> None:
    connection = _connect(owner, nostr_peer.url, blossom_peer.url)
    crash_once(method)
    post = create_post(user=owner, text=f"crash in {method}", connections=[connection],
                       media=[_png()])
    [(pk, _)] = scheduler.due_deliveries()
    with pytest.raises(Crash):
        engine.process(pk)
    delivery = post.deliveries.get()
    assert delivery.state == S.SENDING
    _after_the_crash(delivery)
    delivery.refresh_from_db()
    assert delivery.state == S.SENT, delivery.last_error
    [note] = _notes(nostr_peer, connection)
    assert note["id"] == delivery.remote_id
    [meta] = _imeta(note)
    assert meta["x"] == _file_sha(post)
    # The same bytes give the same blob: a second upload (after the crash) stored nothing new.
    statuses = [u["status"] for u in blossom_peer.uploads()]
    assert statuses == ([201, 200] if method == "upload_media" else [201])
