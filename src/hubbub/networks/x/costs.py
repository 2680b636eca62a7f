"""What reading X costs, and the cap that stops a column before it costs more.

X bills reads (https://docs.x.com/x-api/getting-started/pricing, read 2026-12-06): $0.005 per
post returned and $0.010 per user (an author expanded with a post), each deduplicated within a
UTC day: a post returned again the same day is not billed again. Requests themselves are not
billed. So one polled column costs, per day, about one page of posts (the first poll of the day
bills the whole newest page again) plus every post that was new that day, and their authors,
capped by what its polls can bring (polls x page size). Both prices are settings,
HUBBUB_X_PRICE_PER_POST_READ and HUBBUB_X_PRICE_PER_USER_READ (US dollars), for when X
changes them; posting is billed too ($0.015 a post, $0.200 with a link) but is not a column's
cost.

The estimate covers the account's feeds that a column shows, at each feed's current polling
pace, with the posts and authors it brought over the last day (billed_per_day: a feed younger
than a day counts what it brought, at least a page). Each account has a monthly cap: the
person's own (kept with the connection, set_monthly_cap) or else HUBBUB_X_MONTHLY_READ_CAP_USD
(default 10). When the estimate passes it, every read of that account's feeds is refused with a
sentence saying so, which the column shows, until a column is closed or the cap raised.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.core import crypto
from hubbub.core.env import env_float, env_int
from hubbub.networks.base import Account
from hubbub.networks.errors import Rejected
from hubbub.networks.x import tokens
from hubbub.networks.x.reading import PAGE_SIZE

DAYS_A_MONTH = 30
CAP_KEY = "monthly_read_cap_usd"
DOCUMENTED_POST_READ = 0.005
DOCUMENTED_USER_READ = 0.010
DEFAULT_CAP = 10.0
CHECK_TTL = 60.0  # seconds an answer of check_cap is reused by one process

_checked: dict[int, tuple[float, str]] = {}
_checked_lock = threading.Lock()


def post_read_price() -> float:
    return env_float("HUBBUB_X_PRICE_PER_POST_READ", DOCUMENTED_POST_READ)


def user_read_price() -> float:
    return env_float("HUBBUB_X_PRICE_PER_USER_READ", DOCUMENTED_USER_READ)


DEFAULT_PROFILE_READS_PER_DAY = 10


def profile_reads_per_day() -> int:
    """Profiles the People suggestions read a connection a day (each billed as a user read):
    HUBBUB_X_PROFILE_READS_PER_DAY, 10 by default (at most about $3 a month); 0 reads none."""
    return max(env_int("HUBBUB_X_PROFILE_READS_PER_DAY", DEFAULT_PROFILE_READS_PER_DAY), 0)


def default_cap() -> float:
    return env_float("HUBBUB_X_MONTHLY_READ_CAP_USD", DEFAULT_CAP)


@dataclass(frozen=True)
class FeedCost:
    key: str
    polls_per_day: float
    posts_per_day: float  # billed: distinct posts returned in a day
    users_per_day: float  # billed: distinct authors returned in a day
    monthly_usd: float


def billed_per_day(page_size: int, posts_seen: int, authors_seen: int,
                   older_history: bool) -> tuple[float, float]:
    """Posts and authors a polled feed is billed for in a day, from what it brought in the last
    day (posts, distinct authors) and whether it is older than that. A day bills its first
    page again, then what is new; a feed younger than a day has been billed for what it
    brought; one that brought nothing yet, for a page (of as many authors, at most)."""
    if older_history:
        return page_size + posts_seen, page_size + authors_seen
    if not posts_seen:
        return page_size, page_size
    return max(page_size, posts_seen), authors_seen


def feed_cost(key: str, *, poll_seconds: float, posts_per_day: float, authors_per_day: float,
              page_size: int = PAGE_SIZE, post_price: float | None = None,
              user_price: float | None = None) -> FeedCost:
    """One polled feed's monthly cost (pure): what it is billed for a day (billed_per_day), no
    more than its polls can fetch, for 30 days."""
    polls = 86400.0 / max(poll_seconds, 1.0)
    most = polls * page_size
    posts = min(most, max(posts_per_day, 0.0))
    users = min(posts, max(authors_per_day, 0.0))
    post_price = post_read_price() if post_price is None else post_price
    user_price = user_read_price() if user_price is None else user_price
    monthly = DAYS_A_MONTH * (posts * post_price + users * user_price)
    return FeedCost(key, polls, posts, users, round(monthly, 2))


@dataclass(frozen=True)
class Estimate:
    feeds: tuple[FeedCost, ...]
    cap_usd: float  # 0: no cap

    @property
    def monthly_usd(self) -> float:
        return round(sum(f.monthly_usd for f in self.feeds), 2)

    @property
    def over_cap(self) -> bool:
        return self.cap_usd > 0 and self.monthly_usd > self.cap_usd

    def sentences(self, own_cap: bool) -> tuple[str, ...]:
        """What the Connections page says: the estimate, the cap, and whether it pauses."""
        profiles = profile_reads_per_day()
        people = (f"The People suggestions read at most {profiles} X profiles a day from it "
                  f"(at most ${profiles * DAYS_A_MONTH * user_read_price():,.2f} a month; "
                  "HUBBUB_X_PROFILE_READS_PER_DAY), and none while it is over its cap."
                  if profiles else "")
        return tuple(s for s in (*self._column_sentences(own_cap), people) if s)

    def _column_sentences(self, own_cap: bool) -> tuple[str, ...]:
        if not self.feeds:
            return ("No column reads this X account: reading it costs nothing now.",)
        feeds = "feed" if len(self.feeds) == 1 else "feeds"
        said = (f"Reading X costs money: the {len(self.feeds)} {feeds} your columns show "
                f"from this account would cost about ${self.monthly_usd:,.2f} a month in X API "
                f"reads at their current pace.")
        if self.cap_usd <= 0:
            return (said + " No cap is set.",)
        whose = "your cap" if own_cap else "the hub's default cap"
        if self.over_cap:
            return (said, f"That is over {whose} of ${self.cap_usd:,.2f} a month: its columns "
                          "are paused until an X column is closed or the cap is raised.")
        return (said + f" The columns pause if that passes {whose} of "
                       f"${self.cap_usd:,.2f} a month.",)


def estimate(connection_id: int, credentials: dict[str, Any] | None = None) -> Estimate:
    """The monthly read cost of the connection's feeds that some column shows (one query for
    the feeds, one for what each brought in the last day, one for which are older)."""
    from hubbub.timeline.models import Feed, FeedEntry

    feeds = list(Feed.objects.filter(connection_id=connection_id, columns__isnull=False)
                 .distinct().values_list("pk", "key", "poll_interval"))
    ids = [pk for pk, _, _ in feeds]
    since = timezone.now() - timedelta(days=1)
    seen = {row["feed_id"]: row for row in FeedEntry.objects.filter(
        feed_id__in=ids, item__ingested_at__gte=since).values("feed_id").annotate(
        posts=Count("item"), authors=Count("item__author_handle", distinct=True))}
    older = set(FeedEntry.objects.filter(feed_id__in=ids, item__ingested_at__lt=since)
                .values_list("feed_id", flat=True).distinct())
    costs = []
    for pk, key, interval in feeds:
        known = seen.get(pk)
        posts, authors = billed_per_day(PAGE_SIZE, int(known["posts"]) if known else 0,
                                        int(known["authors"]) if known else 0, pk in older)
        costs.append(feed_cost(key, poll_seconds=float(interval or 60), posts_per_day=posts,
                               authors_per_day=authors))
    return Estimate(tuple(costs), cap_of(credentials or {}))


def cap_of(credentials: dict[str, Any]) -> float:
    value = credentials.get(CAP_KEY)
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return max(default_cap(), 0.0)


def check_cap(account: Account, feed: str) -> None:
    """Before a read: refuse it, saying why, while the account's open columns would cost more
    than its cap. Accounts the hub did not store (no grant_id) are not capped."""
    grant_id = str(account.credentials.get("grant_id") or "")
    if not grant_id:
        return
    row = tokens.find_row(account, grant_id)
    if row is None:
        return
    now = time.monotonic()
    with _checked_lock:
        cached = _checked.get(row.pk)
    if cached is not None and now - cached[0] < CHECK_TTL:
        refusal = cached[1]
    else:
        found = estimate(row.pk, row.credentials)
        refusal = "" if not found.over_cap else (
            f"Paused to stay under your cap: the open X columns of this account would cost "
            f"about ${found.monthly_usd:,.2f} a month in X API reads, over your cap of "
            f"${found.cap_usd:,.2f}. Close an X column or raise the cap (Connections, "
            "Read-cost cap).")
        with _checked_lock:
            _checked[row.pk] = (now, refusal)
    if refusal:
        raise Rejected(refusal)


def notes(account: Account) -> tuple[str, ...]:
    """The Connections page's sentences for an account the hub stored (none otherwise)."""
    grant_id = str(account.credentials.get("grant_id") or "")
    row = tokens.find_row(account, grant_id) if grant_id else None
    if row is None:
        return ()
    return estimate(row.pk, row.credentials).sentences(CAP_KEY in row.credentials)


def forget_checks() -> None:
    """Drop cached answers (after a cap changed, or in tests)."""
    with _checked_lock:
        _checked.clear()


def set_monthly_cap(connection: Connection, usd: float | None) -> None:
    """The person's own monthly cap for this account (None: the hub's default), stored with
    its credentials by compare-and-set, so a token renewal at the same moment is not lost."""
    if usd is not None and not usd >= 0:
        raise ValueError("The cap is an amount of US dollars, 0 or more.")
    for _ in range(20):
        current = Connection.objects.filter(pk=connection.pk).values_list(
            "credentials_enc", flat=True).first()
        if current is None:
            raise ValueError("This account is no longer connected.")
        stored = crypto.decrypt_json(current)
        if usd is None:
            stored.pop(CAP_KEY, None)
        else:
            stored[CAP_KEY] = round(float(usd), 2)
        if Connection.objects.filter(pk=connection.pk, credentials_enc=current).update(
                credentials_enc=crypto.encrypt_json(stored)):
            forget_checks()
            return
    raise ValueError("The account's credentials kept changing; try again.")
