"""Background tasks (django.tasks): one feed read each, and the periodic job that enqueues
them. The truth stays on the rows."""

from __future__ import annotations

from django.tasks import task

from hubbub.imports import subscriptions


@task()
def read_feed(subscription_id: int) -> None:
    subscriptions.read_subscription(subscription_id)


def enqueue_due() -> int:
    """The periodic job: claim what is due and hand each read to a task worker, so a slow
    feed never holds up the scheduler."""
    claimed = subscriptions.claim_due()
    for pk in claimed:
        read_feed.enqueue(pk)
    return len(claimed)
