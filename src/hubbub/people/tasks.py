"""Background tasks (django.tasks) of People and the periodic jobs that enqueue them: reading
authors' profiles (people/profiles.py) and computing suggestions again (people/suggest.py).
The truth stays on the rows (ProfileScan, SuggestionCache)."""

from __future__ import annotations

from django.tasks import task

from hubbub.connections.models import Connection
from hubbub.people import profiles, suggest


@task()
def read_profiles(connection_id: int) -> None:
    connection = Connection.objects.filter(pk=connection_id,
                                           disconnected_at__isnull=True).first()
    if connection is not None:
        profiles.refresh(connection)


@task()
def compute_suggestions(user_id: int) -> None:
    suggest.recompute(user_id)


def enqueue_profiles() -> int:
    """The periodic job: claim the connections whose profiles are due, a task each."""
    claimed = profiles.claim_due()
    for pk in claimed:
        read_profiles.enqueue(pk)
    return len(claimed)


def enqueue_suggestions() -> int:
    """The periodic job: the users whose suggestions are stale and were looked at since."""
    claimed = suggest.claim_stale()
    for pk in claimed:
        compute_suggestions.enqueue(pk)
    return len(claimed)
