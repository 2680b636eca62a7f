"""Background tasks (django.tasks). Only due work is enqueued; the truth stays on the rows."""

from __future__ import annotations

from django.tasks import task

from hubbub.publishing import engine


@task()
def deliver(delivery_id: int) -> None:
    engine.process(delivery_id)
