from __future__ import annotations

import logging
import re
from typing import Any

from django import forms
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.connections.services import active_connections
from hubbub.core.ids import IdMultipleChoiceField
from hubbub.listening.handles import NETWORK_NAMES, fits_network, network_refusal, shown
from hubbub.listening.text import author_key
from hubbub.networks import column_params
from hubbub.networks.base import Page
from hubbub.networks.registry import UnknownNetwork, get_connector
from hubbub.timeline.feedkinds import (
    KINDS,
    available_kinds,
    clean_param,
    feed_key,
    unavailable_reasons,
)
from hubbub.timeline.models import ColumnWidth

log = logging.getLogger(__name__)


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
        # A list's first page per account, read by the check that it exists (clean):
        # keep_first_pages stores it once the column is made.
        self.first_pages: list[tuple[Connection, Page]] = []

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
            refusal = column_params.control_refusal(typed) or next(filter(None, (
                _not_an_account(network, param) if kind == "author"
                else param_refusal(network, kind, param, typed=typed)
                for network in dict.fromkeys(c.network for c in connections))), "")
            if not refusal and not param:
                refusal = f"Fill in “{spec.param_label}” for a {spec.label.lower()} column."
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
            read: list[tuple[Connection, Page]] = []
            for connection in connections:
                refusal, page = _read_list(connection, param)
                if refusal:
                    self.add_error("param", refusal)
                    break
                if page is not None:
                    read.append((connection, page))
            else:
                self.first_pages = read
        return cleaned

    def keep_first_pages(self) -> None:
        """Once the column is made: the pages the list check read, stored as its feeds' first
        polls (nothing is stored for a column that was refused or could not be made)."""
        if self.first_pages:
            _keep_list_pages(self.first_pages, self.cleaned_data["param"])
            self.first_pages = []


def _not_an_account(network: str, handle: str) -> str:
    """Why `handle` can be no account of `network` (a Person column reads one account's posts:
    "Ana Lima" on Mastodon would only fail at its first read), "" when it may be one. A bare
    name on Mastodon is an account of the connection's own server."""
    key = author_key(handle)
    if fits_network(network, key) or (network == "mastodon" and _LOCAL_NAME.fullmatch(key)):
        return ""
    return network_refusal(network, handle)


_LOCAL_NAME = re.compile(r"[\w.-]{1,64}")


# --- what a column's parameter may be: each connector's rules ----------------------------------


def param_refusal(network: str, kind: str, param: str, *, typed: str = "") -> str:
    """Why `param` (as clean_param gives it; `typed` as it was typed) can name no `kind`
    column on `network`, saying what it accepts; "" when it may. The network's connector says
    (Connector.column_param_refusal); nothing here asks a network: whether a list exists is
    `_read_list`."""
    try:
        connector = get_connector(network)
    except (UnknownNetwork, ImportError):
        return column_params.refusal(NETWORK_NAMES.get(network, network.capitalize()), kind,
                                     param, typed=typed)
    return connector.column_param_refusal(kind, param, typed=typed)


def _read_list(connection: Connection, value: str) -> tuple[str, Page | None]:
    """Why the account has no list `value`, asked of its network as the column's first read
    would (Mastodon's lists, a Nostr follow set on its relays), and the page that read gave
    (`keep_first_page` stores it, so the column's first poll is not the same read again);
    ("", None) when its network names lists by address only (Bluesky: the shape was
    checked)."""
    if connection.network not in ("mastodon", "nostr"):
        return "", None
    from hubbub.networks.errors import ConnectorError, NotFound, Rejected
    from hubbub.timeline.polling import fetch_page

    name = NETWORK_NAMES[connection.network]
    try:
        page = fetch_page(get_connector(connection.network), connection,
                          feed_key(connection, "list", value), None)
    except (UnknownNetwork, ImportError, NotImplementedError):
        return "", None
    except NotFound:
        return (f"{name}: {connection.handle} has no list “{shown(value)}”: give one of its "
                "lists by its name, or its id from the list's address (…/lists/<id>)."), None
    except Rejected as exc:
        said = exc.message.rstrip()
        return (said if said.startswith(f"{name}:") else f"{name}: {said}"), None
    except ConnectorError as exc:
        return (f"{name}: whether {connection.handle} has the list “{shown(value)}” could not "
                f"be checked just now ({exc.message.rstrip('.')}). Try again in a moment."), None
    return "", page


def _keep_list_pages(read: list[tuple[Connection, Page]], value: str) -> None:
    """The pages the list check read, stored as the new column's first polls. A failure here
    costs only that: the column's first poll reads the list again."""
    from hubbub.timeline.polling import keep_first_page

    for connection, page in read:
        try:
            keep_first_page(connection, feed_key(connection, "list", value), page)
        except Exception:
            log.exception("keeping the first page of list %r of %s failed", value, connection)
