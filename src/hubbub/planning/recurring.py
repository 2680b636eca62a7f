"""Recurring posts: a rule ("every Monday 09:00 until 1 March") and the job that turns each
occurrence into an ordinary post a few days ahead.

Exactly once per occurrence: the Occurrence row (unique on rule and instant) is inserted in the
same transaction as the post, under a lock on the rule; a second worker, a second thread or a
restart finds the row (or fails on the constraint and rolls back) and makes nothing. The posts
are made by publishing.create_post, so the engine sends each one exactly once too.

Occurrences are wall-clock times in the rule's zone (09:00 stays 09:00 across DST). A time the
clocks skip on one of the rule's days is refused when the rule is saved; see core/localtime.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from hubbub.accounts.services import is_valid_zone
from hubbub.connections.models import Connection
from hubbub.core import localtime
from hubbub.networks.base import Draft
from hubbub.planning.models import Frequency, Occurrence, RecurringPost
from hubbub.publishing import services as publishing
from hubbub.publishing.services import PostError
from hubbub.publishing.target_drafts import validate_for_targets

log = logging.getLogger(__name__)
HORIZON = timedelta(days=7)  # posts are made this far ahead, so they show in the calendar
LOOKBACK = timedelta(hours=6)  # an occurrence missed while the hub was down, still made (late)


class RecurringError(PostError):
    """The rule cannot be saved or changed as asked; the message says why."""


@dataclass(frozen=True)
class Rule:
    """What a person asks for, before it is saved."""

    text: str
    connections: Sequence[Connection]
    frequency: str
    time_of_day: time
    tz: str
    starts_on: date
    weekdays: Sequence[int] = ()
    until: date | None = None
    count: int | None = None
    content_warning: str = ""


def instants(rule: RecurringPost, *, from_day: date | None = None) -> Iterator[datetime]:
    """The rule's occurrences in order (UTC). Unbounded rules go on for ever: stop reading.

    With a count the walk starts at the rule's start, so the same occurrences are counted every
    time; without one it may start at from_day."""
    zone = rule.timezone
    weekdays = set(rule.weekdays or [])
    if rule.frequency == Frequency.WEEKLY and not weekdays:
        return
    first = localtime.local(rule.starts_at, zone).date()
    if from_day is not None and rule.count is None:
        first = max(first, from_day)
    seen = 0
    for day in localtime.days_from(first):
        if rule.until is not None and day > rule.until:
            return
        if rule.frequency == Frequency.WEEKLY and day.weekday() not in weekdays:
            continue
        at = localtime.wall_clock_utc(day, rule.time_of_day, zone)
        if at < rule.starts_at:
            continue
        seen += 1
        if rule.count is not None and seen > rule.count:
            return
        yield at


def upcoming(rule: RecurringPost, *, after: datetime, limit: int) -> list[datetime]:
    found = []
    for at in instants(rule, from_day=localtime.local(after, rule.timezone).date()):
        if at > after:
            found.append(at)
            if len(found) >= limit:
                break
    return found


# --- saving and changing rules -------------------------------------------------------------------


def _check(user: User, rule: Rule) -> list[Connection]:
    if not is_valid_zone(rule.tz):
        raise RecurringError(f"{rule.tz!r} is not a time zone we know.")
    targets = list(rule.connections)
    if not targets:
        raise RecurringError("Tick at least one account to post to.")
    for connection in targets:
        if connection.user_id != user.pk or connection.disconnected_at is not None:
            raise RecurringError("One of the ticked accounts is not yours or is disconnected.")
    if not rule.text.strip():
        raise RecurringError("Write something first.")
    if rule.frequency not in Frequency.values:
        raise RecurringError("Pick how often it goes out.")
    if rule.frequency == Frequency.WEEKLY and not rule.weekdays:
        raise RecurringError("Pick at least one day of the week.")
    if rule.until is not None and rule.until < rule.starts_on:
        raise RecurringError("The end date is before the first day.")
    if rule.count is not None and rule.count < 1:
        raise RecurringError("It has to go out at least once.")
    days = list(rule.weekdays) if rule.frequency == Frequency.WEEKLY else list(range(7))
    try:
        localtime.refuse_skipped_weekly(days, rule.time_of_day, rule.tz,
                                        start=max(rule.starts_on, localtime.today(rule.tz)),
                                        end=rule.until, what="A post")
    except ValidationError as exc:
        raise RecurringError(exc.messages[0]) from None
    draft = Draft(text=rule.text, content_warning=rule.content_warning)
    problems = []
    for connection in targets:
        result = validate_for_targets(draft, [connection])[connection.pk]
        problems += [f"{connection.handle}: {p.message}" for p in result.problems]
    if problems:
        raise RecurringError(" ".join(problems))
    return targets


def create_recurring(user: User, rule: Rule) -> RecurringPost:
    """Save a rule and make its first week of posts straight away."""
    targets = _check(user, rule)
    at = rule.time_of_day.replace(second=0, microsecond=0, tzinfo=None)
    day_start = localtime.wall_clock_utc(rule.starts_on, time(0, 0), rule.tz)
    with transaction.atomic():
        saved = RecurringPost.objects.create(
            user=user, text=rule.text, content_warning=rule.content_warning,
            frequency=rule.frequency,
            weekdays=sorted(set(rule.weekdays)) if rule.frequency == Frequency.WEEKLY else [],
            time_of_day=at, timezone=rule.tz, starts_at=max(day_start, timezone.now()),
            until=rule.until, count=rule.count,
        )
        saved.connections.set(targets)
    materialize_rule(saved.pk)
    return saved


def _own(user: User, rule: RecurringPost) -> RecurringPost:
    locked = RecurringPost.objects.select_for_update().filter(pk=rule.pk, user=user).first()
    if locked is None:
        raise RecurringError("That recurring post is not yours or no longer exists.")
    return locked


def _cancel_future(rule: RecurringPost) -> int:
    """Cancel the posts already made for occurrences still ahead and forget those occurrences
    (resuming makes them again). Returns how many posts were cancelled."""
    cancelled = 0
    ahead = rule.occurrences.filter(at__gt=timezone.now()).select_related("post")
    for occurrence in ahead:
        if occurrence.post is None:
            occurrence.delete()
            continue
        if publishing.is_editable(occurrence.post):
            publishing.cancel_post(occurrence.post)
            cancelled += 1
            occurrence.delete()
    return cancelled


def is_instant(rule: RecurringPost, at: datetime) -> bool:
    """Whether `at` is one of the rule's occurrences as the rule reads now."""
    day = localtime.local(at, rule.timezone).date() - timedelta(days=1)
    for found in instants(rule, from_day=day):
        if found >= at:
            return found == at
    return False


