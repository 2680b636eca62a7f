"""The People pages' forms. What the forms cannot check (a taken account) the services say."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User

from hubbub.core.ids import IdChoiceField
from hubbub.networks.registry import network_choices
from hubbub.people.models import Person


class PersonForm(forms.Form):
    name = forms.CharField(max_length=200, label="Name")
    note = forms.CharField(
        max_length=5000, required=False, label="Note (for you)",
        widget=forms.Textarea(attrs={"rows": 3}))


class AccountForm(forms.Form):
    network = forms.ChoiceField(label="Network")
    handle = forms.CharField(
        max_length=300, label="Handle, DID or npub",
        help_text="As the network shows it: ana@social.example, ana.bsky.social, did:plc:…, "
                  "npub1…")
    profile_url = forms.CharField(max_length=1000, required=False,
                                  label="Profile address (optional)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["network"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = network_choices()


class FromItemForm(forms.Form):
    """An item's author into an existing person, or a new one."""

    person = IdChoiceField(queryset=Person.objects.none(), required=False,
                           label="Add to", empty_label="A new person")
    name = forms.CharField(max_length=200, required=False, label="New person's name")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, IdChoiceField)
        field.queryset = Person.objects.filter(user=user)
