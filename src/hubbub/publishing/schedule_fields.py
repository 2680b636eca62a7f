"""The date and time a person schedules at, in their own zone: the fields the composer, the
edit page and the calendar share, with daylight-saving folds and gaps handled in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from hubbub.core import localtime
from hubbub.core.localtime import to_utc

PAST_GRACE = timedelta(minutes=1)


def _parse_day(value: object) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _parse_time(value: object) -> time | None:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value)[:5]) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class FoldOption:
    value: str  # "0": the first of the two instants, "1": the second
    label: str  # "02:30 CEST (UTC+02:00), the first"
    checked: bool


class ScheduleFields(forms.Form):
    """A date and a time in the person's zone. A time the clocks skip is refused; a time they
    show twice needs the person to say which of the two they mean (schedule_fold, for that
    exact date and time: schedule_fold_for), and the form offers both until they do."""

    schedule_date = forms.DateField(
        required=False,
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    schedule_time = forms.TimeField(
        required=False, label="Time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    schedule_fold = forms.ChoiceField(required=False, choices=[("0", "the first"),
                                                               ("1", "the second")])
    schedule_fold_for = forms.CharField(required=False, max_length=20)

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        source = self.data if self.is_bound else self.initial
        day, at = _parse_day(source.get("schedule_date")), _parse_time(source.get("schedule_time"))
        self.ambiguity = localtime.ambiguity(day, at, zone) if day and at else None
        if self.ambiguity and not self.is_bound and "schedule_fold" not in self.initial \
                and at is not None:
            # Opened on a saved time: the reading it has now is the one chosen.
            self.initial = {**self.initial, "schedule_fold": str(at.fold),
                            "schedule_fold_for": self.ambiguity.stamp}

    def fold_choice(self) -> int | None:
        """The reading picked for the date and time shown (FIRST/SECOND), None if none was
        picked for exactly that date and time."""
        found = self.ambiguity
        if found is None:
            return None
        source = self.data if self.is_bound else self.initial
        picked = str(source.get("schedule_fold") or "")
        if picked not in ("0", "1") or str(source.get("schedule_fold_for") or "") != found.stamp:
            return None
        return int(picked)

    def fold_options(self) -> list[FoldOption]:
        if self.ambiguity is None:
            return []
        chosen = self.fold_choice()
        return [FoldOption(value, label, chosen is not None and str(chosen) == value)
                for value, label in self.ambiguity.choices]

    def _fold(self) -> int:
        return self.fold_choice() or localtime.FIRST

    def scheduled_for(self, *, required: bool) -> datetime | None:
        day = self.cleaned_data.get("schedule_date")
        at = self.cleaned_data.get("schedule_time")
        if day is None or at is None:
            if required or day is not None or at is not None:
                self.add_error(
                    "schedule_date" if day is None else "schedule_time",
                    "Give both a date and a time to schedule.",
                )
            return None
        if required and self.ambiguity is not None and self.fold_choice() is None:
            # Never guessed when the person schedules: they say which of the two they mean.
            self.add_error("schedule_time", ValidationError(
                f"{self.ambiguity.text} Pick which of the two you mean.", code="dst_fold"))
            return None
        try:
            when = to_utc(day, at, self.zone, fold=self._fold())
        except ValidationError as exc:
            self.add_error("schedule_time", exc)
            return None
        if when < timezone.now() - PAST_GRACE:
            now = timezone.now().astimezone(ZoneInfo(self.zone))
            self.add_error(
                "schedule_time",
                f"That time has passed (it is {now:%d %b, %H:%M} in {self.zone} now).",
            )
            return None
        return when
