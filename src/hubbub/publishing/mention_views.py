"""The composer's mention suggestions: GET compose/mentions/?q=<typed> answers the options
(people first, then known accounts) that the page's script shows as a listbox under the text
as the person types "@"; `network=<slug>` (the inbox's answer boxes) for text that goes to
that network alone. Only the signed-in person's people and items are read."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from hubbub.accounts.web import AuthedRequest, page
from hubbub.publishing.mentions import suggestions


@require_GET
def mention_options(request: AuthedRequest) -> HttpResponse:
    typed = request.GET.get("q", "")
    typed = typed[:200] if isinstance(typed, str) else ""
    network = request.GET.get("network", "")
    if not isinstance(network, str) or not network.isascii() or not network.isalnum():
        network = ""  # a slug or nothing: anything else asks for every network
    return page(request, "publishing/_mention_options.html",
                {"options": suggestions(request.user.pk, typed, network[:32])})
