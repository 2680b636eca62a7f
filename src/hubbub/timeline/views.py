"""The deck: tabs of columns, their pages of items, live updates, and actions on items.

Every page works as plain HTML (links and forms); deck.js and htmx make it live on top."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from hubbub.accounts.templatetags.hubbub_ui import short_id
from hubbub.accounts.web import AuthedRequest, page
from hubbub.connections.models import Connection
from hubbub.core.ids import parse_ids
from hubbub.networks.errors import ConnectorError
from hubbub.timeline import polling, selectors, services
from hubbub.timeline.conversation_views import mark_people
from hubbub.timeline.cursors import Cursor, decode_cursor, encode_cursor
from hubbub.timeline.feedkinds import KINDS, Kind, kind_of_key, reading_notes
from hubbub.timeline.forms import AddColumnForm, DeckNameForm
from hubbub.timeline.models import Column, ColumnWidth, Deck, Feed, Item

log = logging.getLogger(__name__)
PAGE_SIZE = 30
# Items a column holds when the deck opens: more than a tall screen shows; the rest come as the
# person scrolls (the "Older posts" sentinel loads the next page as it comes into view). Ten
# columns of 30 items were over 1.7 MB of HTML (issue 13: the first screen under 150 KB).
FIRST_SCREEN = 12
# ... and, in a deck of many columns, fewer: FIRST_SCREEN_ITEMS shared out between the columns,
# at least FIRST_SCREEN_LEAST a column, so ten columns (4 items each) open in under 150 KB of HTML
# (issue 13). A column's next page comes when its bottom comes into view, which with four items
# in a tall window is at once: the first paint does not wait for it.
FIRST_SCREEN_ITEMS = 40
FIRST_SCREEN_LEAST = 4
# Item ids a live event names (timeline/live_stream.LIVE_IDS) that column_newer looks up.
MAX_AMONG = 200
MAX_AMONG_CHARS = MAX_AMONG * 20


def first_screen(columns: int) -> int:
    """The items each of `columns` columns opens with."""
    return max(FIRST_SCREEN_LEAST, min(FIRST_SCREEN, FIRST_SCREEN_ITEMS // max(columns, 1)))


# --- lookups (every one filtered by the signed-in person) ----------------------------------------


def _decks(request: AuthedRequest) -> QuerySet[Deck]:
    return Deck.objects.filter(user=request.user)


def _columns(request: AuthedRequest) -> QuerySet[Column]:
    feeds = Feed.objects.select_related("connection").order_by("connection__network", "pk")
    return _column_rows(request).prefetch_related(Prefetch("feeds", queryset=feeds))


def _column_rows(request: AuthedRequest) -> QuerySet[Column]:
    """The person's columns without their feeds (read with the column's items instead)."""
    return Column.objects.filter(deck__user=request.user).select_related("deck")


def _item(request: AuthedRequest, pk: int) -> Item:
    return get_object_or_404(
        Item.objects.select_related("connection"), pk=pk, connection__user=request.user
    )


def _fragment(request: AuthedRequest) -> bool:
    """Asked by htmx or deck.js (which want a piece of page, or nothing), not by a form."""
    return bool(request.htmx) or request.headers.get("X-Deck") == "1"


def _back(request: AuthedRequest, default: str) -> HttpResponseRedirect:
    wanted = request.POST.get("next", "") or request.GET.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(wanted)
    return HttpResponseRedirect(default)


def _deck_url(deck_id: int) -> str:
    return reverse("timeline:deck", args=[deck_id])


# --- what a column shows -------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnView:
    column: Column
    feeds: list[Feed]
    kind: Kind
    subtitle: str
    networks: list[str]
    items: list[Item]
    more: bool  # older items may exist (in the store or on the network)
    older: str  # cursor for the next page down ("" with more: the first page)
    newest: str  # cursor of the newest item shown, "" when empty
    feed_ids: str
    problem: str
    first_page: bool

    @property
    def width_choices(self) -> list[tuple[str, str]]:
        return list(ColumnWidth.choices)

    @property
    def only(self) -> int:
        """How many people (or People) an allow-list column lets through; 0: everyone."""
        filters = self.column.filters
        listed = filters.get("only") if isinstance(filters, dict) else None
        return len(listed) if isinstance(listed, list) else 0


def _subtitle(feeds: Sequence[Feed]) -> str:
    connections = {f.connection_id: f.connection for f in feeds}
    if len(connections) == 1:
        return short_id(next(iter(connections.values())).handle)  # npub1abcd…wxyz
    return f"{len(connections)} accounts"


def _page(column: Column, feeds: Sequence[Feed], before: Cursor | None, *,
          from_network: bool, limit: int = PAGE_SIZE,
          owned: bool = False) -> tuple[list[Item], bool, str]:
    """A page of items from the store; when the store runs out, ask the networks for older ones
    first (from_network). Returns (items, more to come, problem). `owned`: `feeds` are
    selectors.column_feeds(column)'s, which the selector then need not read again."""
    shared = feeds if owned else None
    items = selectors.column_page(column, before=before, limit=limit, feeds=shared)
    problem = ""
    open_feeds = [f for f in feeds if not f.exhausted]
    if len(items) < limit and open_feeds and from_network:
        fetched = 0
        for feed in open_feeds:
            try:
                fetched += polling.load_older(feed)
            except (ConnectorError, NotImplementedError) as exc:
                problem = getattr(exc, "message", "") or str(exc) or "The network did not answer."
                log.info("load_older %s failed: %s", feed, exc)
        if fetched:
            items = selectors.column_page(column, before=before, limit=limit, feeds=shared)
        open_feeds = [f for f in Feed.objects.filter(pk__in=[f.pk for f in feeds])
                      if not f.exhausted]
        more = len(items) >= limit or (bool(open_feeds) and fetched > 0)
        return items, more, problem
    return items, len(items) >= limit or bool(open_feeds), problem


