"""The matcher alone: words as whole words without case or accents, phrases, authors on each
network, hashtags, domains with their subdomains, every other condition, negation, and the
order in which hide and priority are decided."""

from __future__ import annotations

import random
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hubbub.listening.conditions import Invalid, spec_from
from hubbub.listening.matcher import (
    _HOST,
    HIDE_FOREVER,
    NOTHING,
    PARTS,
    RuleSet,
    compile_rules,
    doc_of,
    hosts_in,
)
from hubbub.listening.text import _WORD, fold, host_of, words_of

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def rules(*specs: dict[str, Any], column_feeds: dict[int, frozenset[int]] | None = None
          ) -> RuleSet:
    return compile_rules(
        [spec_from(s, rule_id=n + 1, position=n) for n, s in enumerate(specs)],
        column_feeds or {}, now=NOW)


def when(kind: str, *values: Any, negate: bool = False, then: str = "hide") -> dict[str, Any]:
    return {"conditions": [{"kind": kind, "values": list(values), "negate": negate}],
            "actions": [{"kind": then}]}


def hit(ruleset: RuleSet, feeds: tuple[int, ...] = (), **row: Any) -> bool:
    matched = not ruleset.match(doc_of(row, feeds)).empty
    # The Doc made with only the parts the rules look at (as ingest makes it) matches alike.
    assert (not ruleset.match(doc_of(row, feeds, needs=ruleset.needs)).empty) is matched
    return matched


@pytest.mark.parametrize(("text", "expected"), [
    ("Un CAFÉ noir", True), ("un cafe", True), ("CAFE!", True), ("Ça va, café?", True),
    ("cafeteria", False), ("decaf", False), ("", False),
])
def test_words_are_whole_and_ignore_case_and_accents(text: str, expected: bool) -> None:
    assert hit(rules(when("words", "Café")), text=text) is expected


def test_a_phrase_needs_its_words_in_a_row() -> None:
    ruleset = rules(when("words", "breaking news"))
    assert hit(ruleset, text="BREAKING  News: rain")
    assert not hit(ruleset, text="news, breaking")
    assert not hit(ruleset, text="breaking newsletter")


def test_words_are_found_in_warning_alt_text_and_link_card() -> None:
    ruleset = rules(when("words", "spoiler"))
    assert hit(ruleset, content_warning="Spoilér")
    assert hit(ruleset, media=[{"type": "image", "description": "a spoiler"}])
    assert hit(ruleset, card={"url": "https://a.example", "title": "Spoiler", "description": ""})
    assert hit(ruleset, card={"url": "https://a.example", "title": "", "description": "spoiler"})
    assert not hit(ruleset, text="nothing here")


def test_authors_by_handle_did_and_npub() -> None:
    hex_key = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"
    from hubbub.networks.nostr.keys import encode_bare

    npub = encode_bare("npub", hex_key)
    ruleset = rules(when("author", "@Ana@Social.Example", "did:plc:abc123", hex_key))
    assert hit(ruleset, author_handle="@ana@social.example")
    assert not hit(ruleset, author_handle="@ana@other.example")
    # Bluesky: the DID is in the post's at:// address, whatever the handle.
    assert hit(ruleset, author_handle="@ana.bsky.social", kind="post",
               remote_id="at://did:plc:abc123/app.bsky.feed.post/3k")
    assert hit(ruleset, author_handle=npub)  # the hex key given, the npub stored
    assert hit(rules(when("author", npub)), author_handle=npub)


def test_hashtags_from_text_and_from_stored_tags() -> None:
    ruleset = rules(when("hashtag", "#Élection"))
    assert hit(ruleset, text="vote #election today")
    assert hit(ruleset, text="no tag", extra={"hashtags": ["ELECTION"]})
    assert not hit(ruleset, text="election without the sign")


def test_domains_match_their_subdomains_only() -> None:
    ruleset = rules(when("domain", "https://www.example.com/path"))
    assert hit(ruleset, html='<a href="https://example.com/a">x</a>')
    assert hit(ruleset, html='<a href="https://news.example.com/a">x</a>')
    assert hit(ruleset, text="see http://deep.sub.EXAMPLE.com:8080/x")
    assert hit(ruleset, card={"url": "https://example.com/card", "title": ""})
    assert not hit(ruleset, html='<a href="https://notexample.com/">x</a>')
    assert not hit(ruleset, html='<a href="https://example.com.evil.test/">x</a>')


