"""LinkedIn posts, comments and accounts in the hub's terms: pure functions, no I/O.

Shapes from the Posts API (POST/GET /rest/posts), the Comments API (/rest/socialActions/{urn}/
comments), OpenID Connect's userinfo and the Organizations API, as Microsoft Learn's LinkedIn
pages show them. Times are epoch milliseconds. Commentary is little text (little.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from hubbub.core.counting import inline_warning
from hubbub.networks.base import Draft, Identity, Item
from hubbub.networks.linkedin import little
from hubbub.networks.linkedin.api import WEB_URL, post_url

PERSON = "urn:li:person:"
ORGANIZATION = "urn:li:organization:"
_LINK = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
# urn:li:comment:(urn:li:activity:123,456) -> the post (activity) and the comment's own id.
_COMMENT_URN = re.compile(r"^urn:li:comment:\((urn:li:[A-Za-z]+:[^,()]+),([^()]+)\)$")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


# --- who ---------------------------------------------------------------------------------------


def member_identity(userinfo: Mapping[str, Any]) -> Identity:
    """The member from OpenID Connect's userinfo (`sub` is the person id)."""
    sub = _str(userinfo.get("sub")).strip()
    if not sub or any(c in sub for c in "/?#(),"):
        raise ValueError("LinkedIn's userinfo names no member (sub)")
    name = _str(userinfo.get("name")).strip() or " ".join(
        p for p in (_str(userinfo.get("given_name")), _str(userinfo.get("family_name"))) if p)
    email = _str(userinfo.get("email")).strip()
    return Identity(remote_id=f"{PERSON}{sub}", handle=name or email or sub,
                    display_name=name, avatar_url=_str(userinfo.get("picture")))


def organization_identity(urn: str, organization: Mapping[str, Any]) -> Identity:
    """An organization page from GET /rest/organizations/{id}."""
    name = _str(organization.get("localizedName")).strip()
    vanity = _str(organization.get("vanityName")).strip()
    number = urn.removeprefix(ORGANIZATION)
    return Identity(remote_id=urn, handle=name or vanity or f"Organization {number}",
                    display_name=name,
                    profile_url=f"{WEB_URL}/company/{vanity}/" if vanity else "")


def administered(acls: Mapping[str, Any]) -> list[str]:
    """Organization URNs from organizationAcls where the member is an approved ADMINISTRATOR,
    in order, each once."""
    found: list[str] = []
    for entry in _list(acls.get("elements")):
        entry = _map(entry)
        urn = _str(entry.get("organization") or entry.get("organizationTarget"))
        if (entry.get("role") == "ADMINISTRATOR" and entry.get("state", "APPROVED") == "APPROVED"
                and urn.startswith(ORGANIZATION) and urn[len(ORGANIZATION):].isdigit()
                and urn not in found):
            found.append(urn)
    return found


# --- what is sent ------------------------------------------------------------------------------


def outgoing_text(draft: Draft) -> str:
    """What the person's text is on LinkedIn (a content warning leads it: no warning field)."""
    return inline_warning(draft.text, draft.content_warning)


def first_link(text: str) -> str:
    found = _LINK.search(text)
    return found.group(0).rstrip(_TRAILING) if found else ""


