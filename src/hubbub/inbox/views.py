"""The inbox page (/inbox/): filters all / mentions / direct / done, read, unread and done per
entry, "mark all read", and a reply box under every entry that answers on the entry's own
network and account. Plain forms that redirect back (no JavaScript needed); with htmx the
list is swapped in place. Everything is the signed-in person's own: another's entry is a 404.

An answer that is refused (too long, the network's refusal) comes back in its reply box,
opened, with the reason beside it: the redirect's page takes it from the session once (KEPT),
so it works as a plain form and through htmx alike. Each redirect names the entry to land on
(#entry-<pk>): the same one after read, unread or an answer; the next one after done, which
leaves the list (the form's `next`, filled in by the page)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from hubbub.accounts.web import AuthedRequest, page
from hubbub.core.ids import parse_id
from hubbub.inbox import services, sources
from hubbub.inbox.models import Answer
from hubbub.inbox.selectors import FILTERS, counted_once, listing_page
from hubbub.publishing.services import post_status
from hubbub.timeline.cursors import decode_cursor, encode_cursor
from hubbub.timeline.models import Item
from hubbub.timeline.polling import mark_watched

SECTION = "inbox"
TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")
KEPT = "inbox_kept"  # session: the refused answer's entry, words and reason, for the next page
KEPT_MAX = 50_000  # characters of a refused answer kept (ten times what an answer may be)
LIST = "inbox-entries"  # the list's own anchor, where there is no next entry to land on
NEXT = re.compile(rf"entry-[0-9]{{1,18}}|{LIST}")


def _filter_of(request: AuthedRequest) -> str:
    raw = request.GET.get("show") if request.method == "GET" else request.POST.get("show")
    return raw if isinstance(raw, str) and raw in FILTERS else "all"


def _back(which: str, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("inbox:inbox")
    if which != "all":
        url += f"?show={which}"
    return HttpResponseRedirect(url + (f"#{anchor}" if anchor else ""))


def _answers_of(user_id: int, item_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The answers written here to these items, newest last, with their sent status."""
    found: dict[int, list[dict[str, Any]]] = {}
    for answer in (Answer.objects.filter(user_id=user_id, item_id__in=item_ids)
                   .select_related("post").prefetch_related("post__deliveries")
                   .order_by("created_at")):
        status = answer.state
        if answer.post is not None:
            status = post_status(answer.post)
        found.setdefault(answer.item_id, []).append({
            "answer": answer, "status": status, "again": services.can_send_again(answer)})
    return found


def inbox(request: AuthedRequest) -> HttpResponse:
    user = request.user
    which = _filter_of(request)
    feed_ids = sources.ensure_feeds(user)
    mark_watched(feed_ids)  # read at the watched pace while the inbox is open
    raw_before = request.GET.get("before")
    before = decode_cursor(raw_before) if isinstance(raw_before, str) else None
    found = listing_page(user, which, before)
    plain, threads = found.plain, found.threads
    shown = [i.pk for i in plain] + [m.pk for t in threads for m in t.messages]
    older = encode_cursor(*found.older_plain) if found.older_plain else ""
    older_direct = encode_cursor(*found.older_direct) if found.older_direct else ""
    entries = [*plain, *(t.newest for t in threads)]
    _link_next(entries)
    kept = _kept(request)
    if kept is not None:
        _count_kept(kept, entries)
    return page(request, "inbox/inbox.html", {
        "which": which,
        "older": older,
        "older_direct": older_direct,
        "paged": before is not None,
        "filters": FILTERS.items(),
        "plain": plain,
        "threads": threads,
        "answers": _answers_of(user.pk, shown),
        "unread": counted_once(user),
        "not_offered": sources.not_offered(user),
        "token": secrets.token_urlsafe(16),
        "kept": kept,
    }, section=SECTION)


