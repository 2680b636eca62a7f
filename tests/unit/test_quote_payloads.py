"""What a native quote sends, built without a network: Bluesky's embed, Nostr's NIP-18 tag and
reference (and the checks that a stored signed note is still the draft), Mastodon's choice
between quoted_status_id and the link."""

from __future__ import annotations

import pytest

from hubbub.networks.base import Draft
from hubbub.networks.bluesky.records import quote_embed
from hubbub.networks.mastodon.mapping import quotes_supported, with_quote_link
from hubbub.networks.nostr import blossom, events, keys, mapping
from hubbub.networks.nostr.notes import sign_note, stored_quote

ME = keys.generate_keypair()
AUTHOR = keys.generate_keypair()
QUOTED_ID = "ab" * 32
REF = {"uri": "at://did:plc:abc/app.bsky.feed.post/3kabc", "cid": "bafyreiexample"}


# --- Bluesky ---------------------------------------------------------------------------------


def test_a_bluesky_quote_is_an_embed_record_with_the_strong_ref() -> None:
    assert quote_embed(dict(REF), None) == {"$type": "app.bsky.embed.record", "record": REF}


def test_a_bluesky_quote_with_pictures_is_record_with_media() -> None:
    images = {"$type": "app.bsky.embed.images", "images": [{"alt": "a", "image": {}}]}
    assert quote_embed({**REF, "value": {"text": "not sent"}}, images) == {
        "$type": "app.bsky.embed.recordWithMedia",
        "record": {"$type": "app.bsky.embed.record", "record": REF},
        "media": images,
    }


# --- Nostr -----------------------------------------------------------------------------------


def _target(relay: str = "wss://relay.example") -> mapping.QuoteTarget:
    return mapping.QuoteTarget(QUOTED_ID, relay, AUTHOR.public_hex)


def test_the_q_tag_names_the_note_its_relay_and_author() -> None:
    target = _target()
    assert target.tag() == ["q", QUOTED_ID, "wss://relay.example", AUTHOR.public_hex]
    assert mapping.QuoteTarget(QUOTED_ID, "ws://127.0.0.1:1").tag() == [
        "q", QUOTED_ID, "ws://127.0.0.1:1"]
    assert mapping.QuoteTarget.from_tag(target.tag()) == target
    assert mapping.QuoteTarget.from_tag(["q", "not-hex"]) is None


def test_the_reference_is_an_nevent_with_the_public_relay_and_author() -> None:
    named = keys.parse_event_ref(_target().reference().removeprefix("nostr:"))
    assert (named.prefix, named.value, named.author) == ("nevent", QUOTED_ID,
                                                          AUTHOR.public_hex)
    assert named.relays == ("wss://relay.example",)
    local = keys.parse_event_ref(_target("ws://127.0.0.1:7").reference().removeprefix("nostr:"))
    assert local.relays == ()  # a local relay is no hint to give the world


def test_the_reference_follows_the_words_and_comes_before_the_pictures() -> None:
    target = _target()
    ref = target.reference()
    assert mapping.note_content("My take ", (), target) == f"My take\n\n{ref}"
    assert mapping.note_content("", (), target) == ref
    assert mapping.note_content("Look", ["https://m.example/a.png"], target) == (
        f"Look\n\n{ref}\n\nhttps://m.example/a.png")


def test_a_signed_quote_is_its_draft_and_no_other() -> None:
    draft = Draft("Quoting this #nostr", quote=QUOTED_ID)
    event = sign_note(ME, draft, None, (), _target())
    assert events.verify(event)
    assert ["q", QUOTED_ID, "wss://relay.example", AUTHOR.public_hex] in event["tags"]
    assert ["t", "nostr"] in event["tags"]
    assert mapping.event_matches_draft(event, draft, ME.public_hex)
    # the same note quoted by its nevent, as a timeline item may name it
    by_nevent = Draft(draft.text, quote=keys.encode_nevent(QUOTED_ID))
    assert mapping.event_matches_draft(event, by_nevent, ME.public_hex)
    assert not mapping.event_matches_draft(event, Draft(draft.text), ME.public_hex)
    assert not mapping.event_matches_draft(event, Draft(draft.text, quote="cd" * 32),
                                           ME.public_hex)
    assert not mapping.event_matches_draft(event, Draft("Edited", quote=QUOTED_ID),
                                           ME.public_hex)
    plain = sign_note(ME, Draft(draft.text), None, ())
    assert not mapping.event_matches_draft(plain, draft, ME.public_hex)


def test_a_quote_with_pictures_is_signed_in_stage_from_what_prepare_kept() -> None:
    target = _target()
    kept = {"reply": None, "quote": {"event_id": QUOTED_ID, "relay_hint": "wss://relay.example",
                                     "author": AUTHOR.public_hex}}
    assert stored_quote(kept) == target
    assert stored_quote({"reply": None}) is None
    blob = blossom.Blob(url="https://m.example/a.png", sha256="ef" * 32, size=3,
                        mime_type="image/png")
    draft = Draft("Look", quote=QUOTED_ID)
    event = sign_note(ME, draft, None, [blob], stored_quote(kept))
    assert event["content"] == f"Look\n\n{target.reference()}\n\nhttps://m.example/a.png"
    assert mapping.quote_of(event) == target


# --- Mastodon --------------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "quotes"), [
    ("4.5.0", True), ("4.6.0", True), ("4.5.7", True), ("4.5.0+glitch", True),
    ("5.0.0", True), ("4.4.3", False), ("4.4.0rc1", False), ("3.5.19", False), ("", False),
    ("unknown", False), ("4", False),
    ("9" * 5000 + ".5", False),  # a hostile server's endless version: no error, no quote
])
def test_mastodon_quotes_from_4_5(version: str, quotes: bool) -> None:
    assert quotes_supported({"version": version}) is quotes


def test_an_older_server_gets_the_link_after_the_words() -> None:
    url = "https://social.example/@bob/1"
    assert with_quote_link("My take", url) == f"My take\n\n{url}"
    assert with_quote_link("", url) == url
    assert with_quote_link(f"Already here {url}", url) == f"Already here {url}"
    assert with_quote_link("No address known", "") == "No address known"
