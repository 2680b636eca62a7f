"""Bluesky columns beyond the account's own feeds: hashtags, lists by link, custom feeds.

- `hashtag:<tag>`: app.bsky.feed.searchPosts with `tag=<tag>` (the lexicon: posts carrying the
  tag in a facet or the record's `tags`, no "#") and `q="#<tag>"`, since `q` is required and a
  search service that ignores `tag` (dev-env's AppView matches text only) still finds posts
  that write the tag.
- `list:<list>`: app.bsky.feed.getListFeed, the list named by its at:// URI or its web address
  (https://bsky.app/profile/<handle-or-did>/lists/<rkey>).
- `feed:<feed>`: app.bsky.feed.getFeed, where the AppView asks the feed generator the record
  names for a skeleton and fills in the posts. People paste a feed as its at:// URI
  (at://<did>/app.bsky.feed.generator/<rkey>) or its web address
  (https://bsky.app/profile/<handle-or-did>/feed/<rkey>); a handle is resolved to its DID.

What the add-column dialog takes for them is `column_param_refusal` (the connector's).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from hubbub.networks import column_params
from hubbub.networks.base import Connector, Item
from hubbub.networks.bluesky import items
from hubbub.networks.bluesky.mapping import parse_at_uri
from hubbub.networks.bluesky.xrpc import Xrpc
from hubbub.networks.column_params import HASHTAG_EXAMPLE, shown
from hubbub.networks.errors import NotFound, Rejected, Transient

GENERATOR = "app.bsky.feed.generator"
LIST = "app.bsky.graph.list"
NOT_A_FEED = ("“{value}” is not a Bluesky custom feed: give its at:// address "
              "(at://did:plc:…/app.bsky.feed.generator/…) or its bsky.app link "
              "(https://bsky.app/profile/…/feed/…).")
NOT_A_LIST = ("“{value}” is not a Bluesky list: give its at:// address "
              "(at://did:plc:…/app.bsky.graph.list/…) or its bsky.app link "
              "(https://bsky.app/profile/…/lists/…).")
# A record key (atproto: 1-512 of these characters, not "." or "..") and a handle or DID.
_RKEY = re.compile(r"[A-Za-z0-9._~:-]{1,512}")
_ACTOR = re.compile(r"(did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}|[A-Za-z0-9.-]{1,253})")
# The lexicon caps a tag at 64 graphemes and 640 bytes (app.bsky.richtext.facet,
# app.bsky.feed.post `tags`).
HASHTAG_MAX = 64


def column_param_refusal(connector: Connector, kind: str, param: str, *,
                         typed: str = "") -> str:
    """A tag within the lexicon's length and not digits alone; a list or a custom feed by its
    at:// URI or bsky.app address (Bluesky has no names for them to look up)."""
    said = column_params.refusal(connector.name, kind, param, typed=typed,
                                 hashtag_max=HASHTAG_MAX)
    if said:
        return said
    if kind == "hashtag" and param.isdigit():
        return (f"“{shown(param)}” is not a Bluesky hashtag: a tag is not digits alone, "
                f"{HASHTAG_EXAMPLE}.")
    if kind in ("list", "feed"):
        try:
            (list_reference if kind == "list" else feed_reference)(param)
        except Rejected as exc:
            return exc.message.replace(f"“{param.strip()[:200]}”", f"“{shown(param)}”")
    return ""


def hashtag_page(api: Xrpc, tag: str, params: dict[str, Any]) -> tuple[list[Item], Any]:
    tag = tag.strip().lstrip("#")
    body = api.query("app.bsky.feed.searchPosts", {**params, "q": f"#{tag}", "tag": [tag]})
    return items.items_from_posts(body), body.get("cursor")


def feed_reference(value: str) -> tuple[str, str]:
    """(actor, rkey) of a custom feed named by its at:// URI or bsky.app address; Rejected
    saying what is expected otherwise."""
    return _reference(value, GENERATOR, "feed", NOT_A_FEED)


def list_reference(value: str) -> tuple[str, str]:
    """(actor, rkey) of a list named by its at:// URI or bsky.app address."""
    return _reference(value, LIST, "lists", NOT_A_LIST)


def _reference(value: str, collection: str, segment: str, refusal: str) -> tuple[str, str]:
    text = value.strip()
    uri = parse_at_uri(text)
    if uri is not None:
        actor, named, rkey = uri.repo, uri.collection, uri.rkey
    else:
        parts = urlsplit(text) if text.isprintable() else None
        path = [p for p in parts.path.split("/") if p] if parts else []
        if not (parts and parts.scheme in ("http", "https") and len(path) == 4
                and path[0] == "profile" and path[2] == segment):
            raise Rejected(refusal.format(value=text[:200]))
        actor, named, rkey = path[1], collection, path[3]
    if named != collection or not _RKEY.fullmatch(rkey) or rkey in (".", "..") \
            or not _ACTOR.fullmatch(actor):
        raise Rejected(refusal.format(value=text[:200]))
    return actor, rkey


def feed_uri(api: Xrpc, value: str) -> str:
    """The at:// URI of the feed, with a handle resolved to its DID."""
    actor, rkey = feed_reference(value)
    return f"at://{_did(api, actor, 'feed')}/{GENERATOR}/{rkey}"


def list_uri(api: Xrpc, value: str) -> str:
    """The at:// URI of the list, with a handle resolved to its DID."""
    actor, rkey = list_reference(value)
    return f"at://{_did(api, actor, 'list')}/{LIST}/{rkey}"


def _did(api: Xrpc, actor: str, what: str) -> str:
    if actor.startswith("did:"):
        return actor
    try:
        resolved = api.query("com.atproto.identity.resolveHandle", {"handle": actor})
    except (NotFound, Rejected) as exc:
        raise Rejected(f"Bluesky knows no account @{actor}, whose {what} this names.") from exc
    did = str(resolved.get("did") or "")
    if not did.startswith("did:"):
        raise Rejected(f"Bluesky knows no account @{actor}, whose {what} this names.")
    return did


def custom_feed_page(api: Xrpc, value: str, params: dict[str, Any]) -> tuple[list[Item], Any]:
    uri = feed_uri(api, value)
    try:
        body = api.query("app.bsky.feed.getFeed", {**params, "feed": uri})
    except NotFound as exc:
        raise Rejected(f"Bluesky has no custom feed {uri}: it may have been deleted, or the "
                       "address is mistyped.") from exc
    except Rejected as exc:
        raise Rejected(f"The custom feed {uri} could not be read: {exc}") from exc
    except Transient as exc:  # the AppView answers 502 when the feed generator fails
        raise Transient(f"The custom feed {uri} could not be read just now (its feed "
                        f"generator or the AppView failed): {exc}", retry_at=exc.retry_at) from exc
    return items.items_from_feed(body), body.get("cursor")
