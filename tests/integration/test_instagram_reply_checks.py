"""A reply to an Instagram post is a comment and takes no picture: the composer's live counter
and the direct send must check it as the reply it is (they refused it as "needs a picture",
because they built the draft without what it answers)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.networks.base import Draft
from hubbub.publishing.models import Post
from hubbub.publishing.services import PostError, create_post
from hubbub.publishing.target_drafts import check_targets
from hubbub.timeline.models import Item

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann() -> User:
    return User.objects.create_user("ann", password="a long enough password")


@pytest.fixture
def instagram(ann: User) -> Connection:
    connection = Connection(user=ann, network="instagram", base_url="https://graph.instagram.test",
                            remote_id="17841400000000001", handle="@ann_bakes")
    connection.credentials = {"access_token": "not-used-here"}
    connection.save()
    return connection


@pytest.fixture
def commented(instagram: Connection) -> Item:
    return Item.objects.create(
        connection=instagram, network="instagram", remote_id="18000000000000042", kind="reply",
        created_at=timezone.now(), author_handle="@bob", author_name="Bob",
        text="Is the rye back?", html="<p>Is the rye back?</p>")


def test_a_text_reply_passes_where_a_text_post_does_not(instagram: Connection) -> None:
    draft = Draft(text="Yes, from Tuesday!")
    assert any("picture" in p for p in check_targets(draft, [instagram]))
    assert check_targets(draft, [instagram], reply_to={instagram.pk: "18000000000000042"}) == []


def test_the_direct_send_takes_a_text_reply(ann: User, instagram: Connection) -> None:
    with pytest.raises(PostError, match="picture"):
        create_post(user=ann, text="Yes, from Tuesday!", connections=[instagram])
    post = create_post(user=ann, text="Yes, from Tuesday!", connections=[instagram],
                       reply_to={instagram.pk: "18000000000000042"})
    assert isinstance(post, Post)
    assert post.deliveries.get().in_reply_to == "18000000000000042"


def test_the_live_counter_checks_a_reply_as_a_reply(ann: User, instagram: Connection,
                                                    commented: Item) -> None:
    client = Client()
    client.force_login(ann)
    data: dict[str, Any] = {"text": "Yes, from Tuesday!", "targets": [instagram.pk]}
    plain = client.post("/compose/count/", data).content.decode()
    assert "need a picture" in plain or "needs a picture" in plain or "Attach a picture" in plain
    reply = client.post("/compose/count/", {**data, "reply_to": commented.pk}).content.decode()
    assert "picture" not in reply, reply[:2000]
