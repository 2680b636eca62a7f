"""The composer's "Add to queue": what it shows and what it calls. For the compose page:

    template, inside the form's buttons:   {% include "planning/_compose_queue.html" %}
    context:                               "queues": compose.queues_for(request.user)
    view, when action == "queue":          post, message = compose.add_from_compose(
                                               request.user, request.POST.get("queue"),
                                               text=..., connections=[...], media=[...],
                                               content_warning=...)   # PostError: show it
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.core import localtime
from hubbub.planning import services
from hubbub.planning.models import Queue
from hubbub.publishing.models import Post
from hubbub.publishing.services import NewMedia


def queues_for(user: User) -> list[Queue]:
    """The person's queues that can take a post now (they have slots), for the composer."""
    return [q for q in services.user_queues(user) if q.slots.all()]


def add_from_compose(user: User, queue_id: object, *, text: str,
                     connections: Sequence[Connection], content_warning: str = "",
                     media: Sequence[NewMedia] = (), **create_kwargs: Any) -> tuple[Post, str]:
    """Queue what the composer holds, to the accounts ticked there. Returns the post and a
    sentence for the person; raises PostError with one to show."""
    try:
        queue = Queue.objects.get(pk=int(str(queue_id)), user=user)
    except (Queue.DoesNotExist, ValueError):
        raise services.QueueError("Pick one of your queues.") from None
    post = services.add_to_queue(user, queue, text=text, connections=connections,
                                 content_warning=content_warning, media=media, **create_kwargs)
    assert post.scheduled_for is not None
    when = localtime.local(post.scheduled_for, queue.timezone)
    paused = " It waits there while the queue is paused." if queue.is_paused else ""
    return post, f"Added to {queue.name} for {when:%a %-d %b, %H:%M}.{paused}"
