"""Writes for posts and deliveries. Views and the CLI go through these functions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.connections.services import capabilities_for
from hubbub.core.counting import post_size_problem
from hubbub.core.dbclock import db_now
from hubbub.networks.base import Draft, MediaFile

# PostError and NewMedia are part of this module's face: views, planning and imports take them here.
from hubbub.publishing.errors import PostError as PostError
from hubbub.publishing.media import InspectedMedia, inspect_media, media_file
from hubbub.publishing.media import NewMedia as NewMedia
from hubbub.publishing.models import Delivery, DeliveryEvent, DeliveryState, Post, PostMedia
from hubbub.publishing.outgoing import Outgoing, Quoted, quote_fields

# TargetCustom lives with Outgoing (its per-account versions); still importable here.
from hubbub.publishing.outgoing import TargetCustom as TargetCustom

# What each target gets and whether it fits: target_drafts.py.
from hubbub.publishing.target_drafts import (
    carried,
    check_targets,
    part_drafts,
    problem_sentence,
    validate_for_targets,
)

# A target's state changes (cancel, retry, delete everywhere, the post's one word) live in
# transitions.py; still importable here, where views, the CLI and planning call them.
from hubbub.publishing.transitions import EDITABLE_STATES as EDITABLE_STATES
from hubbub.publishing.transitions import (
    cancel_deliveries_for_connection as cancel_deliveries_for_connection,
)
from hubbub.publishing.transitions import cancel_delivery as cancel_delivery
from hubbub.publishing.transitions import cancel_post as cancel_post
from hubbub.publishing.transitions import delete_everywhere as delete_everywhere
from hubbub.publishing.transitions import move as _move
from hubbub.publishing.transitions import post_status as post_status
from hubbub.publishing.transitions import record_transition as record_transition
from hubbub.publishing.transitions import retry_delivery as retry_delivery
from hubbub.publishing.transitions import send_held_now as send_held_now


def create_post(
    *,
    user: User,
    text: str,
    connections: Sequence[Connection],
    content_warning: str = "",
    media: Sequence[NewMedia] = (),
    scheduled_for: datetime | None = None,
    tz: str = "UTC",
    reply_to: Mapping[int, str] | None = None,
    customize: Mapping[int, TargetCustom] | None = None,
    draft: bool = False,
    quote: Mapping[int, Quoted] | None = None,
    visibility: str = "",
    language: str = "",
) -> Post:
    """Save a post and one delivery per target. Nothing over a limit is accepted (a draft may
    be: it is checked again when it is sent).

    scheduled_for None means now. The worker picks due deliveries up from the table.
    reply_to maps a connection id to the network's id of the post this one answers there;
    quote, to the post it quotes there (a network that quotes natively);
    customize maps a connection id to that target's own text, content warning, images or
    thread. visibility and language are stored on the post, in its row (a worker may take a
    post sent now the moment it commits).

    The files are read and re-encoded first, outside any transaction (prepare_media); only
    the rows (and the cleaned files) are written in one short transaction. A caller that holds
    a transaction around this call prepares the media before opening it."""
    if not connections and not draft:
        raise PostError("Tick at least one account to post to.")
    if not text.strip() and not media and not draft:
        raise PostError("Write something (or attach an image or a video) first.")
    for connection in connections:
        if connection.user_id != user.pk or connection.disconnected_at is not None:
            raise PostError("One of the ticked accounts is not yours or is disconnected.")
    if scheduled_for is not None and timezone.is_naive(scheduled_for):
        raise PostError("A scheduled time must carry its time zone.")
    if not draft and (oversized := post_size_problem(text, content_warning)):
        raise PostError(oversized)  # before any count, and before the files are read
    prepared = [inspect_media(item) for item in media]
    base = Draft(text=text, content_warning=content_warning,
                 media=tuple(p.info for p in prepared))
    if not draft:
        problems = check_targets(base, connections, customize, reply_to, quote)
        if problems:
            raise PostError(" ".join(problems))
    kept = _carried_by_target(base.media, connections)
    with transaction.atomic():
        return _save_post(
            user=user, text=text, connections=connections, content_warning=content_warning,
            prepared=prepared, scheduled_for=scheduled_for, tz=tz, reply_to=reply_to,
            customize=customize, draft=draft, kept=kept, visibility=visibility,
            language=language, quote=quote)


def create_from(user: User, outgoing: Outgoing, *, draft: bool = False) -> Post:
    """The composer's post, made from what it holds (no draft saved yet): create_post with
    every part of `outgoing`. A draft is made with the time typed; a post with its send time."""
    return create_post(
        user=user, text=outgoing.text, connections=outgoing.targets,
        content_warning=outgoing.content_warning, media=outgoing.new_media(),
        scheduled_for=outgoing.typed_time if draft else outgoing.scheduled_for,
        tz=outgoing.tz, reply_to=outgoing.reply_to, customize=outgoing.customize, draft=draft,
        visibility=outgoing.visibility, language=outgoing.language, quote=outgoing.quote)


def _carried_by_target(media: Sequence[MediaFile], connections: Sequence[Connection]
                       ) -> dict[int, tuple[int, ...]]:
    """For each target that cannot carry every attachment, the positions it carries."""
    if not media:
        return {}
    found = {}
    for connection in connections:
        kept = carried(media, capabilities_for(connection))
        if len(kept) != len(media):
            found[connection.pk] = kept
    return found


def _media_override(stored_ids: Sequence[int], chosen: Sequence[int] | None,
                    kept: Sequence[int] | None) -> list[int] | None:
    """A delivery's own attachments (ids, in order): the ones the person chose for it (None:
    all), less those its account cannot carry; None when it gets the post's own."""
    if chosen is None and kept is None:
        return None
    positions = range(len(stored_ids)) if chosen is None else chosen
    allowed = set(range(len(stored_ids)) if kept is None else kept)
    return [stored_ids[i] for i in positions if 0 <= i < len(stored_ids) and i in allowed]


