"""Nostr mapping (pure): drafts -> tags, NIP-11 -> capabilities, relay answers -> errors,
events -> items, feeds -> filters; and NostrConnector.validate."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.errors import OutcomeUnknown, RateLimited, Rejected, Transient
from hubbub.networks.nostr import events, keys, mapping, reading
from hubbub.networks.nostr.connector import NostrConnector
from hubbub.networks.nostr.relay import (
    PublishOutcome,
    QueryResult,
    RelayFailure,
    http_url,
    normalize_relay_url,
)

FIXTURES = Path(mapping.__file__).parent / "fixtures"
ME = keys.generate_keypair()
ALICE = keys.generate_keypair()
BOB = keys.generate_keypair()


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


# --- drafts -> notes --------------------------------------------------------------------------


def test_hashtags_lowercased_once_each_and_not_in_links() -> None:
    text = ("#Hello #world and #HELLO again; #1 is a number, #2024goals counts; "
            "https://example.com/#anchor a#b &#39; #ünïcode #日本語 (#paren) #snake_case")
    assert mapping.hashtags(text) == [
        "hello", "world", "2024goals", "ünïcode", "日本語", "paren", "snake_case"]


def test_mentions_become_p_tags_and_nostr_references() -> None:
    nprofile = keys.encode_nprofile(BOB.public_hex, ("wss://r.example",))
    text = f"hi @{ALICE.npub} and nostr:{nprofile}, again nostr:{ALICE.npub}; @npub1broken"
    assert mapping.mentioned_pubkeys(text) == [ALICE.public_hex, BOB.public_hex]
    assert mapping.note_content(text) == (
        f"hi nostr:{ALICE.npub} and nostr:{nprofile}, again nostr:{ALICE.npub}; @npub1broken")
    tags = mapping.note_tags(Draft(text=text), ME.public_hex)
    assert tags == [["p", ALICE.public_hex], ["p", BOB.public_hex]]


def test_an_email_like_at_is_not_a_mention() -> None:
    text = f"mail me@{ALICE.npub}"
    assert mapping.mentioned_pubkeys(text) == []
    assert mapping.note_content(text) == text


def test_warning_and_language_tags() -> None:
    tags = mapping.note_tags(
        Draft(text="#Spoiler ahead", content_warning="ending", language="en-GB"), ME.public_hex)
    assert tags == [["t", "spoiler"], ["content-warning", "ending"], ["L", "ISO-639-1"],
                    ["l", "en", "ISO-639-1"]]


def _note(pair: keys.KeyPair, content: str, tags: list[list[str]] | None = None) -> dict[str, Any]:
    return events.sign(pair.secret_hex, kind=1, content=content, tags=tags or [])


def test_reply_to_a_root_note_has_one_root_tag_and_its_author() -> None:
    root = _note(ALICE, "root", [["p", BOB.public_hex]])
    ref = keys.parse_event_ref(root["id"])
    target = mapping.reply_target(ref, root, fallback_relay="wss://mine.example")
    tags = mapping.note_tags(Draft(text="answer", in_reply_to=root["id"]), ME.public_hex, target)
    assert tags == [
        ["e", root["id"], "wss://mine.example", "root", ALICE.public_hex],
        ["p", ALICE.public_hex],
        ["p", BOB.public_hex],
    ]


def test_reply_to_a_reply_names_root_and_parent() -> None:
    root = _note(ALICE, "root")
    parent = _note(BOB, "first answer", [["e", root["id"], "", "root", ALICE.public_hex],
                                         ["p", ALICE.public_hex], ["p", ME.public_hex]])
    nevent = keys.encode_nevent(parent["id"], ("wss://hint.example",), BOB.public_hex)
    target = mapping.reply_target(keys.parse_event_ref(nevent), parent)
    tags = mapping.note_tags(Draft(text="second"), ME.public_hex, target)
    assert tags == [
        ["e", root["id"], "wss://hint.example", "root", ALICE.public_hex],
        ["e", parent["id"], "wss://hint.example", "reply", BOB.public_hex],
        ["p", BOB.public_hex],
        ["p", ALICE.public_hex],  # own key left out
    ]


def test_reply_to_an_old_style_positional_reply() -> None:
    root_id = "aa" * 32
    parent = _note(BOB, "old client", [["e", root_id], ["p", ALICE.public_hex]])
    target = mapping.reply_target(keys.parse_event_ref(parent["id"]), parent)
    assert (target.root_id, target.parent_id) == (root_id, parent["id"])


def test_reply_to_a_note_no_relay_has_treats_it_as_a_root() -> None:
    nevent = keys.encode_nevent("bb" * 32, (), ALICE.public_hex)
    target = mapping.reply_target(keys.parse_event_ref(nevent), None, "wss://mine.example")
    tags = mapping.note_tags(Draft(text="hm"), ME.public_hex, target)
    assert tags == [["e", "bb" * 32, "wss://mine.example", "root", ALICE.public_hex],
                    ["p", ALICE.public_hex]]


def test_event_matches_draft() -> None:
    draft = Draft(text=f"hi @{ALICE.npub}", content_warning="cw")
    tags = mapping.note_tags(draft, ME.public_hex)
    event = events.sign(ME.secret_hex, kind=1, content=mapping.note_content(draft.text), tags=tags)
    assert mapping.event_matches_draft(event, draft, ME.public_hex)
    assert not mapping.event_matches_draft(event, Draft(text=draft.text), ME.public_hex)
    assert not mapping.event_matches_draft(event, draft, ALICE.public_hex)
    assert not mapping.event_matches_draft(event, Draft(text="hi", content_warning="cw"),
                                           ME.public_hex)


# --- capabilities -----------------------------------------------------------------------------


def test_capabilities_from_real_and_documented_relay_documents() -> None:
    plain = mapping.capabilities_from_documents([fixture("nip11_nostr_relay_1_14.json")])
    assert plain.text_limit == mapping.DEFAULT_TEXT_LIMIT
    assert (plain.counting, plain.media.max_count, plain.idempotency, plain.threads) == (
        "graphemes", 0, "content_hash", True)
    paid = mapping.capabilities_from_documents([fixture("nip11_paid_relay.json")])
    assert paid.text_limit == mapping.DEFAULT_TEXT_LIMIT
    limited = mapping.capabilities_from_documents(
        [fixture("nip11_paid_relay.json"), fixture("nip11_limited_relay.json")])
    assert limited.text_limit == 8196  # the strictest relay wins: a note goes to all


@pytest.mark.parametrize("value", [0, -5, True, "8000", None, 1.5])
def test_unusable_stated_limits_are_ignored(value: object) -> None:
    assert mapping.stated_content_limit({"limitation": {"max_content_length": value}}) is None
    assert mapping.stated_content_limit(["not", "a", "document"]) is None


# --- relay answers -> errors ------------------------------------------------------------------


def _o(status: str, message: str = "", **extra: Any) -> PublishOutcome:
    return PublishOutcome(f"wss://{status}.example", status, message, **extra)  # type: ignore[arg-type]


def test_one_relay_storing_it_is_success_even_as_duplicate() -> None:
    assert mapping.stored_on([_o("refused", "blocked: no"), _o("duplicate", "duplicate: have")]
                             ) == ["wss://duplicate.example"]
    assert mapping.stored_on([_o("unknown"), _o("accepted")]) == ["wss://accepted.example"]


def test_no_answer_after_sending_is_outcome_unknown_for_notes_only() -> None:
    outcomes = [_o("unknown", "no answer before the timeout"), _o("refused", "blocked: x")]
    with pytest.raises(OutcomeUnknown, match=r"unknown.example: no answer"):
        mapping.stored_on(outcomes)
    with pytest.raises(Transient):
        mapping.stored_on(outcomes, maybe_sent_is_unknown=False, what="deletion")


def test_rate_limited_waits_for_the_latest_relay() -> None:
    soon, later = datetime.now(UTC) + timedelta(seconds=30), datetime.now(UTC) + timedelta(hours=1)
    with pytest.raises(RateLimited) as caught:
        mapping.stored_on([_o("rate_limited", "rate-limited: slow", retry_at=soon),
                           PublishOutcome("wss://b", "rate_limited", "HTTP 429", later),
                           _o("refused", "blocked: x")])
    assert caught.value.retry_at == later


def test_unreachable_relays_are_transient_and_refusals_rejected() -> None:
    retry = datetime.now(UTC) + timedelta(seconds=30)
    with pytest.raises(Transient) as caught:
        mapping.stored_on([_o("unreachable", "refused", retry_at=retry),
                           _o("refused", "blocked: x")])
    assert caught.value.retry_at == retry
    assert "blocked: x" in caught.value.message  # what the refusing relay said is kept
    with pytest.raises(Transient):
        mapping.stored_on([_o("error", "error: database is down")])
    with pytest.raises(Rejected, match=r"Every relay refused the note .*invalid: too long"):
        mapping.stored_on([_o("refused", "invalid: too long"), _o("refused", "pow: 30 needed")])
    with pytest.raises(Rejected, match="No relay can be used from this hub"):
        mapping.stored_on([_o("unreachable", "Refusing to connect", blocked=True)])
    with pytest.raises(Rejected, match="No relay is configured"):
        mapping.stored_on([])


def test_query_errors() -> None:
    assert mapping.query_error(QueryResult([], ("wss://a",), {"wss://b": _f("dns")})) is None
    assert isinstance(mapping.query_error(QueryResult([], (), {"wss://b": _f("dns")})), Transient)
    assert isinstance(mapping.query_error(QueryResult([], (), {"wss://b": _f("blocked")})),
                      Rejected)
    limited = mapping.query_error(QueryResult([], (), {
        "wss://b": _f("rate_limited", retry_at=datetime.now(UTC) + timedelta(seconds=90)),
        "wss://c": _f("timeout")}))
    assert isinstance(limited, RateLimited)


def _f(kind: str, **extra: Any) -> RelayFailure:
    return RelayFailure("wss://x", kind, f"reason {kind}", **extra)  # type: ignore[arg-type]


# --- reading ----------------------------------------------------------------------------------


def test_feed_filters() -> None:
    follows = [keys.generate_keypair().public_hex for _ in range(1200)]
    home = reading.feed_filters("home", ME.public_hex, follows=follows, until=5, limit=40)
    assert [len(f["authors"]) for f in home] == [500, 500, 201]  # + own key
    assert all(f["kinds"] == [1, 6] and f["until"] == 5 and f["limit"] == 40 for f in home)
    assert reading.feed_filters("mentions", ME.public_hex) == [
        {"kinds": [1], "#p": [ME.public_hex]}]
    assert reading.feed_filters("hashtag:#NoStr", ME.public_hex) == [
        {"kinds": [1], "#t": ["nostr"]}]
    with pytest.raises(Rejected):
        reading.feed_filters("hashtag: ", ME.public_hex)
    with pytest.raises(NotImplementedError):
        reading.feed_filters("lists", ME.public_hex)


def test_follows_come_from_the_newest_contact_list() -> None:
    old = events.sign(ME.secret_hex, kind=3, content="", tags=[["p", ALICE.public_hex]],
                      created_at=1_700_000_000)
    new = events.sign(ME.secret_hex, kind=3, content="",
                      tags=[["p", BOB.public_hex], ["p", "junk"], ["p", BOB.public_hex]],
                      created_at=1_700_000_100)
    someone_else = events.sign(ALICE.secret_hex, kind=3, content="",
                               tags=[["p", ALICE.public_hex]], created_at=1_800_000_000)
    assert reading.follows_from_contacts([old, new, someone_else], ME.public_hex) == [
        BOB.public_hex]


def test_items_from_notes_replies_mentions_and_reposts() -> None:
    profile = events.sign(ALICE.secret_hex, kind=0, content=json.dumps(
        {"name": "alice", "display_name": "Alice A.", "picture": "https://img.example/a.png"}))
    evil = events.sign(BOB.secret_hex, kind=0, content=json.dumps(
        {"name": "bob", "picture": "javascript:alert(1)"}))
    profiles = reading.latest_profiles([profile, evil])
    note = _note(ALICE, "a <b>note</b> #Tag", [["t", "tag"], ["content-warning", "cw"]])
    item = reading.item_from_event(note, own_pubkey=ME.public_hex, profiles=profiles, feed="home",
                                   relays=["ws://127.0.0.1:1", "wss://r.example"])
    assert item is not None
    assert (item.kind, item.author_handle, item.author_name, item.text, item.html) == (
        "post", ALICE.npub, "Alice A.", "a <b>note</b> #Tag", "")
    assert item.author_avatar == "https://img.example/a.png"
    assert item.extra["content_warning"] == "cw"
    assert item.extra["hashtags"] == ["tag"]
    assert item.created_at.tzinfo is not None
    entity = keys.decode(item.url.removeprefix(mapping.WEB_VIEWER))
    assert (entity.value, entity.author, entity.relays) == (note["id"], ALICE.public_hex,
                                                            ("wss://r.example",))

    mention = _note(BOB, "hey", [["p", ME.public_hex]])
    got = reading.item_from_event(mention, own_pubkey=ME.public_hex, profiles=profiles,
                                  feed="mentions")
    assert got is not None
    assert (got.kind, got.author_name, got.author_avatar) == ("mention", "bob", "")  # no js:
    reply = _note(BOB, "re", [["e", note["id"], "", "root"], ["p", ME.public_hex]])
    got = reading.item_from_event(reply, own_pubkey=ME.public_hex, feed="mentions")
    assert got is not None
    assert (got.kind, got.extra["in_reply_to"]) == ("reply", note["id"])

    repost = events.sign(BOB.secret_hex, kind=6, content=json.dumps(note),
                         tags=[["e", note["id"], ""], ["p", ALICE.public_hex]])
    shown = reading.item_from_event(repost, own_pubkey=ME.public_hex, profiles=profiles)
    assert shown is not None
    assert (shown.kind, shown.remote_id, shown.author_handle, shown.text) == (
        "repost", repost["id"], ALICE.npub, note["content"])
    assert shown.extra["reposted_by"] == BOB.npub
    forged = {**note, "content": "forged"}
    bad_repost = events.sign(BOB.secret_hex, kind=6, content=json.dumps(forged))
    assert reading.item_from_event(bad_repost, own_pubkey=ME.public_hex) is None
    assert reading.item_from_event(profile, own_pubkey=ME.public_hex) is None


def test_pictures_from_imeta_tags() -> None:
    note = _note(ALICE, "look https://img.example/cat.jpg", [
        ["imeta", "url https://img.example/cat.jpg", "m image/jpeg", "alt A cat asleep",
         "dim 800x600"],
        ["imeta", "url javascript:alert(1)", "m image/png"],
        ["imeta", "url https://v.example/clip.mp4", "m video/mp4"],
    ])
    item = reading.item_from_event(note, own_pubkey=ME.public_hex)
    assert item is not None
    assert item.extra["media"] == [
        {"type": "image", "url": "https://img.example/cat.jpg",
         "preview_url": "https://img.example/cat.jpg", "description": "A cat asleep"},
        {"type": "video", "url": "https://v.example/clip.mp4", "preview_url": "",
         "description": ""},
    ]
    assert item.extra["author_url"] == f"https://njump.me/{ALICE.npub}"


def _at(second: int, n: int = 0) -> dict[str, Any]:
    return {"created_at": second, "id": f"{second:08x}{n:08x}" + "0" * 48}


def test_paging_by_until_with_the_boundary_ids() -> None:
    page, cursor = reading.next_page([_at(100 + i) for i in range(45)][::-1], None, 40)
    assert [e["created_at"] for e in page] == list(range(144, 104, -1))
    assert cursor == f"105:{_at(105)['id'][:16]}"
    position = reading.parse_cursor(cursor)
    assert position is not None
    assert reading.query_until(position) == 106  # one past: relays differ on inclusive
    # what an inclusive relay sends back for until=106 (105 and 106 again, and older)
    again = [_at(106), _at(105), *[_at(100 + i) for i in range(5)]]
    page, cursor = reading.next_page(again, position, 40)
    assert [e["created_at"] for e in page] == [104, 103, 102, 101, 100]
    assert cursor is None


def test_paging_inside_one_busy_second() -> None:
    busy = [_at(100, n) for n in range(50)]
    page, cursor = reading.next_page(busy, None, 40)
    assert len(page) == 40
    position = reading.parse_cursor(cursor)
    assert position is not None
    assert len(position.skip) == 40
    page2, cursor2 = reading.next_page(busy, position, 40)
    assert {e["id"] for e in page2} == {e["id"] for e in busy} - {e["id"] for e in page}
    assert cursor2 is not None
    assert cursor2.startswith("100:")
    # an answer full of notes already shown steps past the second
    _empty, cursor3 = reading.next_page(busy[:40], reading.parse_cursor(cursor2), 40)
    assert cursor3 == "99"


@pytest.mark.parametrize("text", ["abc", "12:xyz", "12:abcd", "-5"])
def test_bad_cursors_are_refused(text: str) -> None:
    with pytest.raises(Rejected):
        reading.parse_cursor(text)


# --- addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wss://Relay.Example.com/", "wss://relay.example.com"),
        ("relay.example.com", "wss://relay.example.com"),
        ("wss://relay.example.com:443/nostr/", "wss://relay.example.com/nostr"),
        ("ws://127.0.0.1:7447", "ws://127.0.0.1:7447"),
        ("ws://[::1]:7447", "ws://[::1]:7447"),
    ],
)
def test_relay_addresses_are_normalized(text: str, expected: str) -> None:
    assert normalize_relay_url(text) == expected


@pytest.mark.parametrize("text", ["", "https://relay.example.com", "wss://user:pw@relay.example",
                                  "wss://", "ws://host:99999"])
def test_bad_relay_addresses_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        normalize_relay_url(text)


def test_nip11_address() -> None:
    assert http_url("wss://relay.example.com/nostr") == "https://relay.example.com/nostr"
    assert http_url("ws://127.0.0.1:7447") == "http://127.0.0.1:7447/"


# --- validate ---------------------------------------------------------------------------------

CONNECTOR = NostrConnector()
CAPS = CONNECTOR.default_capabilities()


def test_validate_counts_graphemes_with_the_warning() -> None:
    family = "👨‍👩‍👧‍👦"
    result = CONNECTOR.validate(Draft(text=f"{family} e\u0301", content_warning="cw"), CAPS)
    assert result.count == 2 + 3
    assert result.limit == mapping.DEFAULT_TEXT_LIMIT
    assert result.ok


def test_validate_problems() -> None:
    caps = mapping.default_capabilities(10)
    over = CONNECTOR.validate(Draft(text="a" * 12), caps)
    assert [(p.code, p.message) for p in over.problems] == [
        ("too_long", "2 characters over the limit of 10")]
    media = MediaFile(path="/tmp/x.png", mime_type="image/png", alt_text="x")
    # Without a media server: no pictures, and the sentence says how to get them.
    [problem] = CONNECTOR.validate(Draft(text=" ", media=(media,)), caps).problems
    assert problem.code == "too_many_media"
    assert "add a Blossom server to this account (Connections, then Media server)" in (
        problem.message)
    assert [p.code for p in CONNECTOR.validate(Draft(text=" "), caps).problems] == ["empty"]
