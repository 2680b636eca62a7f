"""Facebook Page posts to and from the hub's values (networks/facebook/mapping.py, rules.py and
the Login callback's checks), from the example payloads on Meta's reference pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.errors import Rejected
from hubbub.networks.facebook import mapping, oauth, rules

WEB = "https://www.facebook.com"
PAGE = "112233445566"


def test_a_text_post_is_its_message() -> None:
    assert mapping.feed_form(Draft(text="Hello fans!"), ()) == {"message": "Hello fans!"}


def test_a_link_in_the_text_is_shared_as_the_post_s_link() -> None:
    form = mapping.feed_form(Draft(text="Read this: https://example.com/a?b=1."), ())
    assert form == {"message": "Read this: https://example.com/a?b=1.",
                    "link": "https://example.com/a?b=1"}


def test_photos_are_attached_by_id_and_no_link_card_competes() -> None:
    photo = MediaFile(path="/x.png", mime_type="image/png", alt_text="a dot")
    form = mapping.feed_form(Draft(text="see https://example.com", media=(photo, photo)),
                             ("901", "902"))
    assert "link" not in form
    assert json.loads(form["attached_media[0]"]) == {"media_fbid": "901"}
    assert json.loads(form["attached_media[1]"]) == {"media_fbid": "902"}


def test_a_photo_goes_up_unpublished_with_its_alt_text() -> None:
    photo = MediaFile(path="/x.png", mime_type="image/png", alt_text="  a red dot ")
    assert mapping.photo_form(photo) == {"published": "false", "alt_text_custom": "a red dot"}
    assert mapping.photo_form(MediaFile(path="/x.png", mime_type="image/png")) == \
        {"published": "false"}


def test_a_content_warning_leads_the_message() -> None:
    assert mapping.message_of(Draft(text="plot", content_warning="spoilers")) == \
        "CW: spoilers\n\nplot"


def test_the_published_answer_becomes_the_post_and_its_address() -> None:
    published = mapping.published({"id": f"{PAGE}_778899"}, WEB, PAGE)
    assert published.remote_id == f"{PAGE}_778899"
    assert published.url == f"{WEB}/{PAGE}/posts/778899"
    with pytest.raises(ValueError, match="no post id"):
        mapping.published({"success": True}, WEB, PAGE)


@pytest.mark.parametrize("value", ["2026-12-06T09:38:00+0000", "2026-12-06T09:38:00Z",
                                   "2026-12-06T10:38:00+01:00"])
def test_graph_times_are_read_in_every_spelling(value: str) -> None:
    assert mapping.parse_time(value) == datetime(2026, 12, 6, 9, 38, tzinfo=UTC)


def test_unreadable_times_are_none() -> None:
    assert mapping.parse_time("yesterday") is None
    assert mapping.parse_time(12) is None


def test_matching_needs_the_same_message_and_link() -> None:
    draft = Draft(text="New article https://example.com/a")
    post = {"id": f"{PAGE}_1", "message": "New  article\nhttps://example.com/a",
            "attachments": {"data": [{"type": "share",
                                      "url": "https://l.facebook.com/l.php?u=https%3A%2F%2F"
                                             "example.com%2Fa&h=AT0"}]}}
    assert mapping.matches(post, draft)
    other_link = {**post, "attachments": {"data": [{"url": "https://example.com/b"}]}}
    assert not mapping.matches(other_link, draft)
    assert not mapping.matches({**post, "message": "New article"}, draft)
    # Without a link card shown, the message decides.
    assert mapping.matches({"message": draft.text}, draft)


def test_a_post_becomes_an_item_with_its_photos_and_card() -> None:
    post = {"id": f"{PAGE}_5", "message": "Our new shop", "created_time":
            "2026-12-06T09:38:00+0000", "permalink_url": f"{WEB}/{PAGE}/posts/5",
            "from": {"name": "Corner Bakery", "id": PAGE},
            "attachments": {"data": [{"type": "album", "subattachments": {"data": [
                {"type": "photo", "description": "the counter",
                 "media": {"image": {"src": "https://scontent.example/1.jpg"}}}]}}]}}
    item = mapping.item_from_post(post, "Corner Bakery", WEB)
    assert item.remote_id == f"{PAGE}_5"
    assert item.author_handle == "Corner Bakery"
    assert item.url == f"{WEB}/{PAGE}/posts/5"
    assert item.extra["media"] == [{"type": "image", "url": "https://scontent.example/1.jpg",
                                    "preview_url": "https://scontent.example/1.jpg",
                                    "description": "the counter"}]


def test_a_comment_answers_its_parent() -> None:
    comment = {"id": "5_42", "message": "Lovely!", "created_time": "2026-12-06T09:40:00+0000",
               "from": {"name": "Ana", "id": "7"}, "parent": {"id": "5_41"}}
    item = mapping.item_from_comment(comment, f"{PAGE}_5", WEB)
    assert item.kind == "reply"
    assert item.extra["in_reply_to"] == "5_41"
    top = mapping.item_from_comment({**comment, "parent": None}, f"{PAGE}_5", WEB)
    assert top.extra["in_reply_to"] == f"{PAGE}_5"


def test_entries_without_an_id_or_time_are_refused() -> None:
    with pytest.raises(ValueError, match="without an id"):
        mapping.item_from_post({"message": "x", "created_time": "2026-12-06T09:40:00+0000"},
                               "P", WEB)
    with pytest.raises(ValueError, match="without an id"):
        mapping.item_from_comment({"id": "1", "created_time": "soon"}, "p", WEB)


# --- rules ----------------------------------------------------------------------------------------

def test_validate_counts_the_warning_too() -> None:
    caps = rules.capabilities()
    result = rules.validate(Draft(text="a" * (caps.text_limit - 2), content_warning="cw"), caps)
    assert [p.code for p in result.problems] == ["too_long"]


def test_video_and_other_types_are_refused_with_a_reason() -> None:
    caps = rules.capabilities()
    video = MediaFile(path="/v.mp4", mime_type="video/mp4", alt_text="x")
    webp = MediaFile(path="/p.webp", mime_type="image/webp", alt_text="x")
    codes = [p.code for p in rules.validate(Draft(text="t", media=(video, webp)), caps).problems]
    assert codes == ["media_type"]  # the WebP is sent as a JPEG
    heic = MediaFile(path="/p.heic", mime_type="image/heic", alt_text="x")
    codes = [p.code for p in rules.validate(Draft(text="t", media=(heic,)), caps).problems]
    assert codes == ["media_type"]
    bare = MediaFile(path="/p.png", mime_type="image/png", size=11 * 1024 * 1024)
    codes = [p.code for p in rules.validate(Draft(text="t", media=(bare,)), caps).problems]
    assert codes == ["alt_missing"]  # over 4 MB: fitted before upload


# --- the Login callback ------------------------------------------------------------------------

STATE = {"state": "s3cr3t", "redirect_uri": "https://hub.example/cb"}


def test_the_callback_gives_the_code() -> None:
    assert oauth.check_callback({"state": "s3cr3t", "code": "AQD"}, STATE) == "AQD"


def test_a_declined_login_says_nothing_was_connected() -> None:
    params = {"state": "s3cr3t", "error": "access_denied", "error_reason": "user_denied",
              "error_description": "Permissions error."}
    with pytest.raises(Rejected, match="cancelled: nothing was connected"):
        oauth.check_callback(params, STATE)


@pytest.mark.parametrize("params", [{"state": "other", "code": "AQD"}, {"code": "AQD"},
                                    {"state": "", "code": "AQD"}])
def test_a_state_mismatch_is_refused(params: dict[str, str]) -> None:
    with pytest.raises(Rejected, match="state mismatch"):
        oauth.check_callback(params, STATE)


def test_pages_without_a_token_are_left_out_and_tasks_decide_posting() -> None:
    entry = {"id": PAGE, "name": "Corner  Bakery", "access_token": "EAAPage",
             "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
             "picture": {"data": {"url": "https://scontent.example/p.jpg"}}}
    page = oauth.page_connection("https://graph.facebook.com", entry, "g1")
    assert page is not None
    assert page.identity.handle == "Corner Bakery"
    assert page.identity.avatar_url == "https://scontent.example/p.jpg"
    assert page.credentials["access_token"] == "EAAPage"
    assert oauth.can_post(page.credentials)
    analyst = oauth.page_connection("https://graph.facebook.com",
                                    {**entry, "tasks": ["ANALYZE"]}, "g1")
    assert analyst is not None
    assert not oauth.can_post(analyst.credentials)
    assert oauth.page_connection("https://graph.facebook.com",
                                 {"id": PAGE, "name": "x"}, "g1") is None
