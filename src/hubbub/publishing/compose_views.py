"""The composer: the page, its live counters and preview, per-account versions and threads,
and the draft it keeps saved as the person types. Thin: services, drafts and live (the
counters, previews and panels) do the work.

Everything works as a plain form; the page's script adds live updates and saving on top:
- counters and preview: POST compose/count/ (htmx, as the person types)
- an account's panel after Split / Back to one post / Reset: POST compose/target/<id>/<op>/
- the draft: POST compose/autosave/ (after 2 s without typing, and when the page is left)
Without the script the same steps are buttons of the form (action=split:<id>, draft, ...).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from hubbub.accounts.services import profile_for
from hubbub.accounts.web import AuthedRequest, page, user_zone
from hubbub.connections.models import Connection
from hubbub.connections.services import active_connections, connections_for
from hubbub.core.ids import parse_id, parse_ids
from hubbub.networks.registry import get_connector
from hubbub.planning import compose as planning
from hubbub.publishing import drafts, services, targets
from hubbub.publishing.forms import (
    ComposeForm,
    draft_data,
    find_item,
    native_quote,
    post_quotes,
    present_slots_in,
    quote_map,
)
from hubbub.publishing.live import (
    STEPS,
    apply_step,
    counter_rows,
    edits_from,
    live_parts,
    panels_for,
    parse_step,
    previews_for,
    slot_urls,
    slot_videos,
)
from hubbub.publishing.models import Post
from hubbub.publishing.outgoing import Outgoing, Quoted
from hubbub.publishing.preview import video_label
from hubbub.publishing.slots import stored_meta
from hubbub.timeline.models import Item
from hubbub.timeline.privacy import PRIVATE_LABELS, private_kind
from hubbub.timeline.replies import reply_opening
from hubbub.timeline.services import reaction_target

# --- the page ------------------------------------------------------------------------------------


def compose(request: AuthedRequest) -> HttpResponse:
    zone = user_zone(request)
    connections = connections_for(request.user)
    if request.method != "POST":
        return _open(request, zone, connections)

    form = ComposeForm(request.POST, request.FILES, user=request.user, zone=zone)
    action = str(request.POST.get("action", "") or "now")
    step = parse_step(action)
    if step is not None:  # a step taken without the script: show the form again, changed
        form.keep_uploads()
        return compose_page(request, form, connections, step=step)
    if _draft_gone(form):
        form.add_error(None, "This draft has already been sent; see it under Posts.")
    elif form.is_valid():
        if action == "draft":
            try:
                post = _save_draft(form)
            except services.PostError as exc:
                form.add_error(None, str(exc))
            else:
                form.discard_stash()
                messages.success(request, "Draft saved.")
                return redirect(f"{reverse('publishing:compose')}?draft={post.pk}")
        elif action == "queue":
            queued = _queue(request, form)
            if queued is not None:
                return queued
        else:
            sent = _send(request, form, zone)
            if sent is not None:
                return sent
    form.keep_uploads()
    return compose_page(request, form, connections, status=400)


def _open(request: AuthedRequest, zone: str, connections: list[Connection]) -> HttpResponse:
    initial: dict[str, Any] = {"targets": targets.initial_targets(request.user, connections)}
    group = targets.chosen_group(request.user, connections, request.GET.get("group"))
    if group is not None:  # the group's link, followed without the page's script
        initial["targets"] = list(group.ids)
    ref = request.GET.get("draft", "")
    if ref:
        post = get_object_or_404(Post, pk=parse_id(ref) or 0, user=request.user)
        if not post.is_draft:
            messages.info(request, "That draft has been sent.")
            return redirect("publishing:post_detail", post.pk)
        initial = draft_data(post, zone)
    else:
        initial |= answering_initial(request)
    form = ComposeForm(initial=initial, user=request.user, zone=zone)
    return compose_page(request, form, connections)


def _draft_gone(form: ComposeForm) -> bool:
    """The form's draft was sent meanwhile: never post it again as a new post."""
    return form.draft_sent


def _save_draft(form: ComposeForm) -> Post:
    """Save what the form holds as the person's draft (made on the first save)."""
    return drafts.save_draft(form.user, form.outgoing())


def send_form(form: ComposeForm) -> Post | None:
    """Post now or schedule what a valid form holds. A draft the page kept is brought up to
    date, then sent (send_draft); without one the post is made directly. The accounts are
    remembered for the next post. None: refused (the form says why)."""
    outgoing = form.outgoing()
    saved = None
    try:
        if outgoing.draft is not None:
            saved = drafts.update_draft(outgoing.draft, outgoing)
            post = services.send_draft(saved, scheduled_for=outgoing.scheduled_for,
                                       tz=outgoing.tz)
        else:
            post = services.create_from(form.user, outgoing)
    except services.PostError as exc:
        if saved is not None:  # sending was refused: the form shows the draft's saved images
            form.hold_saved(saved)
        form.add_error(None, str(exc))
        return None
    _sent_off(form, outgoing)
    return post


