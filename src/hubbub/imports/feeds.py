"""RSS 2.0, RSS 1.0 and Atom documents read into plain entries. No database, no network.

Parsed with defusedxml and no DTD allowed at all: a feed has no business declaring entities,
so "billion laughs" and external entities are refused before they can expand.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
MAX_ENTRIES = 200  # the first ones in the document: feeds list their newest first
SUMMARY_MAX = 500
_SPACE = re.compile(r"\s+")


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


def _text(element: Element | None) -> str:
    if element is None:
        return ""
    return "".join(element.itertext())


def _http_link(href: str, base: str) -> str:
    href = href.strip()
    if not href:
        return ""
    absolute = urljoin(base, href)
    return absolute if urlsplit(absolute).scheme in ("http", "https") else ""


def _date(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


# --- documents -------------------------------------------------------------------------------


def parse(data: bytes, url: str) -> Feed:
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise FeedProblem("The feed declares a DTD or entities; it is refused for safety."
                          ) from None
    except ParseError as exc:
        raise FeedProblem(f"The feed is not well-formed XML ({exc}).") from None
    if root.tag == "rss":
        return _rss(root, url)
    if root.tag == f"{ATOM}feed":
        return _atom(root, url)
    if root.tag.endswith("RDF"):
        return _rss1(root, url)
    raise FeedProblem(f"This is XML, but not an RSS or Atom feed (it starts with <{root.tag}>).")


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
    return Entry(entry_id=entry_id[:1000], title=plain_text(title)[:500], link=link[:2000],
                 summary=shorten(plain_text(summary), SUMMARY_MAX), author=plain_text(author),
                 published=published)


def _rss(root: Element, url: str) -> Feed:
    channel = root.find("channel")
    if channel is None:
        raise FeedProblem("The RSS feed has no <channel>.")
    site = _http_link(_text(channel.find("link")), url)
    entries = []
    for item in channel.findall("item")[:MAX_ENTRIES]:
        link = _http_link(_text(item.find("link")), site or url)
        summary = _text(item.find("description")) or _text(item.find(f"{CONTENT}encoded"))
        author = _text(item.find(f"{DC}creator")) or _text(item.find("author"))
        published = _date(_text(item.find("pubDate")) or _text(item.find(f"{DC}date")))
        entries.append(_entry(_text(item.find("guid")), _text(item.find("title")), link, summary,
                              author, published))
    return Feed(plain_text(_text(channel.find("title")))[:300], site, _ordered(entries))


def _rss1(root: Element, url: str) -> Feed:
    channel = root.find(f"{RSS1}channel")
    site = _http_link(_text(channel.find(f"{RSS1}link")) if channel is not None else "", url)
    entries = []
    for item in root.findall(f"{RSS1}item")[:MAX_ENTRIES]:
        link = _http_link(_text(item.find(f"{RSS1}link")), site or url)
        about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about", "")
        entries.append(_entry(about or link, _text(item.find(f"{RSS1}title")), link,
                              _text(item.find(f"{RSS1}description")),
                              _text(item.find(f"{DC}creator")),
                              _date(_text(item.find(f"{DC}date")))))
    title = _text(channel.find(f"{RSS1}title")) if channel is not None else ""
    return Feed(plain_text(title)[:300], site, _ordered(entries))


def _atom_link(element: Element, base: str) -> str:
    best = ""
    for link in element.findall(f"{ATOM}link"):
        rel = link.get("rel", "alternate")
        href = _http_link(link.get("href", ""), base)
        if rel == "alternate" and href and (not best or link.get("type", "") == "text/html"):
            best = href
    return best


def _atom(root: Element, url: str) -> Feed:
    site = _atom_link(root, url)
    entries = []
    for item in root.findall(f"{ATOM}entry")[:MAX_ENTRIES]:
        link = _atom_link(item, site or url)
        summary = _text(item.find(f"{ATOM}summary")) or _text(item.find(f"{ATOM}content"))
        author = _text(item.find(f"{ATOM}author/{ATOM}name")) or _text(
            root.find(f"{ATOM}author/{ATOM}name"))
        published = _date(_text(item.find(f"{ATOM}published")) or _text(
            item.find(f"{ATOM}updated")))
        entries.append(_entry(_text(item.find(f"{ATOM}id")), _text(item.find(f"{ATOM}title")),
                              link, summary, author, published))
    return Feed(plain_text(_text(root.find(f"{ATOM}title")))[:300], site, _ordered(entries))


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
