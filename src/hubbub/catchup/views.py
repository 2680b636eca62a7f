"""The catch-up page (/catch-up/), its "Mark all caught up" and feed-token buttons, and the
private Atom feed (/catch-up/feed/<token>.atom).

The page and its POSTs are the signed-in person's own (LoginRequiredMiddleware, CSRF). The
feed needs no session: its token is the only key, a GET (or HEAD) that changes nothing, and
every token that opens nothing (unknown, malformed, revoked) gets the same 404."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.views.decorators.http import require_POST, require_safe

from hubbub.accounts.web import AuthedRequest, page
from hubbub.catchup import atom, selectors, services, tokens
from hubbub.catchup.models import CatchUpState
from hubbub.listening.conditions import EARLIEST, LATEST

SECTION = "catchup"


def _column_urls(catch: selectors.CatchUp, base: str = "") -> dict[int, str]:
    return {c.column.pk: f"{base}{reverse('timeline:deck', args=[c.column.deck_id])}"
                         f"#col-{c.column.pk}" for c in catch.columns}


def _base_url(request: HttpRequest) -> str:
    return settings.PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")


def _feed_url(request: HttpRequest, token: str) -> str:
    return _base_url(request) + reverse("catchup:feed", args=[token])


def _render(request: AuthedRequest, *, new_feed_url: str = "", status: int = 200) -> HttpResponse:
    now = timezone.now()
    state = services.state_for(request.user, now=now)
    catch = selectors.catch_up(request.user, state.since, now=now)
    urls = _column_urls(catch)
    return page(request, "catchup/catch_up.html", {
        "catch": catch,
        "columns": [(c, urls[c.column.pk], _number(c.count, c.more)) for c in catch.columns],
        "total_shown": _number(catch.total, catch.more),
        "priority": [(f, urls[f.column.pk]) for f in catch.priority],
        "engaged": [(f, urls[f.column.pk]) for f in catch.engaged],
        # Priority items are not listed again under "Most engaged", counts or not.
        "engaged_in_priority": any(f.count_words for f in catch.priority),
        "shown_at": now.isoformat(),
        "has_feed": bool(state.feed_key),
        "feed_made_at": state.feed_made_at,
        "new_feed_url": new_feed_url,
        "scan_shown": f"{selectors.SCAN:,}",
    }, section=SECTION, status=status)


def _number(count: int, more: bool) -> str:
    return f"{count:,}" + (" or more" if more else "")


def catch_up(request: AuthedRequest) -> HttpResponse:
    return _render(request)


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None or moment.utcoffset() is None:
            return None
        # In UTC, within what the databases store (year 1 at +23:59 is year 0 in UTC).
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment if EARLIEST <= moment <= LATEST else None


@require_POST
def caught_up(request: AuthedRequest) -> HttpResponse:
    """Mark everything up to the moment the page was made as seen."""
    until = _moment(request.POST.get("until"))
    if until is None:
        messages.error(request, "That page's time could not be read; nothing was marked. "
                                "Reload the page and press “Mark all caught up” again.")
        return redirect("catchup:page")
    services.mark_caught_up(request.user, until)
    messages.success(request, "All caught up. What arrives from now on shows here.")
    return redirect("catchup:page")


@require_POST
def feed_make(request: AuthedRequest) -> HttpResponse:
    """Make the feed's address, or a new one in place of the old (which stops working)."""
    token = tokens.make_token(request.user)
    return _render(request, new_feed_url=_feed_url(request, token))


@require_POST
def feed_revoke(request: AuthedRequest) -> HttpResponse:
    tokens.revoke(request.user)
    messages.success(request, "The feed's address no longer works. Make a new one any time.")
    return redirect("catchup:page")


def _not_found() -> HttpResponse:
    return HttpResponse("No such feed.", status=404, content_type="text/plain; charset=utf-8")


def _private(response: HttpResponseBase) -> HttpResponseBase:
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_not_required
@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponseBase:
    """The catch-up as Atom, for a feed reader: no session, the token is the key."""
    user_id = tokens.user_id_for(token)
    state = (CatchUpState.objects.select_related("user")
             .filter(user_id=user_id, user__is_active=True).first()
             if user_id is not None else None)
    if state is None:
        return _private(_not_found())
    user: User = state.user
    catch = selectors.catch_up(user, state.since)
    base = _base_url(request)
    body, _updated = atom.render(
        catch, user_id=user.pk, self_url=base + request.path,
        page_url=base + reverse("catchup:page"), column_url=_column_urls(catch, base))
    # Only the ETag (a hash of the body) says whether it changed: the newest entry's date does
    # not (an item dated earlier, a count or a rule's hide change the feed too), so no
    # Last-Modified. A compressed answer's ETag is weak; If-None-Match compares weakly.
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    response: HttpResponseBase | None = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(body, content_type="application/atom+xml; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=60"
    patch_vary_headers(response, ("Accept-Encoding",))
    return _private(response)
