"""Feed subscriptions: subscribe, read on a schedule, and turn each new entry into one post.

Never the same entry twice: an entry is claimed by inserting its FeedEntry row (unique on
subscription + key) in the same transaction that creates its post. Two workers reading the
same feed at once, or a worker killed and restarted, cannot post it again: the second insert
fails and that worker moves on. Reads are claimed too (compare-and-set on next_poll_at), so
normally only one worker fetches a feed at a time; the constraint is what makes it correct.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from hubbub.accounts.services import is_valid_zone, profile_for
from hubbub.connections.models import Connection
from hubbub.connections.services import capabilities_for
from hubbub.imports.feeds import Entry, Feed, FeedProblem, discover, looks_like_html, parse
from hubbub.imports.fetch import Fetched, FetchProblem, fetch
from hubbub.imports.models import EntryState, FeedEntry, FeedMode, FeedSubscription
from hubbub.imports.posttext import DoesNotFit, check_template, fit
from hubbub.planning.models import Queue
from hubbub.planning.services import add_to_queue
from hubbub.publishing.models import Post
from hubbub.publishing.outgoing import Outgoing
from hubbub.publishing.services import PostError, TargetCustom, create_from

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)  # a claimed read not finished by then is done again
MAX_BACKOFF = timedelta(hours=24)
BATCH = 20
MAX_NEW_PER_READ = 10  # more new entries than this at once: the rest wait for the next read
# Every entry new at once, for a feed we already knew this many entries of: the feed changed
# its ids (a new platform, a rewritten feed). Posting all of them would flood the accounts.
REKEY_GUARD = 3


class SubscribeProblem(ValueError):
    """The feed cannot be subscribed to; the message says why."""


@dataclass(frozen=True)
class ReadOutcome:
    posted: int = 0
    failed: int = 0
    not_modified: bool = False
    error: str = ""


# --- subscribing -----------------------------------------------------------------------------


def _read(url: str) -> tuple[str, Fetched, Feed]:
    """Fetch and parse; a web page that links to its feed is followed to it once."""
    try:
        fetched = fetch(url)
        if looks_like_html(fetched.body, fetched.content_type):
            found = discover(fetched.body, url)
            if not found:
                raise SubscribeProblem(
                    "That is a web page that names no feed. Give the address of its RSS or "
                    "Atom feed."
                )
            url = found
            fetched = fetch(url)
        return url, fetched, parse(fetched.body, url)
    except (FetchProblem, FeedProblem) as exc:
        raise SubscribeProblem(str(exc)) from None


def _check_settings(user: User, connections: Sequence[Connection], template: str, mode: str,
                    queue: Queue | None) -> None:
    if not connections:
        raise SubscribeProblem("Choose at least one account to post to.")
    if any(c.user_id != user.pk or c.disconnected_at is not None for c in connections):
        raise SubscribeProblem("One of the chosen accounts is not yours or is disconnected.")
    if mode not in FeedMode.values:
        raise SubscribeProblem("Choose what happens to new entries.")
    if mode == FeedMode.QUEUE and (queue is None or queue.user_id != user.pk):
        raise SubscribeProblem("Choose the queue new entries go to.")
    try:
        check_template(template)
    except ValueError as exc:
        raise SubscribeProblem(str(exc)) from None


def subscribe(*, user: User, url: str, connections: Sequence[Connection], template: str,
              mode: str = FeedMode.DRAFT, queue: Queue | None = None, delay_minutes: int = 10,
              post_latest: bool = False) -> FeedSubscription:
    """Read the feed now; entries already in it are marked seen (not posted), except the
    newest when `post_latest`."""
    _check_settings(user, connections, template, mode, queue)
    url, fetched, feed = _read(url)
    if FeedSubscription.objects.filter(user=user, url=url).exists():
        raise SubscribeProblem("You already follow this feed.")
    now = timezone.now()
    try:
        with transaction.atomic():
            subscription = _create(user, url, fetched, feed, connections, template=template,
                                   mode=mode, queue=queue, delay_minutes=delay_minutes,
                                   post_latest=post_latest, now=now)
    except IntegrityError:
        raise SubscribeProblem("You already follow this feed.") from None
    latest = feed.entries[-1] if post_latest and feed.entries else None
    if latest is not None:
        _post_entry(subscription, latest, list(connections))
    return subscription


def _create(user: User, url: str, fetched: Fetched, feed: Feed,
            connections: Sequence[Connection], *, template: str, mode: str, queue: Queue | None,
            delay_minutes: int, post_latest: bool, now: datetime) -> FeedSubscription:
    subscription = FeedSubscription.objects.create(
        user=user, url=url, title=feed.title or url, site_url=feed.site_url,
        template=template, mode=mode, delay_minutes=delay_minutes, etag=fetched.etag,
        queue=queue if mode == FeedMode.QUEUE else None,
        last_modified=fetched.last_modified, next_poll_at=now, last_polled_at=now,
        last_ok_at=now,
    )
    subscription.next_poll_at = now + timedelta(seconds=subscription.poll_interval)
    subscription.save(update_fields=["next_poll_at"])
    subscription.connections.set(connections)
    # What the feed holds today is marked seen, not posted (all but the newest if asked).
    existing = list(feed.entries)[:-1] if post_latest else list(feed.entries)
    FeedEntry.objects.bulk_create(
        [_entry_row(subscription, e, EntryState.SEEN) for e in existing], ignore_conflicts=True)
    return subscription


def _entry_row(subscription: FeedSubscription, entry: Entry, state: str) -> FeedEntry:
    return FeedEntry(subscription=subscription, key=entry.key, entry_id=entry.entry_id,
                     title=entry.title, link=entry.link, published_at=entry.published,
                     state=state)


# --- reading on a schedule -------------------------------------------------------------------


def claim_due(now: datetime | None = None) -> list[int]:
    """Subscriptions whose read is due, each claimed by moving next_poll_at forward (a
    compare-and-set, so one worker wins each)."""
    now = now or timezone.now()
    due = list(
        FeedSubscription.objects.filter(active=True, next_poll_at__lte=now)
        .order_by("next_poll_at").values_list("pk", "next_poll_at")[:BATCH]
    )
    won = []
    for pk, previous in due:
        if FeedSubscription.objects.filter(pk=pk, next_poll_at=previous).update(
            next_poll_at=now + LEASE
        ):
            won.append(pk)
    return won


def read_now(subscription: FeedSubscription) -> None:
    """Ask for a read at the next tick ("check now")."""
    FeedSubscription.objects.filter(pk=subscription.pk).update(next_poll_at=timezone.now())


def read_subscription(pk: int) -> ReadOutcome:
    """Fetch one feed and post its new entries. Safe to run twice, or on two workers."""
    subscription = FeedSubscription.objects.select_related("user", "queue").filter(pk=pk).first()
    if subscription is None or not subscription.active:
        return ReadOutcome()
    try:
        fetched = fetch(subscription.url, etag=subscription.etag,
                        last_modified=subscription.last_modified)
        feed = None if fetched.not_modified else parse(fetched.body, subscription.url)
    except FetchProblem as exc:
        return _failed(subscription, str(exc), exc.retry_at)
    except FeedProblem as exc:
        return _failed(subscription, str(exc))
    if feed is None:
        _succeeded(subscription, fetched, notice="")
        return ReadOutcome(not_modified=True)
    connections = list(subscription.connections.filter(disconnected_at__isnull=True))
    if not connections:
        return _failed(subscription, "None of the chosen accounts is connected any more; "
                                     "choose accounts for this feed.")
    known = set(FeedEntry.objects.filter(
        subscription=subscription, key__in=[e.key for e in feed.entries]
    ).values_list("key", flat=True))
    new = [e for e in feed.entries if e.key not in known]
    notice = ""
    if len(new) == len(feed.entries) > REKEY_GUARD and (
        subscription.entries.count() >= REKEY_GUARD
    ):
        FeedEntry.objects.bulk_create([_entry_row(subscription, e, EntryState.SEEN)
                                       for e in new], ignore_conflicts=True)
        notice = (f"Every entry in the feed looked new at once ({len(new)}): did the feed "
                  "change its ids? They were marked as seen, not posted.")
        new = []
    posted = failed = 0
    for entry in new[:MAX_NEW_PER_READ]:
        if _too_old(subscription, entry):
            FeedEntry.objects.bulk_create([_entry_row(subscription, entry, EntryState.SEEN)],
                                          ignore_conflicts=True)
            continue
        result = _post_entry(subscription, entry, connections)
        posted += result == EntryState.POSTED
        failed += result == EntryState.FAILED
    # More than one read's worth: the rest are read again in a minute, not dropped.
    _succeeded(subscription, fetched, notice=notice, feed=feed,
               soon=len(new) > MAX_NEW_PER_READ)
    return ReadOutcome(posted=posted, failed=failed)


def _too_old(subscription: FeedSubscription, entry: Entry) -> bool:
    """An entry dated well before the subscription (a feed re-listing old posts) is not news."""
    return entry.published is not None and entry.published < (
        subscription.created_at - timedelta(days=1)
    )


def _zone(user: User) -> str:
    name = profile_for(user).timezone
    return name if is_valid_zone(name) else "UTC"


def _make_post(subscription: FeedSubscription, values: dict[str, str],
               connections: list[Connection]) -> Post:
    """The entry's post, as the subscription's mode says. Raises DoesNotFit or PostError."""
    user = subscription.user
    if subscription.mode == FeedMode.QUEUE:
        if subscription.queue is None:
            raise PostError("The queue this feed posted to was deleted; choose another.")
        # A queue post has one text for all its accounts: the one that fits them all.
        return add_to_queue(user, subscription.queue, Outgoing(
            text=fit(subscription.template, values, connections), targets=tuple(connections)))
    # Otherwise each account gets the most of the entry its own limit allows.
    texts = {c.pk: fit(subscription.template, values, [c]) for c in connections}
    base = max(texts.values(), key=len)
    customize = {pk: TargetCustom(text=text) for pk, text in texts.items() if text != base}
    draft = subscription.mode == FeedMode.DRAFT
    when = None if draft else timezone.now() + timedelta(minutes=subscription.delay_minutes)
    outgoing = Outgoing(text=base, targets=tuple(connections), customize=customize,
                        scheduled_for=when, tz=_zone(user))
    return create_from(user, outgoing, draft=draft)


def _post_entry(subscription: FeedSubscription, entry: Entry,
                connections: list[Connection]) -> str | None:
    """Claim the entry and create its post, in one transaction. None: already claimed."""
    for connection in connections:
        _prime(connection)
    values = {"title": entry.title, "link": entry.link, "summary": entry.summary,
              "author": entry.author}
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = FeedEntry.objects.create(
                    subscription=subscription, key=entry.key, entry_id=entry.entry_id,
                    title=entry.title, link=entry.link, published_at=entry.published,
                    state=EntryState.POSTED,
                )
        except IntegrityError:
            return None  # another worker (or an earlier run) has this entry
        try:
            with transaction.atomic():
                post = _make_post(subscription, values, connections)
        except (DoesNotFit, PostError) as exc:
            row.state = EntryState.FAILED
            row.error = str(exc)[:2000]
            row.save(update_fields=["state", "error"])
            return EntryState.FAILED
        row.post = post
        row.save(update_fields=["post"])
    return EntryState.POSTED


def _prime(connection: Connection) -> None:
    """Read the account's limits once for this read, not once per trimming attempt."""
    caps = capabilities_for(connection)
    connection.capabilities_json = caps.to_json()
    connection.capabilities_fetched_at = timezone.now()


