"""The sanitizer's fast paths give exactly what the general paths give.

clean_html skips nh3 for markup of a few plain shapes (sanitize._plain_markup); safe_url and
clean_line decide common inputs with one check. Each is compared here with the path it
shortcuts, on markup and strings built to sit on and just past the edges of those shapes, on
the hostile list, and on network-shaped posts: a fast path may decline (None), never differ.
"""

from __future__ import annotations

import random

import pytest

from hubbub.core import sanitize
from hubbub.core.sanitize import LINK_REL, clean_html, clean_line, safe_url
from tests.timeline.test_sanitize import HOSTILE_HTML

HREFS = [
    "https://example.com", "https://example.com/", "http://a.example/p/q?x=1&amp;y=2#frag",
    "https://EXAMPLE.COM/Path", "HTTPS://example.com/", "https://a..b/", "https://a.b./",
    "https://xn--nxasmq6b.example/", "https://a.xn--zz/", "https://999.1.1.1/",
    "https://1.2.3.4/", "https://example.123/", "https://example.0x1/", "https://ex-ample.c0m/",
    "https://-a.example/", "https://a.example:8080/", "https://u@a.example/",
    "https://a.example/é ü", "https://a.example/%zz", "https://a.example/a&b",
    "https://a.example/a&amp;b&amp;c", "https://a.example/a&quot;b", "javascript:alert(1)",
    "data:text/html,x", "//a.example/", "/relative", "https://", "https://a.example/\\x",
    "https://a.example/`x", "https://a.example/\u3000", "https://a.example/\x85",
    "https://a.example/'x'", "https://a.example/~x(1)*!$,;=+@:", "https://\u017f.example/",
    "https://\u212a.example/", "ftp://a.example/", "https://a.example/\u00a0",
    # xn-- in a label before the last (the url crate refuses bad punycode in any label), and
    # lone surrogates (nh3 cannot take them at all).
    "https://xn--zz.example/", "https://a.xn--zz.example/", "https://xn--a.b.c/",
    "https://xn--nxasmq6b.example/x", "https://a.example/\ud800", "https://a.example/?\udfff",
]
TEXTS = [
    "hello", "two words", "&amp;", "&lt;b&gt;", "&quot;q&quot;", "&#39;s", "&#x27;s", "&#34;",
    "&nbsp;", "&amp", "&copy;", "&", "<", ">", '"', "'", "a\nb", "a\r\nb", "a\rb", "\t",
    "\x00", "\x01", "\x0c", "\x7f", "\x85", "\x9f", "\u00a0", "\u200e", "\u202e", "\ufeff",
    "\ufdd0", "\uffff", "😀", "日本語", "e\u0301", " ", "  ", "href=\"x\"", " href=\"x\"",
    "<!-- c -->", "--", "]]>", "a=b", "@<span>x</span>", "#tag",
]
OPEN_TAGS = [
    "<p>", "<br>", "<br/>", "<br />", "<span>", '<span class="h-card">',
    '<span class="h-card" translate="no">', "<span class=x>", "<span class='x'>",
    '<span CLASS="x">', '<span data-x="a&amp;b">', "<span hidden>", '<span style="x">',
    '<span lang="en">', '<span title="t" class="x">', '<span class="x" lang="en">',
    '<p dir="auto">', "<P>", "<b>", "<strong>", "<em>", "<div>", "<script>", "<style>",
    "<svg>", "<img src=x onerror=alert(1)>", "<a>", '<a name="x">', "<!--", "<",
]
CLOSE_TAGS = ["</p>", "</span>", "</a>", "</b>", "</div>", "</script>", "</br>", "</P>"]
ATTRS = ["", ' class="mention"', ' rel="tag"', ' target="_blank"', ' rel="nofollow noopener"',
         ' translate="no"', ' class="u-url mention"', ' onclick="x()"', ' style="color:red"',
         ' href="https://other.example/"', ' data-href="x"', ' rel=""', " class=x",
         # Kept by the cleaner (generic attributes), and href="..." inside another value.
         ' title="hello"', ' lang="de"', ' title=" href="', ' class="x href="', ' rel=" href="',
         ' TITLE="x"',
         # A lone surrogate in a value the cleaner would drop: nh3 cannot take the markup.
         ' class="\ud800"', ' rel="x\udfffy"']


