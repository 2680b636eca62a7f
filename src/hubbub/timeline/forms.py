from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.connections.services import active_connections
from hubbub.core.ids import IdMultipleChoiceField
from hubbub.listening.handles import NETWORK_NAMES, fits_network, network_refusal, shown
from hubbub.listening.text import author_key
from hubbub.timeline.feedkinds import (
    KINDS,
    SEARCH_MAX,
    available_kinds,
    clean_param,
    unavailable_reasons,
)
from hubbub.timeline.models import ColumnWidth


class DeckNameForm(forms.Form):
    name = forms.CharField(max_length=100, label="Deck name",
                           widget=forms.TextInput(attrs={"placeholder": "e.g. Work"}))


class AddColumnForm(forms.Form):
    connections = IdMultipleChoiceField(
        queryset=Connection.objects.none(), widget=forms.CheckboxSelectMultiple,
        label="Accounts",
        error_messages={"required": "Pick at least one account."},
    )
    kind = forms.ChoiceField(
        choices=[(k.slug, k.label) for k in KINDS.values()], widget=forms.RadioSelect,
        label="Show", initial="home",
    )
    param = forms.CharField(
        required=False, max_length=200, label="Hashtag, search, list or person",
        widget=forms.TextInput(attrs={"aria-describedby": "param-hint param-errors"}))
    title = forms.CharField(required=False, max_length=100, label="Title",
                            widget=forms.TextInput(attrs={"placeholder": "Optional"}))
    width = forms.ChoiceField(choices=ColumnWidth.choices, initial=ColumnWidth.NORMAL,
                              widget=forms.RadioSelect, label="Width")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["connections"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = active_connections(user).order_by("network", "handle")
        self.kinds_by_connection = {c.pk: available_kinds(c) for c in field.queryset}
        self.reasons_by_connection = {c.pk: unavailable_reasons(c) for c in field.queryset}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        connections = cleaned.get("connections") or []
        if not kind:
            return cleaned
        spec = KINDS[kind]
        typed = cleaned.get("param") or ""
        param = clean_param(kind, typed)
        cleaned["param"] = param if spec.param_label else ""
        if spec.param_label:
            refusal = _control_refusal(typed) or next(filter(None, (
                _not_an_account(network, param) if kind == "author"
                else param_refusal(network, kind, param, typed=typed)
                for network in dict.fromkeys(c.network for c in connections))), "")
            if not refusal and not param:
                refusal = f"{spec.label} columns need {spec.param_label.lower()}."
            if refusal:
                self.add_error("param", refusal)
        unable = [c for c in connections if kind not in self.kinds_by_connection[c.pk]]
        if unable:
            reasons = (self.reasons_by_connection[c.pk].get(kind, "") for c in unable)
            why = "; ".join(dict.fromkeys(r for r in reasons if r))
            self.add_error(
                "kind",
                f"{', '.join(c.handle for c in unable)} cannot show {spec.label.lower()} "
                f"columns{f' ({why})' if why else ''}.",
            )
        if kind == "list" and param and not self.errors:
            for connection in connections:
                refusal = _list_not_found(connection, param)
                if refusal:
                    self.add_error("param", refusal)
                    break
        return cleaned


def _not_an_account(network: str, handle: str) -> str:
    """Why `handle` can be no account of `network` (a Person column reads one account's posts:
    "Ana Lima" on Mastodon would only fail at its first read), "" when it may be one. A bare
    name on Mastodon is an account of the connection's own server."""
    key = author_key(handle)
    if fits_network(network, key) or (network == "mastodon" and _LOCAL_NAME.fullmatch(key)):
        return ""
    return network_refusal(network, handle)


_LOCAL_NAME = re.compile(r"[\w.-]{1,64}")


# --- what a column's parameter may be, per network ---------------------------------------------
# Hashtags: Bluesky's lexicon caps a tag at 64 graphemes and 640 bytes (app.bsky.richtext.facet,
# app.bsky.feed.post `tags`); Mastodon and Nostr state none, and no tag people follow is longer.
HASHTAG_MAX = {"bluesky": 64}
HASHTAG_MAX_DEFAULT = 100
# A Mastodon id is a 64-bit integer (at most 19 digits); a list's title is its name.
_MASTODON_ID = re.compile(r"\d{1,19}")
MASTODON_LIST_TITLE_MAX = 100
# A `d` identifier or title of a Nostr follow set, as the connector looks it up among the
# account's own sets (nostr/columns.py keeps a title to 100 characters).
NOSTR_LIST_NAME_MAX = 100
_NOSTR_COORDINATE = re.compile(r"\d+:[0-9a-f]{64}:.*")
_NOSTR_NOT_LISTS = {
    "npub": "a person's key (npub), not a list",
    "nprofile": "a person (nprofile), not a list",
    "nsec": "a secret key, not a list (never paste a secret key anywhere but the hub's own "
            "sign-in: the hub has not kept it)",
    "note": "a note, not a list",
    "nevent": "a note or other event (nevent), not a list",
}
NOSTR_LISTS = ("one of this account's follow sets (NIP-51, kind 30000) by its name, or any "
               "follow set or follow pack (kind 39089) by its naddr (naddr1…)")


def param_refusal(network: str, kind: str, param: str, *, typed: str = "") -> str:
    """Why `param` (as clean_param gives it; `typed` as it was typed) can name no `kind`
    column on `network`, saying what it accepts; "" when it may. Nothing here asks a network:
    whether a list exists is `_list_not_found`."""
    name = NETWORK_NAMES.get(network, network.capitalize())
    if kind == "search":
        if len(param) > SEARCH_MAX:
            return (f"A search is at most {SEARCH_MAX} characters (this one has {len(param)}): "
                    "keep the words that matter.")
        return ""
    if kind == "hashtag":
        return _hashtag_refusal(network, name, param, typed)
    if kind == "list":
        if network == "mastodon":
            return _mastodon_list_refusal(param)
        if network == "nostr":
            return _nostr_list_refusal(param)
        if network == "bluesky":
            return _bluesky_refusal(param, "list")
        return ""
    if kind == "feed" and network == "bluesky":
        return _bluesky_refusal(param, "feed")
    return ""


def _control_refusal(typed: str) -> str:
    """A control character (other than the spaces, tabs and line ends a paste may bring, which
    count as one space) or a lone surrogate: no network matches on them."""
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in " \t\n\r" for ch in typed):
        return (f"“{shown(typed)}” holds a control character (such as an escape or a bell), "
                "which no post can carry: type letters, digits and punctuation only.")
    return ""