def _column_view(column: Column, *, before: Cursor | None = None,
                 from_network: bool = False, limit: int = PAGE_SIZE,
                 owned_feeds: list[Feed] | None = None) -> ColumnView:
    """What the column shows. `owned_feeds`: selectors.column_feeds(column), read by the
    caller (one read of the feeds for the view and the selector); else the prefetched feeds."""
    if owned_feeds is not None:
        feeds = sorted(owned_feeds, key=lambda f: (f.connection.network, f.pk))
    else:
        feeds = list(column.feeds.all())
    kind = KINDS.get(str(column.filters.get("kind", ""))) if isinstance(column.filters, dict) \
        else None
    if kind is None:
        kind = KINDS[kind_of_key(feeds[0].key) if feeds else "home"]
    items, more, problem = _page(column, feeds, before, from_network=from_network, limit=limit,
                                 owned=owned_feeds is not None)
    errors = [f.last_error for f in feeds if f.last_error]
    return ColumnView(
        column=column,
        feeds=feeds,
        kind=kind,
        subtitle=_subtitle(feeds) if feeds else "no account",
        networks=sorted({f.connection.network for f in feeds}),
        items=items,
        more=more,
        older=encode_cursor(items[-1].created_at, items[-1].pk) if items and more else "",
        newest=encode_cursor(items[0].created_at, items[0].pk) if items else "",
        feed_ids=" ".join(str(f.pk) for f in feeds),
        problem=problem or (errors[0] if errors else ""),
        first_page=before is None,
    )


# --- the deck ------------------------------------------------------------------------------------


def deck_home(request: AuthedRequest) -> HttpResponse:
    """The first deck; made on the first visit with a home and mentions column per account."""
    wanted = request.session.get("deck")
    deck = _decks(request).filter(pk=wanted).first() if isinstance(wanted, int) else None
    if deck is None:
        deck = services.ensure_default_deck(request.user)
    return redirect(_deck_url(deck.pk))


def deck(request: AuthedRequest, pk: int) -> HttpResponse:
    current = get_object_or_404(_decks(request), pk=pk)
    request.session["deck"] = current.pk
    columns = list(_columns(request).filter(deck=current))
    limit = first_screen(len(columns))
    views = [_column_view(c, limit=limit) for c in columns]
    # Whose authors are already People (no "Add … to a person…"): one query for every column.
    mark_people(request.user.pk, [item for view in views for item in view.items])
    fresh = {v.column.pk for v in views if v.column.read_until is None}  # shown for the first time
    for view in views:
        if view.column.read_until is None:
            # A new column starts read: only what arrives from now on looks new.
            services.mark_read(view.column,
                               view.items[0].created_at if view.items else timezone.now())
    polling.mark_watched([f for v in views for f in v.feeds])
    return page(request, "timeline/deck.html", {
        "deck": current,
        "decks": list(_decks(request)),
        "columns": views,
        "has_connections": Connection.objects.filter(
            user=request.user, disconnected_at__isnull=True).exists(),
        "here": _deck_url(current.pk),
        "fresh": fresh,
        "width_choices": list(ColumnWidth.choices),  # the columns' one copy of their options
    }, section="deck")


