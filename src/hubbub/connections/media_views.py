"""The media server of a Nostr account: a small page per Nostr connection, reached from the
Connections page, where its owner sets, changes or removes the Blossom server that stores the
pictures of its notes (networks/nostr/blossom.py). Nostr is the one network whose pictures go
to a server the person chooses, so this page names it, as cap_views.py names X."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect

from hubbub.accounts.web import AuthedRequest, page
from hubbub.connections import services
from hubbub.connections.models import Connection
from hubbub.networks.errors import Rejected
from hubbub.networks.nostr.media import (
    MEDIA_API,
    MEDIA_KEYS,
    MEDIA_SERVER,
    media_server_setting,
)

NETWORKS = ("nostr",)
KEY = MEDIA_SERVER


class MediaServerForm(forms.Form):
    media_server = forms.CharField(
        label="Media server address", required=False, max_length=300, strip=True,
        help_text="Its address, e.g. https://blossom.example.com. Leave it empty to post "
                  "without pictures.",
        widget=forms.TextInput(attrs={"inputmode": "url", "autocapitalize": "none",
                                      "autocorrect": "off", "spellcheck": "false",
                                      "placeholder": "https://blossom.example.com"}))

    def clean_media_server(self) -> dict[str, Any]:
        """The credentials keys (the server, and its NIP-96 upload address if it has one)."""
        try:
            return media_server_setting(self.cleaned_data.get(KEY) or "")
        except Rejected as exc:
            raise forms.ValidationError(exc.message) from None


def _save(connection: Connection, setting: dict[str, Any]) -> None:
    """Store the setting with the credentials (encrypted like them) and forget the account's
    limits, so the composer asks again (pictures or none)."""
    credentials = {k: v for k, v in connection.credentials.items() if k not in MEDIA_KEYS}
    connection.credentials = {**credentials, **setting}
    Connection.objects.filter(pk=connection.pk).update(
        credentials_enc=connection.credentials_enc, capabilities_json=None,
        capabilities_fetched_at=None)


def media_server(request: AuthedRequest, pk: int) -> HttpResponse:
    connection: Connection = get_object_or_404(
        services.active_connections(request.user), pk=pk, network__in=NETWORKS)
    current = str(connection.credentials.get(KEY) or "")
    kind = "NIP-96" if connection.credentials.get(MEDIA_API) else "Blossom"
    if request.method == "POST":
        form = MediaServerForm(request.POST)
        if form.is_valid():
            setting = form.cleaned_data[KEY]
            _save(connection, setting)
            url = setting.get(MEDIA_SERVER, "")
            messages.success(request, f"{connection.handle}: pictures now go to {url}." if url
                             else f"{connection.handle}: no media server; notes go without "
                                  "pictures.")
            return redirect("connections:list")
        status = 400
    else:
        form = MediaServerForm(initial={KEY: current})
        status = 200
    response = page(request, "connections/media_server.html", {
        "connection": connection, "form": form, "current": current, "kind": kind,
    }, section="connections")
    response.status_code = status
    return response
