"""Drafts that save themselves: the composer keeps one draft up to date as the person types.

A draft is a Post with is_draft and its deliveries in the "draft" state (services.create_from
with draft=True makes one; services.send_draft schedules it). update_draft rewrites a draft
with what the form holds now (its Outgoing): words, accounts, per-account versions, images
(kept, new or dropped), the time picked, visibility and language. Nothing is checked against
the networks' limits here: a draft may be too long; send_draft checks it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.publishing.media import NewMedia, inspect_media, prepare_media
from hubbub.publishing.models import Delivery, DeliveryState, Post, PostMedia

# KeptMedia and MediaItem live with Outgoing; still importable here.
from hubbub.publishing.outgoing import KeptMedia as KeptMedia
from hubbub.publishing.outgoing import MediaItem as MediaItem
from hubbub.publishing.outgoing import Outgoing, quote_fields
from hubbub.publishing.services import (
    PostError,
    TargetCustom,
    create_from,
    record_transition,
)


def _check_accounts(user: User, connections: Sequence[Connection]) -> None:
    for connection in connections:
        if connection.user_id != user.pk or connection.disconnected_at is not None:
            raise PostError("One of the ticked accounts is not yours or is disconnected.")


def _sync_media(post: Post, media: Sequence[MediaItem]) -> list[int]:
    """Make the draft's images exactly `media`, in order. Returns their ids in that order."""
    existing = {m.pk: m for m in post.media.all()}
    prepared = {i: inspect_media(item) for i, item in enumerate(media)
                if isinstance(item, NewMedia)}
    ids: list[int] = []
    for position, item in enumerate(media):
        if isinstance(item, KeptMedia):
            stored = existing.get(item.media_id)
            if stored is None:
                continue  # not this draft's: ignored, never borrowed from another post
            stored.alt_text = item.alt_text
            stored.position = position
            stored.save(update_fields=["alt_text", "position"])
        else:
            ready = prepared[position]
            stored = PostMedia(post=post, alt_text=ready.info.alt_text, size=ready.info.size,
                               width=ready.info.width, height=ready.info.height,
                               position=position, mime_type=ready.info.mime_type)
            stored.file.save(ready.name, ContentFile(ready.data), save=False)
            stored.save()
        ids.append(stored.pk)
    for pk, stored in existing.items():
        if pk not in ids:
            stored.file.delete(save=False)
            stored.delete()
    return ids


def _media_override(custom: TargetCustom | None, ids: Sequence[int]) -> list[int] | None:
    if custom is None or custom.media_positions is None:
        return None
    return [ids[i] for i in custom.media_positions if 0 <= i < len(ids)]


def update_draft(post: Post, outgoing: Outgoing) -> Post:
    """Rewrite a draft with what the composer holds now. reply_to None keeps what each
    account answers; accounts no longer ticked are dropped, new ones join as drafts. New
    files are read and re-encoded first, outside the transaction that rewrites the rows."""
    ready = [prepare_media([item])[0] if isinstance(item, NewMedia) else item
             for item in outgoing.media]
    with transaction.atomic():
        return _rewrite_draft(post, outgoing, ready)


def _rewrite_draft(post: Post, outgoing: Outgoing, media: Sequence[MediaItem]) -> Post:
    locked = Post.objects.select_for_update().get(pk=post.pk)
    if not locked.is_draft or locked.deliveries.exclude(state=DeliveryState.DRAFT).exists():
        raise PostError("This draft has been sent; it can no longer be changed.")
    _check_accounts(locked.user, outgoing.targets)
    scheduled_for = outgoing.typed_time
    if scheduled_for is not None and timezone.is_naive(scheduled_for):
        raise PostError("A scheduled time must carry its time zone.")
    ids = _sync_media(locked, media)
    locked.text = outgoing.text
    locked.content_warning = outgoing.content_warning
    locked.scheduled_for = scheduled_for
    locked.timezone = outgoing.tz
    locked.visibility = outgoing.visibility
    locked.language = outgoing.language
    locked.save()

    wanted = {c.pk: c for c in outgoing.targets}
    current = {d.connection_id: d for d in locked.deliveries.all()}
    locked.deliveries.exclude(connection_id__in=list(wanted)).delete()
    for pk, connection in wanted.items():
        custom = outgoing.customize.get(pk)
        fields = {
            "text_override": custom.text if custom else None,
            "content_warning_override": custom.content_warning if custom else None,
            "media_override": _media_override(custom, ids),
            "parts": list(custom.parts) if custom else [],
            "visibility_override": custom.visibility if custom else "",
            "due_at": scheduled_for or timezone.now(),
        }
        if outgoing.reply_to is not None:
            fields["in_reply_to"] = outgoing.reply_to.get(pk, "")
        if outgoing.quote is not None:
            fields |= quote_fields(outgoing.quote.get(pk))
        delivery = current.get(pk)
        if delivery is None:
            delivery = Delivery.objects.create(
                post=locked, connection=connection, state=DeliveryState.DRAFT,
                idempotency_key=uuid.uuid4().hex, **fields)
            record_transition(delivery, "", DeliveryState.DRAFT, "added to the draft")
        else:
            Delivery.objects.filter(pk=delivery.pk).update(**fields)
    return locked


def save_draft(user: User, outgoing: Outgoing) -> Post:
    """The first save makes the draft (create_from with draft=True); later saves rewrite the
    draft the outgoing names."""
    if outgoing.draft is not None:
        return update_draft(outgoing.draft, outgoing)
    return create_from(user, outgoing, draft=True)


def user_drafts(user: User) -> list[Post]:
    return list(Post.objects.filter(user=user, is_draft=True).order_by("-updated_at")
                .prefetch_related("deliveries__connection", "media"))
