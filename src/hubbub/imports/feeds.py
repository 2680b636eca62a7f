"""RSS (0.9x, 1.0, 2.0) and Atom documents read into plain entries. No database, no network.

Read with feedparser, which takes what real feeds send (`&nbsp;` and other HTML entities, a bare
`&`, RSS 0.91's DOCTYPE) where a strict XML parser refuses the whole feed. feedparser expands
entities a document declares itself, though (in its strict and its loose parser), so a feed that
declares any (`<!ENTITY`: "billion laughs", external entities) is refused before it is parsed.
External DTDs are never fetched: feedparser drops the DOCTYPE or parses with external entities
off; a test holds it to that.
"""

from __future__ import annotations

import calendar
import codecs
import hashlib
import io
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

MAX_ENTRIES = 200  # the first ones in the document: feeds list their newest first
SUMMARY_MAX = 500
_SPACE = re.compile(r"\s+")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.:-]{0,60})")


class FeedProblem(ValueError):
    """The document is not a feed we can read; the message says why."""


@dataclass(frozen=True)
class Entry:
    entry_id: str
    title: str
    link: str
    summary: str
    author: str
    published: datetime | None

    @property
    def key(self) -> str:
        return hashlib.sha256(self.entry_id.encode()).hexdigest()


@dataclass(frozen=True)
class Feed:
    title: str
    site_url: str
    entries: tuple[Entry, ...]  # oldest first


# --- text ------------------------------------------------------------------------------------

