"""Display helpers for the calendar, queues and recurring posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from hubbub.accounts.models import LatePolicy, Profile
from hubbub.accounts.templatetags.hubbub_ui import ICONS as APP_ICONS
from hubbub.accounts.templatetags.hubbub_ui import svg_icon
from hubbub.planning.models import WEEKDAY_CHOICES, Frequency, RecurringPost
from hubbub.publishing.models import DeliveryState, Post

register = template.Library()

# Feather icons (MIT), drawn with the current text colour.
ICONS = {
    "repeat": '<polyline points="17 1 21 5 17 9"/><path d="M3 11V9a4 4 0 0 1 4-4h14"/>'
    '<polyline points="7 23 3 19 7 15"/><path d="M21 13v2a4 4 0 0 1-4 4H3"/>',
    "pause": '<rect x="6" y="4" width="4" height="16" rx="1"/>'
    '<rect x="14" y="4" width="4" height="16" rx="1"/>',
    "play": '<polygon points="6 3 20 12 6 21 6 3"/>',
    "arrow-up": '<line x1="12" y1="19" x2="12" y2="5"/><polyline points="5 12 12 5 19 12"/>',
    "chevron-left": '<polyline points="15 18 9 12 15 6"/>',
    "chevron-right": '<polyline points="9 18 15 12 9 6"/>',
    "trash": '<polyline points="3 6 5 6 21 6"/><path d="M19 6v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V6'
    'm3 0V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2"/>',
    "grid": '<rect x="3" y="3" width="7" height="7" rx="1"/><rect x="14" y="3" width="7" '
    'height="7" rx="1"/><rect x="14" y="14" width="7" height="7" rx="1"/>'
    '<rect x="3" y="14" width="7" height="7" rx="1"/>',
    "week": '<rect x="3" y="4" width="18" height="17" rx="2"/><line x1="3" y1="9" x2="21" '
    'y2="9"/><line x1="9" y1="9" x2="9" y2="21"/><line x1="15" y1="9" x2="15" y2="21"/>',
    "move": '<polyline points="5 9 2 12 5 15"/><polyline points="9 5 12 2 15 5"/>'
    '<polyline points="15 19 12 22 9 19"/><polyline points="19 9 22 12 19 15"/>'
    '<line x1="2" y1="12" x2="22" y2="12"/><line x1="12" y1="2" x2="12" y2="22"/>',
    "edit": '<path d="M12 20h9"/><path d="M16.5 3.5a2.121 2.121 0 0 1 3 3L7 19l-4 1 1-4Z"/>',
    "filter": '<polygon points="22 3 2 3 10 12.46 10 19 14 21 14 12.46 22 3"/>',
    "shield": '<path d="M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z"/>',
    "sun": '<circle cx="12" cy="12" r="4"/><path d="M12 2v2M12 20v2M4.93 4.93l1.41 1.41M17.66 '
    '17.66l1.41 1.41M2 12h2M20 12h2M6.34 17.66l-1.41 1.41M19.07 4.93l-1.41 1.41"/>',
}

# One per network in networks/registry.CONNECTORS (tests/unit/test_network_marks.py checks).
NETWORK_LETTERS = {"mastodon": "M", "bluesky": "B", "nostr": "N", "x": "X", "threads": "T",
                   "linkedin": "in", "facebook": "f", "instagram": "Ig"}
LATE_TEXT = {LatePolicy.HOLD: "hold it for me", LatePolicy.SEND: "send it anyway"}
PENDING = {DeliveryState.SCHEDULED, DeliveryState.DRAFT, DeliveryState.HELD}


@register.simple_tag
def picon(name: str, css: str = "") -> SafeString:
    """An inline SVG icon from the fixed tables above and the app's (no user input)."""
    return svg_icon(ICONS.get(name) or APP_ICONS[name], css)


@register.filter
def tzabbr(value: datetime | None) -> str:
    """The zone abbreviation at that instant in the page's zone (CET, CEST, EDT, +0530).
    Django's "T" date format is empty for zoneinfo zones."""
    if value is None:
        return ""
    return timezone.localtime(value).tzname() or ""


@register.filter
def net_letter(slug: str) -> str:
    return NETWORK_LETTERS.get(slug, slug[:1].upper())


@register.filter
def late_text(policy: str) -> str:
    return LATE_TEXT.get(LatePolicy(policy), "hold it for me") if policy in LatePolicy.values \
        else "hold it for me"


@register.filter
def rule_summary(rule: RecurringPost) -> str:
    """'Every Monday and Thursday at 09:00, until 1 March 2027' and the like."""
    at = f"{rule.time_of_day:%H:%M}"
    if rule.frequency == Frequency.DAILY:
        text = f"Every day at {at}"
    else:
        names = dict(WEEKDAY_CHOICES)
        days = [names[d] for d in sorted(rule.weekdays or [])]
        if days == [names[d] for d in range(5)]:
            listed = "weekday"
        elif len(days) > 1:
            listed = ", ".join(days[:-1]) + " and " + days[-1]
        else:
            listed = days[0] if days else "—"
        text = f"Every {listed} at {at}"
    if rule.until:
        text += f", until {rule.until:%-d %B %Y}"
    if rule.count:
        text += f", {rule.count} time{'s' if rule.count != 1 else ''}"
    return text


def _default_policy(context: template.Context, user_id: int) -> str:
    request: Any = context.get("request")
    cached = getattr(request, "_planning_late_default", None) if request is not None else None
    if cached is None:
        cached = Profile.objects.filter(user_id=user_id).values_list(
            "late_policy", flat=True).first() or LatePolicy.HOLD
        if request is not None:
            request._planning_late_default = cached
    return str(cached)


@register.inclusion_tag("planning/_late.html", takes_context=True)
def late_note(context: template.Context, post: Post, compact: bool = False) -> dict[str, Any]:
    """"If this is late: ..." for a post that has not gone out yet, with a way to change it."""
    pending = any(d.state in PENDING for d in post.deliveries.all())
    default = _default_policy(context, post.user_id)
    return {
        "post": post,
        "show": pending,
        "policy": post.late_policy or default,
        "is_default": not post.late_policy,
        "default": default,
        "compact": compact,
        "here": context.get("here", ""),
        "csrf_token": context.get("csrf_token"),
    }
