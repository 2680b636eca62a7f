"""The composer's visibility and language: the form -> the Post -> its Delivery -> the Mastodon
mock (the status read back from the server); each account's defaults, read from its server's
GET /api/v1/preferences, preselected; bad values refused with a sentence, nothing lost; drafts,
scheduled posts and the edit page keep them."""

from __future__ import annotations

import html
import re
from datetime import UTC, time, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.connections.services import save_connection
from hubbub.networks.registry import get_connector
from hubbub.publishing.models import Delivery, DeliveryState, Post
from hubbub.publishing.post_options import BAD_LANGUAGE, BAD_VISIBILITY, DIRECT_WARNING
from tests.integration.engine_support import run_due
from tests.peers.mastodon import MastodonPeer, SeededAccount

pytestmark = pytest.mark.django_db


def _connect(owner: User, peer: MastodonPeer, account: SeededAccount) -> Connection:
    connected = get_connector("mastodon").connect_with_token(
        peer.base_url, {"access_token": account.access_token})
    return save_connection(owner, "mastodon", connected)


def _selected(page: str, name: str) -> str:
    """The value of the option the page selects in the select called `name`."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, f"no select {name}"
    chosen = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', select.group(1))
    return chosen.group(1) if chosen else ""


def _line(page: str, connection: Connection) -> str:
    """What the page says this account's post shows as."""
    found = re.search(rf'<li data-account="{connection.pk}"[^>]*>.*?data-goes-as>([^<]*)<',
                      page, re.S)
    assert found is not None
    return html.unescape(found.group(1))


def _form(connections: list[Connection], **fields: Any) -> dict[str, Any]:
    return {"text": "Hallo zusammen", "targets": [c.pk for c in connections],
            "action": "now", **fields}


def test_the_form_sends_them_to_the_mastodon_server(
    mastodon_peer: MastodonPeer, owner: User, client_in: Client,
) -> None:
    alice = mastodon_peer.new_account()
    connection = _connect(owner, mastodon_peer, alice)
    response = client_in.post(reverse("publishing:compose"),
                              _form([connection], visibility="private", language="de"))
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get()
    assert (post.visibility, post.language) == ("private", "de")
    run_due()
    delivery = Delivery.objects.get(post=post)
    assert delivery.state == DeliveryState.SENT
    status = mastodon_peer.status(alice, delivery.remote_id)
    assert (status["visibility"], status["language"]) == ("private", "de")


def test_a_fresh_composer_preselects_the_accounts_defaults(
    mastodon_peer: MastodonPeer, owner: User, client_in: Client,
) -> None:
    bob = mastodon_peer.new_account()
    mastodon_peer.set_posting_defaults(bob, visibility="unlisted", language="fr")
    connection = _connect(owner, mastodon_peer, bob)
    page = client_in.get(reverse("publishing:compose")).content.decode()
    assert (_selected(page, "visibility"), _selected(page, "language")) == ("unlisted", "fr")
    assert _line(page, connection) == "Unlisted"
    assert "Only Mastodon has this choice" in page


def test_accounts_that_disagree_each_keep_their_own(
    mastodon_peer: MastodonPeer, owner: User, client_in: Client,
) -> None:
    quiet, close = mastodon_peer.new_account(), mastodon_peer.new_account()
    mastodon_peer.set_posting_defaults(quiet, visibility="unlisted")
    mastodon_peer.set_posting_defaults(close, visibility="direct")
    a, b = _connect(owner, mastodon_peer, quiet), _connect(owner, mastodon_peer, close)
    page = client_in.get(reverse("publishing:compose")).content.decode()
    assert _selected(page, "visibility") == ""  # each account's default
    assert _line(page, a) == "Unlisted (its default)"
    assert _line(page, b) == "Mentioned people only (its default)"

    response = client_in.post(reverse("publishing:compose"), _form([a, b], visibility=""))
    assert response.status_code == 302
    run_due()
    sent = {d.connection_id: d.remote_id for d in Delivery.objects.all()}
    assert mastodon_peer.status(quiet, sent[a.pk])["visibility"] == "unlisted"
    assert mastodon_peer.status(close, sent[b.pk])["visibility"] == "direct"


@pytest.mark.parametrize(("fields", "said"), [
    ({"visibility": "secret"}, BAD_VISIBILITY),
    ({"language": "x" * 30}, BAD_LANGUAGE),
])
def test_bad_values_are_refused_with_a_sentence_and_nothing_is_lost(
    mastodon_peer: MastodonPeer, owner: User, client_in: Client, fields: dict[str, str],
    said: str,
) -> None:
    connection = _connect(owner, mastodon_peer, mastodon_peer.new_account())
    response = client_in.post(reverse("publishing:compose"),
                              _form([connection], text="Keep these words", **fields))
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert said in page
    assert "Keep these words" in page
    assert not Post.objects.exists()


