"""Mastodon's count, as its StatusLengthValidator gives it: content warning + text in grapheme
clusters, each link the server finds counting 23, "@user@domain" counting as "@user".

The inputs of LINK_CASES are the 108 link cases of twitter-text's extraction conformance data
(the "urls", "urls_with_indices", "urls_with_directional_markers" and "tco_urls_with_params"
groups); the numbers are what Mastodon counts for them, worked out by hand from its rules
(twitter-text 3.1.0's extractor with Mastodon's path changes, links only with a scheme):
docs/composer.md says them in words. Where the server's answer is uncertain we count more,
never less; MENTION_CASES and RULE_CASES are our own.
"""

from __future__ import annotations

import itertools
import random

import pytest
import regex

from hubbub.core import mastodon_links, tlds
from hubbub.core.counting import count_text, graphemes

# (text, what Mastodon counts)
LINK_CASES = [
    ('http://example.com', 23),
    ('http://ああ.com', 23),
    ('http://あ-あ.com', 23),
    ('text http://google.com', 28),
    ('text http://foobar.com/#', 28),
    ('text http://google.com/#foo', 28),
    ('text http://google.com/#search?q=iphone%20-filter%3Alinks', 28),
    ('text http://twitter.com/#search?q=iphone%20-filter%3Alinks', 28),
    ('text http://somedomain.com/index.php?path=/abc/def/', 28),
    ('text http://www.boingboing.net/2007/02/14/katamari_damacy_phon.html', 28),
    ('text http://somehost.com:3000', 28),
    ('text http://xo.com/~matthew+%ff-x', 28),
    ('text http://xo.com/~matthew+%ff-,.;x', 28),
    ('text http://xo.com/,.;x', 28),
    ('text http://en.wikipedia.org/wiki/Primer_(film)', 28),
    ('text http://www.ams.org/bookstore-getitem/item=mbk-59', 28),
    ('text http://✪df.ws/ejp', 28),
    ('test http://example.comだよね.comtest/hogehoge', 48),
    ('text http://chilp.it/?77e8fd', 28),
    ('text http://x.com/oneletterdomain', 28),
    ('text http://msdn.microsoft.com/ja-jp/library/system.net.httpwebrequest(v=VS.100).aspx', 28),
    (
        'text https://www.youtube.com/watch?v=LOxOAuDHzaw&list=PLPoq910Q9jXhuH6'
        'pit_KwIsck9fEz_9U-',
        28,
    ),
    ('text http://no-tld', 18),
    ('text http://tld-too-short.x', 27),
    ('(http://twitter.com', 24),
    ('text http://word-and-a-number-8-ftw.domain.com/', 28),
    ('text http://domain.com-that-you-should-have-put-a-space-after', 61),
    ('text http://foo.com?#foo text', 33),
    ('foo.com foo.net foo.org foo.edu foo.gov', 39),
    (
        'foo.baz foo.co.jp www.xxxxxxx.baz www.foo.co.uk wwwww.xxxxxxx foo.comm'
        ' foo.somecom foo.govedu foo.jp',
        100,
    ),
    ('t.co/abcde bit.ly/abcde', 23),
    ('http://foo.jp http://fooooo.jp', 47),
    ('Go to http://example.com/a+ or http://example.com/a-', 56),
    ('Go to http://example.com/view/slug-url-?foo=bar', 29),
    ("Go to https://en.m.wikipedia.org/wiki/Hatfield\u2013McCoy_feud please", 36),
    ('@user Try http:// example.com/path', 34),
    ('これは日本語です。example.com/path/index.html中国語example.com/path한국', 57),
    (
        'twitter.comこれは日本語です。example.com中国語t.co/abcde한국twitter.com example2.com'
        'テストtwitter.com/abcde',
        90,
    ),
    (
        'http://twitter.com/これは日本語です。example.com中国語http://t.co/abcde한국twitter.c'
        'omテストexample2.comテストhttp://twitter.com/abcde',
        23,
    ),
    ('Go to http://twitter.com/Русские_слова', 29),
    (
        "http://exampleこれは日本語です.com/path/index.html "
        "http://" + "あ" * 257 + ".com/path/index.html",  # a label too long for IDNA
        308,
    ),
    ('twitter.jp日本語it.so中国語foo.jp it.so foo.jp', 40),
    ('Hello http://xn--はじめよう.com/index.html', 37),
    ('text http://domain-dash_2314352345_dfasd.foo-cow_4352.com', 57),
    ('Email me at name.al-lastname@foo.com or name.al+lastname@foo.com', 64),
    ('Find my page at name.al-lastname.com', 36),
    ('MLB.tv vine.co twitch.tv t.co', 29),
    ('@user Try http://\xa0example.com/path', 34),
    ('test http://sub_domain-dash.twitter.com', 28),
    ('test http://a.b.cd', 28),
    ('test http://a_b.c-d.com', 28),
    ('test http://a-b.c.com', 28),
    ('test http://twitter-dash.com', 28),
    (
        'http://www.bestbuy.com/site/Currie+Technologies+-+Ezip+400+Scooter/988'
        '5188.p?id=1218189013070&skuId=9885188',
        23,
    ),
    ('test http://-leadingdash.twitter.com', 36),
    ('test http://leadingdash.-twitter.com', 36),
    ('test http://trailingdash-.twitter.com', 37),
    ('test http://trailingdash.twitter-.com', 37),
    ('test http://_leadingunderscore.twitter.com', 42),
    ('test http://leadingunderscore._twitter.com', 42),
    ('test http://trailingunderscore_.twitter.com', 43),
    ('test http://trailingunderscore.twitter_.com', 43),
    ('test http://-twitter.com', 24),
    ('test http://twitter-.com', 24),
    ('test http://twitter_underscore.com', 34),
    ('test http://twitter.c_o_m', 25),
    ('test http://www.foo.com/foo/path-with-period./', 28),
    ('test http://www.foo.org.za/foo/bar/688.1', 28),
    ('test http://www.foo.com/bar-path/some.stm?param1=foo;param2=P1|0||P2|0', 28),
    ('test http://foo.com/bar/123/foo_&_bar/', 28),
    ('test http://www.cp.sc.edu/events/65 test', 33),
    ('http://www.andersondaradio.no.comunidades.net/ test test', 33),
    ('test ELPAÍS.com', 15),
    ('test http://twitter.com/.', 29),
    (
        'http://tn.com.ar/show/00056158/la-estrella-del-certamen-el-turno-de-pa'
        'mela-anderson?fb_xd_fragment#?=&cb=fe17523f223b7&relation=parent.paren'
        't&transport=fragment&type=resize&height=20&ackdata',
        23,
    ),
    (
        'text http://tn.com.ar/show/00056158/la-estrella-del-certamen-el-turno-'
        'de-pamela-anderson?fb_xd_fragment#?=&cb=fe17523f223b7&relation=parent.'
        'parent&transport=fragment&type=resize&height=20&ackdata text',
        33,
    ),
    ('Test a ton of periods http://example.com/path..........................................', 87),
    ('Test a ton of periods http://example.com/,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,', 87),
    (
        'Test a ton of periods http://example.com/path/!!!!!!!!!!!!!!!!!!!!!!!!'
        '!!!!!!!!!!!!!!!!!!',
        87,
    ),
    ('#test.com @test.com #http://test.com @http://test.com #t.co/abcde @t.co/abcde', 77),
    ("I really like http://t.co/pbY2NfTZ's website", 47),
    ("Check this site out http://t.co/FNkPfmii- it's great", 55),
    ('According to http://t.co/ulYGBYSo: the internet is cool', 58),
    ('I really like http://t.co/abcdefghijklmnopqrstuvwxyz0123456789', 37),
    ('I really like http://t.co/abcdefghijklmnopqrstuvwxyz012345678901234', 67),
    ('example.comてすとですtwitter.みんなです', 29),
    (
        'http://twitter.com\nhttp://example.com\nhttp://example.com/path\nexample.'
        'com/path\nit.so\nit.so/abcde',
        106,
    ),
    ('$http://twitter.com $twitter.com $http://t.co/abcde $t.co/abcde $t.co $TVI.CA $RBS.CA', 85),
    ('long.test.tar.bz2 test.tar.bz2 tar.bz2', 38),
    ('john.doe.gov@mail.com', 21),
    ('john.doe.jp@mail.com', 20),
    ('text http://google.com', 28),
    ("皆さん見てください\uff01 http://google.com", 34),
    ('t.co/abcde bit.ly/abcde', 23),
    (
        'twitter.comこれは日本語です。example.com中国語t.co/abcde한국twitter.com example2.com'
        'テストtwitter.com/abcde',
        90,
    ),
    (
        'http://twitter.com/これは日本語です。example.com中国語http://t.co/abcde한국twitter.c'
        'omテストexample2.comテストhttp://twitter.com/abcde',
        23,
    ),
    (
        "http://t.co/pbY2NfTZ's http://t.co/2vYHpAc5; http://t.co/ulYGBYSo: htt"
        'p://t.co/8MkmHU0k+c http://t.co/TKLp64dY.x http://t.co/8t7G3ddS#a http'
        '://t.co/FNkPfmii-',
        178,
    ),
    ('http://www.foo.com?referer=https://t.co/abcde http://t.co/xyzzy', 47),
    ('http://t.co http://t.co', 47),
    ('test http://xn--ls8h.XN--ls8h.la/', 28),
    ('test http://foobar.みんな/ http://foobar.中国/ http://foobar.پاکستان/ ', 77),
    ('\u2066\u202atest abcdef.com پاکستان http://twitter.com/\u202c\u2069', 49),
    (
        "This is a test \u2066\u202atwitter.com\u202c\u2069 "
        "\u2066\u202ahttp://foobar.پاکستان/\u202c\u2069\u2069 قطر فلسطين "
        'عمان',
        72,
    ),
    ('text https://t.co/UqIyJAJTfo?amp=1', 34),
    ('text https://t.co/UqIyJAJTfo?type=js', 36),
    ('text https://t.co/UqIyJAJTfo?ssr=true', 37),
    ('text https://t.co/asdfdf?a=b#123', 36),
    ('text https://t.co/sadfasdf?a=b&c=d', 36),
]