def _link_next(shown: list[Item]) -> None:
    """Each entry learns where the page goes after it is done and leaves the list: the entry
    after it in the page's order (the previous one for the last), or the list itself."""
    for n, item in enumerate(shown):
        after = shown[n + 1] if n + 1 < len(shown) else shown[n - 1] if n else None
        item.inbox_next = f"entry-{after.pk}" if after is not None else LIST  # type: ignore[attr-defined]


def _kept(request: AuthedRequest) -> dict[str, Any] | None:
    """The refused answer the last POST kept for this page (once), or None."""
    kept = request.session.pop(KEPT, None)
    if not isinstance(kept, dict) or not isinstance(kept.get("text"), str):
        return None
    return {"item": parse_id(kept.get("item")), "text": kept["text"],
            "error": str(kept.get("error") or "")}


def _count_kept(kept: dict[str, Any], shown: list[Item]) -> None:
    """The refused answer's counter as it stands, on the page (no script needed)."""
    for item in shown:
        if item.pk == kept["item"]:
            used, limit = services.measure(item, kept["text"])
            kept.update(used=used, limit=limit, over=max(used - limit, 0))


def _keep(request: AuthedRequest, item: Item, text: object, error: str) -> None:
    """The person's words of a refused answer, for the reply box of the page that follows."""
    if not isinstance(text, str):
        return
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:KEPT_MAX]
    request.session[KEPT] = {"item": item.pk, "text": text, "error": error}


def _item(request: AuthedRequest, pk: object) -> Item:
    if parse_id(pk) is None:
        raise Http404
    return get_object_or_404(Item.objects.select_related("connection"), pk=pk,
                             connection__user=request.user)


@require_POST
def entry_state(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    action = request.POST.get("action")
    if not isinstance(action, str) or action not in services.STATES:
        messages.error(request, "Unknown action.")
        return _back(_filter_of(request))
    services.set_state(request.user, item, action)
    land = f"entry-{item.pk}"
    if action in ("done", "undone"):  # it leaves this list: the next entry, or the list
        after = request.POST.get("next")
        land = after if isinstance(after, str) and NEXT.fullmatch(after) else LIST
    return _back(_filter_of(request), land)


@require_POST
def mark_all_read(request: AuthedRequest) -> HttpResponse:
    count = services.mark_all_read(request.user)
    messages.success(request, f"{count} entr{'y' if count == 1 else 'ies'} marked read.")
    return _back(_filter_of(request))


@require_POST
def reply(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    text = request.POST.get("text")
    token = request.POST.get("token")
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        token = secrets.token_urlsafe(16)
    try:
        if not isinstance(text, str) or "\x00" in text:
            raise services.AnswerError("Write something first.")
        text.encode("utf-8")
        sent = services.answer(request.user, item, text, token)
    except UnicodeEncodeError:
        said = "That text cannot be sent: it holds broken characters."
        messages.error(request, said)
        _keep(request, item, text, said)
    except services.AnswerError as exc:
        messages.error(request, str(exc))
        _keep(request, item, text, str(exc))
    else:
        notes = " ".join(services.mention_notes(sent))
        if sent.state == Answer.FAILED:
            messages.error(request, f"Not sent: {sent.error}")
            _keep(request, item, text, f"Not sent: {sent.error}")
        elif sent.state == Answer.SENDING:
            messages.info(request, "Still sending: reload in a moment to see how it went.")
        elif sent.direct:
            messages.success(request, f"Message sent. {notes}".strip())
        else:
            messages.success(request, f"Reply on its way. {notes}".strip())
    return _back(_filter_of(request), f"entry-{item.pk}")



@require_POST
def count(request: AuthedRequest, pk: int) -> HttpResponse:
    """The reply box's counter, asked for as the person types: the answer's length as the
    entry's network counts it, against the account's limit."""
    item = _item(request, pk)
    text = request.POST.get("text")
    if not isinstance(text, str):
        text = ""
    used, limit = services.measure(item, text[:services.MAX_TEXT * 2])
    return page(request, "inbox/_counter.html", {"used": used, "limit": limit, "pk": item.pk,
                                                 "over": max(used - limit, 0)})
