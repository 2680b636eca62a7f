"""What a deck notification that is not a post says (timeline/templatetags/notices.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hubbub.timeline.templatetags.notices import notice_of


def _item(**fields: Any) -> SimpleNamespace:
    base: dict[str, Any] = {"kind": "post", "network": "mastodon", "text": "", "extra": {},
                            "reposted_by": ""}
    return SimpleNamespace(**(base | fields))


def test_follow_like_and_boost_on_mastodon() -> None:
    follow = notice_of(_item(kind="follow"))
    assert follow is not None
    assert (follow.verb, follow.excerpt) == ("followed you", "")
    like = notice_of(_item(kind="like", text="Decks are  the best\nway to read"))
    assert like is not None
    assert (like.verb, like.excerpt) == ("liked your post", "Decks are the best way to read")
    boost = notice_of(_item(kind="repost", text="x"))
    assert boost is not None
    assert boost.verb == "boosted your post"


def test_bluesky_says_reposted_and_quotes_the_subject() -> None:
    notice = notice_of(_item(kind="repost", network="bluesky",
                             extra={"subject_text": "word " * 60}))
    assert notice is not None
    assert notice.verb == "reposted your post"
    assert notice.excerpt.endswith("…")
    assert len(notice.excerpt) <= 140


def test_posts_stay_posts() -> None:
    for kind in ("post", "reply", "mention", "quote"):
        assert notice_of(_item(kind=kind)) is None
    # A reposted post in a timeline names who reposted it: it is a post.
    assert notice_of(_item(kind="repost", reposted_by="@linus@example.social")) is None
