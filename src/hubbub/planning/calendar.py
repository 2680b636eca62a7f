"""Reads for the calendar: a week (days x hours) or a month of posts, in the person's zone.

A post sits at its scheduled time, or when it was written for one sent straight away. Drafts
have no time and are left out; so are cancelled and deleted posts.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Prefetch
from django.db.models.functions import Coalesce
from django.utils import timezone

from hubbub.accounts.services import profile_for
from hubbub.connections.models import Connection
from hubbub.core import localtime
from hubbub.planning import services
from hubbub.planning.models import Queue
from hubbub.publishing import services as publishing
from hubbub.publishing.models import Delivery, DeliveryState, Post

HIDDEN = {"cancelled", "deleted", "empty", "draft"}
TONES = {
    "sent": "ok", "partly sent": "warn", "failed": "bad", "sending": "busy",
    "scheduled": "info", "waiting for you": "warn", "paused": "muted", "deleting": "busy",
}
DASH = " \u2013 "  # an en dash between the first and last day
MONTH_SHOWN = 3  # posts listed in a month's day before "+N more"


@dataclass(frozen=True)
class Filters:
    network: str = ""
    account: int | None = None

    def query(self) -> str:
        parts = []
        if self.network:
            parts.append(f"network={self.network}")
        if self.account:
            parts.append(f"account={self.account}")
        return "&".join(parts)


@dataclass(frozen=True)
class Entry:
    """One post on the calendar."""

    post: Post
    at: datetime  # local
    status: str
    tone: str
    draggable: bool
    connections: list[Connection]
    networks: list[str]
    queue: Queue | None
    recurring: bool
    late_policy: str
    late_is_default: bool

    @property
    def first_network(self) -> str:
        return self.networks[0] if self.networks else ""


@dataclass(frozen=True)
class OpenSlot:
    at: datetime  # local
    queue: Queue


@dataclass
class Cell:
    day: date
    hour: int
    entries: list[Entry] = field(default_factory=list)
    slots: list[OpenSlot] = field(default_factory=list)
    skipped: bool = False  # the clocks jump over this hour
    doubled: bool = False  # this hour happens twice
    past: bool = False


@dataclass
class Day:
    day: date
    is_today: bool
    past: bool
    change: ChangeNote = field(default_factory=lambda: ChangeNote())
    cells: list[Cell] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)  # the month view's list
    in_month: bool = True

    @property
    def shown(self) -> list[Entry]:
        return self.entries[:MONTH_SHOWN]

    @property
    def more(self) -> int:
        return max(0, len(self.entries) - MONTH_SHOWN)


@dataclass(frozen=True)
class WeekView:
    start: date
    days: list[Day]
    hours: list[int]
    previous: date
    following: date
    title: str
    count: int
    zone_label: str  # CET, EST, or +0530 where the zone has no abbreviation
    # The day the week was asked for (today by default): the Month button opens its month, so
    # a week spanning two months leads to the month of the day looked at, not of its Monday.
    focus: date

    @property
    def rows(self) -> list[tuple[int, list[Cell]]]:
        """Hour by hour across the days, the order the grid is drawn in."""
        return [(hour, [day.cells[hour] for day in self.days]) for hour in self.hours]


@dataclass(frozen=True)
class MonthView:
    month: date
    weeks: list[list[Day]]
    previous: date
    following: date
    title: str
    count: int


def _status(post: Post, entry_queue: Queue | None) -> str:
    states = {d.state for d in post.deliveries.all()}
    if states == {DeliveryState.DRAFT}:
        return "paused" if entry_queue is not None and entry_queue.is_paused else "draft"
    return publishing.post_status(post)


def entries_between(user: User, zone: str, start: datetime, end: datetime,
                    filters: Filters) -> list[Entry]:
    deliveries = Delivery.objects.select_related("connection").order_by(
        "connection__network", "connection__handle")
    qs = (Post.objects.filter(user=user)
          .annotate(at=Coalesce("scheduled_for", "created_at"))
          .filter(at__gte=start, at__lt=end)
          .select_related("user", "queue_entry__queue", "occurrence")
          .prefetch_related(Prefetch("deliveries", queryset=deliveries))
          .order_by("at", "pk"))
    if filters.network:
        qs = qs.filter(deliveries__connection__network=filters.network)
    if filters.account:
        qs = qs.filter(deliveries__connection_id=filters.account)
    default_policy = profile_for(user).late_policy
    found = []
    for post in qs.distinct():
        entry = getattr(post, "queue_entry", None)
        queue = entry.queue if entry is not None else None
        status = _status(post, queue)
        if status in HIDDEN:
            continue
        connections = [d.connection for d in post.deliveries.all()]
        at: Any = getattr(post, "at")  # noqa: B009 - the annotation
        found.append(Entry(
            post=post, at=localtime.local(at, zone), status=status,
            tone=TONES.get(status, "muted"), draggable=publishing.is_editable(post),
            connections=connections,
            networks=sorted({c.network for c in connections}),
            queue=queue, recurring=getattr(post, "occurrence", None) is not None,
            late_policy=post.late_policy or default_policy,
            late_is_default=not post.late_policy,
        ))
    return found


def _day_bounds(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    return (localtime.wall_clock_utc(first, time(0), zone),
            localtime.wall_clock_utc(last + timedelta(days=1), time(0), zone))


@dataclass(frozen=True)
class ChangeNote:
    text: str = ""  # "The clocks go forward from 02:00 to 03:00 (CET → CEST)"
    short: str = ""  # "02:00 → 03:00"
    skipped: frozenset[int] = frozenset()  # hours the clocks skip
    doubled: frozenset[int] = frozenset()  # hours that happen twice


def _change_note(day: date, zone: str) -> ChangeNote:
    """A clock change on this day, if any: what to say, and the hours skipped and doubled."""
    start, end = _day_bounds(day, day, zone)
    if localtime.local(start, zone).utcoffset() == localtime.local(end, zone).utcoffset():
        return ChangeNote()
    skipped, doubled, found = set(), set(), None
    for hour in range(24):
        for minute in (0, 30):
            at = time(hour, minute)
            change = localtime.gap_at(day, at, zone)
            if change is not None and minute == 0:
                skipped.add(hour)
            change = change or localtime.fold_at(day, at, zone)
            if change is not None:
                found = found or change
                if not change.is_gap:
                    doubled.add(hour)
    if found is None:
        return ChangeNote()
    text = found.describe()
    return ChangeNote(text=text[0].upper() + text[1:],
                      short=f"{found.starts:%H:%M} → {found.ends:%H:%M}",
                      skipped=frozenset(skipped), doubled=frozenset(doubled))


def _open_slots(user: User, zone: str, start: datetime, end: datetime,
                filters: Filters) -> list[OpenSlot]:
    """Queue slots in this range that no post holds yet (active queues only)."""
    found = []
    after = max(start, timezone.now() + services.LEAD)
    for queue in services.user_queues(user):
        if queue.is_paused:
            continue
        accounts = list(queue.connections.all())
        if filters.account and filters.account not in {c.pk for c in accounts}:
            continue
        if filters.network and filters.network not in {c.network for c in accounts}:
            continue
        taken = {e.slot_at for e in services.waiting_entries(queue)}
        for slot in services.upcoming_slots(queue, after=after - timedelta(seconds=1)):
            if slot >= end:
                break
            if slot not in taken:
                found.append(OpenSlot(at=localtime.local(slot, zone), queue=queue))
    return found


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week(user: User, zone: str, around: date, filters: Filters) -> WeekView:
    start = week_of(around)
    last = start + timedelta(days=6)
    first_utc, end_utc = _day_bounds(start, last, zone)
    entries = entries_between(user, zone, first_utc, end_utc, filters)
    slots = _open_slots(user, zone, first_utc, end_utc, filters)
    now = localtime.local(timezone.now(), zone)
    by_cell: dict[tuple[date, int], list[Entry]] = defaultdict(list)
    for entry in entries:
        by_cell[(entry.at.date(), entry.at.hour)].append(entry)
    slots_by_cell: dict[tuple[date, int], list[OpenSlot]] = defaultdict(list)
    for slot in slots:
        slots_by_cell[(slot.at.date(), slot.at.hour)].append(slot)
    days = []
    for offset in range(7):
        day = start + timedelta(days=offset)
        note = _change_note(day, zone)
        column = Day(day=day, is_today=day == now.date(), past=day < now.date(), change=note)
        for hour in range(24):
            column.cells.append(Cell(
                day=day, hour=hour, entries=by_cell.get((day, hour), []),
                slots=slots_by_cell.get((day, hour), []), skipped=hour in note.skipped,
                doubled=hour in note.doubled,
                past=(day, hour) < (now.date(), now.hour),
            ))
        days.append(column)
    title = (f"{start:%-d}{DASH}{last:%-d %B %Y}" if start.month == last.month
             else f"{start:%-d %b}{DASH}{last:%-d %b %Y}")
    labels = [localtime.local(localtime.wall_clock_utc(d, time(12), zone), zone).tzname() or ""
              for d in (start, last)]
    return WeekView(start=start, days=days, hours=list(range(24)),
                    previous=around - timedelta(days=7), following=around + timedelta(days=7),
                    title=title, count=len(entries),
                    zone_label=" / ".join(dict.fromkeys(labels)), focus=around)


def month(user: User, zone: str, around: date, filters: Filters) -> MonthView:
    first = around.replace(day=1)
    days_in = stdlib_calendar.monthrange(first.year, first.month)[1]
    last = first.replace(day=days_in)
    grid_start, grid_end = week_of(first), week_of(last) + timedelta(days=6)
    start_utc, end_utc = _day_bounds(grid_start, grid_end, zone)
    entries = entries_between(user, zone, start_utc, end_utc, filters)
    by_day: dict[date, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_day[entry.at.date()].append(entry)
    today = localtime.today(zone)
    weeks: list[list[Day]] = []
    day = grid_start
    while day <= grid_end:
        row = []
        for _ in range(7):
            row.append(Day(day=day, is_today=day == today, past=day < today,
                           change=_change_note(day, zone),
                           entries=by_day.get(day, []), in_month=day.month == first.month))
            day += timedelta(days=1)
        weeks.append(row)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    in_month = sum(1 for e in entries if e.at.month == first.month)
    return MonthView(month=first, weeks=weeks, previous=previous, following=following,
                     title=f"{first:%B %Y}", count=in_month)