@pytest.mark.parametrize(("text", "expected"), LINK_CASES)
def test_links_count_as_mastodon_counts_them(text: str, expected: int) -> None:
    assert count_text("mastodon", text) == expected


def test_the_table_is_the_whole_conformance_set() -> None:
    assert len(LINK_CASES) == 108


MENTION_CASES = [
    ("@alice@example.social", 6),  # the domain does not count
    ("hi @alice@example.social and @bob", len("hi @alice and @bob")),
    ("(@alice@example.org)", len("(@alice)")),
    ("@alice@exa-mple.co.uk.", len("@alice.")),  # the full stop ends the sentence
    ("@al.ice@example.org", len("@al.ice")),
    ("@alice@example.org/path", len("@alice/path")),
    ("@alice@example.com@foo", 22),  # '@' right after: the server takes no mention here
    ("@bob@example.org://x", 20),  # "://" right after: none either
    ("@alic\u00e9@example.org", 18),  # a Latin accented letter right after the name: none
    ("x@alice@example.org", 19),  # glued to a word: an address, not a mention
    ("=@alice@example.org /@bob@example.org", 37),  # after = or /: none
    ("https://example.social/@alice@example.social", 23),  # inside a link: the link counts
    ("see https://a.example.com/x.@bob@example.org ok", 4 + 23 + 3),
    ("@bob@example.org https://x.example.com", len("@bob ") + 23),
    ("@a@b.c " * 3, len("@a ") * 3),
]