def _save_post(
    *, user: User, text: str, connections: Sequence[Connection], content_warning: str,
    prepared: Sequence[InspectedMedia], scheduled_for: datetime | None, tz: str,
    reply_to: Mapping[int, str] | None, customize: Mapping[int, TargetCustom] | None,
    draft: bool, kept: Mapping[int, tuple[int, ...]] | None = None,
    visibility: str = "", language: str = "", quote: Mapping[int, Quoted] | None = None,
) -> Post:
    """create_post's rows, in its transaction: the post, its files, one delivery a target.
    `kept`: for a target that cannot carry all the attachments, the positions it carries."""
    post = Post.objects.create(
        user=user, text=text, content_warning=content_warning, scheduled_for=scheduled_for,
        timezone=tz, is_draft=draft, visibility=visibility, language=language,
    )
    stored_ids = []
    for position, item in enumerate(prepared):
        stored = PostMedia(
            post=post, alt_text=item.info.alt_text, size=item.info.size, width=item.info.width,
            height=item.info.height, position=position, mime_type=item.info.mime_type,
        )
        stored.file.save(item.name, ContentFile(item.data), save=False)
        stored.save()
        stored_ids.append(stored.pk)
    due = scheduled_for or db_now()  # "now" is the database's: the clock that says it is due
    state = DeliveryState.DRAFT if draft else DeliveryState.SCHEDULED
    for connection in connections:
        custom = (customize or {}).get(connection.pk)
        # The key is minted once and saved with the row, before any network call.
        delivery = Delivery.objects.create(
            post=post, connection=connection, state=state, due_at=due,
            idempotency_key=uuid.uuid4().hex,
            in_reply_to=(reply_to or {}).get(connection.pk, ""),
            **quote_fields((quote or {}).get(connection.pk)),
            text_override=custom.text if custom else None,
            content_warning_override=custom.content_warning if custom else None,
            media_override=_media_override(
                stored_ids, custom.media_positions if custom else None,
                (kept or {}).get(connection.pk)),
            parts=list(custom.parts) if custom else [],
            visibility_override=custom.visibility if custom else "",
        )
        DeliveryEvent.objects.create(
            delivery=delivery, from_state="", to_state=state,
            detail="saved as a draft" if draft else f"due {due.isoformat()}",
        )
    return post


