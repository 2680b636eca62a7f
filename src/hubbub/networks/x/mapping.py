"""X posts and users in the hub's terms: pure functions, no I/O.

Shapes from X's OpenAPI document for API v2 and docs.x.com's data dictionary. X's documents
name things two ways: the pages (and older versions of the OpenAPI document) say
`referenced_tweets` and `includes.tweets`, the production OpenAPI document of 2026
(xdevplatform/xdk specs/openapi.json, 2.167) says `referenced_posts` and `includes.posts`;
both are read here.

Text as X returns it: `&`, `<` and `>` escaped as HTML entities, and every link replaced by a
t.co link whose original is in `entities.urls[].expanded_url`. Items carry the text with both
undone; find_published compares what was sent with that.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hubbub.core.counting import inline_warning
from hubbub.networks.base import Draft, Identity, Item, Published
from hubbub.networks.x.api import WEB_URL

MEDIA_TYPES = {"photo": "image", "video": "video", "animated_gif": "gifv"}
# A link to a post on X: quoted by sending its id (quote_tweet_id), not the link.
_STATUS_LINK = re.compile(
    r"\s*https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/(?:[A-Za-z0-9_]{1,15}|i(?:/web)?)"
    r"/status(?:es)?/(\d{1,19})(?:[/?#]\S*)?\s*$", re.IGNORECASE)
_RETWEET_PREFIX = re.compile(r"^RT @([A-Za-z0-9_]{1,15}):")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


# --- who ---------------------------------------------------------------------------------------


def profile_url(username: str) -> str:
    return f"{WEB_URL}/{username}" if username else ""


def post_url(username: str, post_id: str) -> str:
    """The post's page. X redirects /i/web/status/<id> when the author is not known."""
    return f"{WEB_URL}/{username or 'i/web'}/status/{post_id}"


def identity_from_user(user: Mapping[str, Any]) -> Identity:
    username = _str(user.get("username"))
    if not user.get("id") or not username:
        raise ValueError("X described the account without an id or username")
    return Identity(
        remote_id=_str(user["id"]),
        handle=f"@{username}",
        display_name=_str(user.get("name")),
        avatar_url=_str(user.get("profile_image_url")),
        profile_url=profile_url(username),
    )


def username_of(handle: str) -> str:
    return handle.strip().lstrip("@").split("@")[0]


