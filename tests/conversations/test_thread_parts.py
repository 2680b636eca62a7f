"""A post sent as a thread of parts: its later parts answer the first on the network, yet they
are the person's own post, not replies; the replies page leaves them out."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from hubbub.jobs import scheduler
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery
from hubbub.publishing.services import create_post
from tests.conversations.helpers import PASSWORD, connect
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_threads_own_parts_are_not_listed_as_replies(mastodon_peer: MastodonPeer,
                                                       client: Client) -> None:
    cache.clear()
    owner = User.objects.create_user("ada", password=PASSWORD)
    me, friend = mastodon_peer.new_account(), mastodon_peer.new_account()
    connection = connect(owner, "mastodon", mastodon_peer.base_url,
                         {"access_token": me.access_token})
    post = create_post(user=owner, text="Part one of two", connections=[connection])
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)
    delivery = Delivery.objects.get(post=post)
    # The second part, as the engine sends it: the same account answering the first part,
    # recorded in parts_done beside it.
    second = mastodon_peer.post_as(me, "Part two of two", in_reply_to_id=delivery.remote_id)
    Delivery.objects.filter(pk=delivery.pk).update(parts_done=[
        {"remote_id": delivery.remote_id, "url": delivery.remote_url},
        {"remote_id": str(second["id"]), "url": second["url"]}])
    mastodon_peer.post_as(friend, "A real reply", in_reply_to_id=second["id"])
    client.force_login(owner)
    html = client.get(f"/posts/{post.pk}/replies/").content.decode()
    assert "A real reply" in html
    assert "Part two of two" not in html
    assert "1 reply, oldest first" in html
