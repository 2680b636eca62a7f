"""Import mutes and filters from a connected account into Rules (listening/imported.py): a POST
from the Rules page, for one of the person's own Mastodon, Bluesky or Nostr connections (another
person's, or a disconnected one, is a 404); the answer lists what was imported and skipped, or
the network's sentence when reading failed, and then nothing changed."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_POST

from hubbub.accounts.web import AuthedRequest, page
from hubbub.connections.models import Connection
from hubbub.connections.services import active_connections
from hubbub.core.ids import parse_id
from hubbub.listening import imported
from hubbub.listening.conditions import Invalid
from hubbub.networks.errors import ConnectorError


def importable(request: AuthedRequest) -> list[Connection]:
    """The person's connections whose mutes can be imported, for the Rules page's form."""
    return list(active_connections(request.user).filter(network__in=imported.NETWORKS)
                .order_by("network", "handle"))


@require_POST
def import_mutes(request: AuthedRequest, pk: int) -> HttpResponse:
    if parse_id(pk) is None:
        raise Http404
    connection = active_connections(request.user).filter(
        pk=pk, network__in=imported.NETWORKS).first()
    if connection is None:
        raise Http404
    context: dict[str, object] = {"connection": connection}
    status = 200
    try:
        context["report"] = imported.import_mutes(request.user, connection)
    except ConnectorError as exc:
        # The page itself answers: the network's own sentence, nothing changed. Not a 5xx, which
        # would read as the hub failing (and which no input may cause: tests/security).
        context["error"] = exc.message or str(exc)
    except Invalid as exc:
        context["error"] = str(exc)
        status = 400
    return page(request, "listening/imported.html", context, section="rules", status=status)