_BLOCKS = frozenset({"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                     "blockquote", "pre", "tr", "table", "section", "article", "figure"})


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """Text a person would read in this HTML (tags dropped, entities decoded), on one line."""
    if "<" not in html and "&" not in html:
        return _SPACE.sub(" ", html).strip()
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return _SPACE.sub(" ", "".join(parser.parts)).strip()


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def _http_link(href: str, base: str) -> str:
    href = href.strip()
    if not href:
        return ""
    absolute = urljoin(base, href)
    return absolute if urlsplit(absolute).scheme in ("http", "https") else ""


def _date(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's dates are UTC struct_times; one out of datetime's range is no date."""
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _text(detail: Any, fallback: str = "") -> str:
    """A text construct as plain text: HTML ones through plain_text, plain ones as they are
    (feedparser has decoded their entities already; decoding again would eat a literal
    "&amp;")."""
    if not detail:
        return fallback
    value = str(detail.get("value") or "")
    return plain_text(value) if "html" in str(detail.get("type") or "") else _one_line(value)


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


# --- documents -------------------------------------------------------------------------------


_BOMS = ((codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_BE, "utf-16-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"))
# "<?" written in an encoding that is not ASCII's superset, for documents without a BOM.
_SNIFFED = ((b"\x00\x00\x00\x3c", "utf-32-be"), (b"\x3c\x00\x00\x00", "utf-32-le"),
            (b"\x00\x3c\x00\x3f", "utf-16-be"), (b"\x3c\x00\x3f\x00", "utf-16-le"),
            (b"\x4c\x6f\xa7\x94", "cp037"))
_DECLARED = re.compile(r"""\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_DECLARATION = re.compile(r"\s*<\?xml[^>]{0,1000}>")
_SLOW_CODECS = frozenset({"punycode", "idna"})  # quadratic in the length of what they decode
_OUR_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
_FIRST_ELEMENT = re.compile(rb"<\w")
_WHITESPACE = re.compile(rb"\s+")


def _encoding_of(data: bytes) -> tuple[str, bytes]:
    """The encoding the document says it has (a BOM, or its declaration), and its bytes
    without the BOM."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, data[len(bom):]
    sniffed = next((name for marker, name in _SNIFFED if data.startswith(marker)), "")
    head = data[:800].decode(sniffed or "latin-1", "replace")
    declared = _DECLARED.match(head)
    if sniffed and not (declared and declared.group(1).lower().startswith(("cp", "ebcdic"))):
        return sniffed, data  # UTF-16 without a BOM says "utf-16": the sniffed order is it
    if declared:
        try:
            name = codecs.lookup(declared.group(1)).name
        except LookupError:
            return "utf-8", data
        return ("utf-8" if name in _SLOW_CODECS else name), data
    return "utf-8", data


def _as_utf8(data: bytes) -> bytes:
    """The document in UTF-8 under a one-line declaration of our own, its prolog's white space
    folded. What feedparser then finds with its regular expressions is found in linear time:
    its encoding sniffer (`^<\\?.*encoding=...(.*?)...\\?>`) backtracks over the whole first
    line, and its DOCTYPE and ENTITY finders try `^\\s*` at every line start of the prolog.
    100 kB of either took 9 s and 107 s, quadratic: the 5 MB a fetch allows would take hours."""
    encoding, body = _encoding_of(data)
    for candidate in (encoding, "utf-8", "windows-1252"):
        try:
            text = body.decode(candidate)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    else:
        text = body.decode("latin-1")
    declaration = _DECLARATION.match(text)
    if declaration:
        text = text[declaration.end():]
    encoded = text.encode("utf-8", "replace")
    first = _FIRST_ELEMENT.search(encoded)
    cut = first.start() if first else len(encoded)
    return _OUR_DECLARATION + _WHITESPACE.sub(b" ", encoded[:cut]).lstrip() + encoded[cut:]


def _refuse_entities(data: bytes) -> bytes:
    """The document as feedparser's parsers will read it (UTF-8), refused if it declares an
    entity: in any encoding (UTF-16, UTF-7, EBCDIC are decoded first), and anywhere in the
    document, because feedparser takes declarations from places a stricter reading would call
    a comment."""
    converted = _as_utf8(data)
    if _ENTITY_DECLARATION.search(converted) or _ENTITY_DECLARATION.search(data):
        raise FeedProblem("The feed declares entities in its DTD (<!ENTITY ...>), which could "
                          "expand without bound or read local files; it is refused for safety.")
    return converted


def parse(data: bytes, url: str) -> Feed:
    if not data.strip():
        raise FeedProblem("The feed is not well-formed XML (the document is empty).")
    converted = _refuse_entities(data)
    # Bytes, never a str: feedparser would take a str for a URL or a path and open it.
    result = feedparser.parse(io.BytesIO(converted), resolve_relative_uris=False,
                              sanitize_html=True)
    channel = result.get("feed") or {}
    entries = result.get("entries") or []
    if not result.get("version"):
        first = _FIRST_TAG.search(converted[:4096])
        if result.get("bozo") and not entries:
            raise FeedProblem(f"The feed is not well-formed XML ({_why(result)}).")
        start = f" (it starts with <{first.group(1).decode('ascii')}>)" if first else ""
        raise FeedProblem(f"This is XML, but not an RSS or Atom feed{start}.")
    if result.get("bozo") and not entries and not channel.get("title"):
        raise FeedProblem(f"The feed is not well-formed XML ({_why(result)}).")
    site = _http_link(str(channel.get("link") or ""), url)
    atom = str(result.get("version")).startswith("atom")
    feed_author = str(channel.get("author") or "") if atom else ""
    read = [_entry_of(item, site or url, feed_author) for item in entries[:MAX_ENTRIES]]
    return Feed(_text(channel.get("title_detail"))[:300], site, _ordered(read))


def _why(result: Any) -> str:
    problem = result.get("bozo_exception")
    if problem is None:
        return "nothing in it could be read as a feed"
    line = getattr(problem, "getLineNumber", None)
    message = problem.getMessage() if hasattr(problem, "getMessage") else str(problem)
    return f"{message}, line {line()}" if callable(line) else str(message)


def _entry_of(item: Any, base: str, feed_author: str) -> Entry:
    entry_id = str(item.get("id") or "")
    link = str(item.get("link") or "")
    if link == entry_id and urlsplit(link).scheme not in ("http", "https"):
        link = ""  # an RSS guid that is no URL, taken for the permalink because it did not say
    summary = item.get("summary_detail")
    if not summary and item.get("content"):
        summary = item["content"][0]
    # Read as a plain dict: FeedParserDict answers a missing "updated" with "published", warning.
    published = _date(dict.get(item, "published_parsed") or dict.get(item, "updated_parsed"))
    author = item.get("author_detail") or {}
    return _entry(entry_id, _text(item.get("title_detail")),
                  _http_link(link, base), _text(summary),
                  _one_line(str(author.get("name") or item.get("author") or feed_author)),
                  published)


def _ordered(entries: list[Entry]) -> tuple[Entry, ...]:
    """Oldest first: by date when every entry has one, else (and among equal dates) the
    document's order reversed, as feeds list their newest first."""
    backwards = list(reversed(entries))
    if backwards and all(e.published for e in backwards):
        backwards.sort(key=lambda e: e.published or datetime.min.replace(tzinfo=UTC))
    return tuple(backwards)


def _entry(raw_id: str, title: str, link: str, summary: str, author: str,
           published: datetime | None) -> Entry:
    entry_id = raw_id.strip() or link or hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
    return Entry(entry_id=entry_id[:1000], title=title[:500], link=link[:2000],
                 summary=shorten(summary, SUMMARY_MAX), author=author, published=published)


# --- finding the feed of a web page ----------------------------------------------------------

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+xml")


class _Alternates(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {k: (v or "") for k, v in attrs}
        rels = values.get("rel", "").lower().split()
        if "alternate" in rels and values.get("type", "").lower() in _FEED_TYPES:
            self.found.append(values.get("href", ""))


def looks_like_html(data: bytes, content_type: str) -> bool:
    head = data[:512].lstrip().lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html"))


def discover(data: bytes, url: str) -> str:
    """The first feed a web page links to (<link rel="alternate" type="application/rss+xml">),
    or "" when it names none."""
    parser = _Alternates()
    parser.feed(data[:1_000_000].decode("utf-8", "replace"))
    for href in parser.found:
        link = _http_link(href, url)
        if link:
            return link
    return ""
