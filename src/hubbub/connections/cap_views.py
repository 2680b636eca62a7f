"""The person's own monthly read-cost cap for an X account (networks/x/costs.py): a small page
per connection, reached from the Connections page. X bills this hub's app for every post it
reads, so the open X columns of an account pause past the cap; here the owner of the
connection picks the hub's default, a cap of their own in US dollars, or no cap."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect

from hubbub.accounts.web import AuthedRequest, page
from hubbub.connections import services
from hubbub.connections.models import Connection
from hubbub.networks.x import costs

# The networks whose reads are billed and capped: X only (its connector's slug).
CAPPED_NETWORKS = ("x",)
MOST_USD = Decimal("100000")
DEFAULT, OWN, NONE = "default", "own", "none"


def _default_label() -> str:
    cap = costs.default_cap()
    if cap <= 0:
        return "The hub's default: no cap"
    return f"The hub's default: ${cap:,.2f} a month"


class ReadCapForm(forms.Form):
    choice = forms.ChoiceField(label="Monthly cap on X read costs", widget=forms.RadioSelect,
                               choices=())
    amount = forms.CharField(
        label="My own cap, in US dollars a month", required=False, max_length=20,
        help_text="Used when you choose your own cap, e.g. 25 or 7.50.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off",
                                      "size": 10}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice = self.fields["choice"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [(DEFAULT, _default_label()), (OWN, "My own cap (below)"),
                          (NONE, "No cap: never pause my X columns for cost")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("choice") == OWN:  # the amount counts only when it is the choice
            try:
                data["usd"] = parse_usd(str(data.get("amount") or ""))
            except forms.ValidationError as exc:
                self.add_error("amount", exc)
        return data

    def cap(self) -> float | None:
        """What to store: None for the hub's default, 0 for no cap, else the amount."""
        choice = self.cleaned_data["choice"]
        if choice == DEFAULT:
            return None
        if choice == NONE:
            return 0.0
        return float(self.cleaned_data["usd"])


def parse_usd(typed: str) -> Decimal:
    """An amount of US dollars as people type it (25, 7.50, $7.50), more than 0 and at most
    MOST_USD, in cents; a ValidationError saying what to type instead."""
    typed = typed.strip()
    if not typed:
        raise forms.ValidationError("Type your cap in US dollars, like 25 or 7.50, or choose "
                                    "another option.")
    text = typed.removeprefix("US$").removeprefix("$").strip()
    if "," in text:
        raise forms.ValidationError(
            "Write the amount without commas, with a point before the cents (7.50).")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise forms.ValidationError(
            f"“{typed}” is not an amount: type a number of US dollars, like 25 or 7.50."
        ) from None
    if not value.is_finite() or value <= 0:
        raise forms.ValidationError(
            "The cap must be more than $0. To read without a cap, choose “No cap”.")
    if value > MOST_USD:
        raise forms.ValidationError(f"The cap can be at most ${MOST_USD:,.0f} a month.")
    if value != value.quantize(Decimal("0.01")):
        raise forms.ValidationError("Give at most two digits after the point (cents).")
    return value


def _initial(credentials: dict[str, Any]) -> dict[str, str]:
    if costs.CAP_KEY not in credentials:
        return {"choice": DEFAULT}
    cap = costs.cap_of(credentials)
    if cap <= 0:
        return {"choice": NONE}
    return {"choice": OWN, "amount": f"{cap:.2f}"}


def _said(cap: float | None) -> str:
    if cap is None:
        return "Your X columns now use the hub's default cap."
    if cap <= 0:
        return "Your X columns now read without a cap."
    return f"Your cap is now ${cap:,.2f} a month."


def read_cap(request: AuthedRequest, pk: int) -> HttpResponse:
    connection: Connection = get_object_or_404(
        services.active_connections(request.user), pk=pk, network__in=CAPPED_NETWORKS)
    credentials = connection.credentials
    if request.method == "POST":
        form = ReadCapForm(request.POST)
        if form.is_valid():
            cap = form.cap()
            try:
                costs.set_monthly_cap(connection, cap)
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{connection.handle}: {_said(cap)}")
                return redirect("connections:list")
        status = 400
    else:
        form = ReadCapForm(initial=_initial(credentials))
        status = 200
    estimate = costs.estimate(connection.pk, credentials)
    response = page(request, "connections/read_cap.html", {
        "connection": connection, "form": form,
        "notes": estimate.sentences(costs.CAP_KEY in credentials),
    }, section="connections")
    response.status_code = status
    return response
