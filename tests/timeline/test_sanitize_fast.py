"""The sanitizer's shortcuts give exactly what the general paths give.

safe_url and clean_line decide common inputs with one check. Each is compared here with the
path it shortcuts, on strings built to sit on and just past the edges of those shapes. (HTML
has no shortcut: clean_html is nh3 alone, once, at ingest.)
"""

from __future__ import annotations

import random

from hubbub.core import sanitize
from hubbub.core.sanitize import clean_line, safe_url

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
    # xn-- labels anywhere, and lone surrogates.
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
