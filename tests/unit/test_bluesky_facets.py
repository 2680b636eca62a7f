"""networks/bluesky/facets.py: links, mentions and tags at UTF-8 byte offsets (end exclusive),
never overlapping, with emoji, CJK and combining marks before and inside them."""

from __future__ import annotations

import itertools

import pytest

from hubbub.networks.bluesky import facets
from hubbub.networks.bluesky.facets import Facet, detect, valid_facets
from hubbub.networks.bluesky.items import render_html

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
DIDS = {"alice.test": "did:plc:alice", "bob.bsky.social": "did:plc:bob"}


def resolve(handle: str) -> str | None:
    return DIDS.get(handle)


def spans(text: str, found: list[Facet]) -> list[tuple[str, str, str]]:
    """(kind, the bytes the facet covers, value): what a reader of the record sees."""
    data = text.encode("utf-8")
    return [(f.kind, data[f.byte_start : f.byte_end].decode("utf-8"), f.value) for f in found]


def test_offsets_are_utf8_bytes_end_exclusive() -> None:
    text = "héllo https://example.com"
    [link] = detect(text)
    assert (link.byte_start, link.byte_end) == (7, 26)  # "héllo " is 7 bytes, 6 characters
    assert len(text.encode()) == link.byte_end


@pytest.mark.parametrize(
    "prefix",
    [
        "",
        "日本語 ",  # CJK: 3 bytes each
        f"{FAMILY} ",  # a ZWJ sequence: 25 bytes, one character
        "\U0001f44d\U0001f3fd ",  # skin tone
        "\U0001f1ef\U0001f1f5 ",  # flag
        "cafe\u0301 zoe\u0308 ",  # combining marks
        "a\u0300\u0301\u0302 ",  # stacked combining marks
    ],
)
def test_every_kind_after_multibyte_text(prefix: str) -> None:
    text = f"{prefix}hi @alice.test see https://example.com/x?y=1 #hubbub!"
    assert spans(text, detect(text, resolve)) == [
        ("mention", "@alice.test", "did:plc:alice"),
        ("link", "https://example.com/x?y=1", "https://example.com/x?y=1"),
        ("tag", "#hubbub", "hubbub"),
    ]


def test_multibyte_characters_inside_facets() -> None:
    text = "🎉 #日本語タグ and #café\u0301 then https://例え.jp/パス done"
    assert spans(text, detect(text)) == [
        ("tag", "#日本語タグ", "日本語タグ"),
        ("tag", "#café\u0301", "café\u0301"),
        ("link", "https://例え.jp/パス", "https://例え.jp/パス"),
    ]


def test_link_trailing_punctuation_and_parentheses() -> None:
    text = "Go to https://example.com/a. Or (https://example.org/b) or https://w.org/Foo_(bar)!"
    assert [value for _, _, value in spans(text, detect(text))] == [
        "https://example.com/a",
        "https://example.org/b",
        "https://w.org/Foo_(bar)",
    ]


def test_links_without_a_scheme_need_a_known_top_level_domain() -> None:
    text = "see example.com/path, not file.txt or e.g. this"
    assert spans(text, detect(text)) == [
        ("link", "example.com/path", "https://example.com/path")
    ]


def test_mentions_resolve_to_dids_or_stay_plain_text() -> None:
    text = "cc @bob.bsky.social @nobody.bsky.social @Alice.test, email a@alice.test"
    asked: list[str] = []

    def counting_resolve(handle: str) -> str | None:
        asked.append(handle)
        return resolve(handle)

    assert spans(text, detect(text, counting_resolve)) == [
        ("mention", "@bob.bsky.social", "did:plc:bob"),
        ("mention", "@Alice.test", "did:plc:alice"),  # handles are case-insensitive
    ]
    assert asked == ["bob.bsky.social", "nobody.bsky.social", "alice.test"]
    assert detect(text) == []  # without a resolver mentions are not linked
    assert facets.handles_in("@a.test @b.test @a.test") == ["a.test", "b.test"]


