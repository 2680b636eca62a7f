"""Nostr pictures, without a relay: a note's pictures checked against the media server (Blossom
and NIP-96 answers against the bytes sent, their authorizations), carried as addresses and
imeta tags. The rest of the mapping is in test_nostr_mapping.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.errors import Rejected, Transient
from hubbub.networks.nostr import events, keys, mapping, reading
from hubbub.networks.nostr.connector import NostrConnector

ME = keys.generate_keypair()
CONNECTOR = NostrConnector()


def test_validate_pictures_with_a_media_server() -> None:
    caps = mapping.default_capabilities(has_media_server=True)
    assert (caps.media.max_count, caps.media.video) == (4, None)

    def codes(*media: MediaFile, text: str = "") -> list[str]:
        return [p.code for p in CONNECTOR.validate(Draft(text=text, media=media), caps).problems]

    png = MediaFile(path="/tmp/x.png", mime_type="image/png", alt_text="a dot", size=1000)
    assert codes(png) == []  # a picture alone is a note
    assert codes(*[png] * 5) == ["too_many_media"]
    assert codes(MediaFile(path="/tmp/x.mp4", mime_type="video/mp4", size=10)) == ["media_type"]
    # Too big is no problem: it goes fitted (networks/image_fit.py).
    big = MediaFile(path="/tmp/x.png", mime_type="image/png", size=mapping.MEDIA_MAX_BYTES + 1,
                    width=6000, height=4000)
    assert codes(big) == []
    long_alt = MediaFile(path="/tmp/x.png", mime_type="image/png", alt_text="x" * 1501)
    assert codes(long_alt) == ["alt_too_long"]


def test_a_note_with_pictures_carries_their_addresses_and_imeta_tags() -> None:
    from hubbub.networks.nostr import blossom

    blob = blossom.Blob(url="https://media.example/" + "ab" * 32 + ".png", sha256="ab" * 32,
                        size=1234, mime_type="image/png")
    assert blossom.Blob.from_id(blob.to_id()) == blob
    assert blossom.imeta_tag(blob, alt=" a dot ", width=12, height=9) == [
        "imeta", f"url {blob.url}", "m image/png", f"x {'ab' * 32}", "size 1234", "dim 12x9",
        "alt a dot"]
    assert blossom.imeta_tag(blob) == blossom.imeta_tag(blob, alt=" ", width=0)[:5]
    assert mapping.note_content("hi", [blob.url]) == f"hi\n\n{blob.url}"
    assert mapping.note_content("", [blob.url, blob.url]) == f"{blob.url}\n{blob.url}"
    draft = Draft(text="hi", media=(MediaFile(path="/x.png", mime_type="image/png"),))
    tags = [*mapping.note_tags(draft, ME.public_hex), blossom.imeta_tag(blob)]
    event = events.sign(ME.secret_hex, kind=1, content=mapping.note_content("hi", [blob.url]),
                        tags=tags)
    assert mapping.imeta_urls(event) == [blob.url]
    assert mapping.event_matches_draft(event, draft, ME.public_hex)
    assert not mapping.event_matches_draft(event, Draft(text="hi"), ME.public_hex)
    [media] = reading.media_from_imeta(event)
    assert media["url"] == blob.url


def test_a_blob_descriptor_is_checked_against_the_bytes_sent() -> None:
    import requests

    from hubbub.networks.nostr import blossom

    def answer(body: object) -> requests.Response:
        response = requests.Response()
        response.status_code = 201
        response._content = json.dumps(body).encode()
        return response

    sha = "cd" * 32
    good = {"url": f"https://m.example/{sha}.png", "sha256": sha, "size": 5, "type": "image/png"}
    assert blossom.descriptor(answer(good), sha, 5).url == good["url"]
    with pytest.raises(Rejected, match="different file"):
        blossom.descriptor(answer({**good, "sha256": "ef" * 32}), sha, 5)
    with pytest.raises(Rejected, match="stored 6 bytes"):
        blossom.descriptor(answer({**good, "size": 6}), sha, 5)
    with pytest.raises(Rejected, match="no usable address"):
        blossom.descriptor(answer({**good, "url": f"javascript:{sha}"}), sha, 5)
    with pytest.raises(Transient, match="not a blob descriptor"):
        blossom.descriptor(answer(["no"]), sha, 5)


def test_the_upload_authorization_is_a_bud11_token() -> None:
    import base64

    from hubbub.networks.nostr import blossom

    header = blossom.auth_header(ME.secret_hex, "ab" * 32, "https://Media.Example:8443",
                                 now=1_700_000_000)
    scheme, token = header.split(" ")
    assert scheme == "Nostr"
    assert not set("=+/") & set(token)  # base64url, no padding
    event = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert events.verify(event)
    assert (event["kind"], event["pubkey"], event["created_at"]) == (
        24242, ME.public_hex, 1_700_000_000)
    assert event["tags"] == [["t", "upload"], ["x", "ab" * 32], ["expiration", "1700000300"],
                             ["server", "media.example"]]


@pytest.mark.parametrize(("typed", "stored"), [
    ("blossom.example.com", "https://blossom.example.com"),
    ("HTTPS://Blossom.Example.com/", "https://blossom.example.com"),
    ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
])
def test_media_server_addresses(typed: str, stored: str) -> None:
    from hubbub.networks.nostr import blossom

    assert blossom.normalize_server_url(typed) == stored


def test_a_nip96_answer_is_checked_against_the_bytes_sent() -> None:
    from hubbub.networks.nostr import blossom, nip96

    sha = "cd" * 32

    def answer(*tags: list[str]) -> dict[str, Any]:
        return {"status": "success", "nip94_event": {"tags": list(tags), "content": ""}}

    kept = nip96._described(answer(["url", f"https://m.example/{sha}.png"], ["ox", sha],
                                   ["x", sha]), sha, 5, "image/png")
    assert (kept.sha256, kept.size, kept.mime_type) == (sha, 5, "image/png")
    changed = nip96._described(answer(
        ["url", "https://m.example/f.webp"], ["ox", sha], ["x", "ef" * 32], ["m", "image/webp"],
        ["size", "3"], ["dim", "4x2"]), sha, 5, "image/png")
    assert (changed.sha256, changed.size, changed.mime_type, changed.width, changed.height) == (
        "ef" * 32, 3, "image/webp", 4, 2)  # described as the server serves it
    undescribed = nip96._described(answer(["url", "https://m.example/f.webp"], ["ox", sha],
                                          ["x", "ef" * 32]), sha, 5, "image/png")
    assert (undescribed.width, undescribed.size) == (-1, 0)
    assert blossom.imeta_tag(undescribed, width=10, height=10) == [
        "imeta", "url https://m.example/f.webp", "m image/png", f"x {'ef' * 32}"]
    with pytest.raises(Rejected, match="received a different file"):
        nip96._described(answer(["url", "https://m.example/a.png"], ["ox", "ef" * 32]),
                         sha, 5, "image/png")
    with pytest.raises(Rejected, match="no usable address"):
        nip96._described(answer(["url", "data:x"], ["ox", sha]), sha, 5, "image/png")
    with pytest.raises(Transient, match="did not say where"):
        nip96._described({"status": "success"}, sha, 5, "image/png")


def test_the_nip96_authorization_is_a_nip98_event() -> None:
    import base64

    from hubbub.networks.nostr import nip96

    header = nip96.auth_header(ME.secret_hex, "https://m.example/api", "ab" * 32, now=1_700_000_000)
    scheme, token = header.split(" ")
    event = json.loads(base64.b64decode(token))
    assert scheme == "Nostr"
    assert events.verify(event)
    assert (event["kind"], event["created_at"], event["tags"]) == (
        27235, 1_700_000_000, [["u", "https://m.example/api"], ["method", "POST"],
                               ["payload", "ab" * 32]])


def test_a_notes_text_leaves_out_the_addresses_of_its_pictures() -> None:
    url = "https://m.example/" + "ab" * 32 + ".png"
    media = [{"url": url}]
    strip = reading.text_without_media_urls
    assert strip(f"hi\n\n{url}", media) == "hi"
    assert strip(f"{url}\n", media) == ""
    assert strip(f"see {url} here", media) == f"see {url} here"  # not at the end: kept
    assert strip(f"hi\n\n{url}", []) == f"hi\n\n{url}"  # not described: kept
    assert strip(f"hi\nhttps://other.example/x.png\n{url}", media) == (
        "hi\nhttps://other.example/x.png")
