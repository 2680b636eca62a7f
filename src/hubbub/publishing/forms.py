from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.forms import BoundField
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.connections.services import active_connections
from hubbub.core.localtime import to_utc as to_utc  # moved there; still importable here
from hubbub.networks.base import Draft, MediaFile
from hubbub.publishing import stash
from hubbub.publishing.services import NewMedia
from hubbub.timeline.models import Item
from hubbub.timeline.services import reaction_target

MAX_IMAGES = 4
SLOTS = range(1, MAX_IMAGES + 1)
PAST_GRACE = timedelta(minutes=1)


def parse_meta(value: str) -> tuple[str, int, int, int] | None:
    """The compose script's description of a picked file: type;size;width;height."""
    parts = value.split(";")
    if len(parts) != 4 or not parts[0]:
        return None
    try:
        return parts[0][:100], int(parts[1]), int(parts[2]), int(parts[3])
    except ValueError:
        return None


class ScheduleFields(forms.Form):
    schedule_date = forms.DateField(
        required=False,
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    schedule_time = forms.TimeField(
        required=False, label="Time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

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
        try:
            # A time the clocks show twice means the first, unless the form sent the second.
            when = to_utc(day, at, self.zone, fold=1 if self.data.get("schedule_fold") == "1"
                          else 0)
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


@dataclass(frozen=True)
class Slot:
    index: int
    image: BoundField
    alt: BoundField
    stashed: stash.Stashed | None
    meta: str


class ComposeForm(ScheduleFields):
    text = forms.CharField(
        required=False,
        label="Post",
        widget=forms.Textarea(
            attrs={"rows": 7, "placeholder": "What do you want to say?", "autofocus": True}
        ),
    )
    content_warning = forms.CharField(
        required=False,
        max_length=1500,
        label="Content warning",
        widget=forms.TextInput(attrs={"placeholder": "Shown before the post, e.g. spoilers"}),
    )
    targets = forms.ModelMultipleChoiceField(
        queryset=Connection.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    action = forms.ChoiceField(
        choices=[("now", "Post now"), ("schedule", "Schedule")], required=False
    )
    # A reply from the deck: the hub's id of the timeline item answered.
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, zone=zone, **kwargs)
        self.user = user
        targets = self.fields["targets"]
        assert isinstance(targets, forms.ModelMultipleChoiceField)
        targets.queryset = active_connections(user)
        raw = self.data.get("reply_to") if self.is_bound else self.initial.get("reply_to")
        self.reply_item = find_item(user, raw)
        for i in SLOTS:
            self.fields[f"image_{i}"] = forms.FileField(
                required=False,
                label=f"Image {i}",
                widget=forms.FileInput(attrs={"accept": "image/*", "data-slot": i}),
            )
            self.fields[f"alt_{i}"] = forms.CharField(
                required=False,
                label="Alt text",
                widget=forms.Textarea(
                    attrs={"rows": 2, "placeholder": "Describe the image for people who "
                           "cannot see it"}
                ),
            )
        self.stashed: dict[int, stash.Stashed] = {}
        if self.is_bound:
            for i in SLOTS:
                token = str(self.data.get(f"keep_{i}", ""))
                if token and not self.data.get(f"drop_{i}"):
                    found = stash.load(int(user.pk), token)
                    if found is not None:
                        self.stashed[i] = found

    # --- reading ---------------------------------------------------------------------------------

    @property
    def selected_ids(self) -> set[int]:
        if self.is_bound:
            getlist = getattr(self.data, "getlist", None)
            raw = getlist("targets") if getlist else self.data.get("targets", [])
        else:
            raw = self.initial.get("targets", [])
        ids = set()
        for value in raw:
            try:
                ids.add(int(getattr(value, "pk", value)))
            except (TypeError, ValueError):
                continue
        return ids

    def slots(self) -> list[Slot]:
        result = []
        for i in SLOTS:
            found = self.stashed.get(i)
            meta = found.meta if found else str(self.data.get(f"meta_{i}", "")) if self.is_bound \
                else ""
            result.append(Slot(i, self[f"image_{i}"], self[f"alt_{i}"], found, meta))
        return result

    def wants_schedule(self) -> bool:
        return self.data.get("action") == "schedule"

    def clean_reply_to(self) -> int | None:
        value: int | None = self.cleaned_data.get("reply_to")
        if value is not None and self.reply_item is None:
            raise ValidationError("The post you are replying to is not in your hub any more.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["scheduled_for"] = self.scheduled_for(required=self.wants_schedule())
        if not self.wants_schedule():
            cleaned["scheduled_for"] = None
        item = self.reply_item
        targets = cleaned.get("targets")
        if item is not None and targets is not None and {t.pk for t in targets} != {
            item.connection_id
        }:
            self.add_error(None, f"A reply goes out from {item.connection.handle} only, on "
                                 "the network the post came from.")
        return cleaned

    def reply_targets(self) -> dict[int, str]:
        """For create_post(reply_to=...): the connection that saw the post -> its remote id."""
        item = self.reply_item
        if item is None:
            return {}
        return {item.connection_id: reaction_target(item)}

    def new_media(self) -> list[NewMedia]:
        media = []
        for i in SLOTS:
            upload = self.cleaned_data.get(f"image_{i}")
            alt = self.cleaned_data.get(f"alt_{i}", "")
            if upload is not None:
                media.append(NewMedia(upload=upload, alt_text=alt))
            elif i in self.stashed:
                media.append(NewMedia(upload=self.stashed[i].as_upload(), alt_text=alt))
        return media

    # --- keeping what was typed ------------------------------------------------------------------

    def keep_uploads(self) -> None:
        """Stash newly uploaded images so the re-rendered form still has them."""
        for i in SLOTS:
            upload = self.files.get(f"image_{i}") if self.files else None
            if upload is None:
                continue
            found = stash.stash(int(self.user.pk), upload)
            if found is None:
                self.add_error(f"image_{i}", f"{upload.name} is not an image we can read.")
            else:
                self.stashed[i] = found

    def discard_stash(self) -> None:
        for found in self.stashed.values():
            stash.discard(int(self.user.pk), found.token)


def find_item(user: User, ref: object) -> Item | None:
    """A timeline item of this person's connections, by the hub's id; None for anything else."""
    try:
        pk = int(str(ref))
    except (TypeError, ValueError):
        return None
    return Item.objects.select_related("connection").filter(
        pk=pk, connection__user=user, connection__disconnected_at__isnull=True
    ).first()


def draft_from_data(data: Any) -> Draft:
    """A draft from the compose form's raw fields, for the live counters (no files needed)."""
    media = []
    for i in SLOTS:
        parsed = parse_meta(str(data.get(f"meta_{i}", "")))
        if parsed is None or data.get(f"drop_{i}"):
            continue
        mime, size, width, height = parsed
        media.append(
            MediaFile(path="", mime_type=mime, size=size, width=width, height=height,
                      alt_text=str(data.get(f"alt_{i}", "")).strip())
        )
    return Draft(
        text=str(data.get("text", "")).strip(),
        content_warning=str(data.get("content_warning", "")).strip(),
        media=tuple(media),
    )


class EditForm(ScheduleFields):
    text = forms.CharField(
        required=False, label="Post", widget=forms.Textarea(attrs={"rows": 7})
    )
    content_warning = forms.CharField(required=False, max_length=1500, label="Content warning")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["scheduled_for"] = self.scheduled_for(required=True)
        return cleaned