def test_hashtag_rules() -> None:
    # \uff03 is the full-width number sign
    text = "#ok #123 #1a #tag. \uff03full #\ufe0f\u20e3 x#notag #with-dash"
    assert [value for _, _, value in spans(text, detect(text))] == [
        "ok", "1a", "tag", "full", "with-dash"]
    # As in the reference client, a tag stops at a zero-width joiner.
    assert [f.value for f in detect("#go" + FAMILY)] == ["go\U0001f468"]


def test_hashtags_up_to_64_graphemes() -> None:
    thumbs = "\U0001f44d\U0001f3fd"  # one grapheme, two code points, 8 bytes
    assert [f.value for f in detect("#" + thumbs * 64)] == [thumbs * 64]
    assert detect("#" + thumbs * 65) == []
    heavy = "a" + "\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308"  # 17 bytes
    assert [f.value for f in detect("#" + heavy * 37)] == [heavy * 37]  # 629 bytes
    assert detect("#" + heavy * 38) == []  # 38 graphemes but 646 bytes: over 640
    ok = "#" + "é" * 64
    assert [f.value for f in detect(ok)] == ["é" * 64]
    assert detect("#" + "é" * 65) == []
    combining = "#" + "e\u0301" * 64  # 64 graphemes, 128 code points
    assert [f.value for f in detect(combining)] == ["e\u0301" * 64]
    assert detect("#" + "a" * 65) == []


def test_facets_never_overlap() -> None:
    found = facets._without_overlaps(
        [
            facets._Found(0, 10, "link", "https://x"),
            facets._Found(5, 12, "mention", "did:plc:x"),
            facets._Found(10, 14, "tag", "t"),
        ]
    )
    assert [(f.start, f.end) for f in found] == [(0, 10), (10, 14)]
    text = "https://example.com/#frag @alice.test#tag #x"
    result = detect(text, resolve)
    ends = [(f.byte_start, f.byte_end) for f in result]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(ends))


def test_record_shape() -> None:
    [facet] = detect("#tag")
    assert facet.to_record() == {
        "$type": "app.bsky.richtext.facet",
        "index": {"byteStart": 0, "byteEnd": 4},
        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "tag"}],
    }
    mention = Facet(0, 3, "mention", "did:plc:x").to_record()
    assert mention["features"] == [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:x"}]


def test_facets_read_from_others_are_checked() -> None:
    text = "abc 日本"  # 10 bytes
    feature = {"$type": "app.bsky.richtext.facet#tag", "tag": "x"}
    raw = [
        {"index": {"byteStart": 4, "byteEnd": 10}, "features": [feature]},
        {"index": {"byteStart": 0, "byteEnd": 11}, "features": [feature]},  # past the end
        {"index": {"byteStart": 3, "byteEnd": 3}, "features": [feature]},  # empty
        {"index": {"byteStart": 5, "byteEnd": 7}, "features": [feature]},  # overlaps the first
        {"index": {"byteStart": 0, "byteEnd": 3}, "features": []},  # no feature
        {"index": "nonsense", "features": [feature]},
        "nonsense",
    ]
    assert [(s, e) for s, e, _ in valid_facets(text, raw)] == [(4, 10)]
    assert valid_facets(text, None) == []


def test_render_html_links_facets_and_escapes_the_rest() -> None:
    text = "<b>hi</b> 日本 @alice.test #tag https://e.com/?a=1&b=2\nbye"
    found = [f.to_record() for f in detect(text, resolve)]
    html = render_html(text, found)
    assert html.startswith("&lt;b&gt;hi&lt;/b&gt; 日本 ")
    assert '<a href="https://bsky.app/profile/did:plc:alice">@alice.test</a>' in html
    assert '<a href="https://bsky.app/hashtag/tag">#tag</a>' in html
    assert 'href="https://e.com/?a=1&amp;b=2"' in html
    assert html.endswith("<br>bye")
    bad_link = [{"index": {"byteStart": 0, "byteEnd": 3},
                 "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "javascript:x"}]}]
    assert render_html("abc", bad_link) == "abc"
