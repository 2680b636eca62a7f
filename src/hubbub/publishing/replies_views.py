"""A broadcast post's replies from every network it went to, merged in time order.

For each delivery that was sent, the conversation below its published id is read through that
delivery's connection (timeline/conversations.py: side by side, stored as the deck stores
items, cached briefly). The page shows, per network, the counts the network reports for the
post (likes, reposts, replies), then every reply of every network in one list by time, each
marked with its network by the deck's own item template. A network that fails or offers no
conversation shows its sentence in its place; the others still show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from hubbub.accounts.web import AuthedRequest, page
from hubbub.networks.conversation import replies_below
from hubbub.networks.registry import get_connector
from hubbub.publishing.models import Delivery, DeliveryState, Post
from hubbub.timeline import conversations
from hubbub.timeline.conversation_views import IN_CONVERSATION, mark_people
from hubbub.timeline.models import Item

COUNTS = (("like", "likes"), ("repost", "reposts"), ("reply", "replies"))


@dataclass(frozen=True)
class Side:
    """One network the post went to: what it reports, or why nothing shows."""

    delivery: Delivery
    name: str
    counts: list[tuple[str, int]]  # (label, number) as the network reports them
    replies: int  # replies shown from it
    problem: str


def post_replies(request: AuthedRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.filter(user=request.user), pk=pk)
    sent = list(Delivery.objects.filter(post=post, state=DeliveryState.SENT)
                .exclude(remote_id="").select_related("connection")
                .order_by("connection__network", "connection__handle"))
    threads = conversations.read_many([(d.connection, d.remote_id) for d in sent])
    sides: list[Side] = []
    merged: list[Item] = []
    for delivery, thread in zip(sent, threads, strict=True):
        own_parts = {str(part.get("remote_id")) for part in delivery.parts_done or ()
                     if isinstance(part, dict)}
        replies = [r for r in replies_below([p.item for p in thread.placed], delivery.remote_id)
                   if r.remote_id not in own_parts]  # a thread's later parts are no replies
        merged += replies
        published = thread.item(delivery.remote_id)
        problem = thread.problem
        if not problem and published is None:
            problem = "The network did not show the post itself; it may have been deleted."
        sides.append(Side(delivery, get_connector(delivery.connection.network).name,
                          _counts(published), len(replies), problem))
    merged.sort(key=lambda item: (item.created_at, item.network, item.pk))
    mark_people(request.user.pk, merged)
    return page(request, "publishing/post_replies.html", {
        "post": post, "sides": sides, "replies": merged, "column": IN_CONVERSATION,
        "here": request.get_full_path(), "waiting": not sent,
    }, section="posts")


def _counts(item: Item | None) -> list[tuple[str, int]]:
    extra: Any = item.extra if item is not None else None
    counts = extra.get("counts") if isinstance(extra, dict) else None
    if not isinstance(counts, dict):
        return []
    return [(label, value) for key, label in COUNTS
            if isinstance(value := counts.get(key), int) and not isinstance(value, bool)]
