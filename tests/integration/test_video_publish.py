"""A small MP4 posted through the composer's service and the delivery engine to the Mastodon mock
and the Bluesky dev-env, read back from each; the video rules enforced on the server when the
post is made, and a per-account customisation that leaves the video out where it does not fit.

The MP4 is written box by box (tests/unit/test_video_probe.py): its headers are real, its
samples are not a picture. Neither peer decodes video: mastodon-mock 0.6.1 stores the upload and
answers 200 with its url at once (no 202 and processing: a proxy in front of it answers
"still processing" for one test), and the dev-env PDS keeps the blob as it is (no video
service), so what is tested is the upload, the record and the exactly-once path, not
transcoding.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.connections.services import save_connection
from hubbub.jobs import scheduler
from hubbub.networks.registry import get_connector
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState, Post
from hubbub.publishing.services import NewMedia, PostError, TargetCustom, create_post
from tests.integration.bluesky_support import wait_for
from tests.peers.bluesky import BlueskyPeer
from tests.peers.http_faults import HttpFaultProxy, Respond, Rewrite
from tests.peers.mastodon import MastodonPeer
from tests.unit.test_video_probe import make_mp4

pytestmark = pytest.mark.django_db
S = DeliveryState


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


def _mastodon(owner: User, peer: MastodonPeer) -> tuple[Connection, Any]:
    account = peer.new_account()
    connected = get_connector("mastodon").connect_with_token(
        peer.base_url, {"access_token": account.access_token})
    return save_connection(owner, "mastodon", connected), account


def _bluesky(owner: User, peer: BlueskyPeer) -> tuple[Connection, Any]:
    seeded = peer.create_account("video")
    connected = get_connector("bluesky").connect_with_token(
        peer.pds_url, {"handle": seeded.handle, "app_password": seeded.app_password})
    return save_connection(owner, "bluesky", connected), seeded


def _clip(seconds: float = 4.0, name: str = "clip.bin") -> NewMedia:
    # The name and the browser's type say nothing useful: the hub reads the bytes.
    data = make_mp4(seconds=seconds, width=640, height=360, fps=25, mdat=bytes(2048))
    return NewMedia(SimpleUploadedFile(name, data, content_type="application/octet-stream"),
                    "A test card for four seconds")


def _run_due() -> None:
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)


def test_a_video_reaches_mastodon_once_even_when_it_is_still_processing(
    mastodon_faults: MastodonPeer, owner: User
) -> None:
    connection, account = _mastodon(owner, mastodon_faults)
    post = create_post(user=owner, text="a short clip", connections=[connection],
                       media=[_clip()])
    stored = post.media.get()
    assert (stored.mime_type, stored.width, stored.height) == ("video/mp4", 640, 360)
    # The status is refused after the upload, as Mastodon does while a video is processing
    # (mastodon-mock itself processes nothing): the retry must reuse the upload and the key.
    mastodon_faults.add_fault(
        {"type": "status", "status": 422, "body": {
            "error": "Cannot attach files that have not finished processing. Try again in a "
                     "moment!"}},
        methods=["POST"], path="/api/v1/statuses", count=1)
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SCHEDULED, delivery.last_error
    assert "processing" in delivery.last_error
    uploaded = list(delivery.media_ids)
    assert len(uploaded) == 1
    Delivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now())
    _run_due()
    delivery.refresh_from_db()
    assert delivery.state == S.SENT
    assert delivery.media_ids == uploaded
    [status] = mastodon_faults.statuses(account)
    [attachment] = status["media_attachments"]
    assert attachment["type"] == "video"
    assert attachment["id"] == uploaded[0]
    assert attachment["description"] == "A test card for four seconds"


@pytest.fixture
def mastodon_http_proxy(mastodon_peer: MastodonPeer) -> Iterator[HttpFaultProxy]:
    proxy = HttpFaultProxy(mastodon_peer.base_url)
    try:
        yield proxy
    finally:
        proxy.close()


def test_a_video_still_processing_after_upload_is_waited_for(
    mastodon_peer: MastodonPeer, mastodon_http_proxy: HttpFaultProxy, owner: User
) -> None:
    """Mastodon answers a video upload "202 Accepted" with no url while it processes it, and
    GET /api/v1/media/:id "206 Partial Content" until it is done. mastodon-mock processes
    nothing, so a proxy in front of it says so: the upload really happens, its answer and the
    first two polls say "processing". The connector polls until the url is there and then
    posts once, with that upload."""
    proxy = mastodon_http_proxy
    account = mastodon_peer.new_account()
    connected = get_connector("mastodon").connect_with_token(
        proxy.base_url, {"access_token": account.access_token})
    connection = save_connection(owner, "mastodon", connected)
    processing: list[str] = []

    def accepted(status: int, body: bytes) -> tuple[int, bytes]:
        attachment = json.loads(body)
        media_id = str(attachment["id"])
        processing.append(media_id)
        pending = json.dumps({**attachment, "url": None}).encode()
        proxy.arm("GET", f"/api/v1/media/{media_id}",
                  Respond(206, {"Content-Type": "application/json"}, pending), count=2)
        return 202, pending

    for path in ("/api/v2/media", "/api/v1/media"):
        proxy.arm("POST", path, Rewrite(accepted))
    post = create_post(user=owner, text="a clip that takes a while", connections=[connection],
                       media=[_clip()])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SENT, delivery.last_error
    [media_id] = processing
    polls = [p for m, p in proxy.seen if m == "GET" and p == f"/api/v1/media/{media_id}"]
    assert len(polls) == 3  # two "still processing", then the real answer with its url
    assert delivery.media_ids == [media_id]
    [status] = mastodon_peer.statuses(account)
    [attachment] = status["media_attachments"]
    assert attachment["id"] == media_id
    assert attachment["type"] == "video"


def test_a_video_reaches_bluesky_as_a_video_embed(bluesky_peer: BlueskyPeer, owner: User) -> None:
    connection, seeded = _bluesky(owner, bluesky_peer)
    post = create_post(user=owner, text="a clip for Bluesky", connections=[connection],
                       media=[_clip()])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SENT, delivery.last_error
    rkey = delivery.remote_id.rsplit("/", 1)[1]
    record = wait_for(lambda: bluesky_peer.get_record(seeded.did, "app.bsky.feed.post", rkey))
    embed = record["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.video"
    assert embed["alt"] == "A test card for four seconds"
    assert embed["aspectRatio"] == {"width": 640, "height": 360}
    assert embed["video"]["mimeType"] == "video/mp4"
    assert record["value"]["text"] == "a clip for Bluesky"


def test_a_video_too_long_for_bluesky_is_refused_unless_left_out_there(
    mastodon_peer: MastodonPeer, bluesky_peer: BlueskyPeer, owner: User
) -> None:
    masto, account = _mastodon(owner, mastodon_peer)
    sky, seeded = _bluesky(owner, bluesky_peer)
    with pytest.raises(PostError, match=r"Attachment 1 \(video\) is 4 minutes long; the limit "
                                        r"is 3 minutes"):
        create_post(user=owner, text="four minutes", connections=[masto, sky],
                    media=[_clip(seconds=240)])
    assert not Post.objects.filter(user=owner).exists()  # nothing half-saved
    post = create_post(user=owner, text="four minutes", connections=[masto, sky],
                       media=[_clip(seconds=240)],
                       customize={sky.pk: TargetCustom(media_positions=())})
    _run_due()
    states = {d.connection.network: d.state for d in post.deliveries.select_related("connection")}
    assert states == {"mastodon": S.SENT, "bluesky": S.SENT}
    [status] = mastodon_peer.statuses(account)
    assert status["media_attachments"][0]["type"] == "video"
    bsky = post.deliveries.get(connection=sky)
    record = bluesky_peer.get_record(seeded.did, "app.bsky.feed.post",
                                     bsky.remote_id.rsplit("/", 1)[1])
    assert record is not None
    assert "embed" not in record["value"]


def test_a_file_that_only_looks_like_a_video_is_refused(
    mastodon_peer: MastodonPeer, owner: User
) -> None:
    connection, _ = _mastodon(owner, mastodon_peer)
    cut = make_mp4()[:300]
    upload = SimpleUploadedFile("clip.mp4", cut, content_type="video/mp4")
    with pytest.raises(PostError, match=r"clip\.mp4 is not a video we can read"):
        create_post(user=owner, text="broken", connections=[connection],
                    media=[NewMedia(upload, "x")])
