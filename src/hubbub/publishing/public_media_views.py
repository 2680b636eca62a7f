"""GET /public/media/<token>/<name>: an image a network fetches (core/public_media.py).

No login: Meta's servers carry no session. Everything else says no: a token that is not the
hub's, expired, or names a file that is gone all answer the same 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.http import require_safe

from hubbub.core.public_media import resolve


@login_not_required
@require_safe
def public_media(request: HttpRequest, token: str, name: str) -> HttpResponseBase:
    found = resolve(token)
    if found is None:
        response: HttpResponseBase = HttpResponse(
            "No such file, or its address has expired.", status=404,
            content_type="text/plain; charset=utf-8")
    else:
        response = FileResponse(found.path.open("rb"), content_type=found.mime_type)
        response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