@pytest.mark.parametrize(("text", "expected"), MENTION_CASES)
def test_mentions_count_as_mastodon_counts_them(text: str, expected: int) -> None:
    assert count_text("mastodon", text) == expected


LONG = "https://example.com/" + "a" * 5000

RULE_CASES = [
    ("gemini://example.org/a/long/path/to/a/capsule", 23),  # Mastodon links these schemes too
    ("ipfs://example.org/x ipns://example.org/y dat://example.org/z", 23 * 3 + 2),
    ("gopher://example.org/1/a/long/selector/path ssb://example.org/x", 23 * 2 + 1),
    ("ftp://example.org/a/long/path/that/is/not/shortened", 51),  # not ftp
    ("https://www.example.notatld/long/path/here", 42),  # no top-level domain it knows
    ("https://some.name.notatld/long/path/here", 23 + 23),  # ".name" is one: the link ends there
    ("https://example.com/" + "a" * 4076, 23),  # 4,096 characters: still a link
    (LONG, len(LONG)),  # longer than 4,096: no link, counted in full
    ("https://t.co/" + "a" * 40, 23),
    ("https://t.co/" + "a" * 41, 54),  # a t.co link with a slug over 40 is none
    ("\x1c", 1),  # not blank to Ruby (Python's isspace says it is)
    ("  \u3000\n", 0),  # blank: nothing counts
    ("see https://example.com/\u00e9t\u00e9 here", 4 + 23 + 5),  # any letter in a path
    ("https://example.com/foo_(bar)_(baz)", 23),
    ("https://example.com/a(b", 23 + 2),  # an unclosed parenthesis ends it
    ("HTTPS://EXAMPLE.COM/X", 23),
    ("\u00e9https://example.com/aaaaaaaaaaaaaaaaaaaaaaaaa", 1 + 23),  # after a non-ASCII letter
    ("1https://example.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 50),  # glued to a digit: none
]


@pytest.mark.parametrize(("text", "expected"), RULE_CASES)
def test_mastodon_rules(text: str, expected: int) -> None:
    assert count_text("mastodon", text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "example.com/https://www.example.org/a/very/long/path/0123456789",  # the scheme-less
        "a.example.com?u=https://example.org/",  # link's path or query may hold the scheme
        "x https://-bad.example/https://t.co",
    ],
)
def test_a_link_the_server_may_not_see_counts_at_least_its_length(text: str) -> None:
    # Mastodon finds "example.com/..." first (and ignores it: no scheme); whether the link
    # inside it is seen depends on details we do not repeat, so it counts the more of the two.
    link = mastodon_links.find_links(text)
    assert link
    assert link[-1][2] == mastodon_links.MAYBE_LINK
    start, end, _ = link[-1]
    assert count_text("mastodon", text) == graphemes(text) - (end - start) + max(23, end - start)


