"""Reading feed documents: RSS 2.0, RSS 1.0, Atom; text from HTML; safe links; ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hubbub.imports.feeds import FeedProblem, discover, parse, plain_text

RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel rdf:about="https://old.example/"><title>Old School</title><link>https://old.example/</link></channel>
 <item rdf:about="https://old.example/2"><title>Two</title><link>https://old.example/2</link>
  <dc:date>2026-11-02T10:00:00+01:00</dc:date><dc:creator>Ann</dc:creator></item>
 <item rdf:about="https://old.example/1"><title>One</title><link>https://old.example/1</link>
  <dc:date>2026-11-01T10:00:00Z</dc:date></item>
</rdf:RDF>"""


def test_rss1() -> None:
    feed = parse(RSS1, "https://old.example/index.rdf")
    assert feed.title == "Old School"
    assert [e.title for e in feed.entries] == ["One", "Two"]
    assert feed.entries[1].author == "Ann"
    assert feed.entries[1].published == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_rss_text_links_and_ids() -> None:
    doc = b"""<rss version="2.0"><channel><title>T &amp; co</title><link>https://s.example/</link>
    <item><title>Caf&#233; &lt;b&gt;bold&lt;/b&gt;</title><link>/relative/1</link>
      <description>&lt;p&gt;Hello&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;
        &lt;p&gt;world &amp;amp; all&lt;/p&gt;</description>
      <pubDate>Tue, 03 Nov 2026 10:00:00 +0100</pubDate></item>
    <item><title>Bad link</title><link>javascript:alert(1)</link><guid>g-2</guid>
      <pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>
    <item><title>No id or link</title><description>text</description>
      <pubDate>not a date</pubDate></item>
    </channel></rss>"""
    feed = parse(doc, "https://s.example/feed")
    assert feed.title == "T & co"
    newest = next(e for e in feed.entries if e.title.startswith("Caf"))
    assert newest.title == "Café bold"
    assert newest.link == "https://s.example/relative/1"
    assert newest.entry_id == "https://s.example/relative/1"  # no guid: the link
    assert newest.summary == "Hello world & all"
    assert newest.published == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    bad = next(e for e in feed.entries if e.title == "Bad link")
    assert bad.link == ""
    assert bad.entry_id == "g-2"
    anonymous = next(e for e in feed.entries if e.title == "No id or link")
    assert len(anonymous.entry_id) == 64
    assert anonymous.published is None
    # Not every entry has a date: document order, reversed (oldest first).
    assert [e.title for e in feed.entries][-1] == "Café bold"


def test_summary_is_plain_and_trimmed() -> None:
    long = "<p>" + "word " * 300 + "</p>"
    doc = f"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
      <entry><id>1</id><title>x</title><content type="html">{long.replace("<", "&lt;")}</content>
      </entry></feed>""".encode()
    entry = parse(doc, "https://a.example/").entries[0]
    assert len(entry.summary) <= 500
    assert entry.summary.endswith("…")
    assert "<" not in entry.summary


def test_plain_text() -> None:
    assert plain_text("a<br>b<li>c</li>") == "a b c"
    assert plain_text("<style>p{}</style>x &lt;3") == "x <3"
    assert plain_text("1 < 2 and 3 > 2") == "1 < 2 and 3 > 2"


@pytest.mark.parametrize("doc", [
    b"<!DOCTYPE rss><rss/>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><rss/>',
])
def test_no_dtd_at_all(doc: bytes) -> None:
    with pytest.raises(FeedProblem, match="DTD"):
        parse(doc, "https://x.example/")


def test_discover() -> None:
    page = (b'<html><head><link rel="stylesheet" href="/s.css">'
            b'<link rel="alternate" type="application/atom+xml" href="feed.atom">'
            b'<link rel="alternate" type="application/rss+xml" href="/rss"></head></html>')
    assert discover(page, "https://b.example/blog/") == "https://b.example/blog/feed.atom"
    assert discover(b"<html></html>", "https://b.example/") == ""
