"""Compose, the live counters, the Posts list and a post's history. Thin: services do the work."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.files import File
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from hubbub.accounts.web import AuthedRequest, page, user_zone
from hubbub.connections.models import Connection
from hubbub.connections.services import active_connections, connections_for
from hubbub.networks.base import Draft, Problem, Validation
from hubbub.publishing import services, stash
from hubbub.publishing.forms import ComposeForm, EditForm, draft_from_data, find_item
from hubbub.publishing.models import Delivery, DeliveryEvent, DeliveryState, Post, PostMedia

PAGE_SIZE = 20
SAFE_IMAGE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/heic"}
)
POLL_FAST = "3s"  # something is sending or due within a minute
POLL_SLOW = "30s"  # something is scheduled later
STATUS_TONE = {
    "sent": "ok",
    "partly sent": "warn",
    "failed": "bad",
    "sending": "busy",
    "scheduled": "info",
    "waiting for you": "warn",
    "cancelled": "muted",
    "empty": "muted",
}


@dataclass(frozen=True)
class TargetRow:
    delivery: Delivery
    kind: str  # scheduled retrying sending sent failed unknown held cancelled draft


@dataclass(frozen=True)
class CounterRow:
    connection: Connection
    result: Validation
    over: int
    problems: list[Problem]


@dataclass(frozen=True)
class PostCard:
    post: Post
    status: str
    tone: str
    editable: bool
    targets: list[TargetRow]


def _kind(delivery: Delivery) -> str:
    if delivery.state == DeliveryState.SCHEDULED and delivery.attempts and delivery.last_error:
        return "retrying"
    return str(delivery.state)


def _card(post: Post) -> PostCard:
    status = services.post_status(post)
    return PostCard(
        post=post,
        status=status,
        tone=STATUS_TONE.get(status, "muted"),
        editable=services.is_editable(post),
        targets=[TargetRow(d, _kind(d)) for d in post.deliveries.all()],
    )


def _user_posts(request: AuthedRequest) -> QuerySet[Post]:
    deliveries = Delivery.objects.select_related("connection").order_by(
        "connection__network", "connection__handle"
    )
    return Post.objects.filter(user=request.user).prefetch_related(
        Prefetch("deliveries", queryset=deliveries), "media"
    )


def _back(request: AuthedRequest, default: str) -> HttpResponseRedirect:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(wanted)
    return HttpResponseRedirect(default)


# --- compose -------------------------------------------------------------------------------------


def compose(request: AuthedRequest) -> HttpResponse:
    zone = user_zone(request)
    connections = connections_for(request.user)
    if request.method != "POST":
        initial: dict[str, Any] = {"targets": [connections[0].pk]} if len(connections) == 1 else {}
        initial |= _answering(request)
        form = ComposeForm(initial=initial, user=request.user, zone=zone)
        return _compose_page(request, form, connections)

    form = ComposeForm(request.POST, request.FILES, user=request.user, zone=zone)
    if form.is_valid():
        try:
            post = services.create_post(
                user=request.user,
                text=form.cleaned_data["text"],
                content_warning=form.cleaned_data["content_warning"],
                connections=list(form.cleaned_data["targets"]),
                media=form.new_media(),
                scheduled_for=form.cleaned_data["scheduled_for"],
                tz=zone,
                reply_to=form.reply_targets(),
            )
        except services.PostError as exc:
            form.add_error(None, str(exc))
        else:
            form.discard_stash()
            count = post.deliveries.count()
            accounts = "1 account" if count == 1 else f"{count} accounts"
            if post.scheduled_for:
                when = timezone.localtime(post.scheduled_for, ZoneInfo(zone))
                messages.success(request, f"Scheduled for {when:%a %d %b, %H:%M} to {accounts}.")
            else:
                messages.success(request, f"Posting to {accounts}…")
            return redirect("publishing:posts")
    form.keep_uploads()
    return _compose_page(request, form, connections, status=400)


def _answering(request: AuthedRequest) -> dict[str, Any]:
    """Compose opened from the deck: ?reply_to=<item> or ?quote=<item> (the hub's item ids).
    The post goes from the account that saw the item, on its network."""
    reply = find_item(request.user, request.GET.get("reply_to"))
    if reply is not None:
        mention = reply.author_handle if reply.author_handle.startswith("@") else ""
        return {"reply_to": reply.pk, "targets": [reply.connection_id],
                "text": f"{mention} " if mention else ""}
    quoted = find_item(request.user, request.GET.get("quote"))
    if quoted is not None and quoted.url:
        return {"targets": [quoted.connection_id], "text": f"\n\n{quoted.url}"}
    return {}


def _compose_page(
    request: AuthedRequest, form: ComposeForm, connections: list[Connection], status: int = 200
) -> HttpResponse:
    draft = draft_from_data(form.data) if form.is_bound else Draft(
        text=str(form.initial.get("text", "")))
    if form.reply_item is not None:
        connections = [form.reply_item.connection]  # a reply goes out where the post was seen
    rows = _counter_rows(request, form.selected_ids, draft) if connections else []
    return page(
        request,
        "publishing/compose.html",
        {"form": form, "connections": connections, "selected": form.selected_ids,
         "slots": form.slots(), "rows": rows, "reply_item": form.reply_item},
        section="compose",
        status=status,
    )


def _counter_rows(request: AuthedRequest, ids: Iterable[int], draft: Draft) -> list[CounterRow]:
    """The draft checked against each ticked account's own rules, for the counters."""
    targets = list(
        active_connections(request.user).filter(pk__in=list(ids)).order_by("network", "handle")
    )
    results = services.validate_for_targets(draft, targets)
    rows = []
    for connection in targets:
        result = results[connection.pk]
        over = max(0, result.count - result.limit)
        problems = [p for p in result.problems if not (over and p.code == "too_long")]
        rows.append(CounterRow(connection, result, over, problems))
    return rows


def _ticked(request: AuthedRequest) -> list[int]:
    return [int(v) for v in request.POST.getlist("targets") if v.isdigit()]


@require_POST
def count(request: AuthedRequest) -> HttpResponse:
    """The live counters, asked for by htmx as the person types or ticks accounts."""
    rows = _counter_rows(request, _ticked(request), draft_from_data(request.POST))
    return page(request, "publishing/_counters.html", {"rows": rows})


def _image_response(handle: BinaryIO | File[bytes], mime_type: str) -> FileResponse:
    """Serve an uploaded file as an inert image: only raster image types are named as such,
    and a sandboxing policy keeps anything else from running on our origin."""
    safe = mime_type if mime_type in SAFE_IMAGE_TYPES else "application/octet-stream"
    response = FileResponse(handle, content_type=safe)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def stash_preview(request: AuthedRequest, token: str) -> FileResponse:
    found = stash.load(int(request.user.pk), token)
    if found is None:
        raise Http404
    return _image_response(found.path.open("rb"), found.mime_type)


# --- posts ---------------------------------------------------------------------------------------


def posts(request: AuthedRequest) -> HttpResponse:
    paginator = Paginator(_user_posts(request), PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    cards = [_card(p) for p in page_obj]
    soon = timezone.now() + timedelta(minutes=1)
    busy = {DeliveryState.SENDING, DeliveryState.UNKNOWN}
    deliveries = [t.delivery for c in cards for t in c.targets]
    poll = ""
    if any(d.state in busy or (d.state == DeliveryState.SCHEDULED and d.due_at <= soon)
           for d in deliveries):
        poll = POLL_FAST
    elif any(d.state == DeliveryState.SCHEDULED for d in deliveries):
        poll = POLL_SLOW
    context = {"cards": cards, "page_obj": page_obj, "poll": poll,
               "here": request.get_full_path()}
    if request.htmx and request.htmx.target == "post-list":
        return page(request, "publishing/_post_list.html", context)
    return page(request, "publishing/posts.html", context, section="posts")


def post_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(_user_posts(request), pk=pk)
    events = DeliveryEvent.objects.filter(delivery__post=post).order_by("at", "pk")
    by_delivery: dict[int, list[DeliveryEvent]] = {}
    for event in events:
        by_delivery.setdefault(event.delivery_id, []).append(event)
    card = _card(post)
    history = [(t, by_delivery.get(t.delivery.pk, [])) for t in card.targets]
    return page(request, "publishing/post_detail.html",
                {"card": card, "history": history, "here": request.get_full_path()},
                section="posts")


def post_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(_user_posts(request), pk=pk)
    detail = reverse("publishing:post_detail", args=[post.pk])
    if not services.is_editable(post):
        messages.error(request, "This post has started sending; it can no longer be edited.")
        return redirect(detail)
    zone = user_zone(request)
    initial: dict[str, Any] = {"text": post.text, "content_warning": post.content_warning}
    if post.scheduled_for:
        local = timezone.localtime(post.scheduled_for, ZoneInfo(zone))
        initial |= {"schedule_date": local.date(), "schedule_time": local.time()}
    form = EditForm(request.POST or None, initial=initial, zone=zone)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.update_scheduled_post(
                    post,
                    text=form.cleaned_data["text"],
                    content_warning=form.cleaned_data["content_warning"],
                    scheduled_for=form.cleaned_data["scheduled_for"],
                    tz=zone,
                )
            except services.PostError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Post updated.")
                return redirect(detail)
    targets = [d.connection for d in post.deliveries.all()]
    draft = (draft_from_data(request.POST) if request.method == "POST"
             else Draft(text=post.text, content_warning=post.content_warning))
    rows = _counter_rows(request, [c.pk for c in targets], draft)
    return page(request, "publishing/post_edit.html",
                {"form": form, "post": post, "targets": targets, "rows": rows}, section="posts",
                status=status)


@require_POST
def post_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post, pk=pk, user=request.user)
    cancelled = services.cancel_post(post)
    if cancelled:
        messages.success(request, "Cancelled; nothing more of this post will be sent.")
    else:
        messages.error(request, "Nothing to cancel: every account has started sending.")
    return _back(request, reverse("publishing:posts"))


def _delivery(request: AuthedRequest, pk: int) -> Delivery:
    return get_object_or_404(
        Delivery.objects.select_related("post", "connection"), pk=pk, post__user=request.user
    )


def _delivery_action(
    request: AuthedRequest, pk: int, action: Callable[[Delivery], bool], done: str, refused: str
) -> HttpResponse:
    delivery = _delivery(request, pk)
    if action(delivery):
        messages.success(request, done.format(handle=delivery.connection.handle))
    else:
        messages.error(request, refused)
    return _back(request, reverse("publishing:posts"))


@require_POST
def delivery_retry(request: AuthedRequest, pk: int) -> HttpResponse:
    return _delivery_action(request, pk, services.retry_delivery, "Trying {handle} again.",
                            "That one is no longer waiting for a retry.")


@require_POST
def delivery_send_now(request: AuthedRequest, pk: int) -> HttpResponse:
    return _delivery_action(request, pk, services.send_held_now, "Sending to {handle} now.",
                            "That one is no longer waiting for you.")


@require_POST
def delivery_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    return _delivery_action(
        request, pk, services.cancel_delivery, "Cancelled for {handle}.",
        "That one has started sending; it can no longer be cancelled.")


def media_file(request: AuthedRequest, pk: int) -> FileResponse:
    item = get_object_or_404(PostMedia, pk=pk, post__user=request.user)
    return _image_response(item.file.open("rb"), item.mime_type)
