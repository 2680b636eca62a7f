"""The catch-up as an Atom 1.0 document (RFC 4287): one entry per item the page lists, priority
items first, then the most engaged.

Every text goes through XML escaping, and characters XML 1.0 cannot hold are dropped. An
entry's content is the item's HTML as the hub stored it (sanitized by nh3 at ingest) as
`type="html"`, with a line saying why it is here. Direct messages are left out (the subtitle
counts them): whoever holds the token, a feed reader's service too, reads this feed. Ids are
`urn:uuid:` names derived from the hub's item id, so they stay the same from one fetch to the
next. The document holds no clock: the same items give the same bytes, which makes the ETag a
hash of the body."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from io import StringIO
from xml.sax.xmlreader import AttributesImpl

from django.utils.html import escape
from django.utils.xmlutils import SimplerXMLGenerator

from hubbub.catchup.selectors import CatchUp, ColumnCount, Found
from hubbub.inbox.selectors import is_direct
from hubbub.timeline.models import Column

ATOM_NS = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 100
TITLE_CHARS = 80
_NAMESPACE = uuid.UUID("6f1d2c8e-5a8b-4f7e-9d51-2c3f0b7e4a10")  # hubbub's catch-up feeds
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: object) -> str:
    return _NOT_XML.sub("", text if isinstance(text, str) else str(text or ""))


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def entry_id(user_id: int, item_id: int) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'item:{user_id}:{item_id}')}"


def title_of(found: Found) -> str:
    item = found.item
    who = item.author_name or item.author_handle or "Someone"
    words = " ".join((item.content_warning or item.text or "").split())
    if len(words) > TITLE_CHARS:
        words = words[:TITLE_CHARS - 1].rstrip() + "…"
    return f"{who}: {words}" if words else f"{who} ({item.network})"


def named(column: Column) -> str:
    """A column with its accounts and deck (selectors.columns_of gives `.label`)."""
    return str(getattr(column, "label", "") or column.title)


def why(found: Found) -> str:
    """The line under an entry: priority or engagement, and the column it shows in."""
    parts = ["Priority" if found.priority else "Much engagement"]
    parts.extend(found.count_words)
    parts.append(f"in the column “{named(found.column)}”")
    return " · ".join(parts)


def summary(columns: list[ColumnCount]) -> str:
    got = [f"{named(c.column)}: {c.count:,}{'+' if c.more else ''}" for c in columns if c.count]
    return "; ".join(got) if got else "Nothing new in your columns."


def left_out(count: int) -> str:
    """The subtitle's words for the direct messages the feed does not carry."""
    if not count:
        return ""
    what = "1 direct message" if count == 1 else f"{count:,} direct messages"
    return f" ({what} left out of this feed: read {'it' if count == 1 else 'them'} in the hub)"


def render(catch: CatchUp, *, user_id: int, self_url: str, page_url: str,
           column_url: dict[int, str]) -> tuple[bytes, datetime]:
    """The document, and the moment it was last changed (its `updated`)."""
    # A direct message is private: a feed reader (often a third party's service) fetches this
    # document with the token alone, so it carries no direct message, not even its sender.
    listed = catch.found[:MAX_ENTRIES]
    found = [f for f in listed if not is_direct(f.item)]
    updated = max([catch.since, *(f.item.created_at for f in found)])
    out = StringIO()
    xml = SimplerXMLGenerator(out, "utf-8", short_empty_elements=True)
    xml.startDocument()
    xml.startElement("feed", AttributesImpl({"xmlns": ATOM_NS}))
    xml.addQuickElement("title", "hubbub catch-up")
    xml.addQuickElement("subtitle", clean(f"Since {_stamp(catch.since)}: {summary(catch.columns)}"
                                           f"{left_out(len(listed) - len(found))}"))
    xml.addQuickElement("id", f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'feed:{user_id}')}")
    xml.addQuickElement("updated", _stamp(updated))
    xml.addQuickElement("link", None, {"rel": "self", "type": "application/atom+xml",
                                       "href": clean(self_url)})
    xml.addQuickElement("link", None, {"rel": "alternate", "type": "text/html",
                                       "href": clean(page_url)})
    xml.addQuickElement("generator", "hubbub")
    for entry in found:
        item = entry.item
        xml.startElement("entry", AttributesImpl({}))
        xml.addQuickElement("id", entry_id(user_id, item.pk))
        xml.addQuickElement("title", clean(title_of(entry)))
        xml.addQuickElement("updated", _stamp(item.created_at))
        xml.addQuickElement("published", _stamp(item.created_at))
        xml.startElement("author", AttributesImpl({}))
        xml.addQuickElement("name", clean(item.author_name or item.author_handle or "unknown"))
        if item.author_url:
            xml.addQuickElement("uri", clean(item.author_url))
        xml.endElement("author")
        here = column_url[entry.column.pk]
        xml.addQuickElement("link", None, {"rel": "alternate", "type": "text/html",
                                           "href": clean(item.url or here)})
        xml.addQuickElement("link", None, {"rel": "related", "type": "text/html",
                                           "href": clean(here),
                                           "title": clean(named(entry.column))})
        xml.addQuickElement("category", None, {"term": clean(item.network)})
        if entry.priority:
            xml.addQuickElement("category", None, {"term": "priority"})
        html = item.html or f"<p>{escape(item.text)}</p>"
        if item.content_warning:
            html = f"<p><strong>{escape(item.content_warning)}</strong></p>{html}"
        html += f"<p><em>{escape(why(entry))}</em></p>"
        xml.addQuickElement("content", clean(html), {"type": "html"})
        xml.endElement("entry")
    xml.endElement("feed")
    xml.endDocument()
    return out.getvalue().encode("utf-8"), updated