def _sent_off(form: ComposeForm, outgoing: Outgoing) -> None:
    form.discard_stash()
    # A reply's or a quote's account is the item's, not a choice to keep.
    if form.reply_item is None and form.quote_item is None:
        targets.remember(form.user, [c.pk for c in outgoing.targets])


def sent_message(post: Post, zone: str) -> str:
    """What the page says once a post is handed to the engine."""
    count = post.deliveries.count()
    accounts = "1 account" if count == 1 else f"{count} accounts"
    if post.scheduled_for:
        when = timezone.localtime(post.scheduled_for, ZoneInfo(zone))
        return f"Scheduled for {when:%a %d %b, %H:%M} to {accounts}."
    # Not "Posting…": the message stays on the page after every target is sent, and each
    # target's card shows its own state live.
    whose = "its" if count == 1 else "each one's"
    return f"Sent off to {accounts}: {whose} status is on the post below."


def _send(request: AuthedRequest, form: ComposeForm, zone: str) -> HttpResponse | None:
    post = send_form(form)
    if post is None:
        return None
    messages.success(request, sent_message(post, zone))
    return redirect("publishing:posts")


def _queue(request: AuthedRequest, form: ComposeForm) -> HttpResponse | None:
    """Add to queue (planning): the post takes the chosen queue's next free slot, as _send
    would schedule it. None: refused (the form says why)."""
    outgoing = form.outgoing()
    queue_id = request.POST.get("queue")
    try:
        if outgoing.draft is not None:
            # The slot is the queue's: the draft keeps no time of its own meanwhile.
            post = drafts.update_draft(outgoing.draft, replace(outgoing, typed_time=None))
            form.hold_saved(post)
            queued = planning.queue_draft(request.user, queue_id, post)
        else:
            queued = planning.add_from_compose(request.user, queue_id, outgoing)
    except services.PostError as exc:
        form.add_error(None, str(exc))
        return None
    _sent_off(form, outgoing)
    messages.success(request, queued.message)
    return redirect("planning:queue", pk=queued.queue.pk)


def answering_initial(request: AuthedRequest) -> dict[str, Any]:
    """Compose opened from the deck: ?reply_to=<item> or ?quote=<item> (the hub's item ids).
    The post goes from the account that saw the item, on its network."""
    reply = find_item(request.user, request.GET.get("reply_to"))
    if reply is not None:
        # The author and the others the status named, never the account itself (a thread of
        # one's own names no one): as the inbox's reply box starts (timeline/replies.py).
        return {"reply_to": reply.pk, "targets": [reply.connection_id],
                "text": reply_opening(reply)}
    quoted = find_item(request.user, request.GET.get("quote"))
    if quoted is not None and private_kind(quoted):
        messages.error(request, f"{PRIVATE_LABELS[private_kind(quoted)]}: it cannot be quoted, "
                                "only its readers may see it.")
        return {}
    if quoted is not None and get_connector(quoted.connection.network).native_quotes:
        # The post carries the quote itself (Draft.quote): no link in the text to count.
        return {"targets": [quoted.connection_id], "text": "", "quote": quoted.pk}
    if quoted is not None and quoted.url:
        return {"targets": [quoted.connection_id], "text": f"\n\n{quoted.url}",
                "quote": quoted.pk}
    if request.GET.get("quote"):
        messages.error(request, "That post is not in your hub any more: it cannot be quoted.")
    return {}


def compose_page(
    request: AuthedRequest, form: ComposeForm, connections: list[Connection],
    status: int = 200, step: tuple[str, int] | None = None,
    template: str = "publishing/compose.html",
) -> HttpResponse:
    """The composer's form with its counters, previews and panels: the compose page, or (with
    its template) the deck's panel, which shows the same form in a smaller frame."""
    if form.reply_item is not None:
        connections = [form.reply_item.connection]  # a reply goes out where the post was seen
    raw = form.raw
    base = form.base_draft()
    present = form.present_slots()
    edits = edits_from(raw, connections, present)
    notices: dict[int, str] = {}
    # The quote's account counts the quote it sends (with its link, where it cannot quote),
    # and splits with room for the link in the first part.
    quote = form.quote_targets()
    if step is not None and step[1] in edits:
        edits[step[1]], notice = apply_step(step[0], edits[step[1]], raw, quote.get(step[1]))
        if notice:
            notices[step[1]] = notice
    urls = {i: h.url for i, h in form.held.items()}
    videos = slot_videos(raw)
    selected = form.selected_ids
    rows = counter_rows(request.user, selected, base, edits, present, quote) \
        if connections else []
    return page(
        request,
        template,
        {"form": form, "connections": connections, "selected": selected,
         "slots": form.slots(), "rows": rows, "reply_item": form.reply_item,
         "quote_item": form.quote_item,
         "quote_card": native_quote(form.quote_item),
         "panels": panels_for(connections, edits, present, urls, selected, notices, videos),
         "previews": previews_for(rows, base, edits, present, urls, videos, quote),
         "draft": form.draft_post, "require_alt": profile_for(request.user).require_alt_text,
         "queues": planning.queues_for(request.user),
         "groups": targets.groups_for(request.user, connections),
         "pick_id": "panel" if template != "publishing/compose.html" else "page"},
        section="compose",
        status=status,
    )


