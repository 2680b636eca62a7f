"""The Import pages: a CSV file checked then imported whole, and feed subscriptions. Thin:
the services in csv_import and subscriptions do the work."""

from __future__ import annotations

import contextlib
import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from hubbub.accounts.services import profile_for
from hubbub.accounts.web import AuthedRequest, page, user_zone
from hubbub.connections.services import connections_for
from hubbub.imports import csv_import, csvfile, subscriptions
from hubbub.imports.archive import ArchiveProblem
from hubbub.imports.forms import CsvUploadForm, FeedForm, FeedSettingsForm
from hubbub.imports.models import (
    CsvImport,
    CsvImportState,
    EntryState,
    FeedMode,
    FeedSubscription,
)
from hubbub.publishing.models import Post

RECENT_IMPORTS = 8
ENTRIES_SHOWN = 30


@dataclass(frozen=True)
class ProblemRow:
    row: int
    excerpt: str
    problems: list[dict[str, Any]]


def _upload_page(request: AuthedRequest, form: CsvUploadForm, *,
                 status: int = 200) -> HttpResponse:
    recent = CsvImport.objects.filter(user=request.user)[:RECENT_IMPORTS]
    return page(request, "imports/csv.html", {
        "form": form, "recent": recent, "max_rows": csvfile.MAX_ROWS,
        "accounts": connections_for(request.user),
        "require_alt": profile_for(request.user).require_alt_text,
    }, section="import", status=status)


def csv_upload(request: AuthedRequest) -> HttpResponse:
    if request.method != "POST":
        return _upload_page(request, CsvUploadForm())
    form = CsvUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form, status=400)
    upload = form.cleaned_data["csv_file"]
    try:
        batch = csv_import.start_import(
            user=request.user, filename=upload.name or "import.csv",
            data=upload.read(csvfile.MAX_BYTES + 1), zip_upload=form.cleaned_data["images"],
            zone=user_zone(request),
        )
    except csvfile.FileProblem as exc:
        form.add_error("csv_file", str(exc))
        return _upload_page(request, form, status=400)
    except ArchiveProblem as exc:
        form.add_error("images", str(exc))
        return _upload_page(request, form, status=400)
    return redirect("imports:csv_detail", pk=batch.pk)


def _problem_rows(batch: CsvImport) -> list[ProblemRow]:
    texts: dict[int, str] = {}
    with contextlib.suppress(csvfile.FileProblem):
        texts = {r.number: r.cells["text"] for r in csvfile.read_rows(batch.csv_text.encode())}
    grouped: dict[int, list[dict[str, Any]]] = {}
    for problem in batch.problems:
        grouped.setdefault(int(problem["row"]), []).append(problem)
    return [ProblemRow(row, texts.get(row, ""), items) for row, items in sorted(grouped.items())]


def _preview(batch: CsvImport) -> list[dict[str, Any]]:
    rows = []
    for item in batch.preview:
        rows.append({**item, "when": datetime.fromisoformat(item["when"])})
    return rows


def csv_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(CsvImport, pk=pk, user=request.user)
    context: dict[str, Any] = {"batch": batch, "form": CsvUploadForm(),
                               "zone": batch.timezone}
    if batch.state == CsvImportState.IMPORTED:
        context["posts"] = list(Post.objects.filter(pk__in=batch.post_ids, user=request.user)
                                .order_by("scheduled_for", "pk")
                                .prefetch_related("deliveries__connection", "media"))
    elif batch.problems:
        problem_rows = _problem_rows(batch)
        context["problem_rows"] = problem_rows
        context["bad_rows"] = sum(1 for r in problem_rows if r.row)
    else:
        context["preview"] = _preview(batch)
    return page(request, "imports/csv_detail.html", context, section="import")


@require_POST
def csv_confirm(request: AuthedRequest, pk: int) -> HttpResponseRedirect:
    batch = get_object_or_404(CsvImport, pk=pk, user=request.user)
    try:
        csv_import.run_import(batch)  # the page it returns to lists the posts
    except csv_import.AlreadyImported:
        messages.info(request, "This file was imported already.")
    except csv_import.ImportRefused:
        messages.error(request, "Nothing was imported: some rows are no longer right (see "
                                "below). Fix them and upload the file again.")
    except (csvfile.FileProblem, ArchiveProblem) as exc:
        messages.error(request, f"Nothing was imported: {exc}")
    return redirect("imports:csv_detail", pk=batch.pk)


@require_POST
def csv_discard(request: AuthedRequest, pk: int) -> HttpResponseRedirect:
    batch = get_object_or_404(CsvImport, pk=pk, user=request.user,
                              state=CsvImportState.CHECKED)
    if batch.zip_file:
        batch.zip_file.delete(save=False)
    batch.delete()
    messages.info(request, "The upload was discarded; nothing was imported.")
    return redirect("imports:csv")


