"""Direct messages on Mastodon: the feed `direct` and `send_direct` (the inbox, issue 12).

Mastodon has no separate message store: a direct message is a status with visibility "direct"
that mentions whom it is for. GET /api/v1/conversations lists the account's conversations,
newest first, each with the other participants ("accounts") and its last status; that status
is read as an Item of kind "direct". Answering is a status of visibility "direct" that replies
to the conversation's last status and mentions every other participant (a mention is what
makes Mastodon deliver it), sent with the Idempotency-Key like any post.

A conversation page carries only each conversation's last status: two messages arriving in one
conversation between two reads leave the first one out of the inbox (the conversation's
context has it). Streaming follows the `direct` stream only through polling.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from hubbub.networks.base import Draft, Item, Page, Published
from hubbub.networks.errors import Rejected
from hubbub.networks.mastodon import mapping
from hubbub.networks.pages import map_each

PAGE_SIZE = 40
DIRECT = "direct"


class Caller(Protocol):
    def call(self, method: str, *args: Any, unsafe_write: bool = False, **kwargs: Any) -> Any: ...


def read(api: Caller, base_url: str, cursor: str | None) -> Page:
    """A page of conversations, newest first, as their last statuses; the cursor is the next
    page's max_id from the Link header (Mastodon pages conversations by their last status)."""
    page = api.call("conversations", max_id=cursor or None, limit=PAGE_SIZE)
    items = tuple(map_each(page or (), lambda c: item_from_conversation(c, base_url),
                           network="mastodon", id_of=lambda c: c.get("id")))
    return Page(items=items, next_cursor=_next_cursor(page))


def item_from_conversation(conversation: Mapping[str, Any], base_url: str) -> Item | None:
    """The conversation's last status as a "direct" Item naming the conversation and the other
    participants (handles to show, and the accts a reply mentions); None without a status."""
    status = conversation.get("last_status")
    if not isinstance(status, Mapping) or not status.get("id"):
        return None
    others = [a for a in conversation.get("accounts") or () if isinstance(a, Mapping)]
    return mapping.item_from_status(status, base_url, kind=DIRECT, extra={
        "conversation": str(conversation.get("id") or status["id"]),
        "participants": [mapping.handle_for(a, base_url) for a in others],
        "participant_accts": [str(a.get("acct") or a.get("username") or "") for a in others],
    })


def mentions_for(conversation: Mapping[str, Any], own_handle: str) -> list[str]:
    """The accts a reply in this conversation must mention: every other participant, never the
    account itself (a participant list without accts falls back to the handles)."""
    accts = conversation.get("participant_accts") or conversation.get("participants") or ()
    own = own_handle.lstrip("@").lower()
    found: list[str] = []
    for raw in accts:
        acct = str(raw).strip().lstrip("@")
        if acct and acct.lower() != own and acct.lower() != own.partition("@")[0] \
                and acct not in found:
            found.append(acct)
    return found


def text_with_mentions(text: str, accts: list[str]) -> str:
    """The text with "@acct " put in front for each participant it does not mention yet."""
    missing = [a for a in accts
               if not re.search(rf"(?<![\w@])@{re.escape(a)}(?![\w@.-])", text, re.IGNORECASE)]
    prefix = " ".join(f"@{a}" for a in missing)
    return f"{prefix} {text}".strip() if prefix else text


def send(api: Caller, own_handle: str, conversation: Mapping[str, Any], draft: Draft,
         idempotency_key: str) -> Published:
    """Answer the conversation: a direct status replying to its last status (the item's
    remote_id), mentioning the other participants."""
    accts = mentions_for(conversation, own_handle)
    if not accts:
        raise Rejected("This conversation names nobody else to write to.")
    reply_to = str(conversation.get("remote_id") or "")
    status = api.call(
        "status_post",
        text_with_mentions(draft.text, accts),
        in_reply_to_id=reply_to or None,
        visibility=DIRECT,
        spoiler_text=draft.content_warning or None,
        language=draft.language or None,
        idempotency_key=idempotency_key,
        unsafe_write=True,
    )
    return mapping.published_from_status(status)


def _next_cursor(page: Any) -> str | None:
    following = getattr(page, "_pagination_next", None) if page else None
    if isinstance(following, Mapping) and following.get("max_id") is not None:
        value = following["max_id"]
        return str(value.get("id") if isinstance(value, Mapping) else value)
    return None
