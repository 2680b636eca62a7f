"""X posts and users as the hub's Items, and what is sent for a draft (networks/x/mapping.py),
from example answers written from X's documentation (networks/x/fixtures)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.x import mapping, reading

FIXTURES = Path(__file__).resolve().parents[2] / "src/hubbub/networks/x/fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_a_page_maps_every_readable_post_and_skips_the_broken_one() -> None:
    page = reading.page_from(load("timeline.json"))
    assert [i.remote_id for i in page.items] == [
        "1866000000000000005", "1866000000000000004", "1866000000000000003",
        "1866000000000000002"]  # ...06 has no created_at: skipped, the rest arrives
    assert page.next_cursor == "7140dibdnow9c7btw421dyz6jism75z99gyxd8egarsc4"


def test_a_repost_shows_the_original_with_who_reposted_it() -> None:
    repost = reading.page_from(load("timeline.json")).items[0]
    assert repost.kind == "repost"
    assert repost.author_handle == "@ada_dev"
    assert repost.author_name == "Ada"
    assert repost.text == "Shipping the new parser today & it is fast"
    assert repost.url == "https://x.com/ada_dev/status/1866000000000000001"
    assert repost.extra["original_id"] == "1866000000000000001"
    assert repost.extra["reposted_by"] == "@XDevelopers"
    assert repost.extra["reposted_by_name"] == "X Developers"
    # When it was reposted, not when the original was written
    assert repost.created_at == datetime(2026, 12, 6, 9, 30, 5, tzinfo=UTC)


def test_links_are_expanded_entities_undone_media_with_alt_text_and_counts() -> None:
    post = reading.page_from(load("timeline.json")).items[1]
    assert post.kind == "post"
    assert post.text == "Look at this https://example.com/parser?v=2 <3"
    assert post.author_handle == "@X"
    assert post.author_avatar.endswith("x_normal.jpg")
    assert post.extra["sensitive"] is True
    assert post.extra["media"] == [
        {"type": "image", "url": "https://pbs.twimg.com/media/one.jpg",
         "preview_url": "https://pbs.twimg.com/media/one.jpg", "description": "A chart going up"},
        {"type": "video", "url": "https://pbs.twimg.com/ext_tw_video_thumb/two.jpg",
         "preview_url": "https://pbs.twimg.com/ext_tw_video_thumb/two.jpg", "description": ""},
    ]
    assert post.extra["counts"] == {"reply": 2, "repost": 1, "like": 10, "quote": 0}
    assert post.extra["author_url"] == "https://x.com/X"


def test_a_reply_names_the_post_and_person_it_answers() -> None:
    reply = reading.page_from(load("timeline.json")).items[2]
    assert reply.kind == "reply"
    assert reply.extra["in_reply_to"] == "1866000000000000001"
    assert reply.extra["in_reply_to_handle"] == "@ada_dev"


def test_a_quote_carries_the_quoted_post() -> None:
    quote = reading.page_from(load("timeline.json")).items[3]
    assert quote.kind == "quote"
    assert quote.extra["quote"] == {
        "author_handle": "@ada_dev", "author_name": "Ada",
        "text": "Shipping the new parser today & it is fast",
        "url": "https://x.com/ada_dev/status/1866000000000000001",
        "uri": "https://x.com/ada_dev/status/1866000000000000001"}


def test_the_production_documents_names_are_read_too() -> None:
    """specs/openapi.json 2.167 says referenced_posts and includes.posts."""
    body = load("timeline.json")
    body["includes"]["posts"] = body["includes"].pop("tweets")
    for post in body["data"]:
        if "referenced_tweets" in post:
            post["referenced_posts"] = post.pop("referenced_tweets")
    items = reading.page_from(body).items
    assert items[0].author_handle == "@ada_dev"
    assert items[3].extra["quote"]["author_handle"] == "@ada_dev"


def test_mentions_are_mentions_unless_they_answer_something() -> None:
    items = reading.page_from(load("timeline.json"), kind="mention").items
    assert [i.kind for i in items] == ["repost", "mention", "reply", "mention"]


def test_a_repost_without_the_original_still_names_its_author() -> None:
    body = load("timeline.json")
    body["includes"]["tweets"] = []
    repost = reading.page_from(body).items[0]
    assert repost.author_handle == "@ada_dev"  # from "RT @ada_dev:"
    assert repost.text.startswith("RT @ada_dev: Shipping")


def test_identity() -> None:
    identity = mapping.identity_from_user(
        {"id": "2244994945", "name": "X Developers", "username": "XDevelopers",
         "profile_image_url": "https://pbs.twimg.com/p.jpg"})
    assert identity.remote_id == "2244994945"
    assert identity.handle == "@XDevelopers"
    assert identity.profile_url == "https://x.com/XDevelopers"
    with pytest.raises(ValueError, match="without an id or username"):
        mapping.identity_from_user({"id": "1"})


# --- what is sent -------------------------------------------------------------------------------


def test_a_post_body_carries_media_and_the_post_it_answers() -> None:
    draft = Draft(text="hello", in_reply_to="1866000000000000001",
                  media=(MediaFile("/tmp/a.png", "image/png", "alt"),))
    assert mapping.create_body(draft, ("111", "222")) == {
        "text": "hello", "media": {"media_ids": ["111", "222"]},
        "reply": {"in_reply_to_tweet_id": "1866000000000000001"}}


def test_a_warning_is_the_first_line_as_x_has_no_warning_field() -> None:
    body = mapping.create_body(Draft(text="the ending", content_warning="spoilers"), ())
    assert body == {"text": "CW: spoilers\n\nthe ending"}


@pytest.mark.parametrize("link", [
    "https://x.com/ada_dev/status/1866000000000000001",
    "https://twitter.com/ada_dev/status/1866000000000000001?s=20",
    "https://mobile.twitter.com/i/web/status/1866000000000000001",
])
def test_a_trailing_link_to_a_post_becomes_a_quote(link: str) -> None:
    body = mapping.create_body(Draft(text=f"So true\n\n{link}"), ())
    assert body == {"text": "So true", "quote_tweet_id": "1866000000000000001"}


def test_a_quote_link_stays_a_link_with_media_or_inside_the_text() -> None:
    link = "https://x.com/ada_dev/status/1866000000000000001"
    with_media = Draft(text=f"So true {link}", media=(MediaFile("/a.png", "image/png", "a"),))
    assert mapping.create_body(with_media, ("1",))["text"] == f"So true {link}"
    inside = Draft(text=f"See {link} and more")
    assert "quote_tweet_id" not in mapping.create_body(inside, ())
    alone = Draft(text=link)  # nothing left to say: post the link
    assert mapping.create_body(alone, ()) == {"text": link}


# --- finding what was sent ----------------------------------------------------------------------


def own(index: int) -> dict[str, Any]:
    post: dict[str, Any] = load("own_posts.json")["data"][index]
    return post


def test_matching_expands_links_and_undoes_entities() -> None:
    post = own(1)
    sent = "Read this: https://example.org/a?b=c&d=e & tell me 1/2"
    assert mapping.matches(post, Draft(text=sent))
    assert not mapping.matches(post, Draft(text="Read this: https://example.org/a & tell me 1/2"))


def test_matching_needs_the_same_post_answered() -> None:
    part = own(0)
    assert mapping.matches(part, Draft(text="Part two of the thread 2/2",
                                       in_reply_to="1866100000000000003"))
    assert not mapping.matches(part, Draft(text="Part two of the thread 2/2"))
    assert not mapping.matches(part, Draft(text="Part two of the thread 2/2", in_reply_to="9"))
    assert not mapping.matches(own(1), Draft(
        text="Read this: https://example.org/a?b=c&d=e & tell me 1/2", in_reply_to="9"))


def test_matching_a_quote_whose_link_x_shows_in_the_text() -> None:
    draft = Draft(text="Worth a look\n\nhttps://x.com/X/status/1866000000000000004")
    assert mapping.matches(own(2), draft)
    other = Draft(text="Worth a look\n\nhttps://x.com/X/status/1866000000000000999")
    assert not mapping.matches(own(2), other)


def test_matching_counts_the_pictures_when_x_lists_them() -> None:
    pictures = tuple(MediaFile(f"/{n}.png", "image/png", "a") for n in range(2))
    assert mapping.matches(own(3), Draft(text="Two pictures", media=pictures), 2)
    assert not mapping.matches(own(3), Draft(text="Two pictures"), 0)


def test_oldest_match_first() -> None:
    posts = load("own_posts.json")["data"]
    assert mapping.oldest_first(posts)[0]["id"] == "1866100000000000001"