@dataclass(frozen=True)
class Updated:
    rule: RecurringPost
    kept: int  # posts already made ahead that now carry the new text
    cancelled: int  # posts made ahead for times the rule no longer has (or other accounts)
    made: int  # posts made for the new times


def update_recurring(user: User, rule: RecurringPost, new: Rule) -> Updated:
    """Change a rule's text, accounts, days, time, first day or end. What went out (or started
    to) is left as it is; posts already made ahead follow the new rule: re-worded where their
    time and accounts still hold, cancelled otherwise, and the new times are made. Each
    occurrence still has at most one post (the rule stays locked while it changes)."""
    targets = _check(user, new)
    at = new.time_of_day.replace(second=0, microsecond=0, tzinfo=None)
    kept = cancelled = 0
    with transaction.atomic():
        locked = _own(user, rule)
        if new.tz != locked.timezone:
            raise RecurringError("A recurring post keeps the time zone it was made in.")
        first_day = localtime.local(locked.starts_at, locked.timezone).date()
        if new.starts_on != first_day:
            day_start = localtime.wall_clock_utc(new.starts_on, time(0, 0), new.tz)
            locked.starts_at = max(day_start, timezone.now())
        locked.text = new.text
        locked.content_warning = new.content_warning
        locked.frequency = new.frequency
        locked.weekdays = sorted(set(new.weekdays)) if new.frequency == Frequency.WEEKLY \
            else []
        locked.time_of_day = at
        locked.until = new.until
        locked.count = new.count
        locked.last_error = ""
        locked.save()
        locked.connections.set(targets)
        wanted = {c.pk for c in targets}
        now = timezone.now()
        ahead = locked.occurrences.filter(at__gt=now).select_related("post")
        for occurrence in ahead:
            post = occurrence.post
            if post is None:  # could not be made before: try again under the new rule
                occurrence.delete()
                continue
            if not publishing.is_editable(post):
                continue  # it started sending: it is what went out for that occurrence
            if post.scheduled_for != occurrence.at:
                continue  # given its own time by hand: the person's own post now
            same_accounts = set(post.deliveries.values_list("connection_id", flat=True)) \
                == wanted
            if same_accounts and is_instant(locked, occurrence.at):
                try:
                    publishing.update_scheduled_post(
                        post, text=new.text, content_warning=new.content_warning,
                        scheduled_for=occurrence.at, tz=locked.timezone)
                except PostError:
                    pass  # started sending meanwhile; or refused: replaced below
                else:
                    kept += 1
                    continue
            if publishing.is_editable(post):
                publishing.cancel_post(post)
                cancelled += 1
                occurrence.delete()
    made = materialize_rule(rule.pk)
    locked.refresh_from_db()
    return Updated(locked, kept, cancelled, made)


