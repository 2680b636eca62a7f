"""clean_html stores exactly what one nh3 pass, the bidi check and the link-host check give.

Two shortcuts make it cheaper, and each must change nothing:

- markup that nh3 gives back as it is (text, paragraphs of text, line breaks, with none of the
  characters the parser or nh3's writer changes) is not parsed;
- the link-host check visits only links whose text holds a dot and does not start with `@` or
  `#`, which are the only ones it can change.

The reference below is the plain definition: nh3 on every markup, then the bidi controls out,
then every link the cleaner wrote visited. Both are run on every code point, on the hostile
corpus, on network-shaped markup and on many generated markups made to sit on the shortcuts'
edges.
"""

from __future__ import annotations

import html
import random
import re

from hubbub.core import sanitize
from hubbub.core.sanitize import clean_html
from tests.security.corpus import ALL, BIDI_CONTROLS

# --- the reference ------------------------------------------------------------------------------

_EVERY_LINK = re.compile(
    r'<a (?:(?!href=)[a-z-]++="[^"]*+" )*+href="([^"]*+)"[^>]*+>([^<]*+(?:<(?!/a>)[^<]*+)*+)</a>')


def _check_link(link: re.Match[str]) -> str:
    inner = link.group(2)
    if "." not in inner or inner.startswith(("@", "#")):
        return link.group(0)
    text = re.sub(r"<[^>]*>", "", inner)
    shown = sanitize._SHOWN_ADDRESS.fullmatch(html.unescape(text))
    if shown is None:
        return link.group(0)
    real = sanitize._HREF_HOST.match(link.group(1))
    if real is None or sanitize._same_site(shown.group("host"), real.group(1)):
        return link.group(0)
    return f"{link.group(0)} [{html.escape(real.group(1).lower())}]"


def reference(markup: str) -> str:
    truncated = len(markup) > sanitize.MAX_HTML_CHARS
    markup = markup[:sanitize.MAX_HTML_CHARS]
    markup = sanitize._COMBINING_RUN.sub(r"\1", markup)
    markup = sanitize._SURROGATE.sub("\ufffd", markup)
    cleaned = sanitize._CLEANER.clean(markup)
    cleaned = sanitize._BIDI_OVERRIDE.sub("", cleaned)
    cleaned = _EVERY_LINK.sub(_check_link, cleaned)
    if truncated:
        cleaned += f"<p>{html.escape(sanitize.TRUNCATED)}</p>"
    return cleaned


def _agree(markups: list[str]) -> None:
    for markup in markups:
        assert clean_html(markup) == reference(markup), repr(markup)


# --- markup nh3 leaves as it is -----------------------------------------------------------------

# What nh3 changes in text (found by trying every code point; the test below proves the rest).
CHANGED_IN_TEXT = "<>&\x00\r\ufeff\xa0"
_SHAPES = ("{}", "{}<br>{}", "<p>{}</p>", "<p>{}<br>{}</p><p>{}</p>")


def _blocks(size: int = 700) -> list[str]:
    """Every code point but the surrogates and CHANGED_IN_TEXT, in runs of `size`."""
    points = [chr(c) for c in range(0x110000)
              if not 0xD800 <= c <= 0xDFFF and chr(c) not in CHANGED_IN_TEXT]
    return ["".join(points[n:n + size]) for n in range(0, len(points), size)]


def test_nh3_gives_back_every_code_point_in_text_paragraphs_and_line_breaks() -> None:
    unchanged = sanitize._UNCHANGED_BY_NH3
    for block in _blocks():
        for shape in _SHAPES:
            markup = shape.replace("{}", block)
            assert unchanged.fullmatch(markup), markup[:40]
            assert sanitize._CLEANER.clean(markup) == markup, markup[:40]


def test_nh3_gives_back_every_code_point_of_the_first_plane_first() -> None:
    # The parser treats the start of the input apart (it drops a BOM there).
    for point in range(0x10000):
        char = chr(point)
        if 0xD800 <= point <= 0xDFFF or char in CHANGED_IN_TEXT:
            continue
        assert sanitize._CLEANER.clean(char + "x") == char + "x", hex(point)


def test_what_nh3_changes_is_never_taken_as_unchanged() -> None:
    for char in CHANGED_IN_TEXT:
        assert sanitize._CLEANER.clean(f"{char}b") != f"{char}b", repr(char)
        for shape in _SHAPES:
            markup = shape.replace("{}", f"a{char}b")
            assert not sanitize._UNCHANGED_BY_NH3.fullmatch(markup), repr(markup)


# --- generated markup ---------------------------------------------------------------------------

