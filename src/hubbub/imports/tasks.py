"""Background tasks (django.tasks): one feed read each. The truth stays on the rows."""

from __future__ import annotations

from django.tasks import task

from hubbub.imports import subscriptions


@task()
def read_feed(subscription_id: int) -> None:
    subscriptions.read_subscription(subscription_id)
