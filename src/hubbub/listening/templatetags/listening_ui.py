"""The deck's rule notices: what a rule with "notify" caught, newest first, until dismissed."""

from __future__ import annotations

from typing import Any

from django import template

from hubbub.listening.models import Notice

register = template.Library()
SHOWN = 20  # in a box of bounded height (listening.css): the rest are counted


@register.inclusion_tag("listening/_notices.html", takes_context=True)
def rule_notices(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notices": []}
    unseen = Notice.objects.filter(user=user, seen=False, item__connection__user=user)
    notices = list(unseen.select_related("item", "rule").order_by("-created_at", "-pk")[:SHOWN])
    if not notices:
        return {"notices": []}
    total = unseen.count()
    # "Dismiss all" dismisses the notices up to the newest shown: not one that arrives after
    # the page was drawn, which the person has not seen.
    return {"notices": notices, "total": total, "more": max(0, total - len(notices)),
            "newest": max(n.pk for n in notices), "here": getattr(request, "path", "/deck/")}