_PIECES = (
    # Plain text, and what sits just past the shortcut's edge.
    "a", "word ", " ", "\n", "\t", "é", "日本", "😀", "\u0301", "\u0301" * 6, "\u202e", "\u2066",
    "\u200f", ".", "example.com", "@", "#", *CHANGED_IN_TEXT, "\ud800", "&amp;", "&lt;", "&gt;",
    "&quot;", "&#39;", "&#x202e;", "&nbsp;", "&", "&amp", "\x0c", "\x7f", "\x85", "\u2028",
    # Markup the shortcut takes, and markup it must not.
    "<p>", "</p>", "<br>", "<br/>", "<br />", "</br>", "<P>", "<p >", "<p class=x>", "<b>", "</b>",
    "<span>", "</span>", "<div>", "<!-- c -->", "<script>", "</script>", "<style>", "<textarea>",
    "<ul><li>", "<pre>", "<p", "</p", "<", ">",
    # Links: honest, deceptive, hostile.
    '<a href="https://example.com/x">', '<a href="https://evil.test/">', "</a>",
    '<a href="javascript:alert(1)">', '<a title="t" href="https://evil.test/">',
    '<a href="https://a.example/<a href=x">', '<a href="https://u:p@evil.test/">',
    '<a href="https://example.com /">', '<a href="https://[::1]/">', "<a href=https://x.test>",
)
_TEXTS_IN_LINKS = (
    "example.com", "https://example.com/x", "www.example.com", "evil.test", "@alice", "#tag",
    "a.b", "x", "<span>https://</span><span>bank.example/a</span>", "EXAMPLE.COM.", "bücher.de",
    "&lt;b&gt;.example", "example.com,", " evil.test ", "u@evil.test", "a.example:80/x",
    "\u202eexample.com", "example.com\u00a0", "1.2.3.4", "exa\u0301mple.com", "@evil.test",
    "#example.com", "<b>@</b>evil.test",
)
_HREFS = (
    "https://example.com/x", "https://evil.test/", "https://www.example.com/", "HTTPS://EXAMPLE.COM",
    "https://sub.example.com/", "https://u@evil.test/", "https://u:p@evil.test/",
    "https://xn--bcher-kva.de/", "https://[::1]/", "https://example.com./", "https://a.example:80/x",
    "https://example.com /x", "http://1.2.3.4/", "https://evil.test/?q=example.com",
    "https://example.com@evil.test/", "https://example.com.evil.test/x",
)


