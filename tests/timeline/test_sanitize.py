"""Remote HTML and URLs made inert: a list of hostile payloads, each checked for what must
never survive, plus the limits on size."""

from __future__ import annotations

import re

import pytest

from hubbub.core.sanitize import (
    ALLOWED_TAGS,
    LINK_REL,
    MAX_HTML_CHARS,
    MAX_TEXT_CHARS,
    TRUNCATED,
    clean_html,
    clean_line,
    clean_text,
    safe_url,
    text_to_html,
)

HOSTILE_HTML = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href='javascript:alert(1)'><text x=20 y=20>XSS</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<a href='javascript:alert(1)'>x</a>",
    "<a href='JaVaScRiPt:alert(1)'>x</a>",
    "<a href='java&#x09;script:alert(1)'>x</a>",
    "<a href='&#106;avascript:alert(1)'>x</a>",
    "<a href=' javascript:alert(1)'>x</a>",
    "<a href='vbscript:msgbox(1)'>x</a>",
    "<a href='data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='>x</a>",
    "<a href='file:///etc/passwd'>x</a>",
    "<a href='/relative/path'>x</a>",
    "<a href='//evil.example/'>x</a>",
    "<iframe src='https://evil.example'></iframe>",
    "<object data='https://evil.example/x.swf'></object>",
    "<embed src='https://evil.example/x.swf'>",
    "<form action='https://evil.example'><input name=q><button>go</button></form>",
    "<body onload=alert(1)>",
    "<div style='position:fixed;top:0;left:0;width:100%;height:100%'>cover</div>",
    "<span style='background:url(javascript:alert(1))'>x</span>",
    "<style>*{display:none}</style>",
    "<link rel=stylesheet href='https://evil.example/x.css'>",
    "<meta http-equiv='refresh' content='0;url=https://evil.example'>",
    "<base href='https://evil.example/'>",
    "<p class='invisible' id='main' onmouseover='alert(1)'>x</p>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<table background='javascript:alert(1)'>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<noscript><p title='</noscript><img src=x onerror=alert(1)>'>",
    "<template><img src=x onerror=alert(1)></template>",
    "<a href='https://ok.example' onclick='alert(1)' style='color:red'>ok</a>",
    "<a href='https://ok.example' target='_self' rel='opener'>ok</a>",
    "<img src='data:image/svg+xml,<svg onload=alert(1)>'>",
    "<textarea><script>alert(1)</script></textarea>",
    "<x onclick=alert(1)>custom</x>",
    "<p>unclosed <b>bold <a href='https://ok.example'>link",
]
# What must not appear in any output.
FORBIDDEN = re.compile(
    r"<(?!/?(?:p|br|a|span|strong|em|b|i|u|s|del|blockquote|code|pre|ul|ol|li)\b)[a-z!]"
    r"|\bon[a-z]+\s*=|javascript:|vbscript:|data:|style=|class=|id=|src=|xlink|"
    r"href=\"(?!https?://)",
    re.IGNORECASE,
)


def test_the_hostile_list_is_long_enough() -> None:
    assert len(HOSTILE_HTML) >= 30


@pytest.mark.parametrize("payload", HOSTILE_HTML)
def test_hostile_html_is_inert(payload: str) -> None:
    cleaned = clean_html(payload)
    assert not FORBIDDEN.search(cleaned), cleaned
    assert "alert(1)" not in cleaned or "<" not in cleaned.split("alert(1)")[0][-1:]


@pytest.mark.parametrize("payload", HOSTILE_HTML)
def test_text_of_hostile_html_is_escaped_in_text_to_html(payload: str) -> None:
    rendered = text_to_html(payload)
    assert "<" not in re.sub(r"</?(p|br|a)\b[^>]*>", "", rendered)


def test_links_get_rel_and_target_and_keep_https_hrefs() -> None:
    cleaned = clean_html("<a href='https://ok.example/x?a=1&b=2' target=_self rel=opener>ok</a>")
    assert 'href="https://ok.example/x?a=1&amp;b=2"' in cleaned
    assert 'rel="nofollow noopener noreferrer ugc"' in cleaned
    assert 'target="_blank"' in cleaned
    assert "opener\"" not in cleaned.replace("noopener", "")


