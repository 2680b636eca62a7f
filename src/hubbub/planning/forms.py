"""Forms for queues, recurring posts, moving a post and its late-post choice. Thin: the services
check what matters (DST, ownership, each network's limits)."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from hubbub.accounts.forms import zone_choices
from hubbub.connections.services import active_connections
from hubbub.core import localtime
from hubbub.core.ids import IdMultipleChoiceField
from hubbub.planning.models import WEEKDAY_CHOICES, Frequency
from hubbub.publishing.models import PostLatePolicy

WEEKDAYS_SHORT = [(value, label[:3]) for value, label in WEEKDAY_CHOICES]
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AccountsField(IdMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


def _accounts(form: forms.Form, user: User) -> None:
    field = form.fields["connections"]
    assert isinstance(field, forms.ModelMultipleChoiceField)
    field.queryset = active_connections(user)


class QueueForm(forms.Form):
    name = forms.CharField(max_length=80, initial="Queue",
                           widget=forms.TextInput(attrs={"placeholder": "e.g. Weekday mornings"}))
    timezone = forms.ChoiceField(label="Time zone",
                                 help_text="Slots are wall-clock times in this zone.")
    connections = AccountsField(queryset=None, label="Accounts",
                                error_messages={"required": "Tick at least one account."})

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["timezone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = zone_choices()
        _accounts(self, user)


class SlotForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS_SHORT, coerce=int, widget=forms.CheckboxSelectMultiple, label="Days",
        error_messages={"required": "Pick at least one day."})
    time = forms.TimeField(widget=TIME_INPUT, label="Time")


class QueuePostForm(forms.Form):
    """Write straight into a queue (the composer's "Add to queue" does the same)."""

    text = forms.CharField(widget=forms.Textarea(attrs={
        "rows": 3, "placeholder": "Write a post for the next free slot…"}), label="Post")
    content_warning = forms.CharField(required=False, max_length=1500, label="Content warning")


class ENDS:
    NEVER = "never"
    ON = "on"
    AFTER = "after"


class RecurringForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={
        "rows": 4, "placeholder": "What should go out each time?"}), label="Post")
    content_warning = forms.CharField(required=False, max_length=1500, label="Content warning")
    connections = AccountsField(queryset=None, label="Post to",
                                error_messages={"required": "Tick at least one account."})
    frequency = forms.ChoiceField(choices=Frequency.choices, widget=forms.RadioSelect,
                                  initial=Frequency.WEEKLY, label="Repeat")
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS_SHORT, coerce=int, widget=forms.CheckboxSelectMultiple, required=False,
        label="On")
    time_of_day = forms.TimeField(widget=TIME_INPUT, label="At")
    starts_on = forms.DateField(widget=DATE_INPUT, label="From")
    ends = forms.ChoiceField(choices=[(ENDS.NEVER, "Never"), (ENDS.ON, "On a date"),
                                      (ENDS.AFTER, "After")],
                             widget=forms.RadioSelect, initial=ENDS.NEVER, label="Ends")
    until = forms.DateField(widget=DATE_INPUT, required=False, label="End date")
    count = forms.IntegerField(min_value=1, max_value=1000, required=False, label="Times",
                               widget=forms.NumberInput(attrs={"placeholder": "10"}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _accounts(self, user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        ends = cleaned.get("ends")
        if ends == ENDS.ON and not cleaned.get("until"):
            self.add_error("until", "Give the last day.")
        if ends == ENDS.AFTER and not cleaned.get("count"):
            self.add_error("count", "Say how many times.")
        if ends != ENDS.ON:
            cleaned["until"] = None
        if ends != ENDS.AFTER:
            cleaned["count"] = None
        if cleaned.get("frequency") == Frequency.WEEKLY and not cleaned.get("weekdays"):
            self.add_error("weekdays", "Pick at least one day.")
        return cleaned


class MoveForm(forms.Form):
    """A new local date and time for a post. In a fold (the time happens twice) the first is
    used unless the person picks the second; the choice is offered once it is ambiguous."""

    day = forms.DateField(widget=DATE_INPUT, label="Date")
    at = forms.TimeField(widget=TIME_INPUT, label="Time")
    fold = forms.ChoiceField(required=False, widget=forms.RadioSelect, choices=[],
                             label="Which one")
    # The date and time the choice was shown for: a choice counts only for that time.
    fold_for = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.ambiguity: str = ""
        self.fold_chosen = False
        self.fold_stamp = ""
        day, at = self._raw_date_time()
        field = self.fields["fold"]
        assert isinstance(field, forms.ChoiceField)
        if day is not None and at is not None:
            found = localtime.ambiguity(day, at, zone)
            if found is not None:
                self.ambiguity = found.text
                self.fold_stamp = found.stamp
                field.choices = list(found.choices)

    @staticmethod
    def stamp(day: date, at: time) -> str:
        return localtime.stamp(day, at)

    def _raw_date_time(self) -> tuple[date | None, time | None]:
        source = self.data if self.is_bound else self.initial
        day, at = source.get("day"), source.get("at")
        try:
            parsed_day = day if isinstance(day, date) else (
                date.fromisoformat(str(day)) if day else None)
            parsed_at = at if isinstance(at, time) else (
                time.fromisoformat(str(at)[:5]) if at else None)
        except ValueError:
            return None, None
        return parsed_day, parsed_at

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, at = cleaned.get("day"), cleaned.get("at")
        # A choice made for another date or time (the person changed them) does not count.
        self.fold_chosen = bool(cleaned.get("fold")) and day is not None and at is not None \
            and cleaned.get("fold_for") == self.stamp(day, at)
        cleaned["fold"] = localtime.SECOND if self.fold_chosen and cleaned.get("fold") == "1" \
            else localtime.FIRST
        if day is not None and at is not None:
            try:
                localtime.to_utc(day, at, self.zone, fold=cleaned["fold"])
            except ValidationError as exc:
                self.add_error("at", exc)
        return cleaned


class LatePolicyForm(forms.Form):
    policy = forms.ChoiceField(choices=PostLatePolicy.choices, required=False,
                               widget=forms.RadioSelect)
