"""The add-column page without JavaScript: each account's reasons for the kinds it cannot show
travel with it (for the script), and a form that asks for one anyway is refused naming them.
The Nostr limits are what its connector makes of a relay's NIP-11 document without NIP-50."""

from __future__ import annotations

import json
from html import unescape

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.networks.nostr import columns
from hubbub.networks.nostr.mapping import default_capabilities
from hubbub.timeline.models import Deck
from tests.timeline.conftest import make_connection

NO_SEARCH = "Nostr: this relay does not offer search (NIP-50)"


def test_reasons_reach_the_page_and_refuse_the_form(client: Client, db: None) -> None:
    owner, other = User.objects.create_user("owner"), User.objects.create_user("other")
    client.force_login(owner)
    client_in = client
    nostr = make_connection(owner, "npub1example", network="nostr", remote_id="ab" * 32)
    caps = columns.with_column_kinds(default_capabilities(), [{"supported_nips": [1, 11]}])
    nostr.capabilities_json = caps.to_json()
    nostr.save()
    theirs = make_connection(other, "npub1theirs", network="nostr", remote_id="cd" * 32)
    deck = Deck.objects.create(user=owner, name="Watch")
    url = reverse("timeline:column_add", args=[deck.pk])

    page = client_in.get(url).content.decode()
    [reasons] = [json.loads(unescape(part.split('"', 1)[0]))
                 for part in page.split('data-reasons="')[1:]]  # only the owner's account
    assert reasons["search"] == NO_SEARCH
    assert reasons["feed"] == "Nostr: " + columns.KIND_REASONS["feed"]
    assert "list" not in reasons
    assert "npub1theirs" not in page
    assert 'aria-describedby="kind-why-search"' in page

    response = client_in.post(url, {"connections": [nostr.pk], "kind": "search",
                                    "param": "cats", "width": "normal"})
    assert response.status_code == 400
    assert f"npub1example cannot show search columns ({NO_SEARCH})." in unescape(
        response.content.decode())
    response = client_in.post(url, {"connections": [theirs.pk], "kind": "list",
                                    "param": "friends", "width": "normal"})
    assert response.status_code == 400
    assert not deck.columns.exists()
    # An offered kind is taken (a list is also asked of the account's relays, which this
    # account has none of: tests/deck/test_add_column_params.py asks the real relay).
    response = client_in.post(url, {"connections": [nostr.pk], "kind": "hashtag",
                                    "param": "friends", "width": "normal"})
    assert response.status_code == 302
    assert deck.columns.get().feeds.get().key == "hashtag:friends"