def csv_sample(request: AuthedRequest) -> HttpResponse:
    """A file to start from: the columns, with this person's own accounts and times."""
    zone = ZoneInfo(user_zone(request))
    tomorrow = (timezone.now().astimezone(zone) + timedelta(days=1)).date()
    handles = [c.handle for c in connections_for(request.user)] or ["@you@example.social"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["text", "time", "targets", "content_warning", "images", "alt"])
    writer.writerow(["Good morning! Our new release is out.", f"{tomorrow} 09:00",
                     ";".join(handles), "", "", ""])
    # No image named: the file must import as it is, without a zip (the page says how images go).
    writer.writerow(["What happens in the finale? Our review is up.", f"{tomorrow} 14:30",
                     handles[0], "Spoilers", "", ""])
    response = HttpResponse(out.getvalue().encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="hubbub-import.csv"'
    return response


# --- feeds -----------------------------------------------------------------------------------


def feeds(request: AuthedRequest) -> HttpResponse:
    rows = (FeedSubscription.objects.filter(user=request.user)
            .annotate(posted=Count("entries", filter=Q(entries__state=EntryState.POSTED)))
            .prefetch_related("connections"))
    return page(request, "imports/feeds.html", {"subscriptions": rows}, section="import")


def feed_new(request: AuthedRequest) -> HttpResponse:
    accounts = connections_for(request.user)
    if request.method == "POST":
        form = FeedForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                subscription = subscriptions.subscribe(
                    user=request.user, url=data["url"], connections=list(data["targets"]),
                    template=data["template"], mode=data["mode"], queue=data["queue"],
                    delay_minutes=data["delay_minutes"], post_latest=data["post_latest"],
                )
            except subscriptions.SubscribeProblem as exc:
                form.add_error("url", str(exc))
            else:
                messages.success(request, f"Following {subscription.title}. "
                                          f"{_mode_sentence(subscription)}")
                return redirect("imports:feed_detail", pk=subscription.pk)
        status = 400
    else:
        form = FeedForm(user=request.user, initial={"targets": [c.pk for c in accounts]
                                                    if len(accounts) == 1 else []})
        status = 200
    return page(request, "imports/feed_new.html", {"form": form, "accounts": accounts},
                section="import", status=status)


def _mode_sentence(subscription: FeedSubscription) -> str:
    if subscription.mode == FeedMode.DRAFT:
        return "New entries become drafts for you to review on the Posts page."
    if subscription.mode == FeedMode.QUEUE and subscription.queue is not None:
        return f"New entries join the queue {subscription.queue.name}."
    return (f"New entries are scheduled {subscription.delay_minutes} minutes after they "
            "appear.")


def feed_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(FeedSubscription, pk=pk, user=request.user)
    if request.method == "POST":
        form = FeedSettingsForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                subscriptions.update_subscription(
                    subscription, connections=list(data["targets"]),
                    template=data["template"], mode=data["mode"], queue=data["queue"],
                    delay_minutes=data["delay_minutes"])
            except subscriptions.SubscribeProblem as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Saved. The next new entries are posted this way.")
                return redirect("imports:feed_detail", pk=subscription.pk)
        status = 400
    else:
        form = FeedSettingsForm(user=request.user, initial={
            "targets": list(subscription.connections.values_list("pk", flat=True)),
            "template": subscription.template, "delay_minutes": subscription.delay_minutes,
            "mode": subscription.mode, "queue": subscription.queue_id,
        })
        status = 200
    entries = subscription.entries.select_related("post")[:ENTRIES_SHOWN]
    counts = dict(subscription.entries.values_list("state").annotate(n=Count("pk")))
    return page(request, "imports/feed_detail.html", {
        "subscription": subscription, "form": form, "entries": entries, "counts": counts,
        "accounts": connections_for(request.user),
    }, section="import", status=status)


@require_POST
def feed_action(request: AuthedRequest, pk: int, action: str) -> HttpResponseRedirect:
    subscription = get_object_or_404(FeedSubscription, pk=pk, user=request.user)
    if action not in ("pause", "resume", "check", "delete"):
        raise Http404
    if action == "pause":
        subscriptions.set_active(subscription, False)
        messages.info(request, "Paused: nothing is posted from this feed until you resume.")
    elif action == "resume":
        subscriptions.set_active(subscription, True)
        messages.success(request, "Resumed. Entries that appeared while it was paused are not "
                                  "posted.")
    elif action == "check":
        subscriptions.read_now(subscription)
        messages.info(request, "The feed will be read in a few seconds.")
    elif action == "delete":
        subscriptions.unsubscribe(subscription)
        messages.info(request, "Unfollowed. Posts already made from it stay on the Posts page.")
        return redirect("imports:feeds")
    return redirect("imports:feed_detail", pk=subscription.pk)