def _link(rng: random.Random) -> str:
    href = rng.choice(HREFS)
    before, after = rng.choice(ATTRS), rng.choice(ATTRS)
    quote = rng.choice(['"', '"', '"', "'", ""])
    return f"<a{before} href={quote}{href}{quote}{after}>"


def _fragment(rng: random.Random) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(1, 14)):
        roll = rng.random()
        if roll < 0.35:
            parts.append(rng.choice(TEXTS))
        elif roll < 0.55:
            parts.append(_link(rng))
        elif roll < 0.75:
            parts.append(rng.choice(OPEN_TAGS))
        else:
            parts.append(rng.choice(CLOSE_TAGS))
    return "".join(parts)


def _wellformed(rng: random.Random, depth: int = 0) -> str:
    """Markup that is mostly inside the fast path's grammar, with a few things just outside."""
    parts: list[str] = []
    for _ in range(rng.randint(0, 6)):
        roll = rng.random()
        if roll < 0.4 or depth >= 3:
            parts.append(rng.choice(TEXTS[:20]) if rng.random() < 0.8 else rng.choice(TEXTS))
        elif roll < 0.6:
            parts.append(f"{_link(rng)}{_wellformed(rng, depth + 1)}</a>")
        elif roll < 0.8:
            attrs = rng.choice(['', ' class="invisible"', ' class="h-card" translate="no"'])
            parts.append(f"<span{attrs}>{_wellformed(rng, depth + 1)}</span>")
        elif roll < 0.9:
            parts.append("<br>")
        else:
            parts.append(f"<p>{_wellformed(rng, depth + 1)}</p>")
    return "".join(parts)


def _mastodon_like(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.randint(1, 3)):
        words = []
        for _ in range(rng.randint(1, 12)):
            roll = rng.random()
            if roll < 0.15:
                words.append('<span class="h-card" translate="no"><a href="https://m.example/@'
                             'bob" class="u-url mention">@<span>bob</span></a></span>')
            elif roll < 0.25:
                words.append('<a href="https://m.example/tags/t" class="mention hashtag" '
                             'rel="tag">#<span>t</span></a>')
            elif roll < 0.32:
                words.append('<a href="https://news.example/2026/a-b?utm=x&amp;id=3" '
                             'target="_blank" rel="nofollow noopener noreferrer" translate="no">'
                             '<span class="invisible">https://</span><span class="ellipsis">'
                             'news.example/2026/a</span><span class="invisible">-b</span></a>')
            else:
                words.append(rng.choice(["word", "caf\u00e9", "&amp;", "it&#39;s", "日本",
                                         "😀", "&quot;x&quot;", "&lt;3"]))
        paragraphs.append(f"<p>{' '.join(words)}</p>")
    return "".join(paragraphs)


# Markup a differential fuzzer found where the fast path once differed from nh3.
FOUND = [
    '<a href="https://xn--zz.example/">x</a>',
    'it&#39;s<a translate="x" href="https://xn-.xn--a.m?[b\x80x1"></a><br>',
    'caf\u00e9<a translate="no" href="http://xn--zz.b/_---?a/" rel="invisible"></a>',
    '<span><a href="https://b.xn--zz.xn-.bsky/_:80\ud800@xb(x1"></a></span>',
    '<a class="\ud800" href="https://m.example.ex">\U0001f600\u2029</a>',
    '<span class="\ud800">caf\u00e9&amp;\U0010ffff&gt; </span>',
    '<p><span rel="javascript:alert(1)" target="\ud800"></span></p>',
]