def _hashtag_refusal(network: str, name: str, tag: str, typed: str) -> str:
    example = "such as photography"
    if not tag:
        if typed.strip():
            return f"“{shown(typed)}” is not a hashtag: give the tag without the #, {example}."
        return ""
    if " " in tag or "#" in tag:
        return (f"“{shown(typed)}” is not one hashtag: give one tag without spaces or #, "
                f"{example} (a column for several words is a search).")
    most = HASHTAG_MAX.get(network, HASHTAG_MAX_DEFAULT)
    if len(tag) > most or len(tag.encode()) > 10 * most:
        return (f"“{shown(tag)}” is too long for a {name} hashtag: at most {most} characters "
                f"(it has {len(tag)}).")
    if network == "mastodon" and not _mastodon_tag(tag):
        return (f"“{shown(tag)}” is not a Mastodon hashtag: a tag is letters, digits and _, "
                f"not digits alone, {example} or photo_of_the_day.")
    if network == "bluesky" and tag.isdigit():
        return f"“{shown(tag)}” is not a Bluesky hashtag: a tag is not digits alone, {example}."
    return ""


def _mastodon_tag(tag: str) -> bool:
    """Mastodon's tag: letters (with their marks), digits, _ (and · or a zero-width non-joiner
    inside), not only digits, as its HASHTAG_NAME_RE; "#foo-bar" is the tag "foo" then "-bar"."""
    return not tag.isdigit() and all(
        ch.isalnum() or ch in "_\u00b7\u200c" or unicodedata.category(ch).startswith("M")
        for ch in tag)


