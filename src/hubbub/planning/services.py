"""Writes for queues, rescheduling and the late-post choice. Views and the composer call these.

A queue's posts are ordinary posts: publishing.services makes and re-times them, so the engine
sends each exactly once. A QueueEntry only says which queue a post waits in, and in what order.

- add_to_queue takes the first slot after now that no waiting post of the queue holds.
- move_to_top, remove_from_queue, changing the slots or the zone, and resuming re-time the
  waiting posts, in their order, onto the queue's next slots (the queue closes up).
- Pausing parks the waiting posts (their deliveries go back to "draft", so none goes out) and
  keeps their order; posts added meanwhile join the end.
- A post whose time was changed elsewhere (its edit page, the calendar) has left the queue, and
  one that started sending is no longer waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from itertools import islice

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hubbub.accounts.services import is_valid_zone, profile_for
from hubbub.connections.models import Connection
from hubbub.core import localtime
from hubbub.planning.models import Queue, QueueEntry, QueueSlot
from hubbub.publishing import services as publishing
from hubbub.publishing.models import DeliveryState, Post, PostLatePolicy
from hubbub.publishing.outgoing import Outgoing
from hubbub.publishing.schedule_fields import PAST_GRACE
from hubbub.publishing.services import PostError

log = logging.getLogger(__name__)
LEAD = timedelta(minutes=1)  # a slot closer to now than this is not handed out
SEARCH_DAYS = 2 * 366  # how far ahead slots are looked for


class QueueError(PostError):
    """The queue cannot do that; the message says why."""


# --- reading -------------------------------------------------------------------------------------


def user_queues(user: User) -> list[Queue]:
    return list(Queue.objects.filter(user=user).prefetch_related("slots", "connections"))


def upcoming_slots(queue: Queue, *, after: datetime) -> Iterator[datetime]:
    """The queue's slot instants after `after`, in order: each slot's weekday and wall-clock
    time in the queue's zone (09:00 is 09:00 local in winter and summer)."""
    by_day: dict[int, list[time]] = {}
    for slot in queue.slots.all():
        by_day.setdefault(slot.weekday, []).append(slot.time)
    if not by_day:
        return
    first = localtime.local(after, queue.timezone).date()
    for day in islice(localtime.days_from(first), SEARCH_DAYS):
        times = by_day.get(day.weekday(), [])
        for instant in sorted({localtime.wall_clock_utc(day, t, queue.timezone) for t in times}):
            if instant > after:
                yield instant


def _on_its_slot(entry: QueueEntry) -> bool:
    return entry.post.scheduled_for == entry.slot_at


def waiting_entries(queue: Queue) -> list[QueueEntry]:
    """The posts waiting in the queue, in order: not started, and still at the queue's time."""
    entries = queue.entries.select_related("post").prefetch_related(
        "post__deliveries__connection").order_by("position", "pk")
    return [e for e in entries if _on_its_slot(e) and publishing.is_editable(e.post)]


def is_held(post: Post) -> bool:
    return any(d.state == DeliveryState.HELD for d in post.deliveries.all())


def effective_late_policy(post: Post) -> tuple[str, bool]:
    """What happens to this post if it is late: (policy, whether it is the person's default)."""
    if post.late_policy:
        return post.late_policy, False
    return profile_for(post.user).late_policy, True


# --- queues and slots ----------------------------------------------------------------------------


def _check_zone(tz: str) -> None:
    if not is_valid_zone(tz):
        raise QueueError(f"{tz!r} is not a time zone we know.")


def _own_connections(user: User, connections: Iterable[Connection]) -> list[Connection]:
    found = list(connections)
    for connection in found:
        if connection.user_id != user.pk or connection.disconnected_at is not None:
            raise QueueError("One of the ticked accounts is not yours or is disconnected.")
    return found


@transaction.atomic
def create_queue(user: User, *, name: str, tz: str, connections: Iterable[Connection],
                 slots: Iterable[tuple[int, time]] = ()) -> Queue:
    _check_zone(tz)
    targets = _own_connections(user, connections)
    if not targets:
        raise QueueError("Tick at least one account for this queue.")
    queue = Queue.objects.create(user=user, name=name.strip() or "Queue", timezone=tz)
    queue.connections.set(targets)
    for weekday, at in slots:
        _refuse_skipped(tz, [weekday], at)
        QueueSlot.objects.get_or_create(queue=queue, weekday=weekday, time=at)
    return queue


def _lock(queue: Queue, user: User) -> Queue:
    """The queue row, locked for this transaction, so two writers never hand out one slot."""
    locked = Queue.objects.select_for_update().filter(pk=queue.pk, user=user).first()
    if locked is None:
        raise QueueError("That queue is not yours or no longer exists.")
    return locked


