"""Polls and custom emoji, from the networks' shapes to the deck's markup: what a person sees,
and what a hostile server cannot do with either."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import hubbub.networks.mastodon
from hubbub.core.sanitize import clean_html
from hubbub.networks.mastodon import mapping
from hubbub.networks.nostr.reading import item_from_event
from hubbub.timeline.normalize import normalize
from hubbub.timeline.templatetags.item_extras import name_emoji, poll_of, with_emoji

FIXTURES = Path(hubbub.networks.mastodon.__file__).parent / "fixtures"
BASE = "https://social.example"

# Mastodon's Poll entity (docs.joinmastodon.org/entities/Poll), as a status carries it.
POLL = {
    "id": "34830", "expires_at": "2026-12-07T10:00:00.000Z", "expired": False,
    "multiple": False, "votes_count": 10, "voters_count": 10,
    "options": [{"title": "accept", "votes_count": 6}, {"title": "deny", "votes_count": 4}],
    "emojis": [], "voted": False, "own_votes": [],
}
# CustomEmoji (docs.joinmastodon.org/entities/CustomEmoji).
BLOBCAT = {"shortcode": "blobcat", "url": "https://files.social.example/emoji/blobcat.png",
           "static_url": "https://files.social.example/emoji/blobcat_static.png",
           "visible_in_picker": True}


def _status(**changes: Any) -> dict[str, Any]:
    status: dict[str, Any] = json.loads((FIXTURES / "status_rich.json").read_text())
    status.update(changes)
    return status


def _stored(item: Any) -> SimpleNamespace:
    """The item as the deck reads it back: normalized, with its extra as stored."""
    row = normalize(item)
    assert row is not None
    return SimpleNamespace(extra=json.loads(row["extra_json"]), html=row["html"])


def test_a_mastodon_poll_is_shown_with_each_options_share() -> None:
    stored = _stored(mapping.item_from_status(_status(poll=POLL), BASE))
    poll = poll_of(stored)
    assert poll is not None
    assert [(o["title"], o["votes"], o["percent"]) for o in poll["options"]] == [
        ("accept", 6, 60), ("deny", 4, 40)]
    assert poll["voters"] == 10
    assert not poll["expired"]
    assert not poll["multiple"]


def test_a_poll_whose_counts_are_hidden_shows_its_options_without_shares() -> None:
    hidden = {**POLL, "options": [{"title": "a", "votes_count": None},
                                  {"title": "b", "votes_count": None}]}
    poll = poll_of(_stored(mapping.item_from_status(_status(poll=hidden), BASE)))
    assert poll is not None
    assert not poll["shown"]
    assert [o["title"] for o in poll["options"]] == ["a", "b"]


def test_hostile_polls_are_bounded_and_never_break_the_item() -> None:
    many = {"options": [{"title": f"o{n}", "votes_count": n} for n in range(500)]}
    for poll in (many, {"options": "x"}, {"options": [1, None, "x"]}, "poll", None,
                 {"options": [{"title": {"nested": 1}, "votes_count": True}]}):
        item = mapping.item_from_status(_status(poll=poll), BASE)
        shown = poll_of(_stored(item))
        assert shown is None or len(shown["options"]) <= 20


def test_custom_emoji_show_as_pictures_through_the_proxy() -> None:
    content = "<p>hello :blobcat: and :unknown: <a href=\"https://a.example/:blobcat:\">:blobcat:</a></p>"
    status = _status(content=content, emojis=[BLOBCAT])
    status["account"] = {**status["account"], "display_name": "Ann :blobcat:",
                         "emojis": [{**BLOBCAT, "shortcode": "ann"}]}
    stored = _stored(mapping.item_from_status(status, BASE))
    assert set(stored.extra["emoji"]) == {"blobcat", "ann"}
    shown = str(with_emoji(stored.html, stored))
    assert shown.count('<img class="emoji" src="/proxy/image/') == 2  # text and link text
    assert 'href="https://a.example/:blobcat:"' in shown  # never inside an attribute
    assert ":unknown:" in shown
    assert 'alt=":blobcat:"' in shown
    name = str(name_emoji("Ann <b>:blobcat:</b> :ann:", stored))
    assert name.startswith("Ann &lt;b&gt;<img class=\"emoji\"")
    assert name.count("<img") == 2


def test_hostile_shortcodes_and_addresses_never_become_markup() -> None:
    hostile = [
        {"shortcode": '"><script>alert(1)</script>', "url": "https://evil.test/x.png"},
        {"shortcode": "ok", "url": "javascript:alert(1)"},
        {"shortcode": "svg", "url": "data:image/svg+xml,<svg onload=alert(1)>"},
        {"shortcode": "x" * 65, "url": "https://evil.test/long.png"},
        *({"shortcode": f"e{n}", "url": f"https://evil.test/{n}.png"} for n in range(200)),
    ]
    status = _status(content="<p>:ok: :svg: :e1: " + ":e2:" * 300 + "</p>", emojis=hostile)
    stored = _stored(mapping.item_from_status(status, BASE))
    codes = stored.extra["emoji"]
    assert "ok" not in codes
    assert "svg" not in codes
    assert len(codes) <= 64
    assert all(c.isascii() and c.replace("_", "").isalnum() for c in codes)
    shown = str(with_emoji(stored.html, stored))
    assert "<script" not in shown
    assert "javascript:" not in shown
    assert shown.count("<img") == 64  # at most MAX_EMOJI pictures a text


def test_an_address_holding_a_closing_bracket_is_not_split() -> None:
    item = SimpleNamespace(extra={"emoji": {"evil": "https://evil.test/e.png"}})
    markup = clean_html('<p><a href="https://a.test/>:evil:">x</a> :evil:</p>')
    shown = str(with_emoji(markup, item))
    assert shown.count("<img") == 1
    assert shown.index("<img") > shown.index("</a>")


def test_nostr_emoji_tags_are_read() -> None:
    event = {"id": "a" * 64, "pubkey": "b" * 64, "kind": 1, "created_at": 1_790_000_000,
             "content": "gm :soapbox:", "sig": "c" * 128,
             "tags": [["emoji", "soapbox", "https://gleasonator.example/emoji/soapbox.png"],
                      ["emoji", "bad code", "https://x.example/a.png"], ["emoji", "short"]]}
    item = item_from_event(event, own_pubkey="d" * 64)
    assert item is not None
    assert item.extra["emoji"] == {"soapbox": "https://gleasonator.example/emoji/soapbox.png"}
