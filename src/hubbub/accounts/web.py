"""Helpers every page uses: the typed request, and rendering in the person's own time zone."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from hubbub.accounts.services import is_valid_zone, profile_for


class AuthedRequest(HttpRequest):
    """A request behind LoginRequiredMiddleware: the user is a real account."""

    user: User
    htmx: HtmxDetails


class PublicRequest(HttpRequest):
    htmx: HtmxDetails


def user_zone(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        name = profile_for(request.user).timezone
        if is_valid_zone(name):
            return name
    return "UTC"


def page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    section: str = "",
    status: int = 200,
) -> HttpResponse:
    """Render a page (or partial) with times shown in the person's zone."""
    zone = user_zone(request)
    with timezone.override(ZoneInfo(zone)):
        return render(
            request,
            template,
            {"user_tz": zone, "section": section, **(context or {})},
            status=status,
        )
