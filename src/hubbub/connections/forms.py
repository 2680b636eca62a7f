from __future__ import annotations

from typing import Any

from django import forms

from hubbub.connections.network_apps import (
    CLIENT_ID_MAX,
    CLIENT_SECRET_MAX,
    OperatorAppSpec,
    value_problem,
)
from hubbub.networks.base import CredentialField


class ServerForm(forms.Form):
    """Where the account lives. The connector normalises what people type."""

    server = forms.CharField(
        label="Your server",
        max_length=300,
        help_text="The address of the server your account is on, as in the part after the "
        "second @ of your handle.",
        widget=forms.TextInput(
            attrs={
                "placeholder": "example.social",
                "autofocus": True,
                "autocapitalize": "none",
                "autocorrect": "off",
                "spellcheck": "false",
                "inputmode": "url",
            }
        ),
    )


class CredentialsForm(forms.Form):
    """The connect form for networks without a browser sign-in (an app password, a key),
    built from the connector's credential fields."""

    def __init__(self, fields: tuple[CredentialField, ...], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.credential_fields = fields
        for spec in fields:
            attrs = {"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"}
            if spec.placeholder:
                attrs["placeholder"] = spec.placeholder
            widget: forms.Widget
            if spec.kind == "secret":
                widget = forms.PasswordInput(attrs={**attrs, "autocomplete": "off"})
            elif spec.kind == "lines":
                widget = forms.Textarea(attrs={**attrs, "rows": 3})
            else:
                widget = forms.TextInput(attrs={**attrs, "inputmode": "url"}
                                         if spec.kind == "url" else attrs)
            # A secret that may be left empty on purpose (the CLI's --generate, say) is
            # optional here: leaving the box empty is how a person asks for that.
            optional_secret = bool(spec.empty_flag)
            self.fields[spec.name] = forms.CharField(
                label=spec.label, required=spec.required and not optional_secret,
                help_text="Leave it empty to have one made for you." if optional_secret
                else spec.help,
                widget=widget, max_length=4000, strip=True,
            )

    def connect_arguments(self) -> tuple[str, dict[str, Any]]:
        """(base_url, credentials) for Connector.connect_with_token."""
        base_url = ""
        credentials: dict[str, Any] = {}
        for spec in self.credential_fields:
            value = self.cleaned_data.get(spec.name) or ""
            if spec.name == "base_url":
                base_url = value
            elif spec.kind == "lines":
                credentials[spec.name] = [line.strip() for line in value.splitlines()
                                          if line.strip()]
            else:
                credentials[spec.name] = value
        return base_url, credentials


class AppForm(forms.Form):
    """The owner's form for one network's app: its id, and its secret, which is write-only
    (never rendered back; left empty, the stored one is kept). Each network's form carries its
    slug as prefix, so several live on one page with distinct field ids."""

    def __init__(self, spec: OperatorAppSpec, secret_stored: bool, *args: Any,
                 **kwargs: Any) -> None:
        kwargs["prefix"] = spec.slug
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.secret_stored = secret_stored
        plain = {"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false",
                 "autocomplete": "off"}
        self.fields["client_id"] = forms.CharField(
            label=spec.id_label, max_length=CLIENT_ID_MAX, strip=True,
            widget=forms.TextInput(attrs=plain),
        )
        self.fields["client_secret"] = forms.CharField(
            label=spec.secret_label, max_length=CLIENT_SECRET_MAX, strip=True,
            required=not secret_stored,
            help_text="Leave it empty to keep the stored one." if secret_stored else "",
            # render_value=False: whatever was typed never comes back in the page, not even
            # after an error elsewhere in the form.
            widget=forms.PasswordInput(attrs={**plain, "autocomplete": "new-password"},
                                       render_value=False),
        )

    def clean_client_id(self) -> str:
        value: str = self.cleaned_data["client_id"]
        problem = value_problem(self.spec.id_label, value, CLIENT_ID_MAX)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_client_secret(self) -> str | None:
        value: str = self.cleaned_data.get("client_secret") or ""
        if not value:
            return None  # keep the stored secret (required=True already refused "none stored")
        problem = value_problem(self.spec.secret_label, value, CLIENT_SECRET_MAX)
        if problem:
            raise forms.ValidationError(problem)
        return value