@transaction.atomic
def pause_recurring(user: User, rule: RecurringPost) -> int:
    locked = _own(user, rule)
    if locked.paused_at is None:
        locked.paused_at = timezone.now()
        locked.save(update_fields=["paused_at"])
    return _cancel_future(locked)


def resume_recurring(user: User, rule: RecurringPost) -> int:
    with transaction.atomic():
        locked = _own(user, rule)
        locked.paused_at = None
        locked.save(update_fields=["paused_at"])
    return materialize_rule(rule.pk)


@transaction.atomic
def delete_recurring(user: User, rule: RecurringPost) -> int:
    """Stop it: its posts still ahead are cancelled; those already sent keep their history."""
    locked = _own(user, rule)
    cancelled = _cancel_future(locked)
    locked.delete()
    return cancelled


# --- the job -------------------------------------------------------------------------------------


def _make(rule_id: int, at: datetime) -> bool:
    """Make the post for one occurrence, at most once. True if this call made it."""
    try:
        with transaction.atomic():
            rule = (RecurringPost.objects.select_for_update().select_related("user")
                    .filter(pk=rule_id, paused_at__isnull=True).first())
            if rule is None or Occurrence.objects.filter(rule=rule, at=at).exists():
                return False
            if not is_instant(rule, at):
                return False  # the rule was changed since this time was worked out
            occurrence = Occurrence.objects.create(rule=rule, at=at)  # the claim
            targets = list(rule.connections.filter(disconnected_at__isnull=True))
            try:
                if not targets:
                    raise PostError("Every account of this recurring post is disconnected.")
                with transaction.atomic():
                    post = publishing.create_post(
                        user=rule.user, text=rule.text, content_warning=rule.content_warning,
                        connections=targets, scheduled_for=at, tz=rule.timezone,
                    )
            except PostError as exc:
                # Written down once, not tried again every minute; the rule's page shows it.
                occurrence.error = str(exc)
                occurrence.save(update_fields=["error"])
                RecurringPost.objects.filter(pk=rule.pk).update(last_error=str(exc)[:2000])
                return False
            occurrence.post = post
            occurrence.save(update_fields=["post"])
            if rule.last_error:
                RecurringPost.objects.filter(pk=rule.pk).update(last_error="")
            return True
    except IntegrityError:
        return False  # another worker made this occurrence first


def materialize_rule(rule_id: int, *, now: datetime | None = None) -> int:
    """Make the posts for one rule's occurrences in (now - LOOKBACK, now + HORIZON]."""
    rule = RecurringPost.objects.filter(pk=rule_id, paused_at__isnull=True).first()
    if rule is None:
        return 0
    now = now or timezone.now()
    earliest, latest = now - LOOKBACK, now + HORIZON
    made = set(rule.occurrences.filter(at__gt=earliest).values_list("at", flat=True))
    created = 0
    start = localtime.local(earliest, rule.timezone).date() - timedelta(days=1)
    for at in instants(rule, from_day=start):
        if at > latest:
            break
        if at <= earliest or at in made:
            continue
        if _make(rule.pk, at):
            created += 1
    return created


def materialize(now: datetime | None = None) -> int:
    """The periodic job: every active rule's coming week of posts. Safe on many workers."""
    created = 0
    for rule_id in RecurringPost.objects.filter(paused_at__isnull=True).values_list("pk",
                                                                                  flat=True):
        try:
            created += materialize_rule(rule_id, now=now)
        except Exception:
            log.exception("recurring post %s could not be materialized", rule_id)
    return created
