"""What a Mastodon column's parameter may be (the connector's `column_param_refusal`): a hashtag
as Mastodon reads one, and a list by its id or its title (lists.py looks a title up).

Beyond these, the rules of every network stand (networks/column_params.py)."""

from __future__ import annotations

import re
import unicodedata

from hubbub.networks import column_params
from hubbub.networks.base import Connector
from hubbub.networks.column_params import HASHTAG_EXAMPLE, shown

# A Mastodon id is a 64-bit integer (at most 19 digits); a list's title is its name.
_ID = re.compile(r"\d{1,19}")
LIST_TITLE_MAX = 100


def column_param_refusal(connector: Connector, kind: str, param: str, *,
                         typed: str = "") -> str:
    said = column_params.refusal(connector.name, kind, param, typed=typed)
    if said:
        return said
    if kind == "hashtag" and not is_tag(param):
        return (f"“{shown(param)}” is not a Mastodon hashtag: a tag is letters, digits and _, "
                f"not digits alone, {HASHTAG_EXAMPLE} or photo_of_the_day.")
    if kind == "list":
        return list_refusal(param)
    return ""


def is_tag(tag: str) -> bool:
    """Mastodon's tag: letters (with their marks), digits, _ (and · or a zero-width non-joiner
    inside), not only digits, as its HASHTAG_NAME_RE; "#foo-bar" is the tag "foo" then "-bar"."""
    return not tag.isdigit() and all(
        ch.isalnum() or ch in "_\u00b7\u200c" or unicodedata.category(ch).startswith("M")
        for ch in tag)


def list_refusal(value: str) -> str:
    if value.isascii() and value.isdigit() and not _ID.fullmatch(value):
        return (f"“{shown(value)}” is not a Mastodon list id (an id is at most 19 digits): give "
                "one of this account's lists by its name, or its id from the list's address "
                "(…/lists/<id>).")
    if len(value) > LIST_TITLE_MAX:
        return (f"“{shown(value)}” is not one of this account's Mastodon lists: a list's name "
                f"is at most {LIST_TITLE_MAX} characters.")
    return ""
