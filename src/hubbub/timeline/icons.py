"""The deck's icon sprite (templatetags/deck_ui.py draws each icon as a reference into it).

Public and constant: no session is read, and the address carries the sprite's hash, so a
browser keeps it for a year and fetches it again only when the icons change."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from hubbub.timeline.templatetags.deck_ui import icon_sprite, sprite_version

YEAR = 365 * 24 * 3600


@login_not_required
@require_safe
def sprite(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(icon_sprite(), content_type="image/svg+xml")
    if request.GET.get("v") == sprite_version():
        response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:  # an old page's address: this answer is not what it named, keep it briefly
        response["Cache-Control"] = "public, max-age=60"
    response["ETag"] = f'"{sprite_version()}"'
    return response