@transaction.atomic
def update_queue(user: User, queue: Queue, *, name: str, tz: str,
                 connections: Iterable[Connection]) -> Queue:
    """Rename, change its accounts (for posts added from now on) or its zone (re-times)."""
    _check_zone(tz)
    locked = _lock(queue, user)
    targets = _own_connections(user, connections)
    if not targets:
        raise QueueError("Tick at least one account for this queue.")
    zone_changed = locked.timezone != tz
    if zone_changed:
        for slot in locked.slots.all():
            _refuse_skipped(tz, [slot.weekday], slot.time)
    locked.name = name.strip() or locked.name
    locked.timezone = tz
    locked.save(update_fields=["name", "timezone"])
    locked.connections.set(targets)
    if zone_changed:
        _retime(locked)
    return locked


@transaction.atomic
def delete_queue(user: User, queue: Queue) -> int:
    """Delete the queue and cancel its waiting posts. Returns how many were cancelled."""
    locked = _lock(queue, user)
    cancelled = 0
    for entry in waiting_entries(locked):
        if publishing.cancel_post(entry.post):
            cancelled += 1
    locked.delete()
    return cancelled


def _refuse_skipped(tz: str, weekdays: Sequence[int], at: time) -> None:
    try:
        localtime.refuse_skipped_weekly(weekdays, at, tz, start=localtime.today(tz),
                                        what="A slot")
    except ValidationError as exc:
        raise QueueError(exc.messages[0]) from None


@transaction.atomic
def add_slots(user: User, queue: Queue, *, weekdays: Iterable[int], at: time) -> int:
    """Add a time on some weekdays (refused if the clocks skip it on one of them). Re-times."""
    locked = _lock(queue, user)
    days = sorted({d for d in weekdays if 0 <= d <= 6})
    if not days:
        raise QueueError("Pick at least one day for this time.")
    at = at.replace(second=0, microsecond=0, tzinfo=None)
    _refuse_skipped(locked.timezone, days, at)
    added = 0
    for weekday in days:
        _slot, created = QueueSlot.objects.get_or_create(queue=locked, weekday=weekday, time=at)
        added += int(created)
    if added:
        _retime(locked)
    return added


@transaction.atomic
def remove_slot(user: User, slot: QueueSlot) -> None:
    locked = _lock(slot.queue, user)
    QueueSlot.objects.filter(pk=slot.pk, queue=locked).delete()
    _retime(locked)


# --- posts in a queue ----------------------------------------------------------------------------


def _tidy(queue: Queue) -> list[QueueEntry]:
    """Forget entries that left (sent, sending, cancelled, moved by hand); the waiting ones."""
    waiting = waiting_entries(queue)
    queue.entries.exclude(pk__in=[e.pk for e in waiting]).delete()
    return waiting


def _next_free(locked: Queue) -> tuple[list[QueueEntry], datetime]:
    """The waiting posts, and the first slot after now that none of them holds."""
    waiting = _tidy(locked)
    taken = {e.slot_at for e in waiting}
    now = timezone.now()
    slot = next((t for t in upcoming_slots(locked, after=now + LEAD) if t not in taken), None)
    if slot is None:
        raise QueueError(f"{locked.name} has no time slots yet: add one first.")
    return waiting, slot


def _enter(locked: Queue, waiting: list[QueueEntry], post: Post, slot: datetime) -> None:
    last = max((e.position for e in waiting), default=0)
    entry = QueueEntry.objects.create(queue=locked, post=post, slot_at=slot, position=last + 1)
    if locked.is_paused:
        _park(post)
    else:
        _renumber([*waiting, entry])


@transaction.atomic
def add_to_queue(user: User, queue: Queue, outgoing: Outgoing) -> Post:
    """Make the post `outgoing` holds for the queue's next free slot: to its accounts, or to
    the queue's own when it names none; with each account's own version, replies,
    visibility and language as it says (the outgoing's own time is not used). Raises
    PostError (QueueError for the queue's own reasons) with a message to show. The files are
    best prepared (publishing.media.prepare_media) before: this holds a transaction."""
    locked = _lock(queue, user)
    targets = outgoing.targets or tuple(locked.connections.filter(disconnected_at__isnull=True))
    if not targets:
        raise QueueError(f"{locked.name} has no connected account to post to.")
    waiting, slot = _next_free(locked)
    post = publishing.create_from(user, replace(
        outgoing, targets=targets, scheduled_for=slot, tz=locked.timezone))
    _enter(locked, waiting, post, slot)
    return post


@transaction.atomic
def queue_draft(user: User, queue: Queue, post: Post) -> Post:
    """Send a draft the composer saved (its accounts, customisations, images, thread) to the
    queue's next free slot. Checked against every account's rules like any send."""
    locked = _lock(queue, user)
    if post.user_id != user.pk:
        raise QueueError("That draft is not yours.")
    waiting, slot = _next_free(locked)
    sent = publishing.send_draft(post, scheduled_for=slot, tz=locked.timezone)
    _enter(locked, waiting, sent, slot)
    return sent


def _renumber(entries: Iterable[QueueEntry]) -> None:
    """In an active queue the order is the order of the times."""
    for position, entry in enumerate(sorted(entries, key=lambda e: (e.slot_at, e.pk)), start=1):
        if entry.position != position:
            entry.position = position
            entry.save(update_fields=["position"])