@require_POST
def deck_create(request: AuthedRequest) -> HttpResponse:
    form = DeckNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the new deck a name.")
        return _back(request, reverse("timeline:home"))
    try:
        created = services.create_deck(request.user, form.cleaned_data["name"])
    except services.DeckError as exc:
        messages.error(request, str(exc))
        return _back(request, reverse("timeline:home"))
    return redirect(_deck_url(created.pk))


@require_POST
def deck_rename(request: AuthedRequest, pk: int) -> HttpResponse:
    current = get_object_or_404(_decks(request), pk=pk)
    form = DeckNameForm(request.POST)
    if form.is_valid():
        services.rename_deck(current, form.cleaned_data["name"])
    else:
        messages.error(request, "Give the deck a name.")
    return redirect(_deck_url(current.pk))


@require_POST
def deck_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    current = get_object_or_404(_decks(request), pk=pk)
    name = current.name
    services.delete_deck(current)
    messages.success(request, f"Deck “{name}” removed.")
    request.session.pop("deck", None)
    remaining = _decks(request).first()
    if remaining is None:
        return redirect("timeline:home")
    return redirect(_deck_url(remaining.pk))


@require_POST
def deck_defaults(request: AuthedRequest, pk: int) -> HttpResponse:
    current = get_object_or_404(_decks(request), pk=pk)
    try:
        services.add_default_columns(current)
    except services.DeckError as exc:
        messages.error(request, str(exc))
    return redirect(_deck_url(current.pk))


@require_POST
def deck_order(request: AuthedRequest, pk: int) -> HttpResponse:
    """The new column order after a drag: ids left to right."""
    current = get_object_or_404(_decks(request), pk=pk)
    order = parse_ids(request.POST.getlist("columns"))
    services.reorder_columns(current, order)
    if _fragment(request):
        return HttpResponse(status=204)
    return redirect(_deck_url(current.pk))


# --- columns -------------------------------------------------------------------------------------


def column_add(request: AuthedRequest, pk: int) -> HttpResponse:
    current = get_object_or_404(_decks(request), pk=pk)
    if request.method == "POST":
        form = AddColumnForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.add_column(
                    current,
                    connections=list(form.cleaned_data["connections"]),
                    kind=form.cleaned_data["kind"],
                    param=form.cleaned_data["param"],
                    title=form.cleaned_data["title"],
                    width=form.cleaned_data["width"],
                )
            except services.DeckError as exc:
                form.add_error(None, str(exc))
            else:
                form.keep_first_pages()
                return redirect(_deck_url(current.pk))
        status = 400
    else:
        connections = list(Connection.objects.filter(
            user=request.user, disconnected_at__isnull=True).order_by("network", "handle"))
        initial = {"connections": [connections[0].pk]} if connections else {}
        form = AddColumnForm(initial=initial, user=request.user)
        status = 200
    if form.is_bound:
        selected = {str(v) for v in request.POST.getlist("connections")}
    else:
        selected = {str(v) for v in form.initial.get("connections", [])}
    field = form.fields["connections"]
    rows = [
        ConnectionRow(c, " ".join(form.kinds_by_connection.get(c.pk, [])), str(c.pk) in selected,
                      json.dumps(form.reasons_by_connection.get(c.pk, {}), ensure_ascii=False))
        for c in getattr(field, "queryset", [])
    ]
    return page(request, "timeline/add_column.html", {
        "deck": current, "form": form, "rows": rows, "kinds": list(KINDS.values()),
        "notes": reading_notes(row.connection for row in rows),
    }, section="deck", status=status)