def _generated(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    markups = []
    for _ in range(count):
        parts = [rng.choice(_PIECES) for _ in range(rng.randint(1, 14))]
        if rng.random() < 0.5:
            text = rng.choice(_TEXTS_IN_LINKS)
            parts.insert(rng.randrange(len(parts) + 1),
                         f'<a href="{rng.choice(_HREFS)}" class="u-url">{text}</a>')
        markups.append("".join(parts))
    return markups


# Tags a hair away from the ones the shortcut takes.
_NEAR_TAGS = ("<b>", "</b>", "<P>", "</P>", "<p >", "<p/>", "</p >", "<br/>", "<br >", "</br>",
              "<BR>", "<p><p>", "</p></p>", "<pre>", "</pre>", "<br><p>", "", "<p", "br>")


def _plain(count: int, seed: int) -> list[str]:
    """Markup in the shapes nh3 leaves alone, with an odd character now and then, and with one
    of its tags swapped for a near one now and then."""
    rng = random.Random(seed)
    letters = "abc é日😀\u0301\u202e\t\n.>&<\r\x00\ufeff\xa0"
    markups = []
    for _ in range(count):
        lines = ["".join(rng.choice(letters[:12] if rng.random() < 0.8 else letters)
                         for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(1, 4))]
        body = "<br>".join(lines)
        markup = (body if rng.random() < 0.5 else
                  "".join(f"<p>{body}</p>" for _ in range(rng.randint(1, 3))))
        tags = list(re.finditer("</?p>|<br>", markup))
        if tags and rng.random() < 0.3:
            tag = rng.choice(tags)
            markup = markup[:tag.start()] + rng.choice(_NEAR_TAGS) + markup[tag.end():]
        markups.append(markup)
    return markups


def test_generated_markup_is_cleaned_as_the_reference_cleans_it() -> None:
    _agree(_generated(12_000, seed=9))


def test_plain_markup_is_cleaned_as_the_reference_cleans_it() -> None:
    markups = _plain(6_000, seed=11)
    assert sum(bool(sanitize._UNCHANGED_BY_NH3.fullmatch(m)) for m in markups) > 1_500
    _agree(markups)


def test_every_hostile_payload_is_cleaned_as_the_reference_cleans_it() -> None:
    payloads = [p.value for p in ALL]
    wrapped = [f"<p>{p}</p>" for p in payloads] + [f'<a href="https://evil.test/">{p}</a>'
                                                   for p in payloads]
    with_bidi = [f"<p>{c}{p}</p>" for c in BIDI_CONTROLS for p in payloads[:20]]
    _agree(payloads + wrapped + with_bidi)


def test_network_shaped_markup_is_cleaned_as_the_reference_cleans_it() -> None:
    rng = random.Random(3)
    markups = []
    for _ in range(3_000):
        host = rng.choice(("mastodon.example", "bsky.example"))
        shown, href = rng.choice(_TEXTS_IN_LINKS), rng.choice(_HREFS)
        markups += [
            f'<p>hi <span class="h-card"><a href="https://{host}/@a" class="u-url mention">'
            f'@<span>a</span></a></span> <a href="https://{host}/tags/x" class="mention hashtag" '
            f'rel="tag">#<span>x</span></a></p><p>{shown} café</p>',
            f'<p><a href="{href}" target="_blank" rel="nofollow noopener noreferrer" '
            f'translate="no"><span class="invisible">https://</span><span class="ellipsis">'
            f'{shown}</span><span class="invisible"></span></a></p>',
            f'plain &#x27;text&#x27;<br><br><a href="{href}">{shown}</a> more',
            f"<p>just words, {shown}</p><p>and more\u00a0words</p>",
        ]
    _agree(markups)


def test_links_showing_their_own_address_are_checked_as_the_reference_checks_them() -> None:
    # Mastodon and Bluesky write a link with its own address as its text; the check takes those
    # at once when the host is plain. Odd addresses shown as themselves must still be read.
    rng = random.Random(13)
    schemes = ("https://", "http://", "HTTPS://", "Https://")
    hosts = ("a.example", "A.Example", "www.a.example", "a.example.", "xn--bcher-kva.de",
             "bücher.de", "1.2.3.4", "[::1]", "a_b.example", "a", "a.example:8080",
             "u@evil.test", "a.example@evil.test", "u:p@evil.test", "a.example ", " a.example",
             "a.example\u00a0", "a.example%2fevil.test", "a.example&amp;b.test", "-a.example",
             "a..example", "a.example\u202e", "exa\u0301mple.com")
    tails = ("", "/", "/x/y", "?q=1&amp;r=2", "#f", "/x.y", " x", "/\u00a0", ")", "/ evil.test")
    markups = []
    for _ in range(4_000):
        address = rng.choice(schemes) + rng.choice(hosts) + rng.choice(tails)
        shown = address if rng.random() < 0.5 else (
            f'<span>{address[:8]}</span><span>{address[8:20]}</span><span>{address[20:]}</span>')
        markups.append(f'<p>see <a href="{address}">{shown}</a> now</p>')
    _agree(markups)


def test_oversized_markup_is_cut_as_the_reference_cuts_it() -> None:
    limit = sanitize.MAX_HTML_CHARS
    _agree(["x" * (limit + 10), "<p>" + "x" * limit + "</p>", "a<br>" * (limit // 4),
            "<p>" + "é" * (limit - 5) + "<br>b</p>"])


# --- markup cleaned before ----------------------------------------------------------------------


def test_markup_cleaned_again_gives_what_cleaning_it_anew_gives() -> None:
    markups = _generated(2_000, seed=21) + [p.value for p in ALL]
    first = [clean_html(m) for m in markups]
    again = [clean_html(m) for m in markups]  # now from what was remembered
    assert again == first == [reference(m) for m in markups]
    # A copy of the same text, a str subclass, another limit (never remembered): the same.
    assert [clean_html("".join(list(m))) for m in markups[:300]] == first[:300]

    class Markup(str):
        pass

    assert [clean_html(Markup(m)) for m in markups[:300]] == first[:300]
    assert [clean_html(m, max_chars=10**6) for m in markups[:300]] == first[:300]


def test_what_is_remembered_stays_within_its_size() -> None:
    remembered = sanitize._Remembered(max_chars=10_000)
    for n in range(500):
        markup = f"<p>post {n} " + "é" * (n % 40) + "</p>"
        remembered.put(markup, sanitize._clean_html(markup, sanitize.MAX_HTML_CHARS))
        assert remembered._chars == sum(len(k) + len(v) for k, v in remembered._results.items())
        assert remembered._chars <= 10_000
    assert remembered.get("<p>post 499 " + "é" * 19 + "</p>") is not None  # the newest stay
    assert remembered.get("<p>post 0 </p>") is None  # the oldest went
    remembered.put("x" * 200, "x" * 200)  # over a hundredth of the size: not kept
    assert remembered.get("x" * 200) is None