def post_body(author: str, draft: Draft, images: Sequence[tuple[str, str]],
              article: Mapping[str, str] | None = None,
              mentions: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """The JSON for POST /rest/posts: `images` are (image URN, alt text); `article` a link
    preview ({source, title, description}) for a post with a link and no picture; `mentions`
    the (name, urn) of pages named after an @ (mentions.py)."""
    body: dict[str, Any] = {
        "author": author,
        "commentary": little.to_little(outgoing_text(draft), mentions),
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                         "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    if len(images) == 1:
        body["content"] = {"media": _image(*images[0])}
    elif images:
        body["content"] = {"multiImage": {"images": [_image(*i) for i in images]}}
    elif article and article.get("source"):
        shown = {k: v for k, v in article.items() if k in ("source", "title", "description")
                 and v}
        body["content"] = {"article": shown}
    return body


def _image(urn: str, alt: str) -> dict[str, str]:
    entry = {"id": urn}
    if alt.strip():
        entry["altText"] = alt.strip()
    return entry


def comment_target(remote_id: str) -> tuple[str, str]:
    """(object, parent comment) a reply to `remote_id` goes to: a post is commented on; a
    comment is answered on its post, as a reply to that comment."""
    found = _COMMENT_URN.match(remote_id)
    if found:
        return found.group(1), remote_id
    return remote_id, ""


def comment_body(actor: str, draft: Draft, target: str, parent: str) -> dict[str, Any]:
    # Comments are plain text, not little text (the Comments API stores and shows what it
    # gets): nothing is escaped.
    body: dict[str, Any] = {"actor": actor, "object": target,
                            "message": {"text": outgoing_text(draft)}}
    if parent:
        body["parentComment"] = parent
    return body


# --- posts -------------------------------------------------------------------------------------


def parse_ms(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def created_at(post: Mapping[str, Any]) -> datetime | None:
    return (parse_ms(post.get("publishedAt")) or parse_ms(post.get("createdAt"))
            or parse_ms(_map(post.get("created")).get("time")))


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def image_count(post: Mapping[str, Any]) -> int:
    content = _map(post.get("content"))
    if content.get("media"):
        return 1
    return len(_list(_map(content.get("multiImage")).get("images")))


def matches(post: Mapping[str, Any], draft: Draft, media_count: int,
            mentions: Sequence[tuple[str, str]] = ()) -> bool:
    """Is `post` (one of the author's own) the one `draft` made (with `mentions`)? The same
    text once little text is read back, and as many pictures."""
    if post.get("lifecycleState") not in (None, "PUBLISHED"):
        return False
    sent = _normal(little.as_read(outgoing_text(draft), mentions))
    commentary = _str(post.get("commentary"))
    if sent not in (_normal(little.to_plain(commentary)), _normal(commentary)):
        return False
    return image_count(post) == media_count


def oldest_first(posts: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    epoch = datetime.fromtimestamp(0, UTC)
    return sorted(posts, key=lambda p: created_at(p) or epoch)


def _media(post: Mapping[str, Any]) -> list[dict[str, Any]]:
    content = _map(post.get("content"))
    entries = [content.get("media")] if content.get("media") else _list(
        _map(content.get("multiImage")).get("images"))
    return [{"type": "video" if _str(_map(e).get("id")).startswith("urn:li:video:")
             else "image", "url": "", "preview_url": "",
             "description": _str(_map(e).get("altText"))} for e in entries if _map(e)]


def item_from_post(post: Mapping[str, Any], names: Mapping[str, str]) -> Item:
    """A post as an Item; `names` maps author URNs to the names the hub knows."""
    urn = _str(post.get("id"))
    if not urn.startswith("urn:li:"):
        raise ValueError("a LinkedIn post without a URN")
    when = created_at(post)
    if when is None:
        raise ValueError(f"post {urn!r} has no readable time")
    author = _str(post.get("author"))
    details: dict[str, Any] = {"uri": urn}
    media = _media(post)
    if media:
        details["media"] = media
    article = _map(_map(post.get("content")).get("article"))
    if article.get("source"):
        details["card"] = {"url": _str(article.get("source")),
                           "title": _str(article.get("title")),
                           "description": _str(article.get("description"))}
    return Item(remote_id=urn, kind="post", author_handle=names.get(author, ""),
                author_name=names.get(author, ""), created_at=when,
                text=little.to_plain(_str(post.get("commentary"))), url=post_url(urn),
                extra=details)


def item_from_comment(comment: Mapping[str, Any], post_urn: str,
                      names: Mapping[str, str]) -> Item:
    """A comment on one of the account's posts, as a reply to it."""
    urn = _str(comment.get("commentUrn") or comment.get("$URN"))
    if not urn:
        number = _str(comment.get("id"))
        if not number:
            raise ValueError("a LinkedIn comment without an id")
        urn = f"urn:li:comment:({post_urn},{number})"
    when = parse_ms(_map(comment.get("created")).get("time"))
    if when is None:
        raise ValueError(f"comment {urn!r} has no readable time")
    actor = _str(comment.get("actor"))
    name = names.get(actor) or ("A LinkedIn page" if actor.startswith(ORGANIZATION)
                                else "A LinkedIn member")
    text = _str(_map(comment.get("message")).get("text"))
    return Item(remote_id=urn, kind="reply", author_handle=name, author_name=name,
                created_at=when, text=text, url=post_url(post_urn),
                extra={"in_reply_to": post_urn, "uri": urn})
