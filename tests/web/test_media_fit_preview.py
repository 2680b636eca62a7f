"""Pictures per network in the composer: each account's preview says what size a picture goes
as there (the fitter's own plan), and an account that cannot carry pictures at all is not
refused: its preview says it goes without them, and its delivery carries the text alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hubbub.connections.models import Connection
from hubbub.publishing.models import Delivery, Post
from hubbub.publishing.target_drafts import draft_of
from tests.web.fakes_composer import account, compose, live, png

pytestmark = pytest.mark.django_db


def _with_media(connection: Connection, **media: Any) -> Connection:
    caps = dict(connection.capabilities_json or {})
    caps["media"] = {**caps["media"], **media}
    connection.capabilities_json = caps
    connection.save(update_fields=["capabilities_json"])
    return connection


def _preview_of(html: str, connection: Connection) -> str:
    preview = html.split('id="preview"')[1]
    return preview.split(f'data-preview="{connection.pk}"')[1].split("data-preview=")[0]


def _counter_of(html: str, connection: Connection) -> str:
    counters = html.split('id="preview"')[0]
    return counters.split(f'data-counter="{connection.pk}"')[1].split("data-counter=")[0]


def test_each_preview_says_what_size_the_picture_goes_as(client_in: Client,
                                                          owner: User) -> None:
    roomy = _with_media(account(owner, "@roomy@fake.example", limit=500),
                        image_max_bytes=50_000_000)
    tight = _with_media(account(owner, "@tight@fake.example", limit=500),
                        image_max_bytes=2_000_000, image_max_pixels=3_145_728)
    html = live(client_in, text="A photo", targets=[roomy.pk, tight.pk],
                meta_1="image/jpeg;20000000;6000;4000", alt_1="a harbour at dusk")
    assert "Picture sent as is" in _preview_of(html, roomy)
    tight_part = _preview_of(html, tight)
    # Within 3,145,728 pixels (the byte limit at 4 bits a pixel would allow 3.4 million).
    assert "Picture sent as 2172 x 1448 JPEG, at most 1.9 MB" in tight_part
    assert 'data-fit="2172 x 1448 JPEG, at most 1.9 MB"' in tight_part
    # Neither counter refuses the 20 MB photo: it is fitted, not a problem.
    assert "counter-problem" not in _counter_of(html, roomy)
    assert "counter-problem" not in _counter_of(html, tight)


def test_an_account_that_carries_no_pictures_goes_without_them_and_says_so(
        client_in: Client, owner: User) -> None:
    plain = account(owner, "@plain@fake.example", limit=500)
    bare = _with_media(account(owner, "@bare@fake.example", limit=500), max_count=0)
    html = live(client_in, text="Look at this", targets=[plain.pk, bare.pk],
                meta_1="image/png;100;8;6", alt_1="a square")
    bare_part = _preview_of(html, bare)
    assert "Sent without the picture: this Fakebook account cannot carry pictures or videos." \
        in bare_part
    assert "<img" not in bare_part
    assert "counter-problem" not in _counter_of(html, bare)
    assert "Sent without the picture" in _counter_of(html, bare)  # read out with the counters
    assert "Sent without" not in _counter_of(html, plain)
    assert "<img" in _preview_of(html, plain)
    assert "Sent without" not in _preview_of(html, plain)

    response = compose(client_in, text="Look at this", targets=[plain.pk, bare.pk],
                       image_1=png(), alt_1="a square")
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get()
    sent_bare = Delivery.objects.get(post=post, connection=bare)
    sent_plain = Delivery.objects.get(post=post, connection=plain)
    assert draft_of(post, sent_bare).media == ()  # the text alone
    assert draft_of(post, sent_bare).text == "Look at this"
    assert len(draft_of(post, sent_plain).media) == 1


def test_text_alone_is_still_needed_where_the_pictures_cannot_go(
        client_in: Client, owner: User) -> None:
    bare = _with_media(account(owner, "@bare@fake.example", limit=500), max_count=0)
    response = compose(client_in, text="", targets=[bare.pk], image_1=png(), alt_1="a square")
    assert response.status_code == 400
    assert "Nothing is left to send here without the attachments" in response.content.decode()
    assert Post.objects.count() == 0


def test_a_draft_sent_later_leaves_out_what_its_account_cannot_carry(
        client_in: Client, owner: User) -> None:
    from hubbub.publishing.services import send_draft

    bare = account(owner, "@later@fake.example", limit=500)
    response = compose(client_in, text="Soon", targets=[bare.pk], image_1=png(),
                       alt_1="a square", action="draft")
    assert response.status_code in (200, 302)
    post = Post.objects.get()
    assert post.is_draft
    _with_media(bare, max_count=0)  # e.g. its media server was removed meanwhile
    bare.refresh_from_db()
    send_draft(post)
    delivery = Delivery.objects.get(post=post)
    assert delivery.media_override == []
    assert draft_of(post, delivery).media == ()


def test_a_video_goes_without_where_the_network_takes_none(client_in: Client,
                                                           owner: User) -> None:
    pictures_only = account(owner, "@pics@fake.example", limit=500)  # MediaLimits.video None
    html = live(client_in, text="A clip and a picture", targets=[pictures_only.pk],
                meta_1="video/mp4;500000;640;360;12;30", alt_1="a short clip",
                meta_2="image/png;100;8;6", alt_2="a square")
    part = _preview_of(html, pictures_only)
    assert "Sent without the video: Fakebook takes no video from the hub." in part
    assert "pv-video" not in part
    assert 'alt="a square"' in part  # the picture still goes
    assert "counter-problem" not in _counter_of(html, pictures_only)
