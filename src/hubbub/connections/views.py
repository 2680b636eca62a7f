"""Connections pages: the list, the connect flow (begin -> network -> callback), disconnect."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from hubbub.accounts.web import AuthedRequest, page
from hubbub.connections import services
from hubbub.connections.choose_views import offer
from hubbub.connections.disconnect import disconnect as disconnect_account
from hubbub.connections.forms import CredentialsForm, ServerForm
from hubbub.connections.models import Connection, Health
from hubbub.connections.network_apps import OPERATOR_APP_NETWORKS, app_status
from hubbub.core import crypto
from hubbub.networks import registry
from hubbub.networks.base import Connector
from hubbub.networks.errors import ConnectorError, RateLimited, Transient
from hubbub.networks.registry import UnknownNetwork, get_connector, network_choices
from hubbub.publishing.services import EDITABLE_STATES

log = logging.getLogger(__name__)

PENDING_KEY = "hubbub_auth_pending"  # session: state -> {network, data, at}
# session: notices to show once (a secret key the hub made), Fernet-encrypted, removed when
# shown. Never a flash message: those travel in a signed (readable) cookie.
SHOW_ONCE_KEY = "hubbub_show_once"
PENDING_MAX = 5
PENDING_TTL_SECONDS = 30 * 60
STATE_MISMATCH = (
    "This sign-in link has expired or was not started here (state mismatch). "
    "Start connecting again from this page."
)


@dataclass(frozen=True)
class ConnectionRow:
    connection: Connection
    health: str  # ok, needs_reconnect, rate_limited
    until: datetime | None
    # The login ends then and only the person can renew it (shown two weeks ahead).
    reconnect_by: datetime | None = None
    login_ended: bool = False
    notes: tuple[str, ...] = ()  # the connector's own (Connector.account_notes)


def _row(connection: Connection, now: datetime) -> ConnectionRow:
    by = connection.reconnect_by(now)
    ended = by is not None and by <= now
    notes = _notes(connection)
    if connection.health == Health.NEEDS_RECONNECT:
        return ConnectionRow(connection, "needs_reconnect", None, by, ended, notes)
    until = connection.rate_limited_until
    if connection.health == Health.RATE_LIMITED and until is not None and until > now:
        return ConnectionRow(connection, "rate_limited", until, by, ended, notes)
    return ConnectionRow(connection, "ok", None, by, ended, notes)


def _notes(connection: Connection) -> tuple[str, ...]:
    """What the connector says about the account; a failure costs the notes, not the page."""
    try:
        return tuple(get_connector(connection.network).account_notes(
            services.account_for(connection)))
    except Exception:
        log.exception("notes for connection %s failed", connection.pk)
        return ()


def _connector(network: str) -> Connector:
    try:
        return get_connector(network)
    except UnknownNetwork:
        raise Http404(f"No network called {network!r}") from None


def explain(exc: ConnectorError | ValueError) -> str:
    """One clear sentence for a failed connect. Connectors write their messages for people,
    so most are shown as they are; passing trouble gets a hint that trying again may help."""
    if isinstance(exc, ValueError):
        return f"That address does not look right: {exc}"
    if isinstance(exc, RateLimited):
        when = timezone.localtime(exc.retry_at).strftime("%H:%M")
        return f"{exc.message.rstrip('.')}. The server asks us to wait; try again after {when}."
    if isinstance(exc, Transient):
        return f"{exc.message.rstrip('.')}. Try again in a moment."
    return exc.message


def _show_once(request: AuthedRequest, notice: str) -> None:
    """Keep a notice for the next connections page, server-side and encrypted."""
    waiting = request.session.get(SHOW_ONCE_KEY)
    kept = [t for t in waiting if isinstance(t, str)] if isinstance(waiting, list) else []
    request.session[SHOW_ONCE_KEY] = [*kept, crypto.encrypt_text(notice)][-PENDING_MAX:]


def _take_show_once(request: AuthedRequest) -> list[str]:
    """The notices kept for this page, removed from the session as they are read."""
    waiting = request.session.pop(SHOW_ONCE_KEY, None)
    notices = []
    for token in waiting if isinstance(waiting, list) else []:
        try:
            notices.append(crypto.decrypt_text(str(token)))
        except crypto.DecryptionError:  # its key was rotated away meanwhile: nothing left to show
            log.warning("a notice to show once could not be decrypted")
    return notices


def connection_list(request: AuthedRequest) -> HttpResponse:
    now = timezone.now()
    rows = [_row(c, now) for c in services.connections_for(request.user)]
    show_once = _take_show_once(request)
    response = page(request, "connections/list.html", {"rows": rows, "show_once": show_once},
                    section="connections")
    if show_once:
        add_never_cache_headers(response)  # not from the cache on Back, not by a proxy
    return response


@dataclass(frozen=True)
class ConnectOption:
    """One network on the Connect page: ready to connect, waiting for the operator's app, or
    not in this hub yet ("coming soon"); `reason` says why it cannot be connected."""

    slug: str
    name: str
    auth_kind: str  # "" when there is no connector yet
    state: Literal["ready", "no_app", "coming_soon"]
    reason: str = ""
    operator_app: bool = False  # connects through an app the operator registers


def connect_options() -> list[ConnectOption]:
    options = []
    for slug, name in network_choices():
        kind = get_connector(slug).auth_kind
        if slug not in OPERATOR_APP_NETWORKS:
            options.append(ConnectOption(slug, name, kind, "ready"))
            continue
        status = app_status(slug)
        state: Literal["ready", "no_app"] = "ready" if status.ready else "no_app"
        options.append(ConnectOption(slug, name, kind, state, status.reason, True))
    options += [
        ConnectOption(slug, spec.name, "", "coming_soon",
                      f"This hub cannot connect {spec.name} accounts yet.", True)
        for slug, spec in OPERATOR_APP_NETWORKS.items() if slug not in registry.CONNECTORS
    ]
    return options


def connect_choose(request: AuthedRequest) -> HttpResponse:
    context = {"networks": connect_options(), "is_owner": request.user.is_superuser}
    return page(request, "connections/connect.html", context, section="connections")


def _no_app(request: AuthedRequest, connector: Connector) -> HttpResponse | None:
    """The page saying why a network waiting for the operator's app cannot be connected (a
    stale link or a bookmark to its connect page), or None when it can be."""
    if connector.slug not in OPERATOR_APP_NETWORKS:
        return None
    status = app_status(connector.slug)
    if status.ready:
        return None
    context = {"networks": [ConnectOption(connector.slug, connector.name, connector.auth_kind,
                                          "no_app", status.reason, True)],
               "is_owner": request.user.is_superuser, "only": True}
    return page(request, "connections/connect.html", context, section="connections",
                status=409)


def connect_start(request: AuthedRequest, network: str) -> HttpResponse:
    connector = _connector(network)
    waiting = _no_app(request, connector)
    if waiting is not None:
        return waiting
    if connector.auth_kind != "oauth2":
        return _connect_with_credentials(request, connector)
    # Networks reached through the operator's app live at one address: no server to type.
    needs_server = connector.slug not in OPERATOR_APP_NETWORKS
    form = ServerForm(request.POST or None)
    error = ""
    if request.method == "POST" and not needs_server:
        response, error = _begin(request, connector, "")
        if response is not None:
            return response
    elif request.method == "POST" and form.is_valid():
        response, error = _begin(request, connector, form.cleaned_data["server"])
        if response is not None:
            return response
    context = {"form": form, "network": network, "network_label": connector.name,
               "error": error, "needs_server": needs_server,
               "note": connector.reading_note}
    return page(request, "connections/connect_server.html", context, section="connections",
                status=400 if error else 200)


def _connect_with_credentials(request: AuthedRequest, connector: Connector) -> HttpResponse:
    """Networks that connect with something the person types (an app password, a key)."""
    form = CredentialsForm(connector.credential_fields, request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        base_url, credentials = form.connect_arguments()
        try:
            connected = connector.connect_with_token(base_url, credentials)
        except (ConnectorError, ValueError) as exc:
            log.info("connect to %s failed: %s", connector.slug, exc)
            error = explain(exc)
        else:
            connection = services.save_connection(request.user, connector.slug, connected)
            messages.success(request, f"Connected {connection.handle}")
            if connected.notice:
                _show_once(request, connected.notice)
            return redirect("connections:list")
    context = {"form": form, "network": connector.slug, "network_label": connector.name,
               "error": error, "typed": True, "auth_kind": connector.auth_kind}
    return page(request, "connections/connect_server.html", context, section="connections",
                status=400 if error else 200)


@require_POST
def reconnect(request: AuthedRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(services.active_connections(request.user), pk=pk)
    connector = _connector(connection.network)
    if connector.auth_kind != "oauth2":
        # Typed credentials: connecting the same account again updates it in place.
        return redirect("connections:connect_start", connector.slug)
    if connector.slug in OPERATOR_APP_NETWORKS and not app_status(connector.slug).ready:
        messages.error(request, app_status(connector.slug).reason)
        return redirect("connections:list")
    response, error = _begin(request, connector, connection.base_url)
    if response is not None:
        return response
    messages.error(request, error)
    return redirect("connections:list")


def _callback_url(request: AuthedRequest, network: str) -> str:
    path = reverse("connections:callback", args=[network])
    if settings.PUBLIC_URL:
        return f"{settings.PUBLIC_URL}{path}"
    return request.build_absolute_uri(path)


def _pending(request: AuthedRequest) -> dict[str, dict[str, Any]]:
    stored = request.session.get(PENDING_KEY)
    if not isinstance(stored, dict):
        return {}
    cutoff = time.time() - PENDING_TTL_SECONDS
    return {k: v for k, v in stored.items() if isinstance(v, dict) and v.get("at", 0) > cutoff}


def _begin(
    request: AuthedRequest, connector: Connector, server: str
) -> tuple[HttpResponse | None, str]:
    """Start the network's sign-in; returns the redirect, or an error to show."""
    try:
        start = connector.begin_auth(server, _callback_url(request, connector.slug))
    except (ConnectorError, ValueError) as exc:
        log.info("connect to %s at %r failed: %s", connector.slug, server, exc)
        return None, explain(exc)
    except NotImplementedError:
        return None, f"{connector.name} accounts cannot be connected from this page yet."
    pending = _pending(request)
    pending[start.state] = {"network": connector.slug, "data": start.state_data,
                            "at": time.time()}
    # Keep only the newest few: an abandoned sign-in must not grow the session forever.
    newest = sorted(pending.items(), key=lambda kv: kv[1]["at"])[-PENDING_MAX:]
    request.session[PENDING_KEY] = dict(newest)
    return HttpResponseRedirect(start.redirect_url), ""


