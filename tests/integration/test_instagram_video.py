"""Instagram video against the Instagram stand-in: a video alone is a reel (REELS container
with video_url), a video beside pictures is a carousel item (VIDEO), and Instagram's servers
(the stand-in) really fetch the file from the hub's signed public address (Django's live
server). A reel still being prepared is published later from the same stored container, once,
also through the composer's service and the engine. The composer holds a video to the reel
rules, and a carousel's video to the item rules.

The MP4s are written box by box (tests/unit/test_video_probe.py): real headers, samples that
are not a picture; the stand-in checks the container format only."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hubbub.connections.services import save_connection
from hubbub.jobs import scheduler
from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.errors import Transient
from hubbub.networks.registry import get_connector
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import NewMedia, create_post
from tests.integration.instagram_support import IGWorld, make_ig_world
from tests.peers.instagram.peer import InstagramPeer
from tests.unit.test_video_probe import make_mp4

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ig_world(instagram_peer: InstagramPeer, monkeypatch: pytest.MonkeyPatch, settings: Any,
             live_server: Any, tmp_path: Path) -> IGWorld:
    return make_ig_world(instagram_peer, monkeypatch, settings, live_server.url,
                         tmp_path / "media")


def _clip(world: IGWorld, name: str = "clip.mp4", seconds: float = 4.0,
          brand: bytes = b"isom", mime: str = "video/mp4") -> MediaFile:
    """A video under MEDIA_ROOT, as the composer stores one."""
    path = world.media_root / "posts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(make_mp4(seconds=seconds, width=720, height=1280, fps=30, brand=brand,
                              mdat=bytes(50_000)))
    return MediaFile(str(path), mime, "a test card", path.stat().st_size, 720, 1280,
                     duration=seconds, frame_rate=30.0)


def _stage(world: IGWorld, account: Any, draft: Draft) -> tuple[tuple[str, ...], dict[str, Any]]:
    ids = tuple(world.connector.upload_media(account, m) for m in draft.media)
    return ids, {"stage": world.connector.stage(account, draft, ids, {})}


def test_a_video_alone_is_a_reel_fetched_from_the_hub(ig_world: IGWorld) -> None:
    account = ig_world.account()
    clip = _clip(ig_world)
    draft = Draft(text=f"A #reel {secrets.token_hex(3)}", media=(clip,))
    assert ig_world.connector.validate(draft, ig_world.connector.default_capabilities()).ok
    ids, prepared = _stage(ig_world, account, draft)
    assert ids == ("posts/clip.mp4",)
    [container] = ig_world.peer.containers()
    assert container["id"] == prepared["stage"]["container"]
    assert (container["kind"], container["caption"]) == ("REELS", draft.text)
    assert container["alt_text"] is None  # Instagram takes alt text for images only
    assert container["video_size"] == clip.size
    assert container["video_url"].startswith(f"{settings.PUBLIC_URL}/public/media/")
    served = requests.get(container["video_url"], timeout=30)
    assert served.headers["Content-Type"] == "video/mp4"
    assert served.content == Path(clip.path).read_bytes()
    published = ig_world.connector.publish(account, draft, "k", ids, prepared)
    [post] = ig_world.peer.media()
    assert post["id"] == published.remote_id
    assert (post["media_type"], post["media_product_type"]) == ("VIDEO", "REELS")
    assert post["caption"] == draft.text


def test_a_mov_is_served_as_quicktime(ig_world: IGWorld) -> None:
    account = ig_world.account()
    clip = _clip(ig_world, "clip.mov", brand=b"qt  ", mime="video/quicktime")
    _stage(ig_world, account, Draft(text="mov", media=(clip,)))
    [container] = ig_world.peer.containers()
    served = requests.get(container["video_url"], timeout=30)
    assert served.headers["Content-Type"] == "video/quicktime"


def test_a_video_beside_pictures_is_a_carousel_item(ig_world: IGWorld) -> None:
    account = ig_world.account()
    clip = _clip(ig_world)
    picture = ig_world.picture("sq.jpg", (0, 90, 0), alt="A green square")
    draft = Draft(text=f"Both {secrets.token_hex(3)}", media=(clip, picture))
    assert ig_world.connector.validate(draft, ig_world.connector.default_capabilities()).ok
    ids, prepared = _stage(ig_world, account, draft)
    containers = ig_world.peer.containers()
    parent = next(c for c in containers if c["id"] == prepared["stage"]["container"])
    items = [c for c in containers if c["is_carousel_item"]]
    assert parent["kind"] == "CAROUSEL"
    assert [c["id"] for c in items] == parent["children"]
    assert [(c["kind"], c["alt_text"]) for c in items] == [("VIDEO", None),
                                                          ("IMAGE", "A green square")]
    assert items[0]["video_size"] == clip.size
    published = ig_world.connector.publish(account, draft, "k", ids, prepared)
    [post] = [m for m in ig_world.peer.media() if not m.get("parent_id")]
    assert post["id"] == published.remote_id
    assert post["media_type"] == "CAROUSEL_ALBUM"


def test_a_reel_still_being_prepared_is_published_later_once(ig_world: IGWorld) -> None:
    ig_world.peer.settings(in_progress_reads=6)  # publish reads 4 times, then comes back
    account = ig_world.account()
    draft = Draft(text=f"Slow reel {secrets.token_hex(3)}", media=(_clip(ig_world),))
    ids, prepared = _stage(ig_world, account, draft)
    with pytest.raises(Transient, match="still preparing"):
        ig_world.connector.publish(account, draft, "k", ids, prepared)
    assert ig_world.peer.media() == []
    # Later: the stored container is read until FINISHED, then published.
    first = ig_world.connector.publish(account, draft, "k", ids, prepared)
    again = ig_world.connector.publish(account, draft, "k", ids, prepared)
    assert again.remote_id == first.remote_id
    assert [m["id"] for m in ig_world.peer.media()] == [first.remote_id]
    assert len(ig_world.peer.containers()) == 1


def test_the_composer_holds_videos_to_instagrams_rules(ig_world: IGWorld) -> None:
    caps = ig_world.connector.default_capabilities()
    validate = ig_world.connector.validate
    clip = _clip(ig_world)
    picture = ig_world.picture("p.jpg", (1, 2, 3))

    def codes(*media: MediaFile) -> list[str]:
        return [p.code for p in validate(Draft(text="x", media=media), caps).problems]

    long_reel = MediaFile(clip.path, "video/mp4", "", clip.size, 720, 1280, duration=16 * 60)
    assert codes(long_reel) == ["video_duration"]
    assert codes(long_reel, picture) == ["video_duration"]  # said once
    assert codes(MediaFile(clip.path, "video/mp4", "", clip.size, 720, 1280,
                           duration=90.0)) == []  # a reel of 90 s is fine
    assert codes(MediaFile(clip.path, "video/mp4", "", clip.size, 720, 1280, duration=90.0),
                 picture) == ["video_duration"]  # in a carousel: 60 s at most
    big = MediaFile(clip.path, "video/mp4", "", 150 * 1024 * 1024, 720, 1280, duration=10)
    assert codes(big) == []
    assert codes(big, picture) == ["media_size"]
    assert codes(MediaFile(clip.path, "video/webm", "", clip.size, duration=4.0)) == \
        ["media_type"]
    wide = MediaFile(clip.path, "video/mp4", "", clip.size, 3840, 2160, duration=4.0)
    assert codes(wide) == ["video_dimensions"]
    slow = MediaFile(clip.path, "video/mp4", "", clip.size, 720, 1280, duration=4.0,
                     frame_rate=15.0)
    assert codes(slow) == ["video_frame_rate"]


# --- through the engine, from the composer's service ---------------------------------------


def test_a_video_from_the_composer_goes_out_as_one_reel(ig_world: IGWorld) -> None:
    ig_world.peer.settings(in_progress_reads=6)  # still being prepared at the first try
    owner = User.objects.create_user("owner", password="a-long-enough-password")
    user = ig_world.person()
    token = ig_world.peer.token_for(user, ig_world.app_id)
    connection = save_connection(owner, "instagram", get_connector(
        "instagram").connect_with_token("", {"access_token": token}))
    data = make_mp4(seconds=5.0, width=720, height=1280, fps=30, mdat=bytes(20_000))
    text = f"From the composer {secrets.token_hex(3)}"
    post = create_post(user=owner, text=text, connections=[connection], media=[NewMedia(
        SimpleUploadedFile("clip.mp4", data, content_type="video/mp4"), "a test card")])

    def run_due() -> None:
        for pk, _ in scheduler.due_deliveries():
            engine.process(pk)

    run_due()
    delivery = post.deliveries.get()
    assert delivery.state == DeliveryState.SCHEDULED, delivery.last_error
    assert "still preparing" in delivery.last_error
    stored = dict(delivery.prepared or {})
    Delivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now())
    run_due()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT, delivery.last_error
    assert delivery.prepared == stored  # the same container, published
    [reel] = [m for m in ig_world.peer.media(user) if not m.get("parent_id")]
    assert (reel["id"], reel["media_product_type"], reel["caption"]) == (
        delivery.remote_id, "REELS", text)
    [container] = ig_world.peer.containers(user)
    assert container["video_size"] == len(data)
