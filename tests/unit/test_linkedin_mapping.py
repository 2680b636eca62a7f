"""LinkedIn payloads both ways and its error answers, from shapes written after Microsoft
Learn's LinkedIn pages (src/hubbub/networks/linkedin/fixtures)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.errors import (
    AuthExpired,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)
from hubbub.networks.linkedin import mapping, rules
from hubbub.networks.linkedin.api import encode_query, urn_path
from hubbub.networks.linkedin.failures import Failure, map_failure, next_utc_midnight

FIXTURES = Path(__file__).parents[2] / "src/hubbub/networks/linkedin/fixtures"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def failure(status: int, body: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> Failure:
    return Failure.parse(status, json.dumps(body or {}).encode(), headers or {})


# --- what is sent ------------------------------------------------------------------------------


def test_post_body_escapes_commentary_and_names_the_author() -> None:
    body = mapping.post_body("urn:li:person:abc", Draft(text="Hi (all) #news"), [])
    assert body["author"] == "urn:li:person:abc"
    assert body["commentary"] == "Hi \\(all\\) {hashtag|\\#|news}"
    assert body["lifecycleState"] == "PUBLISHED"
    assert body["distribution"]["feedDistribution"] == "MAIN_FEED"
    assert "content" not in body


def test_one_picture_is_media_with_alt_text() -> None:
    body = mapping.post_body("urn:li:person:a", Draft(text="x"), [("urn:li:image:1", "a dog")])
    assert body["content"] == {"media": {"id": "urn:li:image:1", "altText": "a dog"}}


def test_several_pictures_are_a_multi_image() -> None:
    body = mapping.post_body("urn:li:person:a", Draft(text="x"),
                             [("urn:li:image:1", "one"), ("urn:li:image:2", "")])
    assert body["content"] == {"multiImage": {"images": [
        {"id": "urn:li:image:1", "altText": "one"}, {"id": "urn:li:image:2"}]}}


def test_a_link_without_pictures_is_an_article() -> None:
    body = mapping.post_body("urn:li:person:a", Draft(text="see https://example.com/x"), [],
                             {"source": "https://example.com/x", "title": "X", "description": ""})
    assert body["content"] == {"article": {"source": "https://example.com/x", "title": "X"}}


def test_a_content_warning_leads_the_text() -> None:
    body = mapping.post_body("urn:li:person:a", Draft(text="t", content_warning="spoiler"), [])
    assert body["commentary"].startswith("CW: spoiler")


def test_first_link_drops_trailing_punctuation() -> None:
    assert mapping.first_link("read https://example.com/a). now") == "https://example.com/a"
    assert mapping.first_link("no link") == ""


def test_urns_are_encoded_whole() -> None:
    assert urn_path("urn:li:share:1") == "urn%3Ali%3Ashare%3A1"
    assert encode_query({"author": "urn:li:person:a b", "q": "author"}) == \
        "author=urn%3Ali%3Aperson%3Aa%20b&q=author"


def test_reply_to_a_comment_answers_it_on_its_post() -> None:
    comment = "urn:li:comment:(urn:li:activity:7,8)"
    assert mapping.comment_target(comment) == ("urn:li:activity:7", comment)
    assert mapping.comment_target("urn:li:share:7") == ("urn:li:share:7", "")
    body = mapping.comment_body("urn:li:person:a", Draft(text="yes (ok)"), "urn:li:activity:7",
                                comment)
    assert body == {"actor": "urn:li:person:a", "object": "urn:li:activity:7",
                    "message": {"text": "yes (ok)"}, "parentComment": comment}


# --- what is read ------------------------------------------------------------------------------


def test_posts_map_to_items_and_a_broken_one_is_an_error() -> None:
    elements = load("posts_by_author.json")["elements"]
    names = {"urn:li:organization:5515715": "Acme"}
    first = mapping.item_from_post(elements[0], names)
    assert first.remote_id == "urn:li:share:7099000000000000002"
    assert first.text == "Launch day (finally) #shipping see Devtestco"
    assert first.author_name == "Acme"
    assert first.created_at == datetime.fromtimestamp(1765000001, UTC)
    assert [m["description"] for m in first.extra["media"]] == ["a cake", "the team"]
    assert first.url == "https://www.linkedin.com/feed/update/urn:li:share:7099000000000000002/"
    second = mapping.item_from_post(elements[1], names)
    assert second.extra["card"]["title"] == "An article"
    with pytest.raises(ValueError, match="without a URN"):
        mapping.item_from_post(elements[2], names)


def test_matches_reads_the_commentary_back() -> None:
    post = load("posts_by_author.json")["elements"][0]
    draft = Draft(text="Launch day (finally) #shipping see Devtestco",
                  media=(MediaFile("a", "image/png"), MediaFile("b", "image/png")))
    assert mapping.matches(post, draft, 2)
    assert not mapping.matches(post, draft, 1)
    assert not mapping.matches(post, Draft(text="Launch day"), 2)


def test_comments_map_to_replies() -> None:
    elements = load("comments.json")["elements"]
    post = "urn:li:share:7099000000000000002"
    first = mapping.item_from_comment(elements[0], post, {})
    assert first.remote_id == elements[0]["commentUrn"]
    assert first.text == "Congrats (all)!"  # comments are plain text
    assert first.kind == "reply"
    assert first.extra["in_reply_to"] == post
    second = mapping.item_from_comment(elements[1], post, {"urn:li:person:def456": "Dee"})
    assert second.remote_id == f"urn:li:comment:({post},7100000000000000002)"
    assert second.author_name == "Dee"


def test_member_and_pages() -> None:
    member = mapping.member_identity({"sub": "782bbtaQ", "name": "John Doe",
                                      "picture": "https://media.licdn.com/p.jpg",
                                      "email": "doe@example.com"})
    assert member.remote_id == "urn:li:person:782bbtaQ"
    assert member.handle == "John Doe"
    with pytest.raises(ValueError, match="names no member"):
        mapping.member_identity({"name": "no sub"})
    acls = {"elements": [
        {"role": "ADMINISTRATOR", "state": "APPROVED", "organization": "urn:li:organization:1"},
        {"role": "ANALYST", "state": "APPROVED", "organization": "urn:li:organization:2"},
        {"role": "ADMINISTRATOR", "state": "REQUESTED", "organization": "urn:li:organization:3"},
        {"role": "ADMINISTRATOR", "state": "APPROVED", "organization": "urn:li:organization:1"},
        {"role": "ADMINISTRATOR", "state": "APPROVED", "organization": "urn:li:person:x"},
    ]}
    assert mapping.administered(acls) == ["urn:li:organization:1"]
    page = mapping.organization_identity("urn:li:organization:1",
                                         {"localizedName": "Acme", "vanityName": "acme"})
    assert page.handle == "Acme"
    assert page.profile_url == "https://www.linkedin.com/company/acme/"


# --- errors ------------------------------------------------------------------------------------


def test_401_expired_and_revoked() -> None:
    assert isinstance(map_failure(failure(401, {"serviceErrorCode": 65600, "message":
                                                "Invalid access token"})), AuthExpired)
    revoked = map_failure(failure(401, {"serviceErrorCode": 65601, "code":
                                        "REVOKED_ACCESS_TOKEN", "message": "revoked"}))
    assert isinstance(revoked, Revoked)


def test_403_names_the_missing_scope() -> None:
    error = map_failure(failure(403, {"status": 403, "serviceErrorCode": 100, "message":
                                      "Not enough permissions to access: partnerApiPosts"}),
                        scope="w_member_social")
    assert isinstance(error, Rejected)
    assert "w_member_social" in error.message
    named = map_failure(failure(403, {"message": "Member lacks r_organization_social"}))
    assert "r_organization_social" in named.message


def test_429_waits_for_the_next_utc_midnight() -> None:
    now = datetime(2026, 12, 6, 21, 30, tzinfo=UTC)
    error = map_failure(failure(429, {"message": "Resource level throttle"}), now=now)
    assert isinstance(error, RateLimited)
    assert error.retry_at == datetime(2026, 12, 7, tzinfo=UTC) == next_utc_midnight(now)
    soon = map_failure(failure(429, headers={"Retry-After": "60"}), now=now)
    assert isinstance(soon, RateLimited)
    assert (soon.retry_at - now).total_seconds() == 60


def test_5xx_after_a_post_may_have_landed() -> None:
    assert isinstance(map_failure(failure(500), write=True), OutcomeUnknown)
    assert isinstance(map_failure(failure(503), write=True), Transient)
    assert isinstance(map_failure(failure(502)), Transient)


def test_duplicate_refusal_names_the_post() -> None:
    body = {"status": 422, "message": "ERROR :: /commentary :: Content is a duplicate of "
                                      "urn:li:share:7099000000000000009"}
    parsed = failure(422, body)
    assert parsed.duplicate_of == "urn:li:share:7099000000000000009"
    plain = failure(422, {"status": 422, "message": "Duplicate post"})
    assert plain.is_duplicate
    assert plain.duplicate_of == ""
    assert not failure(422, {"message": "urn:li:share:1 is bad"}).duplicate_of


def test_validation() -> None:
    caps = rules.capabilities()
    assert rules.validate(Draft(text="ok"), caps).ok
    too_long = rules.validate(Draft(text="(" * 1501), caps)  # 1501 escaped = 3002
    assert [p.code for p in too_long.problems] == ["too_long"]
    video = rules.validate(Draft(text="v", media=(MediaFile("v.mp4", "video/mp4"),)), caps)
    assert video.ok  # the Videos API takes MP4 (what the file says is checked when known)
    webm = rules.validate(Draft(text="v", media=(MediaFile("v.webm", "video/webm"),)), caps)
    assert [p.code for p in webm.problems] == ["media_type"]
