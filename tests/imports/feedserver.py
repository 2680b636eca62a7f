"""A feed server on loopback for the tests: documents that change over time, ETag and
Last-Modified answered with 304, and failures on demand. Every request is logged."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class FeedServer:
    documents: dict[str, tuple[bytes, str, datetime]] = field(default_factory=dict)
    failures: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)
    log: list[Seen] = field(default_factory=list)
    conditional: bool = True  # answer If-None-Match / If-Modified-Since with 304

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> None:
        # Last-Modified moves on with every change (HTTP dates have one-second resolution).
        previous = self.documents.get(path)
        stamp = datetime.now(UTC).replace(microsecond=0)
        if previous and stamp <= previous[2]:
            stamp = previous[2] + timedelta(seconds=1)
        self.documents[path] = (body, content_type, stamp)

    def requests_for(self, path: str) -> list[Seen]:
        return [s for s in self.log if s.path == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        headers = {k.lower(): v for k, v in handler.headers.items()}
        if path in self.failures:
            status, extra = self.failures[path]
            self.log.append(Seen(path, headers, status))
            handler.send_response(status)
            for key, value in extra.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if path not in self.documents:
            self.log.append(Seen(path, headers, 404))
            handler.send_error(404)
            return
        body, content_type, modified = self.documents[path]
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        last_modified = format_datetime(modified, usegmt=True)
        if self.conditional and (headers.get("if-none-match") == etag or (
                "if-none-match" not in headers
                and headers.get("if-modified-since") == last_modified)):
            self.log.append(Seen(path, headers, 304))
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.end_headers()
            return
        self.log.append(Seen(path, headers, 200))
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("ETag", etag)
        handler.send_header("Last-Modified", last_modified)
        handler.end_headers()
        handler.wfile.write(body)


@dataclass(frozen=True)
class Item:
    guid: str
    title: str
    link: str
    summary: str = ""
    author: str = ""
    published: datetime | None = None


def rss(items: list[Item], title: str = "The Example Blog") -> bytes:
    """An RSS 2.0 document, items in the order given (newest first, as feeds do)."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
             f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>{escape(title)}'
             f"</title><link>https://blog.example/</link><description>Posts</description>"]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.title)}</title><link>{escape(item.link)}</link>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.summary:
            parts.append(f"<description>{escape(item.summary)}</description>")
        if item.author:
            parts.append(f"<dc:creator>{escape(item.author)}</dc:creator>")
        if item.published:
            parts.append(f"<pubDate>{format_datetime(item.published)}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def atom(items: list[Item], title: str = "Atom Example") -> bytes:
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
             f'<title>{escape(title)}</title><link href="https://atom.example/"/>'
             "<id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>"
             "<updated>2026-11-01T00:00:00Z</updated><author><name>Feed Author</name></author>"]
    now = datetime.now(UTC).replace(microsecond=0)
    for index, item in enumerate(items):
        published = (item.published or now - timedelta(minutes=index)).isoformat()
        parts.append(f'<entry><title type="html">{escape(item.title)}</title>'
                     f'<link rel="alternate" type="text/html" href="{escape(item.link)}"/>'
                     f"<id>{escape(item.guid)}</id><updated>{published}</updated>")
        if item.summary:
            parts.append(f'<summary type="html">{escape(item.summary)}</summary>')
        if item.author:
            parts.append(f"<author><name>{escape(item.author)}</name></author>")
        parts.append("</entry>")
    parts.append("</feed>")
    return "".join(parts).encode()