def test_language_media_and_kinds() -> None:
    assert hit(rules(when("language", "de")), extra={"langs": ["de-AT"]})
    assert not hit(rules(when("language", "de")), extra={"langs": ["en"]})
    media = {"conditions": [{"kind": "has_media"}], "actions": [{"kind": "hide"}]}
    no_alt = {"conditions": [{"kind": "no_alt"}], "actions": [{"kind": "hide"}]}
    assert hit(rules(media), media=[{"type": "image", "description": "cat"}])
    assert not hit(rules(media), media=[])
    assert hit(rules(no_alt), media=[{"type": "image", "description": "cat"},
                                     {"type": "image", "description": ""}])
    assert not hit(rules(no_alt), media=[{"type": "image", "description": "cat"}])
    assert hit(rules(when("kind", "reply")), kind="post", in_reply_to="123")
    assert hit(rules(when("kind", "repost")), kind="repost")
    assert hit(rules(when("kind", "quote")), kind="post", quote={"text": "q"})
    assert not hit(rules(when("kind", "reply", "quote")), kind="post")


def test_network_connection_and_column() -> None:
    assert hit(rules(when("network", "Bluesky")), network="bluesky")
    assert not hit(rules(when("network", "bluesky")), network="nostr")
    assert hit(rules(when("connection", "7")), connection_id=7)
    assert not hit(rules(when("connection", 7)), connection_id=8)
    column = rules(when("column", 3), column_feeds={3: frozenset({10, 11})})
    assert hit(column, (11,))
    assert not hit(column, (12,))


def test_all_conditions_must_hold_and_negation() -> None:
    spec = {"conditions": [{"kind": "words", "values": ["sale"]},
                           {"kind": "author", "values": ["@shop@x.example"], "negate": True}],
            "actions": [{"kind": "hide"}]}
    ruleset = rules(spec)
    assert hit(ruleset, text="big sale", author_handle="@spam@x.example")
    assert not hit(ruleset, text="big sale", author_handle="@shop@x.example")
    assert not hit(ruleset, text="no offer", author_handle="@spam@x.example")
    # A rule of negated conditions only is checked on every item.
    assert hit(rules(when("words", "cats", negate=True)), text="dogs")
    assert not hit(rules(when("words", "cats", negate=True)), text="cats")


def test_the_first_rule_decides_hide_or_priority_and_the_rest_add_up() -> None:
    priority = when("author", "@ana@x.example", then="priority")
    hide = when("words", "football")
    route = {"conditions": [{"kind": "words", "values": ["football"]}],
             "actions": [{"kind": "send_to", "column": 5}, {"kind": "notify"}]}
    row = {"author_handle": "@ana@x.example", "text": "football tonight"}
    effect = rules(priority, hide, route).match(doc_of(row))
    assert effect.priority
    assert effect.hidden_until is None
    assert effect.send_to == {5}
    assert effect.notify
    assert effect.rule_ids == [1, 2, 3]
    effect = rules(hide, priority).match(doc_of(row))
    assert effect.hidden_until == HIDE_FOREVER
    assert not effect.priority


def test_hide_until_paused_and_expired_rules() -> None:
    until = NOW + timedelta(days=2)
    spec = {"conditions": [{"kind": "words", "values": ["x"]}],
            "actions": [{"kind": "hide_until", "until": until.isoformat()}]}
    assert rules(spec).match(doc_of({"text": "x"})).hidden_until == until
    paused = spec_from(when("words", "x"), rule_id=1)
    paused = type(paused)(1, 0, paused.conditions, paused.actions, paused=True)
    expired = type(paused)(2, 1, paused.conditions, paused.actions,
                           expires_at=NOW - timedelta(minutes=1))
    expiring = type(paused)(3, 2, paused.conditions, paused.actions,
                            expires_at=NOW + timedelta(hours=1))
    compiled = compile_rules([paused, expired, expiring], {}, now=NOW)
    effect = compiled.match(doc_of({"text": "x"}))
    assert effect.rule_ids == [3]
    assert effect.hidden_until == NOW + timedelta(hours=1)  # its items come back when it ends