def connect_callback(request: AuthedRequest, network: str) -> HttpResponse:
    return _own_fragment(_connect_callback(request, network))


def _own_fragment(response: HttpResponse) -> HttpResponse:
    """A redirect that names its own fragment: a browser keeps the callback URL's fragment on a
    redirect without one, and Facebook's Login ends its redirect with `#_=_`."""
    location = response.get("Location")
    if location and "#" not in location:
        response["Location"] = f"{location}#main"
    return response


def _connect_callback(request: AuthedRequest, network: str) -> HttpResponse:
    connector = _connector(network)
    state = request.GET.get("state", "")
    pending = _pending(request)
    entry = pending.pop(state, None) if state else None
    request.session[PENDING_KEY] = pending  # one use only, whatever happens next
    if entry is None or entry.get("network") != network:
        messages.error(request, STATE_MISMATCH)
        return redirect("connections:list")
    try:
        connected = connector.complete_auth(request.GET.dict(), entry["data"])
    except (ConnectorError, ValueError) as exc:
        log.info("completing %s sign-in failed: %s", network, exc)
        messages.error(request, explain(exc))
        return redirect("connections:list")
    connection = services.save_connection(request.user, network, connected)
    messages.success(request, f"Connected {connection.handle}")
    if connected.notice:
        _show_once(request, connected.notice)
    if connected.other_accounts:
        offer(request, network, connected.other_accounts)
        return redirect("connections:choose", network)
    return redirect("connections:list")


def disconnect(request: AuthedRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(services.active_connections(request.user), pk=pk)
    if request.method == "POST":
        disconnect_account(connection)
        messages.success(request, f"Disconnected {connection.handle}.")
        return redirect("connections:list")
    waiting = connection.deliveries.filter(state__in=EDITABLE_STATES).count()
    return page(
        request, "connections/disconnect.html",
        {"connection": connection, "waiting": waiting}, section="connections",
    )
