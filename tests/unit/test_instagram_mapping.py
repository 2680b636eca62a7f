"""Instagram containers, posts, comments and sign-in answers to and from the hub's values
(networks/instagram/mapping.py and oauth.py's pure parts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hubbub.networks.base import Draft
from hubbub.networks.errors import Rejected
from hubbub.networks.instagram import connector, mapping, oauth

WEB = "https://www.instagram.com"


def test_one_image_carries_the_caption_and_a_carousel_item_does_not() -> None:
    assert mapping.image_form("https://hub/p/a.jpg", " a cat ", caption="Hi") == {
        "image_url": "https://hub/p/a.jpg", "caption": "Hi", "alt_text": "a cat"}
    assert mapping.image_form("https://hub/p/a.jpg", "", caption=None, carousel_item=True) == {
        "image_url": "https://hub/p/a.jpg", "is_carousel_item": "true"}
    assert mapping.carousel_form(["1", "2"], "Both") == {
        "media_type": "CAROUSEL", "children": "1,2", "caption": "Both"}


def test_a_containers_status_and_the_subcode_it_names() -> None:
    code, said = mapping.container_state({"status_code": "ERROR",
                                          "status": "Error: 2207052 media fetch failed"})
    assert code == "ERROR"
    assert mapping.error_subcode(said) == 2207052
    assert mapping.container_state({"status_code": "FINISHED"}) == ("FINISHED", "")
    assert mapping.error_subcode("no number") is None


def test_a_post_is_matched_by_its_caption_spaces_evened() -> None:
    draft = Draft(text="Hello  there\n#cats", content_warning="")
    assert mapping.matches({"caption": "Hello there #cats"}, draft)
    assert not mapping.matches({"caption": "Hello there"}, draft)
    assert mapping.matches({}, Draft(text=""))


def test_a_post_becomes_an_item_with_its_picture_and_counts() -> None:
    item = mapping.item_from_media({
        "id": "1790", "caption": "Sunset", "media_type": "IMAGE",
        "media_url": "https://cdn/x.jpg", "permalink": f"{WEB}/p/abc/",
        "timestamp": "2026-12-01T10:00:00+0000", "username": "ann", "comments_count": 2,
        "like_count": 5}, "@ann", WEB)
    assert (item.remote_id, item.kind, item.author_handle, item.text) == (
        "1790", "post", "@ann", "Sunset")
    assert item.created_at == datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert item.url == f"{WEB}/p/abc/"
    assert item.extra["media"][0]["url"] == "https://cdn/x.jpg"
    assert item.extra["counts"] == {"reply": 2, "like": 5}
    with pytest.raises(ValueError, match="without an id or a time"):
        mapping.item_from_media({"id": "1"}, "@ann", WEB)


def test_a_comment_is_an_item_whose_id_says_it_is_a_comment() -> None:
    item = mapping.item_from_comment({"id": "555", "text": "Nice", "username": "bob",
                                      "timestamp": "2026-12-01T11:00:00+0000"},
                                     "1790", f"{WEB}/p/abc/", WEB)
    assert item.remote_id == "c_555"
    assert mapping.is_comment(item.remote_id)
    assert mapping.comment_id(item.remote_id) == "555"
    assert item.extra["in_reply_to"] == "1790"
    assert item.author_handle == "@bob"
    reply = mapping.item_from_comment({"id": "556", "text": "Yes", "parent_id": "555",
                                       "timestamp": "2026-12-01T11:05:00+0000"},
                                      "1790", "", WEB)
    assert reply.extra["in_reply_to"] == "c_555"


def test_the_callback_checks_the_state_then_a_refusal_and_drops_the_trailing_marker() -> None:
    state = {"state": "s1"}
    assert oauth.check_callback({"state": "s1", "code": "AQB#_"}, state) == "AQB"
    with pytest.raises(Rejected, match="state mismatch"):
        oauth.check_callback({"state": "other", "code": "AQB"}, state)
    with pytest.raises(Rejected, match="cancelled"):
        oauth.check_callback({"state": "s1", "error": "access_denied",
                              "error_reason": "user_denied"}, state)


def test_a_token_answer_is_stored_with_its_expiry_and_renewed_after_a_week() -> None:
    stored = oauth.token_credentials({"access_token": "IGT", "token_type": "bearer",
                                      "expires_in": 5184000})
    expires = oauth.parse_time(stored["expires_at"])
    issued = oauth.parse_time(stored["issued_at"])
    assert expires is not None
    assert issued is not None
    assert expires - issued == timedelta(days=60)
    assert not oauth.needs_refresh(stored)
    assert oauth.needs_refresh(stored, now=issued + timedelta(days=8))
    assert not oauth.needs_refresh({"access_token": "x"})


def test_a_pasted_token_is_taken_as_new_and_renewed_a_week_later() -> None:
    stored = {"access_token": "IGT", "issued_at": datetime.now(UTC).isoformat()}
    assert not oauth.needs_refresh(stored)
    assert oauth.needs_refresh(stored, now=datetime.now(UTC) + timedelta(days=7, seconds=1))
    assert connector.InstagramConnector().credentials_expire_at(stored) is None


def test_replies_under_a_comment_follow_it_naming_it_as_parent() -> None:
    flat = mapping.with_replies([
        {"id": "1", "text": "top", "replies": {"data": [{"id": "2", "text": "under"}]}},
        {"id": "3", "text": "alone"}, "junk"])
    assert [c["id"] if isinstance(c, dict) else c for c in flat] == ["1", "2", "3", "junk"]
    assert flat[1]["parent_id"] == "1"
