"""One sign-in, several accounts: after a network's sign-in names other accounts the same login
may act as (`Connected.other_accounts`: pages the person administers), the person picks which
of them to connect, each as a connection of its own.

The offered accounts carry credentials, so they wait in the server-side session encrypted
(like the notices shown once), for PENDING_TTL_SECONDS, and are removed once answered.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect

from hubbub.accounts.web import AuthedRequest, page
from hubbub.connections import services
from hubbub.core import crypto
from hubbub.core.ids import parse_id
from hubbub.networks.base import Connected, Identity
from hubbub.networks.registry import UnknownNetwork, get_connector

OFFER_KEY = "hubbub_accounts_offered"
OFFER_TTL_SECONDS = 30 * 60
MAX_OFFERED = 100


def offer(request: AuthedRequest, network: str, accounts: tuple[Connected, ...]) -> None:
    """Keep the accounts a sign-in offered, for the choose page."""
    payload = [{"base_url": a.base_url, "credentials": a.credentials,
                "identity": asdict(a.identity)} for a in accounts[:MAX_OFFERED]]
    request.session[OFFER_KEY] = {"network": network, "at": time.time(),
                                  "accounts": crypto.encrypt_json({"accounts": payload})}


def _offered(request: AuthedRequest, network: str) -> list[Connected]:
    stored = request.session.get(OFFER_KEY)
    if not isinstance(stored, dict) or stored.get("network") != network:
        return []
    if not isinstance(stored.get("at"), int | float) or \
            stored["at"] < time.time() - OFFER_TTL_SECONDS:
        return []
    try:
        data: Any = crypto.decrypt_json(str(stored.get("accounts") or ""))
    except crypto.DecryptionError:
        return []
    found = []
    for entry in data.get("accounts", []) if isinstance(data, dict) else []:
        try:
            found.append(Connected(base_url=str(entry["base_url"]),
                                   credentials=dict(entry["credentials"]),
                                   identity=Identity(**entry["identity"])))
        except (KeyError, TypeError, ValueError):
            continue
    return found


def choose_accounts(request: AuthedRequest, network: str) -> HttpResponse:
    try:
        connector = get_connector(network)
    except UnknownNetwork:
        return redirect("connections:list")
    offered = _offered(request, network)
    if not offered:
        request.session.pop(OFFER_KEY, None)
        messages.info(request, "Nothing is waiting to be connected: start again from "
                               "Connect an account.")
        return redirect("connections:list")
    if request.method == "POST":
        picked = {parse_id(v) for v in request.POST.getlist("accounts")}
        chosen = [a for n, a in enumerate(offered, start=1) if n in picked]
        request.session.pop(OFFER_KEY, None)
        for account in chosen:
            connection = services.save_connection(request.user, network, account)
            messages.success(request, f"Connected {connection.handle}")
        if not chosen:
            messages.info(request, f"No other {connector.name} account was connected.")
        return redirect("connections:list")
    # Accounts connected before are ticked: connecting them again gives them the new login.
    known = set(services.active_connections(request.user).filter(network=network)
                .values_list("remote_id", flat=True))
    return page(request, "connections/choose.html", {
        "network": network, "network_label": connector.name,
        "offered": [(n, a, a.identity.remote_id in known)
                    for n, a in enumerate(offered, start=1)],
    }, section="connections")