def _succeeded(subscription: FeedSubscription, fetched: Fetched, *, notice: str,
               feed: Feed | None = None, soon: bool = False) -> None:
    now = timezone.now()
    interval = 60 if soon else subscription.poll_interval
    fields: dict[str, object] = {
        "failures": 0, "last_error": notice, "last_error_at": now if notice else None,
        "last_polled_at": now, "last_ok_at": now,
        "next_poll_at": now + timedelta(seconds=interval),
    }
    if not fetched.not_modified:
        fields["etag"] = fetched.etag
        fields["last_modified"] = fetched.last_modified
    if feed is not None and feed.title:
        fields["title"] = feed.title
    FeedSubscription.objects.filter(pk=subscription.pk).update(**fields)


def _failed(subscription: FeedSubscription, message: str,
            retry_at: datetime | None = None) -> ReadOutcome:
    """Back off, doubling from the usual interval up to a day; the page shows the error."""
    now = timezone.now()
    failures = subscription.failures + 1
    wait = min(timedelta(seconds=subscription.poll_interval) * 2 ** min(failures - 1, 10),
               MAX_BACKOFF)
    next_at = now + wait
    if retry_at is not None and retry_at > next_at:
        next_at = min(retry_at, now + MAX_BACKOFF)
    FeedSubscription.objects.filter(pk=subscription.pk).update(
        failures=failures, last_error=message[:2000], last_error_at=now, last_polled_at=now,
        next_poll_at=next_at,
    )
    log.info("feed %s: %s (next read %s)", subscription.pk, message, next_at)
    return ReadOutcome(error=message)


