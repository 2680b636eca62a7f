"""Refuse request bodies larger than the hub accepts, before Django reads them."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class BodySizeLimit:
    """Django caps form fields but streams file uploads to disk whatever their size; a body
    announced larger than HUBBUB_MAX_REQUEST_BYTES is refused with 413 before it is read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length.", status=400, content_type="text/plain")
        limit = int(settings.HUBBUB_MAX_REQUEST_BYTES)
        if length > limit:
            megabytes = limit // (1024 * 1024)
            return HttpResponse(
                f"That upload is too large: at most {megabytes} MB at a time.",
                status=413, content_type="text/plain")
        return self.get_response(request)
