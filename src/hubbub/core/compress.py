"""Pages, fragments and JSON leave compressed when the browser accepts it (Django's
GZipMiddleware, which pads each answer with random bytes against BREACH-style guessing of the
CSRF token). Not compressed: streams (the deck's live events must leave as they happen),
answers already compressed (pictures, video) and small ones. A reverse proxy that compresses
leaves these answers as they are (they carry Content-Encoding already)."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware

COMPRESSED_TYPES = frozenset({
    "text/html", "application/json", "text/plain", "text/csv", "text/calendar",
    "application/atom+xml", "application/xml", "image/svg+xml",
})


class CompressPages(GZipMiddleware):
    def process_response(self, request: HttpRequest,
                         response: HttpResponseBase) -> HttpResponseBase:
        kind = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if response.streaming or kind not in COMPRESSED_TYPES:
            return response
        return super().process_response(request, response)