def test_direct_warns_that_only_the_mentioned_see_it(
    mastodon_peer: MastodonPeer, owner: User, client_in: Client,
) -> None:
    connection = _connect(owner, mastodon_peer, mastodon_peer.new_account())
    page = client_in.get(reverse("publishing:compose")).content.decode()
    assert re.search(r"data-direct-warning hidden", page)
    # Sent back (here: no text) with "direct" picked: the warning shows, the choice is kept.
    response = client_in.post(reverse("publishing:compose"),
                              _form([connection], text="", visibility="direct"))
    page = html.unescape(response.content.decode())
    assert "data-direct-warning hidden" not in page
    assert DIRECT_WARNING in page
    assert _selected(page, "visibility") == "direct"
    assert _line(page, connection) == "Mentioned people only"


def test_a_draft_keeps_them_and_sends_them(
    mastodon_peer: MastodonPeer, owner: User, client_in: Client,
) -> None:
    carol = mastodon_peer.new_account()
    connection = _connect(owner, mastodon_peer, carol)
    response = client_in.post(reverse("publishing:compose"), _form(
        [connection], action="draft", visibility="unlisted", language="nl"))
    draft = Post.objects.get()
    assert (draft.is_draft, draft.visibility, draft.language) == (True, "unlisted", "nl")
    page = client_in.get(response["Location"]).content.decode()
    assert (_selected(page, "visibility"), _selected(page, "language")) == ("unlisted", "nl")

    response = client_in.post(reverse("publishing:compose"), _form(
        [connection], draft=draft.pk, visibility="private", language="nl"))
    assert response.status_code == 302
    run_due()
    delivery = Delivery.objects.get(post=draft)
    status = mastodon_peer.status(carol, delivery.remote_id)
    assert (status["visibility"], status["language"]) == ("private", "nl")


def test_a_scheduled_post_keeps_them_and_the_edit_page_changes_them(
    mastodon_peer: MastodonPeer, owner: User, client_in: Client,
) -> None:
    dave = mastodon_peer.new_account()
    connection = _connect(owner, mastodon_peer, dave)
    when = (timezone.now() + timedelta(days=2)).astimezone(UTC)
    schedule = {"action": "schedule", "schedule_date": when.date().isoformat(),
                "schedule_time": when.strftime("%H:%M")}
    response = client_in.post(reverse("publishing:compose"), _form(
        [connection], visibility="unlisted", language="es", **schedule))
    assert response.status_code == 302, html.unescape(response.content.decode())[:3000]
    post = Post.objects.get()
    assert (post.scheduled_for is not None, post.visibility, post.language) == (
        True, "unlisted", "es")

    edit = reverse("publishing:post_edit", args=[post.pk])
    page = client_in.get(edit).content.decode()
    assert (_selected(page, "visibility"), _selected(page, "language")) == ("unlisted", "es")
    fields = {"text": "Hola", "schedule_date": schedule["schedule_date"],
              "schedule_time": schedule["schedule_time"]}
    refused = client_in.post(edit, {**fields, "visibility": "everyone", "language": "es"})
    assert refused.status_code == 400
    assert BAD_VISIBILITY in html.unescape(refused.content.decode())
    assert Post.objects.get().visibility == "unlisted"
    response = client_in.post(edit, {**fields, "visibility": "private", "language": "pt"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.text, post.visibility, post.language) == ("Hola", "private", "pt")

    Delivery.objects.filter(post=post).update(due_at=timezone.now())
    run_due()
    status = mastodon_peer.status(dave, Delivery.objects.get(post=post).remote_id)
    assert (status["visibility"], status["language"]) == ("private", "pt")


def test_a_copy_of_a_post_keeps_them(
    mastodon_peer: MastodonPeer, owner: User, client_in: Client,
) -> None:
    connection = _connect(owner, mastodon_peer, mastodon_peer.new_account())
    client_in.post(reverse("publishing:compose"),
                   _form([connection], visibility="private", language="it"))
    original = Post.objects.get()
    client_in.post(reverse("publishing:post_duplicate", args=[original.pk]))
    copy = Post.objects.exclude(pk=original.pk).get()
    assert (copy.is_draft, copy.visibility, copy.language) == (True, "private", "it")


def test_a_queued_post_keeps_them(
    mastodon_peer: MastodonPeer, owner: User, client_in: Client,
) -> None:
    from hubbub.planning import services as planning

    connection = _connect(owner, mastodon_peer, mastodon_peer.new_account())
    queue = planning.create_queue(owner, name="Mornings", tz="UTC", connections=[connection],
                                  slots=[(0, time(9)), (3, time(9))])
    response = client_in.post(reverse("publishing:compose"), _form(
        [connection], action="queue", queue=queue.pk, visibility="unlisted", language="sv"))
    assert response.status_code == 302
    post = Post.objects.get()
    assert (post.scheduled_for is not None, post.visibility, post.language) == (
        True, "unlisted", "sv")
