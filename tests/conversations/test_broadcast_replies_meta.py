"""One post broadcast to a Facebook Page and a Threads account through the hub's engine;
other people comment and reply on each stand-in directly; the post's replies page shows the
comments of both merged in time order, each marked with its network, with the reply counts
each network gives."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from hubbub.jobs import scheduler
from hubbub.publishing import engine
from hubbub.publishing.models import DeliveryState
from hubbub.publishing.services import create_post
from tests.conversations.helpers import PASSWORD, connect, network_counts, shown_replies
from tests.integration.facebook_support import make_fb_world
from tests.integration.threads_support import make_threads_world
from tests.peers.facebook.peer import FacebookPeer
from tests.peers.threads.peer import ThreadsPeer

pytestmark = pytest.mark.django_db(transaction=True)


def test_facebook_and_threads_comments_merged_in_time_order(
        fb_peer: FacebookPeer, threads_peer: ThreadsPeer, monkeypatch: pytest.MonkeyPatch,
        settings: Any, live_server: Any, tmp_path: Path, client: Client) -> None:
    cache.clear()
    fb = make_fb_world(fb_peer, monkeypatch)
    th = make_threads_world(threads_peer, monkeypatch, settings, live_server.url,
                            tmp_path / "media")
    owner = User.objects.create_user("ada", password=PASSWORD)
    page_account, _, _ = fb.account()
    threads_account, _ = th.account()
    targets = [
        connect(owner, "facebook", "", {"access_token": page_account.credentials["access_token"]}),
        connect(owner, "threads", "",
                {"access_token": threads_account.credentials["access_token"]}),
    ]
    post = create_post(user=owner, text="What do you all think?", connections=targets)
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)
    sent = {d.connection.network: d for d in post.deliveries.select_related("connection")}
    assert {d.state for d in sent.values()} == {DeliveryState.SENT}

    # Comments made on each network directly by other people, interleaved in time.
    start = time.time() + 1
    bo = fb_peer.create_user("Bo")
    first = fb_peer.comment_as(bo, sent["facebook"].remote_id, "Facebook says first", start)
    cy = threads_peer.create_user("cy_answers")
    threads_peer.reply_as(cy, sent["threads"].remote_id, "Threads in between", start + 10)
    fb_peer.comment_as(fb_peer.create_user("Di"), first["id"], "Facebook answers Bo",
                       start + 20)
    threads_peer.reply_as(threads_peer.create_user("ed_answers"), sent["threads"].remote_id,
                          "Threads says last", start + 30)

    client.force_login(owner)
    response = client.get(f"/posts/{post.pk}/replies/")
    assert response.status_code == 200
    html = response.content.decode()
    assert shown_replies(html) == [
        ("facebook", "Facebook says first"),
        ("threads", "Threads in between"),
        ("facebook", "Facebook answers Bo"),
        ("threads", "Threads says last"),
    ]
    assert network_counts(html, "facebook") == {"Replies": "1", "Shown here": "2"}
    assert network_counts(html, "threads") == {"Replies": "2", "Shown here": "2"}
    User.objects.create_user("eve", password=PASSWORD)
    client.login(username="eve", password=PASSWORD)
    assert client.get(f"/posts/{post.pk}/replies/").status_code == 404