# --- what is sent ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A draft as X takes it: the text (a content warning becomes its first line; X has no
    warning field), and the post quoted when the text ends with a link to one (what the
    composer's "quote" puts there). A quote with media stays a link: X takes one or the other."""

    text: str
    quote_id: str = ""


def outgoing(draft: Draft) -> Outgoing:
    text = inline_warning(draft.text, draft.content_warning)
    if not draft.media:
        found = _STATUS_LINK.search(text)
        if found and found.start() > 0:
            return Outgoing(text[:found.start()].rstrip(), found.group(1))
    return Outgoing(text)


def create_body(draft: Draft, media_ids: Sequence[str]) -> dict[str, Any]:
    """The JSON for POST /2/tweets."""
    sent = outgoing(draft)
    body: dict[str, Any] = {"text": sent.text}
    if media_ids:
        body["media"] = {"media_ids": list(media_ids)}
    if sent.quote_id:
        body["quote_tweet_id"] = sent.quote_id
    if draft.in_reply_to:
        body["reply"] = {"in_reply_to_tweet_id": draft.in_reply_to}
    return body


def published(body: Mapping[str, Any], username: str) -> Published:
    data = _map(body.get("data"))
    post_id = _str(data.get("id"))
    if not post_id:
        raise ValueError("X's answer names no post id")
    return Published(remote_id=post_id, url=post_url(username, post_id),
                     created_at=parse_time(data.get("created_at")))


# --- posts -------------------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """An aware datetime from X's ISO 8601 (2026-12-06T09:30:00.000Z), or None."""
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def references(post: Mapping[str, Any]) -> list[tuple[str, str]]:
    refs = post.get("referenced_tweets", post.get("referenced_posts"))
    return [(_str(r.get("type")), _str(r.get("id"))) for r in _list(refs)
            if isinstance(r, Mapping) and r.get("id")]


def reference(post: Mapping[str, Any], kind: str) -> str:
    return next((ref for typ, ref in references(post) if typ == kind), "")


@dataclass
class Includes:
    """The `includes` of an answer, by id (users, posts) and media key."""

    users: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    posts: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    media: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> Includes:
        inc = _map(body.get("includes"))

        def index(values: Any, key: str) -> dict[str, Mapping[str, Any]]:
            return {_str(v.get(key)): v for v in _list(values)
                    if isinstance(v, Mapping) and v.get(key)}

        posts = index(inc.get("tweets"), "id") | index(inc.get("posts"), "id")
        return cls(index(inc.get("users"), "id"), posts, index(inc.get("media"), "media_key"))

    def username(self, user_id: Any) -> str:
        return _str(self.users.get(_str(user_id), {}).get("username"))


def plain_text(post: Mapping[str, Any]) -> str:
    """The post's text with links expanded and X's HTML entities undone (a long post's full
    text when X sent it as note_tweet/note_post)."""
    note = _map(post.get("note_tweet") or post.get("note_post"))
    text = _str(note.get("text")) or _str(post.get("text"))
    entities = _map(note.get("entities")) if note.get("text") else _map(post.get("entities"))
    for link in _list(entities.get("urls")):
        if isinstance(link, Mapping) and link.get("url") and link.get("expanded_url"):
            text = text.replace(_str(link["url"]), _str(link["expanded_url"]))
    return unescape(text)


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def item_from_post(post: Mapping[str, Any], inc: Includes, *, kind: str = "") -> Item:
    """A post as an Item. A repost shows the reposted post, with who reposted it."""
    details: dict[str, Any] = {}
    shown = post
    reposter_id = _str(post.get("author_id"))
    original_id = reference(post, "retweeted")
    if original_id:
        original = inc.posts.get(original_id)
        details["original_id"] = original_id
        reposter = inc.users.get(reposter_id, {})
        details["reposted_by"] = f"@{_str(reposter.get('username'))}" if reposter else ""
        details["reposted_by_name"] = _str(reposter.get("name"))
        if original is not None:
            shown = original
        kind = "repost"
    author = inc.users.get(_str(shown.get("author_id")), {})
    if shown is post and original_id:  # the original was not included: "RT @name: ..."
        prefix = _RETWEET_PREFIX.match(_str(post.get("text")))
        named = prefix.group(1) if prefix else ""
        author = next((u for u in inc.users.values()
                       if _str(u.get("username")).lower() == named.lower()), {"username": named})
    username = _str(author.get("username"))
    shown_id = _str(shown.get("id"))
    replied = reference(shown, "replied_to")
    quoted = reference(shown, "quoted")
    if not kind:
        kind = "quote" if quoted else "reply" if replied else "post"
    if replied:
        details["in_reply_to"] = replied
        target = inc.username(shown.get("in_reply_to_user_id"))
        if target:
            details["in_reply_to_handle"] = f"@{target}"
    if quoted:
        details["quote"] = _quote(quoted, inc)
    media = [_media(inc.media[key]) for key in _list(_map(shown.get("attachments")).get(
        "media_keys")) if isinstance(key, str) and key in inc.media]
    if media:
        details["media"] = media
    if shown.get("possibly_sensitive") is True:
        details["sensitive"] = True
    counts = _counts(_map(shown.get("public_metrics")))
    if counts:
        details["counts"] = counts
    if username:
        details["author_url"] = profile_url(username)
    created = parse_time(post.get("created_at"))
    if created is None:
        raise ValueError(f"post {post.get('id')!r} has no readable created_at")
    return Item(
        remote_id=_str(post.get("id")),
        kind=kind,
        author_handle=f"@{username}" if username else "",
        author_name=_str(author.get("name")),
        created_at=created,
        text=plain_text(shown),
        url=post_url(username, original_id or shown_id or _str(post.get("id"))),
        author_avatar=_str(author.get("profile_image_url")),
        extra=details,
    )


def _quote(quoted_id: str, inc: Includes) -> dict[str, Any]:
    quoted = inc.posts.get(quoted_id)
    if quoted is None:
        return {"uri": post_url("", quoted_id), "unavailable": "The quoted post is not available."}
    user = inc.users.get(_str(quoted.get("author_id")), {})
    username = _str(user.get("username"))
    return {"author_handle": f"@{username}" if username else "",
            "author_name": _str(user.get("name")), "text": plain_text(quoted),
            "url": post_url(username, quoted_id), "uri": post_url(username, quoted_id)}


def _media(media: Mapping[str, Any]) -> dict[str, str]:
    kind = MEDIA_TYPES.get(_str(media.get("type")), "unknown")
    preview = _str(media.get("preview_image_url"))
    url = _str(media.get("url")) or preview
    return {"type": kind, "url": url, "preview_url": preview or url,
            "description": _str(media.get("alt_text"))}


def _counts(metrics: Mapping[str, Any]) -> dict[str, int]:
    names = (("reply", ("reply_count",)), ("repost", ("retweet_count", "repost_count")),
             ("like", ("like_count",)), ("quote", ("quote_count",)))
    counts: dict[str, int] = {}
    for name, fields in names:
        for field_name in fields:
            value = metrics.get(field_name)
            if isinstance(value, int) and not isinstance(value, bool):
                counts[name] = value
                break
    return counts


# --- finding what was sent ---------------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def matches(post: Mapping[str, Any], draft: Draft, media_count: int | None = None) -> bool:
    """Is `post` (from the account's own posts) the one `draft` made? Same text as sent
    (links expanded, entities undone, spaces evened), same post answered and quoted, and as
    many pictures when X says (attachments)."""
    sent = outgoing(draft)
    wanted = _normal(sent.text)
    raw = _str(post.get("text"))
    texts = {_normal(plain_text(post)), _normal(raw), _normal(unescape(raw))}
    if sent.quote_id:  # X may show a quote's link at the end of its text
        texts |= {_normal(_STATUS_LINK.sub("", t)) for t in set(texts)}
        texts |= {_normal(re.sub(r"\s*https://t\.co/\w+\s*$", "", t)) for t in set(texts)}
    if wanted not in texts:
        return False
    if reference(post, "replied_to") != (draft.in_reply_to or ""):
        return False
    if sent.quote_id and reference(post, "quoted") not in ("", sent.quote_id):
        return False
    attachments = post.get("attachments")
    if media_count is not None and isinstance(attachments, Mapping):
        keys = attachments.get("media_keys")
        if isinstance(keys, list) and len(keys) != media_count:
            return False
    return True


def oldest_first(posts: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """X's ids are snowflakes: numeric order is time order."""
    return sorted(posts, key=lambda p: int(_str(p.get("id")) or "0")
                  if _str(p.get("id")).isdigit() else 0)
