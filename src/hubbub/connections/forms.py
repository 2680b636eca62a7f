from __future__ import annotations

from django import forms


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
