"""The moment a person was last here, and moving it ("Mark all caught up").

"Last here" is a moment per person (CatchUpState.since), not the time of the last page view:
looking at the catch-up page (or the feed reader fetching the feed) changes nothing, so a
reload or a feed poll never makes what arrived vanish. It moves only when the person says
"Mark all caught up", and then to the moment the page they read was made, so what arrived
while they read still counts next time. The same press moves every column's read marker on
the deck up to that moment, so the deck draws those items read too. The first visit starts
24 hours back."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.catchup.models import CatchUpState
from hubbub.timeline import services as timeline_services
from hubbub.timeline.models import Column

FIRST_LOOK_BACK = timedelta(hours=24)


def state_for(user: User, *, now: datetime | None = None) -> CatchUpState:
    state, _made = CatchUpState.objects.get_or_create(
        user=user, defaults={"since": (now or timezone.now()) - FIRST_LOOK_BACK})
    return state


def mark_caught_up(user: User, until: datetime, *, now: datetime | None = None) -> datetime:
    """Everything dated up to `until` (never later than now) has been seen: the catch-up starts
    there, and every column's read marker moves up to it. Never moves back. Returns the
    moment the catch-up now starts from."""
    moment = min(until, now or timezone.now())
    state = state_for(user, now=now)
    CatchUpState.objects.filter(user=user, since__lt=moment).update(since=moment)
    for column in Column.objects.filter(deck__user=user):
        timeline_services.mark_read(column, moment)
    state.refresh_from_db(fields=["since"])
    return state.since