@transaction.atomic
def send_draft(post: Post, *, scheduled_for: datetime | None = None, tz: str = "UTC") -> Post:
    """Check a draft against every target's rules, then schedule it (None: now)."""
    locked = Post.objects.select_for_update().get(pk=post.pk)
    if not locked.is_draft:
        raise PostError("This post is not a draft any more.")
    deliveries = list(locked.deliveries.select_related("connection"))
    if not deliveries:
        raise PostError("Tick at least one account to post to.")
    problems = []
    for d in deliveries:
        for n, draft in enumerate(part_drafts(locked, d), start=1):
            result = validate_for_targets(draft, [d.connection])[d.connection.pk]
            where = d.connection.handle + (f" (part {n})" if d.parts else "")
            problems += [problem_sentence(where, p.message) for p in result.problems]
    if problems:
        raise PostError(" ".join(problems))
    if scheduled_for is not None and timezone.is_naive(scheduled_for):
        raise PostError("A scheduled time must carry its time zone.")
    _leave_out_uncarried(locked, deliveries)
    due = scheduled_for or db_now()
    locked.is_draft = False
    locked.scheduled_for = scheduled_for
    locked.timezone = tz
    locked.save()
    for d in deliveries:
        _move(d, [DeliveryState.DRAFT], DeliveryState.SCHEDULED, f"due {due.isoformat()}",
              due_at=due, enqueued_at=None)
    return locked


def _leave_out_uncarried(post: Post, deliveries: Sequence[Delivery]) -> None:
    """A draft about to be sent: each delivery whose account cannot carry all of its
    attachments goes without those (saved as its own attachments, so every retry agrees)."""
    stored = list(post.media.all())
    for d in deliveries:
        ids = [m.pk for m in stored]
        chosen = None if d.media_override is None else [
            ids.index(pk) for pk in d.media_override if pk in ids]
        own = stored if chosen is None else [stored[i] for i in chosen]
        kept = carried([media_file(m) for m in own], capabilities_for(d.connection))
        if len(kept) == len(own):
            continue
        d.media_override = [own[i].pk for i in kept]
        Delivery.objects.filter(pk=d.pk).update(media_override=d.media_override)


@transaction.atomic
def duplicate_post(post: Post) -> Post:
    """A new draft with the same words, images, targets and customisations."""
    copy = Post.objects.create(
        user=post.user, text=post.text, content_warning=post.content_warning,
        timezone=post.timezone, late_policy=post.late_policy, is_draft=True,
        visibility=post.visibility, language=post.language,
    )
    new_ids: dict[int, int] = {}
    for m in post.media.all():
        with m.file.open("rb") as handle:
            data = handle.read()
        clone = PostMedia(post=copy, alt_text=m.alt_text, size=m.size, width=m.width,
                          height=m.height, position=m.position, mime_type=m.mime_type)
        clone.file.save(Path(m.file.name or "image").name.split("-", 1)[-1], ContentFile(data),
                        save=False)
        clone.save()
        new_ids[m.pk] = clone.pk
    for d in post.deliveries.select_related("connection"):
        if d.connection.disconnected_at is not None:
            continue
        delivery = Delivery.objects.create(
            post=copy, connection=d.connection, state=DeliveryState.DRAFT,
            due_at=timezone.now(), idempotency_key=uuid.uuid4().hex,
            text_override=d.text_override, content_warning_override=d.content_warning_override,
            media_override=None if d.media_override is None
            else [new_ids[i] for i in d.media_override if i in new_ids],
            parts=list(d.parts), in_reply_to=d.in_reply_to,
            quote_of=d.quote_of, quote_url=d.quote_url,
            visibility_override=d.visibility_override,
        )
        record_transition(delivery, "", DeliveryState.DRAFT, f"copied from post {post.pk}")
    return copy


