"""Calendar, queues, recurring posts, moving a post and its late-post choice. Thin: the
services in planning/services.py and planning/recurring.py do the work. Every lookup filters by
the signed-in person, so someone else's queue, rule or post is a 404."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from hubbub.accounts.services import profile_for
from hubbub.accounts.web import AuthedRequest, page, user_zone
from hubbub.connections.services import active_connections, connections_for
from hubbub.core import localtime
from hubbub.core.ids import parse_id
from hubbub.planning import calendar, recurring, services
from hubbub.planning.forms import (
    ENDS,
    LatePolicyForm,
    MoveForm,
    QueueForm,
    QueuePostForm,
    RecurringForm,
    SlotForm,
)
from hubbub.planning.models import WEEKDAY_CHOICES, Queue, QueueEntry, QueueSlot, RecurringPost
from hubbub.publishing.forms import ScheduleFields
from hubbub.publishing.models import Post
from hubbub.publishing.outgoing import Outgoing
from hubbub.publishing.services import PostError, is_editable

# --- calendar ------------------------------------------------------------------------------------


def _filters(request: AuthedRequest) -> calendar.Filters:
    return calendar.Filters(network=request.GET.get("network", "")[:32],
                            account=parse_id(request.GET.get("account", "")))


def _day(raw: str | None, zone: str) -> date:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        return localtime.today(zone)


def _calendar_context(request: AuthedRequest, view: str) -> dict[str, Any]:
    connections = connections_for(request.user)
    return {
        "view": view,
        "filters": _filters(request),
        "filter_query": _filters(request).query(),
        "connections": connections,
        "networks": sorted({c.network for c in connections}),
        "today": localtime.today(user_zone(request)),
        "move_url": reverse("planning:move_any"),
    }


def calendar_week(request: AuthedRequest) -> HttpResponse:
    zone = user_zone(request)
    week = calendar.week(request.user, zone, _day(request.GET.get("date"), zone),
                         _filters(request))
    context = _calendar_context(request, "week") | {"week": week}
    return page(request, "planning/calendar_week.html", context, section="calendar")


def calendar_month(request: AuthedRequest) -> HttpResponse:
    zone = user_zone(request)
    raw = request.GET.get("month", "")
    around = _day(f"{raw}-01" if len(raw) == 7 else request.GET.get("date"), zone)
    month = calendar.month(request.user, zone, around, _filters(request))
    context = _calendar_context(request, "month") | {"month": month}
    return page(request, "planning/calendar_month.html", context, section="calendar")


def _wants_json(request: AuthedRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(request: AuthedRequest, default: str) -> HttpResponseRedirect:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(wanted)
    return HttpResponseRedirect(default)


def _own_post(request: AuthedRequest, pk: int | str) -> Post:
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(Post.objects.prefetch_related("deliveries"), pk=number,
                             user=request.user)


def post_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """Give a post another local date and time: the calendar's drop (JSON), or a plain form
    (no JS, or a time that happens twice and needs a choice)."""
    post = _own_post(request, pk)
    zone = user_zone(request)
    if request.method != "POST":
        initial: dict[str, Any] = {}
        if post.scheduled_for:
            when = localtime.local(post.scheduled_for, zone)
            at = when.time().replace(second=0, microsecond=0, fold=0)
            # In a fold: which of the two it is now, for that date and time.
            initial = {"day": when.date(), "at": at, "fold": str(when.fold)}
        form = MoveForm(initial=initial, zone=zone)
        return _move_page(request, post, form)
    form = MoveForm(request.POST, zone=zone)
    if not is_editable(post):
        return _refused(request, post, form,
                        "This post has started sending; it can no longer be moved.", 409)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        return _refused(request, post, form, " ".join(errors), 400)
    day, at, fold = form.cleaned_data["day"], form.cleaned_data["at"], form.cleaned_data["fold"]
    try:
        when = services.reschedule(request.user, post, day=day, at=at, tz=zone, fold=fold)
    except PostError as exc:
        return _refused(request, post, form, str(exc), 409 if "started" in str(exc) else 400)
    local = localtime.local(when, zone)
    message = f"Moved to {local:%a %-d %b, %H:%M}."
    choose = ""
    if form.ambiguity and not form.fold_chosen:
        message += (f" {at:%H:%M} happens twice that night; this is the first "
                    f"({local.tzname()}).")
        choose = reverse("planning:post_move", args=[post.pk])
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": message, "when": local.isoformat(),
                             "choose_url": choose})
    if choose:
        message += " To pick the second, move it again here."
        messages.success(request, message)
        return redirect(choose)
    messages.success(request, message)
    return _back(request, reverse("planning:calendar"))


def _refused(request: AuthedRequest, post: Post, form: MoveForm, message: str,
             status: int) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "message": message}, status=status)
    if not form.errors:
        form.add_error(None, message)
    return _move_page(request, post, form, status=status)


def _move_page(request: AuthedRequest, post: Post, form: MoveForm,
               status: int = 200) -> HttpResponse:
    return page(request, "planning/move.html",
                {"post": post, "form": form, "editable": is_editable(post),
                 "next": request.GET.get("next") or request.POST.get("next", "")},
                section="calendar", status=status)


def schedule_fold(request: AuthedRequest) -> HttpResponse:
    """The composer's and the edit page's fold choice for the date and time typed (GET
    schedule_date, schedule_time, and the choice already made): what the form would show
    after a round trip, without one. Empty when the time happens once."""
    form = ScheduleFields(request.GET, zone=user_zone(request))
    return page(request, "planning/_fold_choice.html", {"form": form})


@require_POST
def move_any(request: AuthedRequest) -> HttpResponse:
    """The drop target's one URL: the post's id comes with the form."""
    pk = parse_id(request.POST.get("post", ""))
    if pk is None:
        raise Http404
    return post_move(request, pk)


@require_POST
def post_late_policy(request: AuthedRequest, pk: int) -> HttpResponse:
    post = _own_post(request, pk)
    form = LatePolicyForm(request.POST)
    if form.is_valid():
        services.set_late_policy(request.user, post, form.cleaned_data["policy"] or "")
        messages.success(request, "Saved what happens if this post is late.")
    return _back(request, reverse("publishing:post_detail", args=[post.pk]))


# --- queues --------------------------------------------------------------------------------------


def _queue(request: AuthedRequest, pk: int) -> Queue:
    return get_object_or_404(Queue.objects.prefetch_related("slots", "connections"), pk=pk,
                             user=request.user)


def queues(request: AuthedRequest) -> HttpResponse:
    zone = user_zone(request)
    form = QueueForm(request.POST or None, user=request.user,
                     initial={"timezone": zone, "name": "Queue",
                              "connections": list(active_connections(request.user))})
    if request.method == "POST" and form.is_valid():
        try:
            queue = services.create_queue(
                request.user, name=form.cleaned_data["name"], tz=form.cleaned_data["timezone"],
                connections=form.cleaned_data["connections"])
        except PostError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{queue.name} is ready: add its time slots.")
            return redirect("planning:queue", pk=queue.pk)
    rows = [(q, services.waiting_entries(q)) for q in services.user_queues(request.user)]
    return page(request, "planning/queues.html",
                {"form": form, "rows": rows, "has_connections": bool(form.fields[
                    "connections"].queryset.exists())},  # type: ignore[attr-defined]
                section="queue", status=400 if request.method == "POST" else 200)


def queue_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    queue = _queue(request, pk)
    return _queue_page(request, queue)


def _queue_page(request: AuthedRequest, queue: Queue, *, slot_form: SlotForm | None = None,
                post_form: QueuePostForm | None = None, edit_form: QueueForm | None = None,
                status: int = 200) -> HttpResponse:
    entries = services.waiting_entries(queue)
    taken = {e.slot_at for e in entries}
    upcoming = []
    for instant in services.upcoming_slots(queue, after=timezone.now() + services.LEAD):
        if instant not in taken:
            upcoming.append(instant)
        if len(upcoming) >= 3:
            break
    by_day: dict[int, list[QueueSlot]] = {}
    for slot in queue.slots.all():
        by_day.setdefault(slot.weekday, []).append(slot)
    profile = profile_for(request.user)
    return page(request, "planning/queue.html", {
        "queue": queue,
        "entries": entries,
        "free": upcoming,
        "week": [(d, name, by_day.get(d, [])) for d, name in WEEKDAY_CHOICES],
        "slot_form": slot_form or SlotForm(initial={"weekdays": [0, 1, 2, 3, 4]}),
        "post_form": post_form or QueuePostForm(),
        "edit_form": edit_form or QueueForm(user=request.user, initial={
            "name": queue.name, "timezone": queue.timezone,
            "connections": list(queue.connections.all())}),
        "default_late": profile.late_policy,
        "here": request.get_full_path(),
    }, section="queue", status=status)


@require_POST
def queue_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    queue = _queue(request, pk)
    form = QueueForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.update_queue(request.user, queue, name=form.cleaned_data["name"],
                                  tz=form.cleaned_data["timezone"],
                                  connections=form.cleaned_data["connections"])
        except PostError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Queue saved.")
            return redirect("planning:queue", pk=queue.pk)
    return _queue_page(request, queue, edit_form=form, status=400)


@require_POST
def queue_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    queue = _queue(request, pk)
    cancelled = services.delete_queue(request.user, queue)
    note = f" {cancelled} waiting post{'s' if cancelled != 1 else ''} cancelled." if cancelled \
        else ""
    messages.success(request, f"Queue {queue.name} deleted.{note}")
    return redirect("planning:queues")


@require_POST
def slot_add(request: AuthedRequest, pk: int) -> HttpResponse:
    queue = _queue(request, pk)
    form = SlotForm(request.POST)
    if form.is_valid():
        try:
            added = services.add_slots(request.user, queue, weekdays=form.cleaned_data[
                "weekdays"], at=form.cleaned_data["time"])
        except PostError as exc:
            form.add_error("time", str(exc))
        else:
            at = form.cleaned_data["time"]
            messages.success(request, f"Added {added} slot{'s' if added != 1 else ''} at "
                             f"{at:%H:%M}." if added else f"Those slots at {at:%H:%M} exist.")
            return redirect("planning:queue", pk=queue.pk)
    return _queue_page(request, _queue(request, pk), slot_form=form, status=400)


@require_POST
def slot_remove(request: AuthedRequest, pk: int, slot: int) -> HttpResponse:
    queue = _queue(request, pk)
    found = get_object_or_404(QueueSlot, pk=slot, queue=queue)
    services.remove_slot(request.user, found)
    messages.success(request, f"Removed the {found} slot.")
    return redirect("planning:queue", pk=queue.pk)


@require_POST
def queue_pause(request: AuthedRequest, pk: int) -> HttpResponse:
    queue = _queue(request, pk)
    waiting = services.pause_queue(request.user, queue)
    messages.success(request, f"{queue.name} is paused: its {waiting} post"
                     f"{'s' if waiting != 1 else ''} keep their order and wait.")
    return _back(request, reverse("planning:queue", args=[queue.pk]))


@require_POST
def queue_resume(request: AuthedRequest, pk: int) -> HttpResponse:
    queue = _queue(request, pk)
    waiting = services.resume_queue(request.user, queue)
    messages.success(request, f"{queue.name} is running again; {waiting} post"
                     f"{'s' if waiting != 1 else ''} re-timed to the next slots.")
    return _back(request, reverse("planning:queue", args=[queue.pk]))


@require_POST
def queue_add_post(request: AuthedRequest, pk: int) -> HttpResponse:
    queue = _queue(request, pk)
    form = QueuePostForm(request.POST)
    if form.is_valid():
        try:
            post = services.add_to_queue(request.user, queue, Outgoing(
                text=form.cleaned_data["text"], targets=(),
                content_warning=form.cleaned_data["content_warning"]))
        except PostError as exc:
            form.add_error(None, str(exc))
        else:
            assert post.scheduled_for is not None
            when = localtime.local(post.scheduled_for, queue.timezone)
            messages.success(request, f"Added to {queue.name} for {when:%a %-d %b, %H:%M}.")
            return redirect("planning:queue", pk=queue.pk)
    return _queue_page(request, queue, post_form=form, status=400)


def _entry(request: AuthedRequest, pk: int, entry: int) -> QueueEntry:
    return get_object_or_404(QueueEntry.objects.select_related("queue", "post"), pk=entry,
                             queue_id=pk, queue__user=request.user)


@require_POST
def entry_top(request: AuthedRequest, pk: int, entry: int) -> HttpResponse:
    found = _entry(request, pk, entry)
    try:
        services.move_to_top(request.user, found)
    except PostError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Moved to the top; the others moved down one slot.")
    return redirect("planning:queue", pk=pk)


@require_POST
def entry_remove(request: AuthedRequest, pk: int, entry: int) -> HttpResponse:
    found = _entry(request, pk, entry)
    try:
        services.remove_from_queue(request.user, found)
    except PostError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Removed; it will not be sent, and the rest moved up.")
    return redirect("planning:queue", pk=pk)


# --- recurring posts -----------------------------------------------------------------------------


def recurring_list(request: AuthedRequest) -> HttpResponse:
    zone = user_zone(request)
    form = RecurringForm(request.POST or None, user=request.user, initial={
        "starts_on": localtime.today(zone), "weekdays": [0], "ends": ENDS.NEVER,
        "connections": list(active_connections(request.user))[:1]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rule = recurring.create_recurring(request.user, recurring.Rule(
                text=data["text"], content_warning=data["content_warning"],
                connections=list(data["connections"]), frequency=data["frequency"],
                weekdays=data["weekdays"] or [], time_of_day=data["time_of_day"], tz=zone,
                starts_on=data["starts_on"], until=data["until"], count=data["count"]))
        except PostError as exc:
            form.add_error(None, str(exc))
        else:
            made = rule.occurrences.filter(post__isnull=False).count()
            messages.success(request, "Saved. " + (
                f"The next {made} post{'s are' if made != 1 else ' is'} on the calendar."
                if made else "Its posts appear on the calendar a week ahead."))
            return redirect("planning:recurring")
    now = timezone.now()
    rules = [
        (rule, recurring.upcoming(rule, after=now, limit=3),
         rule.occurrences.filter(post__isnull=True).exclude(error="").last())
        for rule in RecurringPost.objects.filter(user=request.user).prefetch_related(
            "connections")
    ]
    return page(request, "planning/recurring.html", {"form": form, "rules": rules},
                section="queue", status=400 if request.method == "POST" else 200)


def _rule(request: AuthedRequest, pk: int) -> RecurringPost:
    return get_object_or_404(RecurringPost, pk=pk, user=request.user)


def recurring_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk)
    ends = ENDS.ON if rule.until else ENDS.AFTER if rule.count else ENDS.NEVER
    form = RecurringForm(request.POST or None, user=request.user, initial={
        "text": rule.text, "content_warning": rule.content_warning,
        "connections": list(rule.connections.all()), "frequency": rule.frequency,
        "weekdays": rule.weekdays, "time_of_day": rule.time_of_day,
        "starts_on": localtime.local(rule.starts_at, rule.timezone).date(), "ends": ends,
        "until": rule.until, "count": rule.count})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            done = recurring.update_recurring(request.user, rule, recurring.Rule(
                text=data["text"], content_warning=data["content_warning"],
                connections=list(data["connections"]), frequency=data["frequency"],
                weekdays=data["weekdays"] or [], time_of_day=data["time_of_day"],
                tz=rule.timezone, starts_on=data["starts_on"], until=data["until"],
                count=data["count"]))
        except PostError as exc:
            form.add_error(None, str(exc))
        else:
            parts = [f"{n} {what}" for n, what in (
                (done.kept, "planned post" + ("s" if done.kept != 1 else "") + " updated"),
                (done.cancelled, "cancelled"), (done.made, "made for the new times")) if n]
            messages.success(request, "Saved." + (f" {', '.join(parts).capitalize()}."
                                                  if parts else ""))
            return redirect(reverse("planning:recurring") + f"#rule-{rule.pk}")
    upcoming = [] if rule.is_paused else recurring.upcoming(rule, after=timezone.now(), limit=3)
    return page(request, "planning/recurring_edit.html",
                {"form": form, "rule": rule, "upcoming": upcoming}, section="queue",
                status=400 if request.method == "POST" else 200)


@require_POST
def recurring_pause(request: AuthedRequest, pk: int) -> HttpResponse:
    cancelled = recurring.pause_recurring(request.user, _rule(request, pk))
    messages.success(request, f"Paused; {cancelled} post{'s' if cancelled != 1 else ''} "
                     "already planned ahead were cancelled.")
    return redirect("planning:recurring")


@require_POST
def recurring_resume(request: AuthedRequest, pk: int) -> HttpResponse:
    made = recurring.resume_recurring(request.user, _rule(request, pk))
    messages.success(request, f"Running again; {made} post{'s' if made != 1 else ''} planned "
                     "for the coming week.")
    return redirect("planning:recurring")


@require_POST
def recurring_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    cancelled = recurring.delete_recurring(request.user, _rule(request, pk))
    messages.success(request, "Stopped." + (f" {cancelled} planned post"
                     f"{'s' if cancelled != 1 else ''} cancelled." if cancelled else ""))
    return redirect("planning:recurring")