ALPHABET = [
    "a", "b", "Z", "0", ".", "-", "_", "/", ":", "?", "#", "@", "(", ")", "!", " ", "\n", "\u00e9",
    "\u65e5", "\U0001f44d", "\u0301", "\u200f", "http://", "https://", "gemini://", "com",
    "org", "xn--", "t.co/", "@a@b.c", "example.com", "\u3002",
]


def test_links_and_mentions_are_in_order_and_never_overlap() -> None:
    rng = random.Random(9)
    for _ in range(3000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 40)))
        if not text.strip():
            continue  # blank: counts 0
        found = mastodon_links.entities(text)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(found)), text
        for start, end, what in found:
            assert start < end
            if what.startswith("@"):
                assert text[start:end].startswith(what), text
            else:
                assert "://" in text[start:end], text
        # never less than the text with each link at 23
        assert count_text("mastodon", text) >= graphemes(text) - sum(
            (e - s) - 23 for s, e, w in found if not w.startswith("@") and e - s > 23
        ) - sum((e - s) - len(w) for s, e, w in found if w.startswith("@")), text


def test_the_host_is_the_one_the_servers_backtracking_pattern_takes() -> None:
    # The server's pattern, as plainly as it can be written (labels, then a top-level domain,
    # backtracking one label at a time): slow, but the reference for the one-pass finder.
    char = mastodon_links._H
    sub = rf"(?:{char}(?:[-_]|{char})*{char}|{char})"
    dom = rf"(?:{char}(?:-|{char})*{char}|{char})"
    tld = r"(?:\L<tld>(?![0-9a-z@+\-\u212a\u017f])|xn--[0-9a-z]+)"
    reference = regex.compile(rf"(?:{sub}\.)*{dom}\.{tld}", regex.IGNORECASE,
                              tld=[*tlds.GENERIC, *tlds.COUNTRY])
    pieces = ["a", "b", "Z", "1", "\u00e9", "\u65e5", "-", "_", ".", ".", ".", "com", "COM",
              "io", "uk", "co", "name", "xn--", "XN--", "\u307f\u3093\u306a", "/", "@", "+", ":",
              "\u2069"]
    rng = random.Random(12)
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 16)))
        expected = reference.match(text)
        assert mastodon_links._host_end(text, 0) == (expected and expected.end()), text
