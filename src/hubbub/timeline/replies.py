"""What a reply starts with: the @handles it names. Shared by the deck's composer
(publishing/compose_views.answering_initial) and the inbox's reply box (inbox_ui), so both
name the same people."""

from __future__ import annotations

from hubbub.timeline.models import Item


def reply_opening(item: Item) -> str:
    """What a reply box starts with: the author's handle where it is an @handle (Mastodon's
    "@user@host", Bluesky's "@name.host"; a Nostr npub is not, its reply p-tags the author), then
    the others a Mastodon status names (kept as extra.mentioned), as Mastodon clients keep them;
    never the account itself. "" when there is no one to name. A Mastodon author who is not
    named is not told of the reply. Accounts of the account's own server are named "@user"
    (see below)."""
    own = item.connection.handle.lstrip("@").lower()
    home = own.partition("@")[2]
    extra = item.extra if isinstance(item.extra, dict) else {}
    named = [item.author_handle]
    others = extra.get("mentioned")
    if isinstance(others, list):
        named.extend(str(handle) for handle in others)
    found: dict[str, str] = {}
    for handle in named:
        key = handle.lstrip("@").lower()
        if handle.startswith("@") and key and key != own and key not in found \
                and not any(c.isspace() for c in handle):
            user, _at, domain = handle[1:].partition("@")
            # An account of the same server is named as Mastodon's own client names it,
            # "@user": what every server takes as local (mastodon-mock takes nothing else).
            found[key] = f"@{user}" if home and domain.lower() == home else handle
    return "".join(f"{handle} " for handle in found.values())
