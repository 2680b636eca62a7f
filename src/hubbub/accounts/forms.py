from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from hubbub.accounts.models import LatePolicy
from hubbub.accounts.services import is_valid_zone, zone_names


def zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """IANA zones grouped by region, for a select with optgroups."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for name in sorted(zone_names()):
        region, _, place = name.partition("/")
        if not place:
            region, place = "Other", name
        groups[region].append((name, name.replace("_", " ")))
    return sorted(groups.items())


class OwnerForm(UserCreationForm[User]):
    """The first account. The time zone is filled from the browser by a small script."""

    timezone = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}
        )
        self.fields["password1"].help_text = "At least 10 characters, not a common password."
        self.fields["password2"].help_text = ""

    def clean_timezone(self) -> str:
        value: str = self.cleaned_data.get("timezone") or ""
        return value if is_valid_zone(value) else "UTC"


class LoginForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class PreferencesForm(forms.Form):
    timezone = forms.ChoiceField(
        label="Time zone",
        help_text="Scheduled times are typed and shown in this zone.",
    )
    late_policy = forms.ChoiceField(
        label="When a scheduled post is late",
        choices=LatePolicy.choices,
        widget=forms.RadioSelect,
        help_text=(
            "If the hub was off or an account was unreachable when a post was due, "
            "hold it for you to decide, or send it anyway."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["timezone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = zone_choices()


class AltTextForm(forms.Form):
    """Settings: whether images need a description before a post can be sent."""

    require_alt_text = forms.BooleanField(
        required=False,
        label="Require alt text on images",
        help_text=(
            "A post with an image that has no description cannot be sent. Turn this off to "
            "allow images without one (people using screen readers will miss them)."
        ),
    )
