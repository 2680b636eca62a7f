"""The deck's rule notices dismissed, one or all at once."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from hubbub.accounts.web import AuthedRequest
from hubbub.core.ids import parse_id
from hubbub.listening.models import Notice


@require_POST
def notice_seen(request: AuthedRequest, pk: int) -> HttpResponse:
    if parse_id(pk) is None:
        raise Http404
    Notice.objects.filter(pk=pk, user=request.user).update(seen=True)
    return redirect(deck_address(str(request.POST.get("next", ""))))


@require_POST
def notices_seen_all(request: AuthedRequest) -> HttpResponse:
    """Every unseen notice of the person up to `upto`, the newest the page showed: one that
    arrived since is left for the person to see."""
    upto = parse_id(request.POST.get("upto", ""))
    if upto is not None:
        Notice.objects.filter(user=request.user, seen=False, pk__lte=upto).update(seen=True)
    return redirect(deck_address(str(request.POST.get("next", ""))))


def deck_address(back: str) -> str:
    """Where to go back to: a page of the deck the form came from, never another site."""
    if back.startswith("/deck/") and "//" not in back and "\\" not in back:
        return back
    return reverse("timeline:home")
