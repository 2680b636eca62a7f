"""Publishing to the real dev-env network: what lands in the repo, and what a follower's timeline
on the AppView shows (polled: the AppView is eventually consistent)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.bluesky.tid import is_tid, new_tid
from hubbub.networks.errors import Rejected
from tests.integration.bluesky_support import (
    CONNECTOR,
    Person,
    person,
    post_record,
    timeline_post,
    wait_for,
    web_server,
)
from tests.peers.bluesky import BlueskyPeer, now_iso
from tests.peers.http_faults import HttpFaultProxy, Respond

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"


def _rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[1]


def _covered(text: str, facet: dict[str, Any]) -> str:
    index = facet["index"]
    return text.encode()[index["byteStart"] : index["byteEnd"]].decode()


def _follower_of(peer: BlueskyPeer, author: Person) -> Any:
    reader = peer.create_account("reader")
    peer.follow(reader, author.seeded)
    return reader


def test_a_post_with_facets_as_a_followers_timeline_shows_it(bluesky_peer: BlueskyPeer) -> None:
    bob = person(bluesky_peer, "bob")
    alice = person(bluesky_peer, "alice")
    reader = _follower_of(bluesky_peer, alice)
    text = (f"{FAMILY} 日本語 cafe\u0301 hi @{bob.handle} and @nobody-here.test, "
            "see https://example.com/a?b=1. #hubbub #日本 done")
    published = CONNECTOR.publish(alice.account, Draft(text, language="en"), "k-facets", ())

    assert published.remote_id.startswith(f"at://{alice.did}/app.bsky.feed.post/")
    assert is_tid(_rkey(published.remote_id))
    post = wait_for(lambda: timeline_post(bluesky_peer, reader, published.remote_id))
    record = post["record"]
    assert record["text"] == text
    assert record["langs"] == ["en"]
    assert [(_covered(text, f), f["features"][0]) for f in record["facets"]] == [
        (f"@{bob.handle}", {"$type": "app.bsky.richtext.facet#mention", "did": bob.did}),
        ("https://example.com/a?b=1",
         {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a?b=1"}),
        ("#hubbub", {"$type": "app.bsky.richtext.facet#tag", "tag": "hubbub"}),
        ("#日本", {"$type": "app.bsky.richtext.facet#tag", "tag": "日本"}),
    ]
    assert post["author"]["did"] == alice.did
    # The mentioned account is told.
    page = wait_for(lambda: [i for i in CONNECTOR.fetch(bob.account, "mentions").items
                             if i.remote_id == published.remote_id])
    assert page[0].kind == "mention"


def test_a_retry_with_the_same_record_key_never_posts_twice(bluesky_peer: BlueskyPeer) -> None:
    alice = person(bluesky_peer, "dup")
    prepared = {"rkey": new_tid()}
    first = CONNECTOR.publish(alice.account, Draft("only once"), "k", (), prepared)
    # The PDS answers the second createRecord with HTTP 500; getRecord settles it.
    again = CONNECTOR.publish(alice.account, Draft("only once"), "k", (), prepared)
    assert again.remote_id == first.remote_id
    assert first.remote_id.endswith("/" + prepared["rkey"])
    records = bluesky_peer.xrpc("GET", "com.atproto.repo.listRecords",
                                params={"repo": alice.did, "collection": "app.bsky.feed.post"})
    assert len(records["records"]) == 1


def test_a_post_that_landed_before_is_found_not_made_again(bluesky_peer: BlueskyPeer) -> None:
    """The first attempt reached the PDS but its answer was lost; the retry finds it."""
    alice = person(bluesky_peer, "landed")
    rkey = new_tid()
    landed = bluesky_peer.post(alice.seeded, "the first attempt", rkey=rkey)
    prepared = {"rkey": rkey}
    found = CONNECTOR.find_published(alice.account, Draft("x"), "k", None, prepared)  # type: ignore[arg-type]
    assert found is not None
    assert found.remote_id == landed["uri"]
    retried = CONNECTOR.publish(alice.account, Draft("the first attempt"), "k", (), prepared)
    assert retried.remote_id == landed["uri"]
    assert post_record(bluesky_peer, landed["uri"]) is not None


def test_without_a_prepared_key_the_key_derives_the_same_record_key(
    bluesky_peer: BlueskyPeer,
) -> None:
    alice = person(bluesky_peer, "derive")
    first = CONNECTOR.publish(alice.account, Draft("derived"), "a" * 32, ())
    again = CONNECTOR.publish(alice.account, Draft("derived"), "a" * 32, ())
    assert again.remote_id == first.remote_id
    assert CONNECTOR.find_published(alice.account, Draft(""), "a" * 32, None) == first  # type: ignore[arg-type]
    assert CONNECTOR.find_published(alice.account, Draft(""), "b" * 32, None) is None  # type: ignore[arg-type]


def test_a_content_warning_leads_the_text(bluesky_peer: BlueskyPeer) -> None:
    alice = person(bluesky_peer, "cw")
    published = CONNECTOR.publish(alice.account, Draft("the ending", content_warning="spoilers"),
                                  "k-cw", ())
    record = post_record(bluesky_peer, published.remote_id)
    assert record is not None
    assert record["value"]["text"] == "CW: spoilers\n\nthe ending"


# --- images -----------------------------------------------------------------------------------


def _big_photo(path: Path) -> MediaFile:
    """A real (decodable) 1600x1200 PNG of noise: ~5.8 MB, far over the 2 MB image limit."""
    Image.frombytes("RGB", (1600, 1200), os.urandom(1600 * 1200 * 3)).save(path)
    return MediaFile(path=str(path), mime_type="image/png", alt_text="Static on a screen",
                     size=path.stat().st_size, width=1600, height=1200)


def test_a_large_image_is_downscaled_and_keeps_its_alt_text(
    bluesky_peer: BlueskyPeer, tmp_path: Path
) -> None:
    alice = person(bluesky_peer, "photo")
    reader = _follower_of(bluesky_peer, alice)
    media = _big_photo(tmp_path / "static.png")
    assert media.size > 5_000_000
    media_id = CONNECTOR.upload_media(alice.account, media)
    ref = json.loads(media_id)
    assert ref["blob"]["size"] <= 2_000_000
    assert ref["blob"]["mimeType"] == "image/jpeg"
    assert ref["aspectRatio"]["width"] * 3 == ref["aspectRatio"]["height"] * 4

    published = CONNECTOR.publish(alice.account, Draft("a photo", media=(media,)), "k-img",
                                  (media_id,))
    post = wait_for(lambda: timeline_post(bluesky_peer, reader, published.remote_id))
    [image] = post["embed"]["images"]
    assert image["alt"] == "Static on a screen"
    assert image["fullsize"].startswith(bluesky_peer.appview_url)
    assert post["embed"]["$type"] == "app.bsky.embed.images#view"


def test_a_server_with_a_smaller_image_limit_gets_smaller_images(
    bluesky_peer: BlueskyPeer, tmp_path: Path
) -> None:
    """An older server allows 1,000,000 bytes and says so when an image is over: the images
    are prepared again for that limit and the post goes out once."""
    proxy = HttpFaultProxy(bluesky_peer.pds_url)
    try:
        alice = person(bluesky_peer, "oldpds", base_url=proxy.base_url)
        media = _big_photo(tmp_path / "static.png")
        media_id = CONNECTOR.upload_media(alice.account, media)
        assert json.loads(media_id)["blob"]["size"] > 1_000_000
        message = ("Invalid app.bsky.feed.post record: blob too big (maximum 1000000, got "
                   f"{json.loads(media_id)['blob']['size']}) at $.record.embed.images[0].image")
        proxy.arm("POST", "/xrpc/com.atproto.repo.createRecord",
                  Respond(400, {"Content-Type": "application/json"},
                          json.dumps({"error": "InvalidRequest", "message": message}).encode()))
        published = CONNECTOR.publish(alice.account, Draft("smaller", media=(media,)), "k-old",
                                      (media_id,))
        record = post_record(bluesky_peer, published.remote_id)
        assert record is not None
        assert record["value"]["embed"]["images"][0]["image"]["size"] <= 1_000_000
    finally:
        proxy.close()


def test_an_upload_the_server_forgot_is_uploaded_again(
    bluesky_peer: BlueskyPeer, tmp_path: Path
) -> None:
    alice = person(bluesky_peer, "forgot")
    path = tmp_path / "dot.png"
    Image.new("RGB", (8, 8), (200, 30, 30)).save(path)
    media = MediaFile(path=str(path), mime_type="image/png", alt_text="A red square")
    missing_cid = "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"
    gone = json.dumps({"blob": {"$type": "blob", "mimeType": "image/png", "size": 90,
                                "ref": {"$link": missing_cid}}})
    published = CONNECTOR.publish(alice.account, Draft("again", media=(media,)), "k-gone",
                                  (gone,))
    record = post_record(bluesky_peer, published.remote_id)
    assert record is not None
    [image] = record["value"]["embed"]["images"]
    assert image["alt"] == "A red square"
    assert image["image"]["ref"]["$link"] != missing_cid


# --- link cards -------------------------------------------------------------------------------


def _png(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 63), color).save(out, "PNG")
    return out.getvalue()


def test_the_first_link_gets_a_card_with_its_picture(bluesky_peer: BlueskyPeer) -> None:
    alice = person(bluesky_peer, "card")
    reader = _follower_of(bluesky_peer, alice)
    page = (b'<html><head><meta charset="utf-8"><title>Fallback</title>'
            b'<meta property="og:title" content="A page &amp; its title">'
            b'<meta property="og:description" content="What the page says">'
            b'<meta property="og:image" content="/card.png"></head><body>x</body></html>')
    site = {"/page": (200, "text/html; charset=utf-8", page),
            "/card.png": (200, "image/png", _png((20, 160, 90))),
            "/other": (200, "text/html", b"<title>Second</title>")}
    with web_server(site) as base:
        text = f"read {base}/page and {base}/other"
        published = CONNECTOR.publish(alice.account, Draft(text), "k-card", ())
    post = wait_for(lambda: timeline_post(bluesky_peer, reader, published.remote_id))
    external = post["embed"]["external"]
    assert post["embed"]["$type"] == "app.bsky.embed.external#view"
    assert external["uri"] == f"{base}/page"
    assert external["title"] == "A page & its title"
    assert external["description"] == "What the page says"
    assert external["thumb"].startswith(bluesky_peer.appview_url)


def test_a_page_that_cannot_be_read_means_no_card_not_a_failed_post(
    bluesky_peer: BlueskyPeer,
) -> None:
    alice = person(bluesky_peer, "nocard")
    with web_server({"/html-error": (500, "text/html", b"<title>oops</title>")}) as base:
        for path in ("/html-error", "/missing"):
            published = CONNECTOR.publish(alice.account, Draft(f"see {base}{path}"),
                                          f"k{path}", ())
            record = post_record(bluesky_peer, published.remote_id)
            assert record is not None
            assert "embed" not in record["value"]
    # A host that does not resolve (tests have no DNS): no card either.
    published = CONNECTOR.publish(alice.account, Draft("see https://example.com"), "k-dns", ())
    record = post_record(bluesky_peer, published.remote_id)
    assert record is not None
    assert "embed" not in record["value"]


# --- replies ----------------------------------------------------------------------------------


def test_replies_name_their_root_and_parent(bluesky_peer: BlueskyPeer) -> None:
    alice = person(bluesky_peer, "root")
    bob = person(bluesky_peer, "replier")
    root = CONNECTOR.publish(alice.account, Draft("the root"), "k-root", ())
    # dev-env's AppView can miss the notification of a reply indexed together with its parent:
    # let it see the root first (people reply to posts they have read).
    wait_for(lambda: [i for i in CONNECTOR.fetch(alice.account, "author").items
                      if i.remote_id == root.remote_id])
    first = CONNECTOR.reply(bob.account, root.remote_id, Draft("first reply"), "k-r1")
    # Named by its web address (with the author's handle) this time.
    web = f"https://bsky.app/profile/{bob.handle}/post/{_rkey(first.remote_id)}"
    second = CONNECTOR.publish(alice.account, Draft("a reply to the reply", in_reply_to=web),
                               "k-r2", ())
    for reply, parent in ((first, root), (second, first)):
        record = post_record(bluesky_peer, reply.remote_id)
        assert record is not None
        refs = record["value"]["reply"]
        assert refs["root"]["uri"] == root.remote_id
        assert refs["parent"]["uri"] == parent.remote_id
        assert refs["parent"]["cid"]
        assert refs["root"]["cid"]
    # Alice is told about Bob's reply.
    found = wait_for(lambda: [i for i in CONNECTOR.fetch(alice.account, "notifications").items
                              if i.remote_id == first.remote_id])
    assert found[0].kind == "reply"
    assert found[0].extra["in_reply_to"] == root.remote_id


def test_a_reply_to_a_post_that_is_gone(bluesky_peer: BlueskyPeer) -> None:
    alice = person(bluesky_peer, "gone")
    missing = f"at://{alice.did}/app.bsky.feed.post/{new_tid()}"
    with pytest.raises(Rejected, match="does not exist"):
        CONNECTOR.publish(alice.account, Draft("hello?", in_reply_to=missing), "k-gone", ())
    with pytest.raises(Rejected, match="does not name a Bluesky post"):
        CONNECTOR.publish(alice.account, Draft("hello?", in_reply_to="12345"), "k-bad", ())


def test_an_oversized_post_is_rejected_with_the_servers_words(bluesky_peer: BlueskyPeer) -> None:
    alice = person(bluesky_peer, "long")
    with pytest.raises(Rejected, match=r"grapheme too big \(maximum 300, got 301\)"):
        CONNECTOR.publish(alice.account, Draft("a" * 301), "k-long", ())


def test_records_created_elsewhere_are_read_the_same(bluesky_peer: BlueskyPeer) -> None:
    """A post made by another client (no facets) reads back with its plain text."""
    alice = person(bluesky_peer, "other")
    bluesky_peer.create_record(alice.seeded, "app.bsky.feed.post",
                               {"text": "from another app", "createdAt": now_iso()})
    found = wait_for(lambda: [i for i in CONNECTOR.fetch(alice.account, "author").items
                              if i.text == "from another app"])
    assert found[0].html == "from another app"