def _mastodon_list_refusal(value: str) -> str:
    if value.isascii() and value.isdigit() and not _MASTODON_ID.fullmatch(value):
        return (f"“{shown(value)}” is not a Mastodon list id (an id is at most 19 digits): give "
                "one of this account's lists by its name, or its id from the list's address "
                "(…/lists/<id>).")
    if len(value) > MASTODON_LIST_TITLE_MAX:
        return (f"“{shown(value)}” is not one of this account's Mastodon lists: a list's name "
                f"is at most {MASTODON_LIST_TITLE_MAX} characters.")
    return ""


def _nostr_list_refusal(value: str) -> str:
    from hubbub.networks.nostr import keys
    from hubbub.networks.nostr.columns import LIST_KINDS

    bare = value.strip()
    lowered = bare.lower().removeprefix("nostr:")
    if lowered.startswith("naddr1"):
        try:
            address = keys.decode_naddr(bare)
        except keys.InvalidKey:
            return (f"“{shown(bare)}” is not a valid naddr: a character is wrong or missing. "
                    f"Give {NOSTR_LISTS}.")
        if address.kind not in LIST_KINDS:
            return (f"That naddr names an event of kind {address.kind}, which is not a list of "
                    f"people the hub can read: give {NOSTR_LISTS}.")
        return ""
    for prefix, what in _NOSTR_NOT_LISTS.items():
        if lowered.startswith(prefix + "1"):
            shown_value = "That key" if prefix == "nsec" else f"“{shown(bare)}”"
            person = (" For one person's posts, add a Person column."
                      if prefix in ("npub", "nprofile") else "")
            return f"{shown_value} names {what}: give {NOSTR_LISTS}.{person}"
    if keys.is_hex32(lowered):
        return (f"“{shown(bare)}” is a 64-character hex key or id, not a list: give "
                f"{NOSTR_LISTS}.")
    if _NOSTR_COORDINATE.fullmatch(lowered):
        return (f"“{shown(bare)}” is a list's coordinate (kind:key:name), which the hub does "
                f"not read: give {NOSTR_LISTS}.")
    if len(bare) > NOSTR_LIST_NAME_MAX:
        return (f"“{shown(bare)}” is too long for a list's name (at most "
                f"{NOSTR_LIST_NAME_MAX} characters): give {NOSTR_LISTS}.")
    return ""


def _bluesky_refusal(value: str, kind: str) -> str:
    from hubbub.networks.bluesky.feeds import feed_reference, list_reference
    from hubbub.networks.errors import Rejected

    try:
        (list_reference if kind == "list" else feed_reference)(value)
    except Rejected as exc:
        return exc.message.replace(f"“{value.strip()[:200]}”", f"“{shown(value)}”")
    return ""


def _list_not_found(connection: Connection, value: str) -> str:
    """Why the account has no list `value`, asked of its network as the column's first read
    would (Mastodon's lists, a Nostr follow set on its relays); "" when it has, or when its
    network names lists by address only (Bluesky: the shape was checked)."""
    if connection.network not in ("mastodon", "nostr"):
        return ""
    from hubbub.networks.errors import ConnectorError, NotFound, Rejected
    from hubbub.networks.registry import UnknownNetwork, get_connector
    from hubbub.timeline.polling import fetch_page

    name = NETWORK_NAMES[connection.network]
    try:
        fetch_page(get_connector(connection.network), connection, f"list:{value}", None)
    except (UnknownNetwork, ImportError, NotImplementedError):
        return ""
    except NotFound:
        return (f"{name}: {connection.handle} has no list “{shown(value)}”: give one of its "
                "lists by its name, or its id from the list's address (…/lists/<id>).")
    except Rejected as exc:
        said = exc.message.rstrip()
        return said if said.startswith(f"{name}:") else f"{name}: {said}"
    except ConnectorError as exc:
        return (f"{name}: whether {connection.handle} has the list “{shown(value)}” could not "
                f"be checked just now ({exc.message.rstrip('.')}). Try again in a moment.")
    return ""