def _corpus() -> list[str]:
    rng = random.Random(20261127)
    markup = [*HOSTILE_HTML, *TEXTS, *OPEN_TAGS, *FOUND]
    markup += [f"{_link(rng)}x</a>" for _ in range(400)]
    markup += [_fragment(rng) for _ in range(6000)]
    markup += [_wellformed(rng) for _ in range(6000)]
    markup += [_mastodon_like(rng) for _ in range(1000)]
    # Hostile markup next to and inside plain markup.
    markup += [f"{_mastodon_like(rng)}{payload}" for payload in HOSTILE_HTML]
    markup += [f"<p>{payload}</p>" for payload in HOSTILE_HTML]
    return markup


CORPUS = _corpus()


def test_the_markup_fast_path_gives_what_nh3_gives() -> None:
    taken = 0
    for markup in CORPUS:
        fast = sanitize._plain_markup(markup)
        if fast is None:
            continue
        taken += 1
        assert fast == sanitize._CLEANER.clean(markup), markup
    # The comparison means something only if the fast path is taken often, and not always.
    assert 2000 < taken < len(CORPUS) - 2000


def test_network_shaped_markup_takes_the_fast_path() -> None:
    rng = random.Random(4)
    post = _mastodon_like(rng)
    assert sanitize._plain_markup(post) is not None
    bluesky = ('hi <a href="https://bsky.example/profile/a.example">@a.example</a> look '
               '<a href="https://x.example/?a=1&amp;b=2">x.example</a><br><br>#<a '
               'href="https://bsky.example/hashtag/t">t</a> &amp; more')
    assert clean_html(bluesky) == (
        f'hi <a href="https://bsky.example/profile/a.example" target="_blank" rel="{LINK_REL}">'
        f'@a.example</a> look <a href="https://x.example/?a=1&amp;b=2" target="_blank" '
        f'rel="{LINK_REL}">x.example</a><br><br>#<a href="https://bsky.example/hashtag/t" '
        f'target="_blank" rel="{LINK_REL}">t</a> &amp; more')
    assert sanitize._plain_markup(bluesky) is not None


@pytest.mark.parametrize("payload", HOSTILE_HTML)
def test_hostile_markup_never_takes_the_fast_path_unchanged(payload: str) -> None:
    fast = sanitize._plain_markup(payload)
    assert fast is None or fast == sanitize._CLEANER.clean(payload)


def _strings() -> list[str]:
    rng = random.Random(7)
    pieces = ["a", "Z", "0", " ", "  ", "\t", "\n", "\r", "\x00", "\x1f", "\x7f", "\x85", "\xa0",
              "é", "\u0301", "\u0301\u0301\u0301\u0301\u0301", "\u202e", "\u2066", "\u3000",
              "😀", "\ud800", "https://", "http://a.example", "/p?q=1&r", ":80", ":99999", "@",
              "[::1]", '"', "<", ">", "\\", "`", "#", "xn--", "\u017f", "\u212a", ".", "-"]
    values = [*HREFS, *TEXTS]
    for _ in range(20000):
        values.append("".join(rng.choice(pieces) for _ in range(rng.randint(0, 8))))
    values += ["https://a.example/" + "x" * n for n in (980, 981, 982, 1000, 1001)]
    return values


STRINGS = _strings()


def test_safe_url_fast_path_gives_what_the_general_path_gives() -> None:
    for value in STRINGS:
        for limit in (sanitize.MAX_URL_CHARS, 20):
            assert safe_url(value, max_length=limit) == sanitize._safe_url(value, limit), value


def test_clean_line_fast_path_gives_what_the_general_path_gives() -> None:
    for value in [*STRINGS, "  padded  ", "x" * 700, " " * 10]:
        for limit in (300, 5):
            assert clean_line(value, max_chars=limit) == sanitize._clean_line(value, limit), value