@pytest.mark.parametrize("bad", [
    {}, {"conditions": [], "actions": [{"kind": "hide"}]},
    {"conditions": [{"kind": "nope", "values": ["a"]}], "actions": [{"kind": "hide"}]},
    {"conditions": [{"kind": "words", "values": []}], "actions": [{"kind": "hide"}]},
    {"conditions": [{"kind": "words", "values": ["a" * 301]}], "actions": [{"kind": "hide"}]},
    {"conditions": [{"kind": "connection", "values": ["1" * 30]}], "actions": [{"kind": "hide"}]},
    {"conditions": [{"kind": "domain", "values": ["localhost"]}], "actions": [{"kind": "hide"}]},
    {"conditions": [{"kind": "words", "values": ["a"]}], "actions": [{"kind": "explode"}]},
    {"conditions": [{"kind": "words", "values": ["a"]}],
     "actions": [{"kind": "hide_until", "until": "tomorrow"}]},
    {"conditions": [{"kind": "words", "values": ["a"]}],
     "actions": [{"kind": "send_to", "column": "x"}]},
    {"conditions": [{"kind": "words", "values": ["a"], "negate": "yes"}],
     "actions": [{"kind": "hide"}]},
])
def test_bad_rules_are_refused_with_a_message(bad: dict[str, Any]) -> None:
    with pytest.raises(Invalid) as caught:
        spec_from(bad)
    assert str(caught.value)


def test_five_hundred_rules_pick_few_candidates() -> None:
    specs = [when("words", f"word{n}", f"news about topic{n}") for n in range(250)]
    specs += [when("author", f"@user{n}@x.example") for n in range(200)]
    specs += [when("domain", f"site{n}.example") for n in range(50)]
    ruleset = rules(*specs)
    doc = doc_of({"text": "a post with word7 and news about topic9 " * 5,
                  "author_handle": "@user3@x.example",
                  "html": '<a href="https://a.site4.example/">l</a>'})
    assert len(ruleset.candidates(doc)) == 4  # word7, topic9 (its longest word), user3, site4
    assert sorted(ruleset.match(doc).rule_ids) == [8, 10, 254, 455]


@pytest.mark.parametrize("text", [
    "".join(chr(c) for c in range(128)) * 2, "snake_case and_more __ x_", "a1b2 3c, d.e-f",
    "tabs\tand\nnew lines\r\x0b\x0c\x1c\x1f end", "", "   ",
    "Ünïcode café \ufb00 \uff43\uff4f\uff46\uff46\uff45\uff45 😀x",
])
def test_words_of_splits_as_the_word_pattern_does(text: str) -> None:
    """ASCII texts take a faster path (bytes translated, split on spaces): the same words."""
    assert words_of(text) == _WORD.findall(fold(text))


def test_a_ruleset_says_which_parts_of_an_item_its_rules_look_at() -> None:
    assert rules(when("words", "tea")).needs == {"words"}
    assert rules(when("author", "@a@x.example"), when("no_alt")).needs == {"author", "media"}
    assert rules(when("network", "nostr")).needs == frozenset()
    row = {"text": "tea #tag https://x.example/", "author_handle": "@a@x.example",
           "media": [{"type": "image"}], "kind": "reply"}
    partial = doc_of(row, needs={"words"})
    assert partial.words == ["tea", "tag", "https", "x", "example"]
    assert not partial.authors
    assert not partial.hashtags
    assert not partial.hosts
    assert not partial.kinds
    assert not partial.has_media
    whole = doc_of(row, needs=PARTS)
    assert whole.authors == {"a@x.example"}
    assert whole.hashtags == {"tag"}
    assert whole.hosts == ("x.example",)
    assert whole.kinds == {"reply"}
    assert whole.missing_alt


def test_link_hosts_come_from_the_html_when_there_is_one() -> None:
    """The HTML holds the text's links: it is read instead of the text (not both)."""
    doc = doc_of({"text": "see x.example/a…", "html": '<a href="https://www.x.example/a">'
                  'x.example/a…</a> and https://y.example/b'})
    assert doc.hosts == ("x.example", "y.example")
    assert doc_of({"text": "plain https://Z.example:8080/x", "html": ""}).hosts == ("z.example",)


