"""The Posts page (sent and scheduled, and the drafts), a post's history, editing, and what can
be done to a post or one of its accounts: cancel, retry, duplicate, delete everywhere. The
composer is in compose_views. Thin: services do the work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
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

from hubbub.accounts.forms import AltTextForm
from hubbub.accounts.services import profile_for
from hubbub.accounts.web import AuthedRequest, page, user_zone
from hubbub.publishing import drafts, services, stash
from hubbub.publishing.forms import EditForm, draft_data, post_quotes
from hubbub.publishing.live import live_parts
from hubbub.publishing.models import Delivery, DeliveryEvent, DeliveryState, Post, PostMedia

PAGE_SIZE = 20
SAFE_IMAGE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/heic"}
)
# The fields of an account's own version (and the images) the edit page carries unchanged.
CARRIED = frozenset({"custom", "text", "cw", "media", "part", "keep", "meta", "alt", "vis"})
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
    "deleting": "busy",
    "deleted": "muted",
    "draft": "muted",
}


@dataclass(frozen=True)
class TargetRow:
    delivery: Delivery
    # scheduled retrying sending sent undeleted failed unknown held cancelled draft deleting
    # deleted ("undeleted": sent, and a delete was refused: last_error says why)
    kind: str

    @property
    def parts(self) -> int:
        return len(self.delivery.parts or [])

    @property
    def version(self) -> str:
        """How this account's post differs from the post: "own version" (its own words or
        warning), or which of the pictures it carries; "" when it is the post as written."""
        d = self.delivery
        if d.text_override is not None or d.content_warning_override is not None:
            return "own version"
        if d.media_override is None:
            return ""
        total = len(self.delivery.post.media.all())
        kept = len(d.media_override)
        if kept >= total:
            return ""
        if kept == 0:
            return "without the picture" if total == 1 else "without the pictures"
        return f"{kept} of the {total} pictures"


@dataclass(frozen=True)
class PostCard:
    post: Post
    status: str
    tone: str
    editable: bool
    targets: list[TargetRow]
    deletable: bool  # something of it is on a network


# A delivery due this close to now is on its way: the page says "Sending", not "Scheduled" (a
# post sent now is scheduled for now until a worker picks it up, a fraction of a second later).
DUE_NOW = timedelta(seconds=2)


def _kind(delivery: Delivery, now: datetime | None = None) -> str:
    if delivery.state == DeliveryState.SCHEDULED and delivery.attempts and delivery.last_error:
        return "retrying"
    if delivery.state == DeliveryState.SCHEDULED and \
            delivery.due_at <= (now or timezone.now()) + DUE_NOW:
        return "sending"
    if delivery.state == DeliveryState.SENT and delivery.last_error.startswith("Could not delete"):
        return "undeleted"
    return str(delivery.state)


def card_for(post: Post) -> PostCard:
    status = services.post_status(post)
    now = timezone.now()
    targets = [TargetRow(d, _kind(d, now)) for d in post.deliveries.all()]
    if status == "scheduled" and all(t.kind in ("sending", "cancelled") for t in targets):
        status = "sending"  # sent now, not picked up yet
    return PostCard(
        post=post,
        status=status,
        tone=STATUS_TONE.get(status, "muted"),
        editable=services.is_editable(post),
        targets=targets,
        deletable=any(t.delivery.state == DeliveryState.SENT for t in targets),
    )


def _user_posts(request: AuthedRequest) -> QuerySet[Post]:
    deliveries = Delivery.objects.select_related("connection").order_by(
        "connection__network", "connection__handle"
    )
    return Post.objects.filter(user=request.user).prefetch_related(
        Prefetch("deliveries", queryset=deliveries), "media"
    )


def _own_post(request: AuthedRequest, pk: int) -> Post:
    return get_object_or_404(Post, pk=pk, user=request.user)


def _back(request: AuthedRequest, default: str) -> HttpResponseRedirect:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(wanted)
    return HttpResponseRedirect(default)


# --- images ------------------------------------------------------------------------------------


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
    paginator = Paginator(_user_posts(request).filter(is_draft=False), PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    cards = [card_for(p) for p in page_obj]
    soon = timezone.now() + timedelta(minutes=1)
    busy = {DeliveryState.SENDING, DeliveryState.UNKNOWN, DeliveryState.DELETING}
    deliveries = [t.delivery for c in cards for t in c.targets]
    poll = ""
    if any(d.state in busy or (d.state == DeliveryState.SCHEDULED and d.due_at <= soon)
           for d in deliveries):
        poll = POLL_FAST
    elif any(d.state == DeliveryState.SCHEDULED for d in deliveries):
        poll = POLL_SLOW
    context = {"cards": cards, "page_obj": page_obj, "poll": poll,
               "here": request.get_full_path(), "tab": "posts",
               "draft_count": Post.objects.filter(user=request.user, is_draft=True).count()}
    if request.htmx and request.htmx.target == "post-list":
        return page(request, "publishing/_post_list.html", context)
    return page(request, "publishing/posts.html", context, section="posts")


def post_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(_user_posts(request), pk=pk)
    events = DeliveryEvent.objects.filter(delivery__post=post).order_by("at", "pk")
    by_delivery: dict[int, list[DeliveryEvent]] = {}
    for event in events:
        by_delivery.setdefault(event.delivery_id, []).append(event)
    card = card_for(post)
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
    initial: dict[str, Any] = {"text": post.text, "content_warning": post.content_warning,
                               "visibility": post.visibility, "language": post.language}
    if post.scheduled_for:
        local = timezone.localtime(post.scheduled_for, ZoneInfo(zone))
        initial |= {"schedule_date": local.date(), "schedule_time": local.time()}
    form = EditForm(request.POST or None, initial=initial, zone=zone)
    targets = [d.connection for d in post.deliveries.all()]
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.update_from(post, form.outgoing(targets))
            except services.PostError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Post updated.")
                return redirect(detail)
    # Each account's own version and the images stay as they are: the page carries them in
    # hidden fields, so its counters and preview show what each account will really get.
    saved = draft_data(post, zone)
    carried = [(key, str(v)) for key, value in saved.items()
               if "_" in key and key.split("_")[0] in CARRIED
               for v in (value if isinstance(value, list) else [value])]
    data = {**saved, **({"text": request.POST.get("text", ""),
                         "content_warning": request.POST.get("content_warning", "")}
                        if request.method == "POST" else {})}
    return page(request, "publishing/post_edit.html",
                {"form": form, "post": post, "targets": targets, "carried": carried,
                 **live_parts(request.user, data, targets, quote=post_quotes(post))},
                section="posts", status=status)


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


# --- duplicate and delete ------------------------------------------------------------------------


@require_POST
def post_duplicate(request: AuthedRequest, pk: int) -> HttpResponse:
    """A copy of the post (words, images, accounts, each account's version) opened in the
    composer as a draft."""
    original = _own_post(request, pk)
    copy = services.duplicate_post(original)  # its visibility and language with it
    messages.success(request, "A copy is open below as a draft; change it and send it.")
    return redirect(f"{reverse('publishing:compose')}?draft={copy.pk}")


@require_POST
def post_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    """Delete a sent post from every network it reached (the worker does it, per account)."""
    post = _own_post(request, pk)
    count = services.delete_everywhere(post)
    if count:
        accounts = "1 account" if count == 1 else f"{count} accounts"
        messages.success(request, f"Deleting from {accounts}…")
    else:
        messages.error(request, "Nothing to delete: it is on no network now.")
    return _back(request, reverse("publishing:posts"))


@require_POST
def delivery_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    delivery = _delivery(request, pk)
    if services.delete_everywhere(delivery.post, [delivery.connection]):
        messages.success(request, f"Deleting it from {delivery.connection.handle}…")
    else:
        messages.error(request, "That one is not on its network now.")
    return _back(request, reverse("publishing:posts"))


# --- drafts --------------------------------------------------------------------------------------


def drafts_list(request: AuthedRequest) -> HttpResponse:
    found = drafts.user_drafts(request.user)
    now = timezone.now()
    context = {"drafts": found, "tab": "drafts", "draft_count": len(found), "now": now,
               "here": request.get_full_path(),
               "later": {p.pk for p in found if p.scheduled_for and p.scheduled_for > now}}
    return page(request, "publishing/drafts.html", context, section="posts")


def _own_draft(request: AuthedRequest, pk: int) -> Post:
    return get_object_or_404(Post, pk=pk, user=request.user, is_draft=True)


@require_POST
def draft_send(request: AuthedRequest, pk: int) -> HttpResponse:
    """Send a draft as it was saved: at the time it was given if that is still ahead, else
    now. Refused with each account's reason when something does not fit."""
    post = _own_draft(request, pk)
    when = post.scheduled_for if post.scheduled_for and post.scheduled_for > timezone.now() \
        else None
    try:
        services.send_draft(post, scheduled_for=when, tz=post.timezone)
    except services.PostError as exc:
        messages.error(request, f"Not sent: {exc}")
        return redirect("publishing:drafts")
    messages.success(request, "Scheduled." if when else "Sending…")
    return redirect("publishing:posts")


@require_POST
def draft_discard(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        services.discard_draft(_own_draft(request, pk))
    except services.PostError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Draft discarded.")
    return _back(request, reverse("publishing:drafts"))


# --- settings: alt text --------------------------------------------------------------------------


@require_POST
def alt_text_setting(request: AuthedRequest) -> HttpResponse:
    """The Settings page's "alt text required" switch (a form of its own)."""
    form = AltTextForm(request.POST)
    if form.is_valid():
        profile = profile_for(request.user)
        profile.require_alt_text = form.cleaned_data["require_alt_text"]
        profile.save(update_fields=["require_alt_text"])
        messages.success(request, "Alt text is now required for images." if
                         profile.require_alt_text else "Alt text is now optional.")
    return redirect("accounts:settings")