# --- live parts (htmx) ---------------------------------------------------------------------------


def _ticked(request: AuthedRequest) -> list[int]:
    return parse_ids(request.POST.getlist("targets"))


@require_POST
def count(request: AuthedRequest) -> HttpResponse:
    """The live counters and preview, asked for as the person types or ticks accounts."""
    ticked = list(active_connections(request.user).filter(pk__in=_ticked(request)))
    reply = find_item(request.user, request.POST.get("reply_to"))
    answers = reaction_target(reply) if reply is not None else ""
    quoted, quote = _quote_asked(request, reply)
    return page(request, "publishing/_live.html",
                {**live_parts(request.user, request.POST, ticked, in_reply_to=answers,
                              quote=quote),
                 # The post a native quote shows under the words (its account's preview only).
                 "quote_card": native_quote(quoted)})


def _quote_asked(request: AuthedRequest,
                 reply: Item | None) -> tuple[Item | None, dict[int, Quoted]]:
    """The item the form quotes (none for a reply) and its account -> the post quoted; or,
    on the edit page (edited_post, the person's own posts only), its deliveries' quotes."""
    quoted = find_item(request.user, request.POST.get("quote")) if reply is None else None
    quote = quote_map(quoted)
    edited = parse_id(request.POST.get("edited_post"))  # the edit page's saved post
    if reply is None and quoted is None and edited is not None:
        post = Post.objects.filter(pk=edited, user=request.user).first()
        quote = post_quotes(post) if post is not None else {}
    return quoted, quote


@require_POST
def target_step(request: AuthedRequest, pk: int, op: str) -> HttpResponse:
    """One account's panel after Split into a thread / Back to one post / Reset."""
    if op not in STEPS:
        raise Http404
    connection = get_object_or_404(active_connections(request.user), pk=pk)
    data = request.POST
    present = present_slots_in(data)
    edit = edits_from(data, [connection], present)[connection.pk]
    # A quote's first part leaves room for the link its server gets (as the counter counts).
    reply = find_item(request.user, data.get("reply_to"))
    edit, notice = apply_step(op, edit, data, _quote_asked(request, reply)[1].get(connection.pk))
    panel = panels_for([connection], {connection.pk: edit}, present, slot_urls(data),
                       {connection.pk} | set(_ticked(request)), {connection.pk: notice},
                       slot_videos(data))[0]
    response = page(request, "publishing/_custom.html", {"panel": panel, "open": True})
    # After the swap, not at once: a button the counters redrew meanwhile is no longer in the
    # page, and htmx sends an after-settle trigger to the body then (the form listens there).
    response["HX-Trigger-After-Settle"] = "hubbub:recount"
    return response


def _worth_keeping(form: ComposeForm) -> bool:
    """Something written or attached: ticking accounts alone does not make a draft."""
    cleaned = form.cleaned_data
    return bool(str(cleaned.get("text") or "").strip()
                or str(cleaned.get("content_warning") or "").strip() or form.present_slots())


@require_POST
def autosave(request: AuthedRequest) -> JsonResponse:
    """Save the composer as a draft (made on the first change, then kept up to date). The
    answer names the draft and each image slot's saved image, so the page stops sending them."""
    zone = user_zone(request)
    form = ComposeForm(request.POST, request.FILES, user=request.user, zone=zone)
    if _draft_gone(form):
        return JsonResponse({"error": "This draft has been sent; see it under Posts."},
                            status=409)
    form.is_valid()  # what is valid is saved; a draft may be incomplete
    if form.draft_post is None and not _worth_keeping(form):
        return JsonResponse({"draft": None, "media": {}, "saved": ""})
    try:
        post = _save_draft(form)
    except services.PostError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    saved = list(post.media.order_by("position", "pk"))
    media = {str(slot): f"m{m.pk}" for slot, m in zip(form.present_slots(), saved, strict=False)}
    urls = {slot: reverse("publishing:media", args=[m.pk])
            for slot, m in zip(form.present_slots(), saved, strict=False)}
    # What the server read from each file (a video's length too): the counters use it.
    metas = {str(slot): stored_meta(m)
             for slot, m in zip(form.present_slots(), saved, strict=False)}
    videos = {slot: video_label(meta) for slot, meta in metas.items() if video_label(meta)}
    at = timezone.localtime(post.updated_at, ZoneInfo(zone))
    return JsonResponse({"draft": post.pk, "media": media, "urls": urls, "meta": metas,
                         "videos": videos,
                         "saved": f"Draft saved {at:%H:%M}",
                         "drafts_url": reverse("publishing:drafts")})
