"""The composer's "Add to queue": what it shows and what it calls.

    template, inside the form's buttons:   {% include "planning/_compose_queue.html" %}
    context:                               "queues": compose.queues_for(request.user)
    view, when action == "queue":          the composer saves its draft, then
                                           queued = compose.queue_draft(
                                               request.user, request.POST.get("queue"), draft)
    (or, without a draft:                  compose.add_from_compose(user, queue_id,
                                                                    form.outgoing()))
    Both raise PostError with a sentence to show.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.contrib.auth.models import User

from hubbub.core import localtime
from hubbub.planning import services
from hubbub.planning.models import Queue
from hubbub.publishing.media import prepare_media
from hubbub.publishing.models import Post
from hubbub.publishing.outgoing import Outgoing


def queues_for(user: User) -> list[Queue]:
    """The person's queues that can take a post now (they have slots), for the composer."""
    return [q for q in services.user_queues(user) if q.slots.all()]


def _queue(user: User, queue_id: object) -> Queue:
    try:
        return Queue.objects.get(pk=int(str(queue_id)), user=user)
    except (Queue.DoesNotExist, ValueError):
        raise services.QueueError("Pick one of your queues.") from None


def _said(queue: Queue, post: Post) -> str:
    assert post.scheduled_for is not None
    when = localtime.local(post.scheduled_for, queue.timezone)
    paused = " It waits there while the queue is paused." if queue.is_paused else ""
    return f"Added to {queue.name} for {when:%a %-d %b, %H:%M}.{paused}"


@dataclass(frozen=True)
class Queued:
    post: Post
    queue: Queue
    message: str  # "Added to Mornings for Wed 7 Jan, 09:00."


def queue_draft(user: User, queue_id: object, draft: Post) -> Queued:
    """Send the composer's saved draft to the queue's next free slot."""
    queue = _queue(user, queue_id)
    post = services.queue_draft(user, queue, draft)
    return Queued(post, queue, _said(queue, post))


def add_from_compose(user: User, queue_id: object, outgoing: Outgoing) -> Queued:
    """Queue what the composer holds (no draft saved yet) to the accounts ticked there, at
    the queue's next free slot (the outgoing's own time is not used)."""
    queue = _queue(user, queue_id)
    # The files are read and checked (decoded) here, before the queue's transaction opens:
    # a large picture must not hold the database's write lock while it is decoded.
    ready = replace(outgoing, media=tuple(prepare_media(outgoing.new_media())))
    post = services.add_to_queue(user, queue, ready)
    return Queued(post, queue, _said(queue, post))