def test_bluesky_shaped_markup_keeps_its_links() -> None:
    bluesky = ('hi <a href="https://bsky.example/profile/a.example">@a.example</a> look '
               '<a href="https://x.example/?a=1&amp;b=2">x.example</a><br><br>#<a '
               'href="https://bsky.example/hashtag/t">t</a> &amp; more')
    assert clean_html(bluesky) == (
        f'hi <a href="https://bsky.example/profile/a.example" target="_blank" rel="{LINK_REL}">'
        f'@a.example</a> look <a href="https://x.example/?a=1&amp;b=2" target="_blank" '
        f'rel="{LINK_REL}">x.example</a><br><br>#<a href="https://bsky.example/hashtag/t" '
        f'target="_blank" rel="{LINK_REL}">t</a> &amp; more')


def test_allowed_formatting_survives() -> None:
    markup = ("<p>a<br><strong>b</strong><em>c</em><b>d</b><i>e</i><u>f</u><s>g</s><del>h</del>"
              "</p><blockquote>q</blockquote><pre><code>x = 1</code></pre>"
              "<ul><li>one</li></ul><ol><li>two</li></ol><span>s</span>")
    cleaned = clean_html(markup)
    for tag in ALLOWED_TAGS - {"a"}:
        assert f"<{tag}>" in cleaned, tag


def test_dropped_containers_lose_their_content_too() -> None:
    assert clean_html("<svg><text>hidden</text></svg>shown") == "shown"
    assert clean_html("<script>var a</script><style>p{}</style>ok") == "ok"


def test_oversized_html_is_cut_marked_and_still_closed() -> None:
    cleaned = clean_html("<p><b>" + "a" * (MAX_HTML_CHARS * 2))
    assert len(cleaned) < MAX_HTML_CHARS + 200
    assert cleaned.endswith(f"<p>{TRUNCATED}</p>")
    assert cleaned.count("<b>") == cleaned.count("</b>")


def test_cut_in_the_middle_of_a_tag_drops_the_tag() -> None:
    markup = "<p>" + "a" * (MAX_HTML_CHARS - 25) + '<a href="javascript:alert(1)" onclick=x>'
    cleaned = clean_html(markup)
    assert "javascript" not in cleaned
    assert "onclick" not in cleaned


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox", "file:///etc/passwd",
    "/relative", "relative/path", "//evil.example/x", "https:evil.example", "http://",
    "https://", "https://:80/", "https://a b.example/", "https://x.example/\"onmouseover=\"x",
    "https://x.example/<script>", "https://x.example:99999/", "https://x.example:8o/",
    "ftp://x.example/", "mailto:a@x.example", "https://x.example/" + "a" * 2000, "", None, 42,
    "https://x.example/\x00", "https://x.example\\@evil.example/",
])
def test_safe_url_refuses(url: object) -> None:
    assert safe_url(url) == ""


@pytest.mark.parametrize("url", [
    "https://x.example", "http://x.example/", "HTTPS://X.EXAMPLE/Path?q=1#frag",
    "https://x.example:8443/a", "https://user@x.example/", "https://[2001:db8::1]/a",
    "https://x.example/a'b", "https://bücher.example/straße",
])
def test_safe_url_keeps(url: str) -> None:
    assert safe_url(url) == url


def test_safe_url_strips_surrounding_space() -> None:
    assert safe_url("  https://x.example/a \n") == "https://x.example/a"


def test_text_is_capped_and_cleaned() -> None:
    assert clean_text("a" * (MAX_TEXT_CHARS + 10)).endswith(TRUNCATED)
    assert clean_text("nul\x00byte\x07bell") == "nulbytebell"
    assert clean_text("lone \ud800 surrogate") == "lone \ufffd surrogate"
    assert clean_text("keeps\ttabs\nand lines") == "keeps\ttabs\nand lines"


def test_zalgo_towers_are_cut() -> None:
    tower = "Z" + "\u0301" * 200 + "a" + "\u0300\u0301"
    assert clean_text(tower) == "Z" + "\u0301" * 4 + "a\u0300\u0301"
    assert clean_html(f"<p>{tower}</p>") == "<p>Z" + "\u0301" * 4 + "a\u0300\u0301</p>"


def test_line_fields_drop_bidi_overrides_and_newlines() -> None:
    assert clean_line("evil\u202egnp.exe", max_chars=50) == "evilgnp.exe"
    assert clean_line("two\nlines\r\n here", max_chars=50) == "two lines here"
    assert clean_line("x" * 400, max_chars=300) == "x" * 300


def test_text_to_html_links_and_paragraphs() -> None:
    html = text_to_html("see https://x.example/a?b=1&c=2.\n\nnew <para>\nline")
    assert html == (
        '<p>see <a href="https://x.example/a?b=1&amp;c=2" rel="nofollow noopener noreferrer ugc"'
        ' target="_blank">https://x.example/a?b=1&amp;c=2</a>.</p>'
        "<p>new &lt;para&gt;<br>line</p>"
    )