def test_no_match_gives_the_shared_empty_effect_and_a_match_its_own() -> None:
    ruleset = rules(when("words", "tea"))
    assert ruleset.match(doc_of({"text": "coffee"})) is NOTHING
    assert NOTHING.empty
    first = ruleset.match(doc_of({"text": "tea"}))
    second = ruleset.match(doc_of({"text": "tea"}))
    assert first is not second
    assert first.rule_ids == [1]
    assert NOTHING.rule_ids == []


def test_words_of_matches_the_pattern_on_random_unicode() -> None:
    """The split by bytes (only the pieces past ASCII folded and matched) gives the pattern's
    words on any text: accents, combining marks after a separator, ligatures, compatibility
    forms, the long s, the Kelvin sign, sigma, non-ASCII spaces, emoji, a lone surrogate."""
    rng = random.Random(20261207)
    tricky = [*"aZ_0 -,.'\t\n\x1c", "é", "\u0301", "\u0308", "\u00a0", "\u2003", "\u3000",
              "\u2028", "ß", "™", "\u017f", "\u212a", "\u03a3", "ﬁ", "①", "½", "İ", "\u00a8",
              "\ufe50", "東", "\U0001f600", "\u200d", "\ud800"]
    alphabet = tricky * 20 + [chr(c) for c in range(0x80, 0x3100)]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert words_of(text) == _WORD.findall(fold(text)), repr(text)


@pytest.mark.parametrize("linked", [
    '<a href="https://www.X.example/a">x.example/a…</a> and HTTP://y.example:80/b',
    "http://ahttps://b.example http\u017f://long-s.example https://\u0391\u03a3'\u0392.example/ "
    "https://\u0391\u03a3/x hTTpS://Caps.example?q #http://frag.example",
    "://nothing http:///empty https://a@b.example/ http://[::1]:8000/ x://y.example",
])
def test_link_hosts_are_those_of_the_address_pattern(linked: str) -> None:
    """hosts_in searches the lower-cased text (faster): the same hosts as the ignore-case
    pattern, whose long s and capital sigma send the text the old way."""
    expected = tuple(dict.fromkeys(host_of(h) for h in _HOST.findall(linked)))
    assert hosts_in(linked) == expected
    assert doc_of({"text": "", "html": linked}).hosts == expected


def test_lower_casing_keeps_every_character_as_the_pattern_reads_it() -> None:
    """What hosts_in relies on, for every code point: lower-casing is stable, never makes or
    removes an address separator, and the only character the ignore-case "https" takes
    beyond the letters' two cases is the long s."""
    separator = re.compile(r"[\s/?#\"'<>\\]")
    scheme = re.compile("(?i)[https:/]")
    odd = []
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        lower = char.lower()
        if lower.lower() != lower or bool(separator.fullmatch(char)) != bool(
                separator.search(lower)):
            odd.append(point)
        if scheme.fullmatch(char) and lower not in "https:/":
            odd.append(point)
    assert odd == [0x17F]


def test_rules_for_some_networks_only_are_checked_on_those_items() -> None:
    ruleset = rules(
        {"conditions": [{"kind": "kind", "values": ["reply"]},
                        {"kind": "network", "values": ["nostr"]}],
         "actions": [{"kind": "mark_read"}]},
        {"conditions": [{"kind": "no_alt"}], "actions": [{"kind": "hide"}]},
        {"conditions": [{"kind": "has_media"}, {"kind": "network", "values": ["nostr"],
                                                "negate": True}],
         "actions": [{"kind": "priority"}]})
    reply = {"kind": "reply", "media": [{"type": "image"}]}
    assert ruleset.candidates(doc_of(reply, network="nostr")) == [0, 1, 2]
    assert ruleset.candidates(doc_of(reply, network="bluesky")) == [1, 2]
    assert ruleset.match(doc_of(reply, network="nostr")).rule_ids == [1, 2]
    assert ruleset.match(doc_of(reply, network="bluesky")).rule_ids == [2, 3]
