"""LinkedIn video against the LinkedIn stand-in's Videos API (tests/peers/linkedin/videos.py):
an MP4 sent in 4 MB parts, finalized with the parts' ETags and posted as content.media once
AVAILABLE; through the engine, a video still processing is waited for with the same upload,
and an upload whose answer was lost is made again without a second post. The composer's check
holds a video to LinkedIn's rules (core/video_limits.LINKEDIN_VIDEO).

The MP4s are written box by box (tests/unit/test_video_probe.py): real headers, samples that
are not a picture. The stand-in checks the bytes arrive whole, in order, and start like MP4;
it decodes nothing."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.connections.services import capabilities_for, save_connection
from hubbub.jobs import scheduler
from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.linkedin import video
from hubbub.networks.registry import get_connector
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import NewMedia, create_post
from tests.integration.linkedin_support import LinkedInWorld, make_li_world
from tests.peers.linkedin.peer import LinkedInPeer
from tests.unit.test_video_probe import make_mp4

S = DeliveryState
PART = 4 * 1024 * 1024


@pytest.fixture
def li_world(li_peer: LinkedInPeer, monkeypatch: pytest.MonkeyPatch) -> LinkedInWorld:
    return make_li_world(li_peer, monkeypatch)


def _clip_bytes(payload: int = 100_000, seconds: float = 4.0) -> bytes:
    return make_mp4(seconds=seconds, width=640, height=360, fps=25, mdat=bytes(payload))


def _clip_file(tmp_path: Path, payload: int) -> MediaFile:
    path = tmp_path / "clip.mp4"
    path.write_bytes(_clip_bytes(payload))
    return MediaFile(str(path), "video/mp4", alt_text="a test card", size=path.stat().st_size,
                     width=640, height=360, duration=4.0, frame_rate=25.0)


def test_a_video_goes_up_in_parts_and_into_one_post(li_world: LinkedInWorld,
                                                   tmp_path: Path) -> None:
    account = li_world.member_account()
    clip = _clip_file(tmp_path, 2 * PART + 5000)
    urn = li_world.connector.upload_media(account, clip)
    assert urn.startswith("urn:li:video:")
    [stored] = li_world.peer.videos()
    assert (stored["id"], stored["status"], stored["parts"]) == (urn, "AVAILABLE", 3)
    assert stored["size"] == clip.size == stored["declared_size"]
    initialize = next(r for r in li_world.peer.requests()
                      if r["query"].get("action") == "initializeUpload")
    assert '"uploadCaptions":false' in initialize["body"].replace(" ", "")
    made = li_world.connector.publish(account, Draft(text="a clip", media=(clip,)), "k1", (urn,))
    [post] = li_world.peer.posts(account.remote_id)
    assert post["urn"] == made.remote_id
    assert post["content"] == {"media": {"id": urn, "altText": "a test card"}}
    [item] = li_world.connector.fetch(account, "own").items
    assert item.remote_id == made.remote_id
    assert [(m["type"], m["description"]) for m in item.extra["media"]] == [
        ("video", "a test card")]


def test_a_page_posts_a_video(li_world: LinkedInWorld, tmp_path: Path) -> None:
    account, org = li_world.page_account()
    clip = _clip_file(tmp_path, 100_000)
    urn = li_world.connector.upload_media(account, clip)
    li_world.connector.publish(account, Draft(text="page clip", media=(clip,)), "k", (urn,))
    [post] = li_world.peer.posts(org.urn)
    assert post["content"]["media"]["id"] == urn


# --- through the engine --------------------------------------------------------------------


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


def _connect(world: LinkedInWorld, owner: User) -> Connection:
    account = world.member_account()
    connected = get_connector("linkedin").connect_with_token(
        "", {"access_token": account.credentials["access_token"]})
    return save_connection(owner, "linkedin", connected)


def _new_clip() -> NewMedia:
    return NewMedia(SimpleUploadedFile("clip.mp4", _clip_bytes(),
                                       content_type="video/mp4"), "a test card")


def _run_due() -> None:
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)


def _again(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now())
    _run_due()
    delivery.refresh_from_db()


def _live(world: LinkedInWorld, author: str) -> list[dict[str, Any]]:
    return [p for p in world.peer.posts(author) if not p["deleted"]]


@pytest.mark.django_db
def test_a_video_still_processing_is_posted_once_with_the_same_upload(
        li_world: LinkedInWorld, owner: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video, "WAIT_SECONDS", 0.3)
    li_world.peer.settings(processing_polls=1000)
    connection = _connect(li_world, owner)
    text = f"a clip ({secrets.token_hex(3)})"
    post = create_post(user=owner, text=text, connections=[connection], media=[_new_clip()])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SCHEDULED, delivery.last_error
    assert "processing the video" in delivery.last_error
    uploaded = list(delivery.media_ids)
    assert len(uploaded) == 1
    assert _live(li_world, connection.remote_id) == []
    li_world.peer.settings(processing_polls=0)
    _again(delivery)
    assert delivery.state == S.SENT, delivery.last_error
    assert delivery.media_ids == uploaded
    [made] = _live(li_world, connection.remote_id)
    assert made["content"]["media"]["id"] == uploaded[0]
    assert made["text"] == text
    assert len(li_world.peer.videos()) == 1


@pytest.mark.django_db
def test_an_upload_whose_answer_is_lost_is_made_again_and_posted_once(
        li_world: LinkedInWorld, owner: User, settings: Any) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 1.0
    li_world.peer.settings(processing_polls=0)
    connection = _connect(li_world, owner)
    # The finalize is made on LinkedIn, then its answer is lost (initialize is the first
    # POST /rest/videos, the finalize the second).
    li_world.peer.fail_next("POST", "/rest/videos", "delay", seconds=0)
    li_world.peer.fail_next("POST", "/rest/videos", "drop_after")
    post = create_post(user=owner, text="lost finalize", connections=[connection],
                       media=[_new_clip()])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SCHEDULED, delivery.last_error
    assert delivery.media_ids == []
    _again(delivery)
    assert delivery.state == S.SENT, delivery.last_error
    videos = li_world.peer.videos()
    assert len(videos) == 2  # the first upload is left unused on LinkedIn
    [made] = _live(li_world, connection.remote_id)
    assert made["content"]["media"]["id"] == delivery.media_ids[0]


@pytest.mark.django_db
def test_the_composer_holds_a_video_to_linkedins_rules(li_world: LinkedInWorld,
                                                      owner: User, tmp_path: Path) -> None:
    caps = capabilities_for(_connect(li_world, owner))
    connector = get_connector("linkedin")
    clip = _clip_file(tmp_path, 100_000)
    assert connector.validate(Draft(text="ok", media=(clip,)), caps).ok
    short = MediaFile(clip.path, "video/mp4", size=clip.size, width=640, height=360,
                      duration=2.0)
    assert [p.code for p in connector.validate(Draft(text="x", media=(short,)),
                                               caps).problems] == ["video_duration"]
    mov = MediaFile(clip.path, "video/quicktime", size=clip.size, duration=4.0)
    assert [p.code for p in connector.validate(Draft(text="x", media=(mov,)),
                                               caps).problems] == ["media_type"]
    picture = MediaFile(clip.path, "image/png", size=100, width=10, height=10)
    mixed = connector.validate(Draft(text="x", media=(clip, picture)), caps)
    assert "media_mix" in [p.code for p in mixed.problems]
    big = MediaFile(clip.path, "video/mp4", size=501 * 1024 * 1024, duration=4.0)
    assert [p.code for p in connector.validate(Draft(text="x", media=(big,)),
                                               caps).problems] == ["media_size"]


@pytest.mark.django_db
def test_a_part_refused_on_the_way_up_makes_a_new_upload_and_one_post(
        li_world: LinkedInWorld, owner: User) -> None:
    li_world.peer.settings(processing_polls=0)
    connection = _connect(li_world, owner)
    li_world.peer.fail_next("PUT", "/dms-uploads/video/{part}", "500")
    post = create_post(user=owner, text="a part refused", connections=[connection],
                       media=[_new_clip()])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SCHEDULED, delivery.last_error
    assert delivery.media_ids == []
    assert [v["status"] for v in li_world.peer.videos()] == ["WAITING_UPLOAD"]
    _again(delivery)
    assert delivery.state == S.SENT, delivery.last_error
    assert sorted(v["status"] for v in li_world.peer.videos()) == ["AVAILABLE",
                                                                    "WAITING_UPLOAD"]
    [made] = _live(li_world, connection.remote_id)
    assert made["content"]["media"]["id"] == delivery.media_ids[0]
