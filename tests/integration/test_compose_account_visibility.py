"""One Mastodon account's own visibility, picked in its "Customize" section (vis_N): stored on
its Delivery, sent by the connector (the status read back from the Mastodon mock), kept by
drafts, the edit page and copies; a value that names nothing is the post's choice."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.publishing.models import Delivery, DeliveryState, Post
from tests.integration.engine_support import run_due
from tests.integration.test_compose_post_options import _connect, _form, _selected
from tests.peers.mastodon import MastodonPeer, SeededAccount

pytestmark = pytest.mark.django_db


Two = tuple[SeededAccount, SeededAccount, Connection, Connection]


@pytest.fixture
def two(mastodon_peer: MastodonPeer, owner: User) -> Two:
    a, b = mastodon_peer.new_account(), mastodon_peer.new_account()
    return a, b, _connect(owner, mastodon_peer, a), _connect(owner, mastodon_peer, b)


def _visibilities(peer: MastodonPeer, post: Post, accounts: dict[int, SeededAccount]
                  ) -> dict[int, str]:
    found = {}
    for d in Delivery.objects.filter(post=post):
        assert d.state == DeliveryState.SENT, d.last_error
        found[d.connection_id] = peer.status(accounts[d.connection_id], d.remote_id)["visibility"]
    return found


def test_one_account_goes_out_as_its_own_choice(mastodon_peer: MastodonPeer,
                                                 client_in: Client, two: Two) -> None:
    a, b, ca, cb = two
    page = client_in.get(reverse("publishing:compose")).content.decode()
    assert f'name="vis_{cb.pk}"' in page
    assert _selected(page, f"vis_{cb.pk}") == ""  # as the post says
    response = client_in.post(reverse("publishing:compose"), _form(
        [ca, cb], visibility="public", **{f"vis_{cb.pk}": "private"}))
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get()
    assert {d.connection_id: d.visibility_override for d in post.deliveries.all()} == \
        {ca.pk: "", cb.pk: "private"}
    run_due()
    assert _visibilities(mastodon_peer, post, {ca.pk: a, cb.pk: b}) == \
        {ca.pk: "public", cb.pk: "private"}


def test_a_draft_keeps_it_the_edit_page_carries_it_and_a_copy_has_it(
        mastodon_peer: MastodonPeer, client_in: Client, two: Two) -> None:
    a, b, ca, cb = two
    response = client_in.post(reverse("publishing:compose"), _form(
        [ca, cb], action="draft", visibility="unlisted", **{f"vis_{cb.pk}": "direct"}))
    draft = Post.objects.get()
    page = client_in.get(response["Location"]).content.decode()
    assert _selected(page, f"vis_{cb.pk}") == "direct"
    assert _selected(page, f"vis_{ca.pk}") == ""
    # Sent from the composer with the choice changed for that account.
    response = client_in.post(reverse("publishing:compose"), _form(
        [ca, cb], draft=draft.pk, visibility="unlisted", **{f"vis_{cb.pk}": "private"}))
    assert response.status_code == 302, response.content.decode()[:2000]
    run_due()
    assert _visibilities(mastodon_peer, draft, {ca.pk: a, cb.pk: b}) == \
        {ca.pk: "unlisted", cb.pk: "private"}
    client_in.post(reverse("publishing:post_duplicate", args=[draft.pk]))
    copy = Post.objects.exclude(pk=draft.pk).get()
    assert {d.connection_id: d.visibility_override for d in copy.deliveries.all()} == \
        {ca.pk: "", cb.pk: "private"}
    page = client_in.get(reverse("publishing:compose") + f"?draft={copy.pk}").content.decode()
    assert _selected(page, f"vis_{cb.pk}") == "private"


def test_a_scheduled_posts_edit_page_keeps_each_accounts_choice(
        client_in: Client, two: Two) -> None:
    _a, _b, ca, cb = two
    client_in.post(reverse("publishing:compose"), _form(
        [ca, cb], action="schedule", schedule_date="2099-01-05", schedule_time="09:00",
        **{f"vis_{cb.pk}": "unlisted"}))
    post = Post.objects.get()
    page = client_in.get(reverse("publishing:post_edit", args=[post.pk])).content.decode()
    assert f'name="vis_{cb.pk}" value="unlisted"' in page
    response = client_in.post(reverse("publishing:post_edit", args=[post.pk]), {
        "text": "changed", "schedule_date": "2099-01-05", "schedule_time": "10:00",
        "visibility": "public"})
    assert response.status_code == 302
    assert Delivery.objects.get(post=post, connection=cb).visibility_override == "unlisted"


@pytest.mark.parametrize("value", ["secret", "x" * 1000, "public\x00"])
def test_a_value_that_names_nothing_is_the_posts_choice(client_in: Client, two: Two,
                                                        value: str) -> None:
    _a, _b, ca, cb = two
    response = client_in.post(reverse("publishing:compose"), _form(
        [ca, cb], action="draft", visibility="unlisted", **{f"vis_{cb.pk}": value}))
    assert response.status_code == 302
    assert Delivery.objects.get(connection=cb).visibility_override == ""