def _retime(queue: Queue, order: Sequence[QueueEntry] | None = None) -> None:
    """Give the waiting posts, in order, the queue's next slots (a paused queue only keeps the
    order). A post held for being late keeps waiting for the person."""
    entries = list(order) if order is not None else _tidy(queue)
    for position, entry in enumerate(entries, start=1):
        if entry.position != position:
            entry.position = position
            entry.save(update_fields=["position"])
    if queue.is_paused:
        return
    movable = [e for e in entries if not is_held(e.post)]
    slots = upcoming_slots(queue, after=timezone.now() + LEAD)
    for entry, slot in zip(movable, slots, strict=False):
        post = entry.post
        parked = any(d.state == DeliveryState.DRAFT for d in post.deliveries.all())
        if post.scheduled_for == slot and not parked:
            continue
        try:
            publishing.update_scheduled_post(post, text=post.text,
                                             content_warning=post.content_warning,
                                             scheduled_for=slot, tz=queue.timezone)
        except PostError as exc:
            log.info("queue %s: post %s not re-timed: %s", queue.pk, post.pk, exc)
            continue
        entry.slot_at = slot
        entry.save(update_fields=["slot_at"])


def _park(post: Post) -> None:
    """Keep a post from going out without cancelling it (publishing.unschedule)."""
    publishing.unschedule(post, "its queue is paused")


def _entry(user: User, entry: QueueEntry) -> tuple[Queue, list[QueueEntry], QueueEntry]:
    locked = _lock(entry.queue, user)
    waiting = _tidy(locked)
    found = next((e for e in waiting if e.pk == entry.pk), None)
    if found is None:
        raise QueueError("That post is no longer waiting in the queue (it was sent, started "
                         "sending, or was given its own time).")
    return locked, waiting, found


@transaction.atomic
def move_to_top(user: User, entry: QueueEntry) -> None:
    """The post takes the queue's earliest slot; the others shift down one each."""
    locked, waiting, found = _entry(user, entry)
    _retime(locked, [found, *[e for e in waiting if e.pk != found.pk]])


@transaction.atomic
def remove_from_queue(user: User, entry: QueueEntry) -> None:
    """Cancel the post (nothing of it is sent) and close the gap it leaves."""
    locked, waiting, found = _entry(user, entry)
    publishing.cancel_post(found.post)
    found.delete()
    _retime(locked, [e for e in waiting if e.pk != found.pk])


@transaction.atomic
def pause_queue(user: User, queue: Queue) -> int:
    """Nothing of the queue goes out until it is resumed. Returns how many posts wait."""
    locked = _lock(queue, user)
    waiting = _tidy(locked)
    if not locked.is_paused:
        locked.paused_at = timezone.now()
        locked.save(update_fields=["paused_at"])
        for entry in waiting:
            _park(entry.post)
    return len(_tidy(locked))


@transaction.atomic
def resume_queue(user: User, queue: Queue) -> int:
    """Re-time the waiting posts, in their order, to the next free slots from now."""
    locked = _lock(queue, user)
    locked.paused_at = None
    locked.save(update_fields=["paused_at"])
    _retime(locked)
    return len(_tidy(locked))


# --- any post: its time and its late-post choice -------------------------------------------------


def reschedule(user: User, post: Post, *, day: date, at: time, tz: str,
               fold: int = localtime.FIRST) -> datetime:
    """Move a post that has not started sending to another local date and time (the calendar's
    drag and drop). A time the clocks skip is refused; in a fold, `fold` picks. A queued post
    given its own time leaves its queue."""
    if post.user_id != user.pk:
        raise PostError("That post is not yours.")
    states = set(post.deliveries.values_list("state", flat=True))
    if states == {DeliveryState.DRAFT} and not QueueEntry.objects.filter(post=post).exists():
        raise PostError("This is a draft: it gets a time when you send it from the composer.")
    try:
        when = localtime.to_utc(day, at, tz, fold=fold)
    except ValidationError as exc:
        raise PostError(exc.messages[0]) from None
    if when < timezone.now() - PAST_GRACE:
        now = localtime.local(timezone.now(), tz)
        raise PostError(f"That time has passed (it is {now:%a %-d %b, %H:%M} in {tz} now).")
    publishing.update_scheduled_post(post, text=post.text, content_warning=post.content_warning,
                                     scheduled_for=when, tz=tz)
    QueueEntry.objects.filter(post=post).delete()
    return when


def set_late_policy(user: User, post: Post, policy: str) -> None:
    """What happens to this post if its time passes while the hub is down: "" (the person's
    default), hold or send."""
    if policy not in PostLatePolicy.values:
        raise PostError("Pick hold, send, or your default.")
    if post.user_id != user.pk:
        raise PostError("That post is not yours.")
    Post.objects.filter(pk=post.pk, user=user).update(late_policy=policy)
    post.late_policy = policy