def discard_draft(post: Post) -> None:
    """Forget a draft (nothing of it was ever sent)."""
    if not post.is_draft or post.deliveries.exclude(state=DeliveryState.DRAFT).exists():
        raise PostError("Only a draft can be discarded.")
    for m in post.media.all():
        m.file.delete(save=False)
    post.delete()


@transaction.atomic
def unschedule(post: Post, reason: str) -> int:
    """Keep a scheduled post from going out without cancelling it (a paused queue): its
    scheduled targets go back to "draft" by compare-and-set, so no worker can claim them;
    update_scheduled_post schedules them again. If one target started sending meanwhile, the
    post goes out after all and the others are put back. Returns how many were held."""
    held = [d for d in post.deliveries.all()
            if _move(d, [DeliveryState.SCHEDULED], DeliveryState.DRAFT, reason)]
    if is_editable(Post.objects.get(pk=post.pk)):
        return len(held)
    for d in held:
        d.state = DeliveryState.DRAFT
        _move(d, [DeliveryState.DRAFT], DeliveryState.SCHEDULED,
              f"it had started sending when it was held ({reason})")
    return 0


def is_editable(post: Post) -> bool:
    states = {d.state for d in post.deliveries.all()}
    return bool(states) and states <= set(EDITABLE_STATES)


@transaction.atomic
def update_scheduled_post(
    post: Post, *, text: str, content_warning: str, scheduled_for: datetime, tz: str,
    visibility: str | None = None, language: str | None = None,
) -> Post:
    """Edit a post that has not started sending. Fails if any target already started.
    visibility and language (None: kept) are written with the post's row."""
    locked = Post.objects.select_for_update().get(pk=post.pk)
    deliveries = list(locked.deliveries.select_related("connection"))
    if not deliveries or any(d.state not in EDITABLE_STATES for d in deliveries):
        raise PostError("This post has started sending; it can no longer be edited.")
    if timezone.is_naive(scheduled_for):
        raise PostError("A scheduled time must carry its time zone.")
    # Check what each target will really get (its own text or thread where customised).
    locked.text = text
    locked.content_warning = content_warning
    problems = []
    for d in deliveries:
        d.written = None  # the words an earlier attempt wrote are dropped below: not checked
        for n, draft in enumerate(part_drafts(locked, d), start=1):
            result = validate_for_targets(draft, [d.connection])[d.connection.pk]
            where = d.connection.handle + (f" (part {n})" if d.parts else "")
            problems += [problem_sentence(where, p.message) for p in result.problems]
    if problems:
        raise PostError(" ".join(problems))
    # Hold every delivery in place while editing: claims only take SCHEDULED rows whose
    # due_at passed, so moving due_at under the same transaction is safe.
    # Nothing of an editable delivery has landed, so what a connector prepared for the old
    # text (a signed event, a record key), and how an attempt wrote @[name], are dropped and
    # made again for the new one.
    changed = Delivery.objects.filter(post=locked, state__in=EDITABLE_STATES).update(
        due_at=scheduled_for, state=DeliveryState.SCHEDULED, enqueued_at=None, prepared=None,
        written=None,
    )
    if changed != len(deliveries):
        raise PostError("This post has started sending; it can no longer be edited.")
    locked.text = text
    locked.content_warning = content_warning
    locked.scheduled_for = scheduled_for
    locked.timezone = tz
    if visibility is not None:
        locked.visibility = visibility
    if language is not None:
        locked.language = language
    locked.save()
    for d in deliveries:
        record_transition(d, d.state, DeliveryState.SCHEDULED, f"edited; due {scheduled_for}")
    return locked


def update_from(post: Post, outgoing: Outgoing) -> Post:
    """The edit page's change, as one Outgoing (its words, time, visibility and language; the
    accounts and their versions stay as they are). Raises PostError."""
    if outgoing.scheduled_for is None:
        raise PostError("Pick a date and time for the post.")
    return update_scheduled_post(
        post, text=outgoing.text, content_warning=outgoing.content_warning,
        scheduled_for=outgoing.scheduled_for, tz=outgoing.tz,
        visibility=outgoing.visibility, language=outgoing.language)
