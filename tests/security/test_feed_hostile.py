"""Hostile feeds: entity expansion, external entities and DTDs, a feed too large, and the
regular expressions of feedparser's encoding and DOCTYPE sniffers fed what makes them
backtrack. Served from loopback where a fetch is involved; no database."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import feedparser
import pytest

from hubbub.imports import feeds
from hubbub.imports.feeds import FeedProblem, parse
from hubbub.imports.fetch import MAX_BYTES, FetchProblem, fetch
from tests.imports.feedserver import FeedServer

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rss version="2.0"><channel><title>&lol4;</title></channel></rss>"""
# No entity refers to another, so each looks "safe" to feedparser, which keeps it: one
# 100 kB entity used 10,000 times is a gigabyte.
QUADRATIC = (b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "' + b"x" * 100_000
             + b'">\n]>\n<rss version="2.0"><channel><title>' + b"&big;" * 10_000
             + b"</title></channel></rss>")


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


def test_feedparser_alone_would_expand_declared_entities() -> None:
    """Why the pre-check stays: feedparser keeps an entity it thinks safe and expands it."""
    doc = (b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY e "expanded">\n]>\n'
           b'<rss version="2.0"><channel><title>&e;&e;</title></channel></rss>')
    assert feedparser.parse(io.BytesIO(doc)).feed.title == "expandedexpanded"
    with pytest.raises(FeedProblem, match="declares entities"):
        parse(doc, "https://x.example/")


@pytest.mark.parametrize("doc", [BILLION_LAUGHS, QUADRATIC], ids=["nested", "quadratic"])
def test_entity_expansion_is_refused(doc: bytes) -> None:
    with pytest.raises(FeedProblem, match="declares entities"):
        parse(doc, "https://x.example/")


def test_external_entities_are_refused_and_never_fetched(server: FeedServer) -> None:
    server.put("/secret", b"the contents of a private file", "text/plain")
    for doc in (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{server.url("/secret")}">]>'
        '<rss version="2.0"><channel><title>&x;</title></channel></rss>',
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n'
        '<rss version="2.0"><channel><title>&x;</title></channel></rss>',
    ):
        with pytest.raises(FeedProblem, match="declares entities"):
            parse(doc.encode(), server.url("/feed.xml"))
    assert server.log == []


@pytest.mark.parametrize("separator", ["\n", ""], ids=["own-line", "same-line"])
def test_an_external_dtd_is_never_fetched(server: FeedServer, separator: str) -> None:
    """RSS 0.91's DOCTYPE names a DTD by URL; reading the feed must not ask for it (the fetch
    would pass by the SSRF guard). On its own line feedparser drops it; on the declaration's
    line it reaches the XML parser, whose external entities are off."""
    doc = (f'<?xml version="1.0"?>{separator}<!DOCTYPE rss PUBLIC "-//Netscape Communications//'
           f'DTD RSS 0.91//EN" "{server.url("/rss-0.91.dtd")}">\n<rss version="0.91"><channel>'
           "<title>Old</title><item><title>One</title><link>https://o.example/1</link></item>"
           "</channel></rss>")
    server.put("/feed.xml", doc.encode(), "application/rss+xml")
    server.put("/rss-0.91.dtd", b'<!ENTITY nbsp "&#160;">', "application/xml-dtd")
    feed = parse(fetch(server.url("/feed.xml")).body, server.url("/feed.xml"))
    assert [e.title for e in feed.entries] == ["One"]
    assert [s.path for s in server.log] == ["/feed.xml"]


def test_a_feed_larger_than_the_limit_is_refused(server: FeedServer) -> None:
    item = b"<item><title>Filler</title><link>https://b.example/</link></item>\n"
    body = (b'<rss version="2.0"><channel><title>Huge</title>'
            + item * (MAX_BYTES // len(item) + 10) + b"</channel></rss>")
    assert len(body) > MAX_BYTES
    server.put("/huge.xml", body)
    with pytest.raises(FetchProblem, match="larger than 5 MB"):
        fetch(server.url("/huge.xml"))
    server.put("/fits.xml", body[: MAX_BYTES // 2].rsplit(b"<item>", 1)[0]
               + b"</channel></rss>")
    assert len(parse(fetch(server.url("/fits.xml")).body, "https://b.example/").entries) == 200


def _first_line_and_prolog(doc: bytes) -> tuple[bytes, bytes]:
    converted = feeds._as_utf8(doc)
    first = converted.split(b"\n", 1)[0]
    start = re.search(rb"<\w", converted)
    return first, converted[: start.start() if start else len(converted)]


@pytest.mark.parametrize("doc", [
    b'<?xml encoding="a"' + b'"' * 200_000,
    b"<?xml version='1.0'?><rss>" + b'encoding="x"' * 20_000,
    b"<?xml version='1.0'?>" + b"\n" * 200_000 + b"<rss/>",
    b"\n \n" * 100_000 + b"<!DOCTYPE rss>" + b"\n" * 100_000 + b"<rss/>",
])
def test_feedparser_sniffers_see_a_short_first_line_and_one_line_prolog(doc: bytes) -> None:
    """feedparser matches `^<\\?.*encoding=['"](.*?)['"].*\\?>` against the first line, which
    backtracks quadratically over a long one (100 kB took 9 s; 5 MB would take hours), and
    `^\\s*<!DOCTYPE` at every line start of the prolog (quadratic over blank lines). What it is
    given has a first line of our own declaration and a prolog without line breaks, whatever
    the feed sent."""
    first, prolog = _first_line_and_prolog(doc)
    assert first == b'<?xml version="1.0" encoding="utf-8"?>'
    assert prolog.count(b"\n") == 1  # the one ending our declaration
    if doc.endswith(b"<rss/>"):
        assert parse(doc, "https://x.example/").entries == ()
    else:
        with pytest.raises(FeedProblem, match="not well-formed"):
            parse(doc, "https://x.example/")


@pytest.mark.parametrize(("doc", "title"), [
    ('<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>Grüße'
     "</title></channel></rss>".encode("utf-16"), "Grüße"),
    ('<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>Grüße'
     "</title></channel></rss>".encode("utf-16-le"), "Grüße"),
    ('<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel><title>€5'
     "</title></channel></rss>".encode("windows-1252"), "€5"),
    (b'<?xml version="1.0" encoding="punycode"?><rss version="2.0"><channel><title>plain'
     b"</title></channel></rss>", "plain"),
    ("<rss version='2.0'><channel><title>caf\u00e9</title></channel></rss>".encode("latin-1"),
     "caf\u00e9"),
])
def test_encodings_are_read_before_the_checks(doc: bytes, title: str) -> None:
    assert parse(doc, "https://x.example/").title == title
