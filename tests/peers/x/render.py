"""Posts, users and media as X answers them: default fields, `tweet.fields` / `user.fields` /
`media.fields`, `expansions` into `includes`, and `meta` with pagination tokens.

From docs.x.com/x-api/fundamentals/fields ("By default, the Post object only returns the id and
the text fields, and ... edit_history_tweet_ids"), /expansions, /pagination and the data
dictionary (docs.x.com/x-api/fundamentals/data-dictionary).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

from tests.peers.x.state import Media, Post, Store, User

MENTION = re.compile(r"(?<![\w@])@(\w{1,15})")
HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
URL = re.compile(r"https?://[^\s]+")


def iso(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def csv(query: dict[str, str], name: str) -> list[str]:
    raw = query.get(name, "")
    return [v for v in raw.split(",") if v]


def entities(text: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    mentions = [{"start": m.start(), "end": m.end(), "username": m.group(1)}
                for m in MENTION.finditer(text)]
    hashtags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)}
                for m in HASHTAG.finditer(text)]
    urls = [{"start": m.start(), "end": m.end(), "url": m.group(0),
             "expanded_url": m.group(0), "display_url": m.group(0).split("://", 1)[1][:30]}
            for m in URL.finditer(text)]
    for name, items in (("mentions", mentions), ("hashtags", hashtags), ("urls", urls)):
        if items:
            found[name] = items
    return found


class Counts:
    """Reposts, replies and quotes of every post, counted once per answer."""

    def __init__(self, store: Store) -> None:
        self.reposts: dict[str, int] = {}
        self.replies: dict[str, int] = {}
        self.quotes: dict[str, int] = {}
        for p in store.posts.values():
            if p.deleted:
                continue
            for target, table in ((p.retweet_of, self.reposts), (p.reply_to, self.replies),
                                  (p.quote_of, self.quotes)):
                if target:
                    table[target] = table.get(target, 0) + 1


def post_object(store: Store, post: Post, fields: list[str],
                counts: Counts | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": post.id, "text": post.text, "edit_history_tweet_ids": [post.id]}
    refs = []
    if post.retweet_of:
        refs.append({"type": "retweeted", "id": post.retweet_of})
    if post.quote_of:
        refs.append({"type": "quoted", "id": post.quote_of})
    if post.reply_to:
        refs.append({"type": "replied_to", "id": post.reply_to})
    extra: dict[str, Any] = {
        "author_id": post.author_id,
        "created_at": iso(post.created_at),
        "conversation_id": post.conversation_id,
        "lang": "en",
        "possibly_sensitive": False,
        "reply_settings": "everyone",
    }
    if "public_metrics" in fields:
        counts = counts or Counts(store)
        extra["public_metrics"] = {
            "retweet_count": counts.reposts.get(post.id, 0),
            "reply_count": counts.replies.get(post.id, 0),
            "like_count": len(post.liked_by),
            "quote_count": counts.quotes.get(post.id, 0),
            "bookmark_count": 0,
            "impression_count": 0,
        }
    if refs:
        extra["referenced_tweets"] = refs
    if post.in_reply_to_user_id:
        extra["in_reply_to_user_id"] = post.in_reply_to_user_id
    if post.media_keys:
        extra["attachments"] = {"media_keys": list(post.media_keys)}
    found = entities(post.text)
    if found:
        extra["entities"] = found
    for name in fields:
        if name in extra:
            obj[name] = extra[name]
    return obj


def short_link(url: str) -> str:
    """The t.co address X gives a link in a profile (docs.x.com data dictionary, User object:
    `url` "The URL specified in the User's profile", `entities.url.urls[].expanded_url`)."""
    return "https://t.co/" + base64.urlsafe_b64encode(url.encode()).decode()[:10]


def _profile_text(text: str) -> tuple[str, list[dict[str, Any]]]:
    """A bio as X answers it: each address swapped for its t.co link, with the url entities
    (start, end, url, expanded_url, display_url) over the answered text."""
    out, urls, at = "", [], 0
    for match in URL.finditer(text):
        out += text[at:match.start()]
        short = short_link(match.group(0))
        urls.append({"start": len(out), "end": len(out) + len(short), "url": short,
                     "expanded_url": match.group(0),
                     "display_url": match.group(0).split("://", 1)[1][:30]})
        out += short
        at = match.end()
    return out + text[at:], urls


def user_object(store: Store, user: User, fields: list[str]) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": user.id, "name": user.name, "username": user.username}
    followers = sum(1 for u in store.users.values() if user.id in u.following)
    description, bio_urls = _profile_text(user.description)
    profile_entities: dict[str, Any] = {}
    if user.url:
        short = short_link(user.url)
        profile_entities["url"] = {"urls": [{
            "start": 0, "end": len(short), "url": short, "expanded_url": user.url,
            "display_url": user.url.split("://", 1)[-1][:30]}]}
    if bio_urls:
        profile_entities["description"] = {"urls": bio_urls}
    extra: dict[str, Any] = {
        "created_at": iso(user.created_at),
        "description": description,
        "url": short_link(user.url) if user.url else "",
        "entities": profile_entities,
        "protected": False,
        "verified": False,
        "profile_image_url": f"https://pbs.twimg.com/profile_images/{user.id}/normal.png",
        "public_metrics": {
            "followers_count": followers,
            "following_count": len(user.following),
            "tweet_count": sum(1 for p in store.posts.values()
                               if p.author_id == user.id and not p.deleted),
            "listed_count": 0,
            "like_count": len(user.liked),
        },
    }
    if not profile_entities:
        del extra["entities"]  # X leaves it out of a profile with no links
    for name in fields:
        if name in extra:
            obj[name] = extra[name]
    return obj


def media_object(media: Media, fields: list[str]) -> dict[str, Any]:
    obj: dict[str, Any] = {"media_key": media.key, "type": media.kind}
    extra: dict[str, Any] = {}
    if media.kind == "photo":
        extra["url"] = f"https://pbs.twimg.com/media/{media.id}.jpg"
    else:
        extra["preview_image_url"] = f"https://pbs.twimg.com/media/{media.id}_preview.jpg"
        extra["variants"] = [{"content_type": media.media_type,
                              "url": f"https://video.twimg.com/{media.id}.mp4",
                              "bit_rate": 632000}]
        extra["duration_ms"] = 1000
    if media.width is not None and media.height is not None:
        extra["width"], extra["height"] = media.width, media.height
    if media.alt_text is not None:
        extra["alt_text"] = media.alt_text
    for name in fields:
        if name in extra:
            obj[name] = extra[name]
    return obj


def answer_posts(store: Store, posts: list[Post], query: dict[str, str],
                 single: bool = False) -> dict[str, Any]:
    """`data` (+ `includes`) for posts, with the fields and expansions the query asks for."""
    tweet_fields = csv(query, "tweet.fields")
    expansions = set(csv(query, "expansions"))
    counts = Counts(store) if "public_metrics" in tweet_fields else None
    data = [post_object(store, p, tweet_fields, counts) for p in posts]
    users: dict[str, User] = {}
    media: dict[str, Media] = {}
    tweets: dict[str, Post] = {}
    for post in posts:
        if "author_id" in expansions:
            users[post.author_id] = store.users[post.author_id]
        if "in_reply_to_user_id" in expansions and post.in_reply_to_user_id:
            users[post.in_reply_to_user_id] = store.users[post.in_reply_to_user_id]
        if "entities.mentions.username" in expansions:
            for name in MENTION.findall(post.text):
                found = store.user_by_name(name)
                if found:
                    users[found.id] = found
        if "attachments.media_keys" in expansions:
            for key in post.media_keys:
                item = next((m for m in store.media.values() if m.key == key), None)
                if item:
                    media[key] = item
        referenced = [r for r in (post.retweet_of, post.quote_of, post.reply_to) if r]
        if "referenced_tweets.id" in expansions:
            for ref in referenced:
                target = store.posts.get(ref)
                if target and not target.deleted:
                    tweets[ref] = target
        if "referenced_tweets.id.author_id" in expansions:
            for ref in referenced:
                target = store.posts.get(ref)
                if target and not target.deleted:
                    users[target.author_id] = store.users[target.author_id]
    answer: dict[str, Any] = {"data": data[0] if single else data}
    includes: dict[str, Any] = {}
    user_fields = csv(query, "user.fields")
    if users:
        includes["users"] = [user_object(store, u, user_fields) for u in users.values()]
    if media:
        media_fields = csv(query, "media.fields")
        includes["media"] = [media_object(m, media_fields) for m in media.values()]
    if tweets:
        includes["tweets"] = [post_object(store, t, tweet_fields, counts)
                              for t in tweets.values()]
    if includes:
        answer["includes"] = includes
    return answer


def token_for_id(post_id: str) -> str:
    # Opaque to clients (docs.x.com/x-api/fundamentals/pagination: "don't parse or modify").
    return base64.b32encode(f"p{post_id}".encode()).decode().rstrip("=").lower()


def id_for_token(token: str) -> str | None:
    try:
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return raw[1:] if raw.startswith("p") and raw[1:].isdigit() else None


def page(store: Store, posts: list[Post], query: dict[str, str], default: int) -> dict[str, Any]:
    """One page of `posts` (newest first): since_id / until_id / pagination_token /
    max_results applied, `meta` with result_count, newest_id, oldest_id, next_token (no
    previous_token: the stand-in pages backwards only)."""
    size = int(query.get("max_results") or default)
    if "since_id" in query:
        posts = [p for p in posts if int(p.id) > int(query["since_id"])]
    if "until_id" in query:
        posts = [p for p in posts if int(p.id) < int(query["until_id"])]
    token = query.get("pagination_token") or query.get("next_token")
    if token:
        below = id_for_token(token)
        posts = [p for p in posts if below is not None and int(p.id) < int(below)]
    chunk = posts[:size]
    answer = answer_posts(store, chunk, query) if chunk else {}
    meta: dict[str, Any] = {"result_count": len(chunk)}
    if chunk:
        meta["newest_id"] = chunk[0].id
        meta["oldest_id"] = chunk[-1].id
    if len(posts) > size:
        meta["next_token"] = token_for_id(chunk[-1].id)
    answer["meta"] = meta
    return answer
