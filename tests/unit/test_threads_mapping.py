"""Threads posts to and from the hub's values (networks/threads/mapping.py), the sign-in's
checks and token bookkeeping (oauth.py), and the pictures Threads fetches (meta/media.py),
from the example payloads on Meta's Threads reference pages."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import override_settings
from PIL import Image

from hubbub.core.image_fit import FitLimits
from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.errors import Rejected
from hubbub.networks.meta import media as meta_media
from hubbub.networks.threads import mapping, oauth

WEB = "https://threads.com"


def test_a_text_post_is_a_text_container() -> None:
    assert mapping.container_form(Draft(text="Hello")) == {"media_type": "TEXT", "text": "Hello"}


def test_an_image_post_names_its_address_and_description() -> None:
    form = mapping.container_form(Draft(text="look"), [("https://hub/p/1.jpg", " a dot ")])
    assert form == {"media_type": "IMAGE", "image_url": "https://hub/p/1.jpg",
                    "alt_text": "a dot", "text": "look"}


def test_a_carousel_names_its_items_and_a_reply_its_target() -> None:
    form = mapping.container_form(Draft(text="two", in_reply_to="555"), (), ["11", "12"])
    assert form == {"media_type": "CAROUSEL", "children": "11,12", "text": "two",
                    "reply_to_id": "555"}
    assert mapping.item_form("https://hub/p/2.png", "") == {
        "media_type": "IMAGE", "image_url": "https://hub/p/2.png", "is_carousel_item": "true"}


def test_a_content_warning_leads_the_text() -> None:
    form = mapping.container_form(Draft(text="plot", content_warning="spoilers"))
    assert form["text"] == "CW: spoilers\n\nplot"


POST = {"id": "1234567", "media_product_type": "THREADS", "media_type": "IMAGE",
        "media_url": "https://cdn.example/1.jpg", "permalink": "https://www.threads.net/@al/post/abc",
        "username": "al", "text": "Check out this image!", "timestamp": "2026-04-14T09:15:00+0000",
        "alt_text": "a cat"}


def test_a_post_becomes_an_item_with_its_image() -> None:
    item = mapping.item_from_post(POST, "@al", WEB)
    assert (item.remote_id, item.kind, item.author_handle, item.text) == \
        ("1234567", "post", "@al", "Check out this image!")
    assert item.created_at == datetime(2026, 4, 14, 9, 15, tzinfo=UTC)
    assert item.url == "https://www.threads.net/@al/post/abc"
    assert item.extra["media"] == [{"type": "image", "url": "https://cdn.example/1.jpg",
                                    "preview_url": "https://cdn.example/1.jpg",
                                    "description": "a cat"}]


def test_a_reply_names_what_it_answers() -> None:
    reply = {**POST, "id": "99", "media_type": "TEXT_POST", "username": "bo",
             "replied_to": {"id": "1234567"}, "root_post": {"id": "1234567"}}
    item = mapping.item_from_post(reply, "@al", WEB, kind="reply")
    assert item.kind == "reply"
    assert item.extra["in_reply_to"] == "1234567"
    assert item.author_handle == "@bo"
    assert "media" not in item.extra
    with pytest.raises(ValueError, match="without an id or a time"):
        mapping.item_from_post({"id": "1"}, "@al", WEB)


def test_a_post_matches_the_draft_by_text_and_reply_target() -> None:
    draft = Draft(text="Check  out this image!")
    assert mapping.matches(POST, draft)
    assert not mapping.matches({**POST, "text": "other"}, draft)
    reply = Draft(text="Check out this image!", in_reply_to="7")
    assert mapping.matches({**POST, "replied_to": {"id": "7"}}, reply)
    assert not mapping.matches({**POST, "replied_to": {"id": "8"}}, reply)


def test_the_publishing_limit_is_read_from_the_answer() -> None:
    body = {"data": [{"quota_usage": 4, "config": {"quota_total": 250, "quota_duration": 86400},
                      "reply_quota_usage": 1,
                      "reply_config": {"quota_total": 1000, "quota_duration": 86400}}]}
    assert mapping.quota(body, reply=False) == (4, 250, 86400)
    assert mapping.quota(body, reply=True) == (1, 1000, 86400)
    assert mapping.quota({"data": []}, reply=False) is None
    assert mapping.quota({"data": [{"quota_usage": "4"}]}, reply=False) is None


def test_the_sign_in_checks_state_and_a_refusal() -> None:
    with pytest.raises(Rejected, match="state mismatch"):
        oauth.check_callback({"code": "c", "state": "other"}, {"state": "mine"})
    with pytest.raises(Rejected, match="cancelled"):
        oauth.check_callback({"error": "access_denied", "error_reason": "user_denied",
                              "state": "mine"}, {"state": "mine"})
    assert oauth.check_callback({"code": "abc#_", "state": "mine"}, {"state": "mine"}) == "abc"


def test_a_long_lived_token_is_renewed_in_its_last_week_once_a_day_old() -> None:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    fresh = oauth.stored({"access_token": "t", "expires_in": 5183944}, now=now)
    assert fresh["expires_at"] == (now + timedelta(seconds=5183944)).isoformat()
    assert not oauth.due_for_renewal(fresh, now=now)
    assert oauth.due_for_renewal(fresh, now=now + timedelta(days=55))
    young = oauth.stored({"access_token": "t", "expires_in": 3 * 86400}, now=now)
    assert not oauth.due_for_renewal(young, now=now + timedelta(hours=1))
    assert not oauth.due_for_renewal(fresh, now=now + timedelta(days=61))  # too late


def _picture(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA" if fmt != "JPEG" else "RGB", (4, 3), (200, 10, 10, 255)).save(out, fmt)
    return out.getvalue()


def test_pictures_are_kept_or_fitted_under_media_root(tmp_path: Path) -> None:
    root = tmp_path / "media"
    (root / "up").mkdir(parents=True)
    png, gif, webp = root / "up" / "a.png", root / "up" / "b.gif", root / "up" / "c.webp"
    png.write_bytes(_picture("PNG"))
    gif.write_bytes(_picture("GIF"))
    webp.write_bytes(_picture("WEBP"))
    limits = FitLimits(max_bytes=10**6, mime_types=("image/jpeg", "image/png"), motion=False)
    with override_settings(MEDIA_ROOT=root, PUBLIC_URL="https://hub.example"):
        assert meta_media.prepare_image(MediaFile(str(png), "image/png"), network="Threads",
                                        limits=limits) == "up/a.png"
        made = meta_media.prepare_image(MediaFile(str(gif), "image/gif"), network="Threads",
                                        limits=limits)
        assert made.startswith("fitted/")
        assert (root / made).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # a GIF's still
        again = meta_media.prepare_image(MediaFile(str(gif), "image/gif"), network="Threads",
                                         limits=limits)
        assert again == made  # a retry finds the same file
        opaque = meta_media.prepare_image(MediaFile(str(webp), "image/webp"),
                                          network="Threads", limits=limits)
        assert opaque.startswith("fitted/")
        assert opaque.endswith(".jpg")
        assert (root / opaque).read_bytes()[:3] == b"\xff\xd8\xff"
        assert meta_media.address(made, "Threads").startswith("https://hub.example/public/media/")
        outside = tmp_path / "elsewhere.png"
        outside.write_bytes(_picture("PNG"))
        with pytest.raises(Rejected, match="not one of the hub's files"):
            meta_media.prepare_image(MediaFile(str(outside), "image/png"), network="Threads",
                                     limits=limits)
        tiny = FitLimits(max_bytes=10, mime_types=("image/jpeg", "image/png"), motion=False)
        with pytest.raises(Rejected, match="cannot be made smaller"):
            meta_media.prepare_image(MediaFile(str(png), "image/png"), network="Threads",
                                     limits=tiny)
    with override_settings(MEDIA_ROOT=root, PUBLIC_URL=""), \
            pytest.raises(Rejected, match="HUBBUB_PUBLIC_URL"):
        meta_media.address(made, "Threads")
