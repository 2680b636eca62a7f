"""The Posts page's actions on a post: duplicate it into the composer, delete it from every
network (or one), and each account's status while that happens."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.publishing.models import Delivery, DeliveryState, Post, PostMedia
from tests.web.fakes_composer import account, png

pytestmark = pytest.mark.django_db


def _sent_post(owner: User, *connections: Connection, text: str = "out there") -> Post:
    post = Post.objects.create(user=owner, text=text, content_warning="cw")
    for n, connection in enumerate(connections):
        Delivery.objects.create(post=post, connection=connection, state=DeliveryState.SENT,
                                due_at=timezone.now(), sent_at=timezone.now(),
                                remote_id=f"r{n}", remote_url=f"https://fake.example/{n}")
    return post


def test_duplicate_opens_a_copy_as_a_draft(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    post = _sent_post(owner, a, b)
    media = PostMedia(post=post, mime_type="image/png", alt_text="sq", width=8, height=6)
    media.file.save("sq.png", ContentFile(png().read()), save=False)
    media.save()
    Delivery.objects.filter(post=post, connection=b).update(
        text_override="B's words", media_override=[], parts=["B's", "words"])
    html = client_in.get(reverse("publishing:posts")).content.decode()
    assert reverse("publishing:post_duplicate", args=[post.pk]) in html

    response = client_in.post(reverse("publishing:post_duplicate", args=[post.pk]))
    copy = Post.objects.exclude(pk=post.pk).get()
    assert response["Location"] == f"{reverse('publishing:compose')}?draft={copy.pk}"
    assert copy.is_draft
    assert copy.text == "out there"
    assert copy.content_warning == "cw"
    own = copy.deliveries.get(connection=b)
    assert (own.state, own.text_override, own.media_override, own.parts) == (
        DeliveryState.DRAFT, "B's words", [], ["B's", "words"])
    html = client_in.get(response["Location"]).content.decode()
    assert "A copy is open below as a draft" in html
    assert f'name="custom_{b.pk}" value="1" checked' in html
    assert f'name="keep_1" value="m{copy.media.get().pk}"' in html
    # The original is untouched.
    assert set(post.deliveries.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_delete_everywhere_moves_sent_targets_to_deleting(client_in: Client,
                                                          owner: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    c = account(owner, "@c@fake.example")
    post = _sent_post(owner, a, b)
    Delivery.objects.create(post=post, connection=c, state=DeliveryState.FAILED,
                            due_at=timezone.now(), last_error="refused")
    html = client_in.get(reverse("publishing:posts")).content.decode()
    assert "Delete everywhere" in html
    assert "data-confirm=\"Delete this post from every network" in html

    response = client_in.post(reverse("publishing:post_delete", args=[post.pk]), follow=True)
    assert "Deleting from 2 accounts" in response.content.decode()
    states = dict(post.deliveries.values_list("connection_id", "state"))
    assert states == {a.pk: DeliveryState.DELETING, b.pk: DeliveryState.DELETING,
                      c.pk: DeliveryState.FAILED}
    html = client_in.get(reverse("publishing:posts")).content.decode()
    assert html.count(">Deleting</span>") == 3  # the post, and each of its two accounts
    assert 'hx-trigger="every 3s"' in html  # the page follows the worker


def test_delete_from_one_account(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    post = _sent_post(owner, a, b)
    one = post.deliveries.get(connection=a)
    client_in.post(reverse("publishing:delivery_delete", args=[one.pk]))
    states = dict(post.deliveries.values_list("connection_id", "state"))
    assert states == {a.pk: DeliveryState.DELETING, b.pk: DeliveryState.SENT}


def test_each_accounts_delete_status_is_shown(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    c = account(owner, "@c@fake.example")
    post = _sent_post(owner, a, b, c)
    post.deliveries.filter(connection=a).update(state=DeliveryState.DELETED)
    post.deliveries.filter(connection=b).update(
        last_error="Could not delete it: the server says no")
    post.deliveries.filter(connection=c).update(
        state=DeliveryState.DELETING, last_error="Deleting again at 10:00:05: 503")
    html = client_in.get(reverse("publishing:posts")).content.decode()
    assert "Removed from Fakebook" in html
    assert "Could not delete it: the server says no" in html
    assert "Try again" in html
    assert "Deleting again at 10:00:05: 503" in html
    assert "Deleting</span>" in html  # the post as a whole


def test_nothing_left_to_delete_says_so(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    post = _sent_post(owner, a)
    post.deliveries.update(state=DeliveryState.DELETED)
    html = client_in.get(reverse("publishing:posts")).content.decode()
    assert "Delete everywhere" not in html
    response = client_in.post(reverse("publishing:post_delete", args=[post.pk]), follow=True)
    assert "Nothing to delete" in response.content.decode()


def test_other_peoples_posts_cannot_be_duplicated_or_deleted(
    client: Client, owner: User, other: User, client_in: Client
) -> None:
    a = account(owner, "@a@fake.example")
    post = _sent_post(owner, a)
    intruder = Client()
    intruder.force_login(other)
    delivery = post.deliveries.get()
    assert intruder.post(reverse("publishing:post_duplicate", args=[post.pk])).status_code == 404
    assert intruder.post(reverse("publishing:post_delete", args=[post.pk])).status_code == 404
    assert intruder.post(reverse("publishing:delivery_delete",
                                 args=[delivery.pk])).status_code == 404
    assert Post.objects.count() == 1
    assert post.deliveries.get().state == DeliveryState.SENT


def test_actions_need_post(client_in: Client, owner: User) -> None:
    post = _sent_post(owner, account(owner, "@a@fake.example"))
    for name in ("post_duplicate", "post_delete", "draft_send", "draft_discard"):
        assert client_in.get(reverse(f"publishing:{name}", args=[post.pk])).status_code == 405