# --- the person's changes --------------------------------------------------------------------


def update_subscription(subscription: FeedSubscription, *, connections: Sequence[Connection],
                        template: str, mode: str, queue: Queue | None = None,
                        delay_minutes: int = 10) -> None:
    _check_settings(subscription.user, connections, template, mode, queue)
    with transaction.atomic():
        FeedSubscription.objects.filter(pk=subscription.pk).update(
            template=template, mode=mode, delay_minutes=delay_minutes,
            queue=queue if mode == FeedMode.QUEUE else None)
        subscription.connections.set(connections)


def set_active(subscription: FeedSubscription, active: bool) -> None:
    """Pause or resume. Entries published while paused are marked seen on resume (the feed is
    read once without posting), so resuming does not flood the accounts."""
    if active == subscription.active:
        return
    if not active:
        FeedSubscription.objects.filter(pk=subscription.pk).update(active=False)
        return
    now = timezone.now()
    next_at = now + timedelta(seconds=subscription.poll_interval)
    try:
        fetched = fetch(subscription.url)
        feed = parse(fetched.body, subscription.url)
    except (FetchProblem, FeedProblem):
        next_at = now  # read normally on the next tick; the error shows then
    else:
        FeedEntry.objects.bulk_create(
            [_entry_row(subscription, e, EntryState.SEEN) for e in feed.entries],
            ignore_conflicts=True)
    FeedSubscription.objects.filter(pk=subscription.pk).update(
        active=True, failures=0, next_poll_at=next_at)


def unsubscribe(subscription: FeedSubscription) -> None:
    """Stop following the feed. Posts already made from it stay (on the Posts page)."""
    subscription.delete()
