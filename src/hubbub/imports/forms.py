from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from hubbub.connections.models import Connection
from hubbub.connections.services import active_connections
from hubbub.core.ids import IdChoiceField, IdMultipleChoiceField, parse_ids
from hubbub.imports.models import FeedMode
from hubbub.imports.posttext import check_template
from hubbub.planning.models import Queue

MAX_ZIP_BYTES = 100 * 1024 * 1024


class CsvUploadForm(forms.Form):
    csv_file = forms.FileField(
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": "Choose the CSV file to import."},
    )
    images = forms.FileField(
        label="Images (zip)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
        help_text="Only needed when rows name images.",
    )

    def clean_images(self) -> UploadedFile[bytes] | None:
        upload: UploadedFile[bytes] | None = self.cleaned_data.get("images")
        if upload is not None and (upload.size or 0) > MAX_ZIP_BYTES:
            raise ValidationError(
                f"The zip is {(upload.size or 0) / 1024 / 1024:.0f} MB; at most "
                f"{MAX_ZIP_BYTES // 1024 // 1024} MB can be uploaded at once."
            )
        return upload


class _FeedFields(forms.Form):
    targets = IdMultipleChoiceField(
        queryset=Connection.objects.none(), widget=forms.CheckboxSelectMultiple,
        label="Post to", error_messages={"required": "Choose at least one account."},
    )
    template = forms.CharField(
        max_length=1000, initial="{title} {link}", label="Post text",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Fields: {title}, {link}, {summary}, {author}. Too long for an account? "
                  "The summary, then the title, are shortened; the link is kept whole.",
    )
    mode = forms.ChoiceField(
        choices=FeedMode.choices, initial=FeedMode.DRAFT, widget=forms.RadioSelect,
        label="New entries",
    )
    queue = IdChoiceField(
        queryset=Queue.objects.none(), required=False, label="Queue", empty_label="Choose a queue",
        help_text="Each new entry takes the queue's next free time slot.",
    )
    delay_minutes = forms.IntegerField(
        min_value=1, max_value=7 * 24 * 60, initial=10, label="Minutes after it appears",
        help_text="Time to change or cancel the post on the Posts page before it goes out.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = self.fields["targets"]
        assert isinstance(targets, forms.ModelMultipleChoiceField)
        targets.queryset = active_connections(user).order_by("network", "handle")
        queue = self.fields["queue"]
        assert isinstance(queue, forms.ModelChoiceField)
        queue.queryset = Queue.objects.filter(user=user)
        self.has_queues = queue.queryset.exists()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("mode") == FeedMode.QUEUE and cleaned.get("queue") is None:
            self.add_error("queue", "Choose the queue new entries go to." if self.has_queues
                           else "You have no queue yet: make one on the Queue page first.")
        if cleaned.get("mode") != FeedMode.SCHEDULE and "delay_minutes" in self.errors:
            del self.errors["delay_minutes"]  # not used in that mode
            cleaned["delay_minutes"] = 10
        return cleaned

    def clean_template(self) -> str:
        template = str(self.cleaned_data.get("template", "")).strip()
        try:
            check_template(template)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        return template

    @property
    def selected_ids(self) -> set[int]:
        raw = self.data.getlist("targets") if self.is_bound and hasattr(
            self.data, "getlist") else self.initial.get("targets", [])
        return set(parse_ids(getattr(value, "pk", value) for value in raw))


class FeedForm(_FeedFields):
    url = forms.URLField(
        max_length=2000, label="Feed address", assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://example.org/feed.xml",
                                     "autofocus": True}),
        help_text="An RSS or Atom feed, or a web page that links to one.",
    )
    post_latest = forms.BooleanField(
        required=False, label="Also post the newest entry now",
        help_text="Otherwise what is in the feed today is only marked as seen; posts start "
                  "with the next new entry.",
    )
    field_order = ["url", "targets", "template", "mode", "queue", "delay_minutes", "post_latest"]


class FeedSettingsForm(_FeedFields):
    pass