@dataclass(frozen=True)
class ConnectionRow:
    connection: Connection
    kinds: str
    checked: bool
    reasons: str  # JSON: kind -> why this account cannot show it ("Nostr: ...")


def column(request: AuthedRequest, pk: int) -> HttpResponse:
    """One column's page of items. htmx asks for the next page down (items and a new sentinel);
    without JavaScript this is a whole page with "older" and "newest" links."""
    found = get_object_or_404(_column_rows(request), pk=pk)
    before = decode_cursor(request.GET.get("before"))
    # The column's own feeds, read once for the page and its selector (issue 13: the page
    # within 3x the selector's time; a prefetch of them was another ~1 ms of ORM work).
    view = _column_view(found, before=before, from_network=True,
                        owned_feeds=selectors.column_feeds(found))
    mark_people(request.user.pk, view.items)
    polling.mark_watched(view.feeds)
    if _fragment(request):
        stalled = before is not None and not view.items
        return page(request, "timeline/_page.html", {
            "view": view, "stalled": stalled, "here": _deck_url(found.deck_id)})
    return page(request, "timeline/column_page.html", {
        "view": view, "deck": found.deck, "here": request.get_full_path(),
    }, section="deck")


def column_newer(request: AuthedRequest, pk: int) -> HttpResponse:
    """Items newer than `after`, newest first: what the "3 new" bar shows. With `among` (item
    ids the live event named, comma-separated), also those of them the column shows that are
    older than `after`: stored late (a poll after the stream), they are new to the person all
    the same, and the page places them where their time puts them."""
    found = get_object_or_404(_columns(request), pk=pk)
    after = decode_cursor(request.GET.get("after"))
    if after is None:
        items = selectors.column_page(found, limit=PAGE_SIZE)
    else:
        items = selectors.items_after(found, after)
        among = parse_ids(request.GET.get("among", "")[:MAX_AMONG_CHARS].split(","))
        shown = {item.pk for item in items}
        late = [pk for pk in among[:MAX_AMONG] if pk not in shown]
        if late:
            items += selectors.items_among(found, late)
    mark_people(request.user.pk, items)
    return page(request, "timeline/_items.html", {
        "column": found, "items": items, "here": _deck_url(found.deck_id)})


@require_POST
def column_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(_columns(request), pk=pk)
    deck_id = found.deck_id
    title = found.title
    services.remove_column(found)
    if _fragment(request):
        return HttpResponse(status=204)
    messages.success(request, f"Column “{title}” removed.")
    return redirect(_deck_url(deck_id))


@require_POST
def column_move(request: AuthedRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(_columns(request), pk=pk)
    offset = {"left": -1, "right": 1}.get(request.POST.get("direction", ""), 0)
    if offset:
        services.move_column(found, offset)
    if _fragment(request):
        return HttpResponse(status=204)
    return redirect(f"{_deck_url(found.deck_id)}#col-{found.pk}")


@require_POST
def column_width(request: AuthedRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(_columns(request), pk=pk)
    try:
        services.set_width(found, request.POST.get("width", ""))
    except services.DeckError as exc:
        if _fragment(request):
            return HttpResponse(str(exc), status=400)
        messages.error(request, str(exc))
    if _fragment(request):
        return HttpResponse(status=204)
    return redirect(f"{_deck_url(found.deck_id)}#col-{found.pk}")


@require_POST
def column_read(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move the column's read marker up to the item named by `until` (a cursor)."""
    found = get_object_or_404(_columns(request), pk=pk)
    until = decode_cursor(request.POST.get("until"))
    if until is not None:
        services.mark_read(found, until[0])
    if _fragment(request):
        return HttpResponse(status=204)
    return _back(request, f"{_deck_url(found.deck_id)}#col-{found.pk}")


# --- items ---------------------------------------------------------------------------------------


@require_POST
def item_react(request: AuthedRequest, pk: int) -> HttpResponse:
    found = _item(request, pk)
    kind = request.POST.get("kind", "")
    result = services.react(found, kind)
    if _fragment(request):
        return page(request, "timeline/_actions.html", {
            "item": found, "notice": result.message, "notice_ok": result.ok,
            "here": request.POST.get("next", ""),
        })
    if result.ok:
        messages.success(request, result.message)
    else:
        messages.error(request, result.message)
    return _back(request, reverse("timeline:home"))

