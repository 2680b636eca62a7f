"""Reading an Instagram professional account: its posts, the comments on them, and finding a
post or comment the hub made when the answer to making it was lost.

Feeds ("IG User Media" edge, "IG Media Comments" edge, "IG Comment Replies"):
- `own`: GET /{ig-user-id}/media, the account's posts, newest first, older pages by `after`;
- `notifications`: the comments on the account's COMMENTED_POSTS latest posts
  (GET /{ig-media-id}/comments each, with each comment's `replies` field: the replies under
  it), newest first.

Instagram offers apps no home feed, no search and no mentions column of other people's posts
beyond tags (not read here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from hubbub.networks.base import Draft, Item, Page, Published
from hubbub.networks.instagram import mapping
from hubbub.networks.instagram.graph import InstagramGraph
from hubbub.networks.instagram.rules import caption_of
from hubbub.networks.meta.fields import after, parse_time
from hubbub.networks.meta.reading import answers_to_latest, entry_id, list_page
from hubbub.networks.pages import map_each

PAGE_SIZE = 25
COMMENTED_POSTS = 3
COMMENTS_PER_POST = 25
FIND_PAGES = 4
FIND_PAGE_SIZE = 50
# A post's time on Instagram may be a little before the hub's clock said it was sent.
CLOCK_SLACK = timedelta(minutes=2)


def fetch(g: InstagramGraph, user_id: str, handle: str, feed: str, cursor: str | None,
          web: str) -> Page:
    if feed == "notifications":
        return _comments(g, user_id, web)
    if feed != "own":
        raise NotImplementedError(f"Instagram cannot read {feed!r}: an account's columns are "
                                  "its own posts and the comments on them")
    return list_page(g, f"{user_id}/media", fields=mapping.MEDIA_FIELDS, limit=PAGE_SIZE,
                     cursor=cursor, what="read the account's posts",
                     mapper=lambda m: mapping.item_from_media(m, handle, web),
                     network="instagram")


def _comments(g: InstagramGraph, user_id: str, web: str) -> Page:
    """The newest comments on the account's latest posts; one page."""
    def comments(media_id: str, post: Any) -> list[Item]:
        permalink = post.get("permalink")
        answer = g.get(f"{media_id}/comments",
                       {"fields": f"{mapping.COMMENT_FIELDS},replies",
                        "limit": COMMENTS_PER_POST}, what="read the comments")
        entries = answer.get("data")
        entries = mapping.with_replies(entries if isinstance(entries, list) else [])
        return map_each(entries,
                        _comment_mapper(media_id, permalink if isinstance(permalink, str)
                                        else "", web),
                        network="instagram", id_of=entry_id)
    return answers_to_latest(g, f"{user_id}/media", fields="id,permalink",
                             most=COMMENTED_POSTS, what="read the account's posts",
                             answers=comments)


def _comment_mapper(media_id: str, permalink: str, web: str) -> Callable[[Any], Item]:
    def mapper(comment: Any) -> Item:
        return mapping.item_from_comment(comment, media_id, permalink, web)
    return mapper


def find_post(g: InstagramGraph, user_id: str, draft: Draft, since: datetime,
              web: str) -> Published | None:
    """The oldest of the account's own posts since `since` whose caption is this draft's."""
    start = since - CLOCK_SLACK
    # Time-based paging ("IG User Media": since, a Unix time) keeps older posts out.
    params: dict[str, Any] = {"fields": mapping.MEDIA_FIELDS, "limit": FIND_PAGE_SIZE,
                              "since": int(start.timestamp())}
    found: list[Mapping[str, Any]] = []
    for _ in range(FIND_PAGES):
        body = g.get(f"{user_id}/media", params, what="read the account's posts")
        entries = body.get("data")
        entries = [e for e in entries if isinstance(e, Mapping)] \
            if isinstance(entries, list) else []
        found += [e for e in entries if mapping.matches(e, draft)
                  and (parse_time(e.get("timestamp")) or start) >= start]
        times = [parse_time(e.get("timestamp")) for e in entries]
        older = any(t is not None and t < start for t in times)
        cursor = after(body)
        if older or not cursor or not entries:
            break
        params = {**params, "after": cursor}
    if not found:
        return None
    try:
        return mapping.published(mapping.oldest_first(found)[0], web)
    except ValueError:
        return None


def find_comment(g: InstagramGraph, username: str, draft: Draft, since: datetime) -> \
        Published | None:
    """The account's comment (or reply) on draft.in_reply_to that is this draft."""
    target = draft.in_reply_to
    edge = f"{mapping.comment_id(target)}/replies" if mapping.is_comment(target) \
        else f"{target}/comments"
    body = g.get(edge, {"fields": mapping.COMMENT_FIELDS, "limit": 100},
                 what="read the comments")
    comments = body.get("data")
    wanted = " ".join(caption_of(draft).split())
    start = since - CLOCK_SLACK
    for comment in comments if isinstance(comments, list) else []:
        if not isinstance(comment, Mapping):
            continue
        author = comment.get("username")
        if username and isinstance(author, str) and author and author != username:
            continue  # someone else's comment with the same words
        created = parse_time(comment.get("timestamp"))
        text = comment.get("text")
        own_id = comment.get("id")
        if (isinstance(text, str) and " ".join(text.split()) == wanted
                and (created is None or created >= start)
                and isinstance(own_id, str) and own_id):
            return Published(remote_id=mapping.COMMENT_PREFIX + own_id, url="",
                             created_at=created)
    return None
