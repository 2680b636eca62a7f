"""For publishing/_post_options.html: each Mastodon account's posting defaults, and what one
account's posts will show as (the post's visibility, or the account's own default)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from hubbub.connections.models import Connection
from hubbub.publishing.models import Visibility
from hubbub.publishing.post_options import DIRECT_WARNING, AccountDefaults, account_defaults

register = template.Library()


@register.simple_tag
def posting_defaults(connections: Iterable[Connection]) -> list[AccountDefaults]:
    return account_defaults(connections)


@register.simple_tag
def account_visibilities() -> list[tuple[str, str]]:
    """What one Mastodon account's own choice can be, after "as the post says" ("")."""
    return [(str(value), str(label)) for value, label in Visibility.choices if value]


@register.simple_tag
def direct_warning() -> str:
    return DIRECT_WARNING


@register.filter
def goes_as(defaults: AccountDefaults, chosen: object) -> str:
    """"Followers only" for a post set so; "Unlisted (its default)" when the post leaves it to
    the account."""
    value = str(chosen or "")
    if value in Visibility.values and value:
        return str(Visibility(value).label)
    if defaults.visibility:
        return f"{Visibility(defaults.visibility).label} (its default)"
    return "Its server's default"
