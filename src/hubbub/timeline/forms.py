from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.connections.services import active_connections
from hubbub.core.ids import IdMultipleChoiceField
from hubbub.listening.handles import fits_network, network_refusal
from hubbub.listening.text import author_key
from hubbub.timeline.feedkinds import KINDS, available_kinds, clean_param, unavailable_reasons
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
    param = forms.CharField(required=False, max_length=200, label="Hashtag, search, list or person")
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
        param = clean_param(kind, cleaned.get("param", ""))
        if spec.param_label and not param:
            self.add_error("param", f"{spec.label} columns need {spec.param_label.lower()}.")
        cleaned["param"] = param if spec.param_label else ""
        if kind == "author" and param:
            for connection in connections:
                refusal = _not_an_account(connection.network, param)
                if refusal:
                    self.add_error("param", refusal)
                    break
        unable = [c for c in connections if kind not in self.kinds_by_connection[c.pk]]
        if unable:
            reasons = (self.reasons_by_connection[c.pk].get(kind, "") for c in unable)
            why = "; ".join(dict.fromkeys(r for r in reasons if r))
            self.add_error(
                "kind",
                f"{', '.join(c.handle for c in unable)} cannot show {spec.label.lower()} "
                f"columns{f' ({why})' if why else ''}.",
            )
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
