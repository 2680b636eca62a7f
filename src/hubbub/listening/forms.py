"""The rule form: one field (and a "not" box) per condition, the actions, and how far back the
preview looks. `RuleForm.spec()` gives the checked rule; its errors are the conditions' own."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.accounts.templatetags.hubbub_ui import short_id
from hubbub.connections.models import Connection
from hubbub.core.ids import IdChoiceField, IdMultipleChoiceField
from hubbub.listening import handles
from hubbub.listening.conditions import (
    CONDITIONS,
    KINDS,
    Invalid,
    RuleSpec,
    moment,
    spec_from,
)
from hubbub.listening.labels import labels_of
from hubbub.listening.models import Rule
from hubbub.listening.text import author_key, host_of
from hubbub.networks.registry import network_choices
from hubbub.people.models import Person
from hubbub.people.selectors import PERSON_PREFIX
from hubbub.timeline.models import Column

TEXT_CONDITIONS = ("words", "author", "hashtag", "domain", "language")
MAX_FIELD = 20_000
VISIBILITY = [("", "Leave as it is"), ("hide", "Hide"), ("hide_until", "Hide until a date"),
              ("priority", "Mark priority")]
VISIBILITY_LABELS = dict(VISIBILITY)
FLAG = [("", "Either"), ("yes", "Yes"), ("no", "No")]
HELP = {
    "words": "One per line or comma-separated; whole words, any case, with or without accents. "
             "Looks in the text, content warning, alt text and link card.",
    "author": "Handles (@ana@social.example, @ana.bsky.social), DIDs (did:plc:…) or npubs.",
    "hashtag": "With or without #.",
    "domain": "example.com also matches news.example.com.",
    "language": "BCP 47 / ISO 639 codes such as en, de, pt-BR (en also matches en-US). An item "
                "that says no language never matches.",
}


def _values(text: str) -> list[str]:
    """A text field's values as the condition reads them: one a line or comma-separated."""
    return [v.strip() for line in text.splitlines() for v in line.split(",") if v.strip()]


def check_authors(text: str) -> None:
    """Refuse (forms.ValidationError) a value that is no account of any network: it would
    never match."""
    for value in _values(text):
        if value.startswith(PERSON_PREFIX):
            continue
        if not handles.is_author(author_key(value)):
            raise forms.ValidationError(handles.author_refusal(value))


def check_domains(text: str) -> None:
    """Refuse what is no domain, naming the value as typed ("http://", not "")."""
    for value in _values(text):
        host = host_of(value.split("://", 1)[-1].split("/", 1)[0])
        if "." not in host:
            raise forms.ValidationError(
                f"“{handles.shown(value)}” is not a domain: give one such as example.com.")


def check_languages(text: str) -> None:
    for value in _values(text):
        if not handles.is_language(value):
            raise forms.ValidationError(handles.language_refusal(value))


def _not(kind: str) -> forms.BooleanField:
    return forms.BooleanField(required=False,
                              label=f"Not: the rule holds when this is not so ({kind})")


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


class ColumnChoice(IdChoiceField):
    """A column named with its accounts (labels.label): three "Home"s are told apart."""

    labels: dict[int, str]

    def label_from_instance(self, obj: Any) -> str:
        return self.labels.get(obj.pk) or f"{obj.title} (deck {obj.deck.name})"


class ColumnsChoice(IdMultipleChoiceField):
    labels: dict[int, str]

    def label_from_instance(self, obj: Any) -> str:
        return self.labels.get(obj.pk) or f"{obj.title} (deck {obj.deck.name})"


class AccountsChoice(IdMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # A Nostr npub (63 unbreakable characters) shortened as everywhere else in the hub.
        return f"{short_id(obj.handle)} ({obj.network})"


class RuleForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label="Name (for you)")

    def __init__(self, *args: Any, user: User, zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.zone = ZoneInfo(zone)
        for kind in TEXT_CONDITIONS:
            self.fields[kind] = forms.CharField(
                label=CONDITIONS[kind], required=False, max_length=MAX_FIELD,
                help_text=HELP[kind], widget=forms.Textarea(attrs={"rows": 2}))
            self.fields[f"{kind}_not"] = _not(kind)
        self.fields["kind"] = forms.MultipleChoiceField(
            label=CONDITIONS["kind"], required=False, widget=forms.CheckboxSelectMultiple,
            choices=[(k, k.capitalize()) for k in KINDS])
        self.fields["kind_not"] = _not("kind")
        self.fields["network"] = forms.MultipleChoiceField(
            label=CONDITIONS["network"], required=False, widget=forms.CheckboxSelectMultiple,
            choices=network_choices())
        self.fields["network_not"] = _not("network")
        columns = Column.objects.filter(deck__user=user).select_related("deck")
        self.fields["connection"] = AccountsChoice(
            label=CONDITIONS["connection"], required=False,
            queryset=Connection.objects.filter(user=user), widget=forms.CheckboxSelectMultiple)
        self.fields["connection_not"] = _not("connection")
        self.fields["person"] = IdMultipleChoiceField(
            label=CONDITIONS["person"], required=False, queryset=Person.objects.filter(user=user),
            widget=forms.CheckboxSelectMultiple,
            help_text="People are made on the People page: one human's accounts on every network.")
        self.fields["person_not"] = _not("person")
        self.fields["column"] = ColumnsChoice(
            label=CONDITIONS["column"], required=False, queryset=columns,
            widget=forms.CheckboxSelectMultiple)
        self.fields["column_not"] = _not("column")
        column_labels = labels_of(user.pk, columns)
        self.fields["column"].labels = column_labels  # type: ignore[attr-defined]
        self.fields["has_media"] = forms.ChoiceField(label=CONDITIONS["has_media"],
                                                     choices=FLAG, required=False)
        self.fields["no_alt"] = forms.ChoiceField(label=CONDITIONS["no_alt"], choices=FLAG,
                                                  required=False)
        self.fields["visibility"] = forms.ChoiceField(label="Then", choices=VISIBILITY,
                                                      required=False)
        self.fields["hide_until"] = forms.DateField(
            label="Hidden until (the start of that day)", required=False,
            widget=forms.DateInput(attrs={"type": "date"}))
        self.fields["send_to"] = ColumnChoice(
            label="Also show in the column", required=False, queryset=columns,
            empty_label="No other column")
        self.fields["send_to"].labels = column_labels  # type: ignore[attr-defined]
        self.fields["mark_read"] = forms.BooleanField(required=False, label="Mark read")
        self.fields["inbox"] = forms.BooleanField(required=False, label="Add to the inbox")
        self.fields["notify"] = forms.BooleanField(required=False,
                                                   label="Notify me on the deck")
        self.fields["expires"] = forms.DateField(
            label="The rule ends on (optional)", required=False,
            widget=forms.DateInput(attrs={"type": "date"}))
        self.fields["days"] = forms.IntegerField(
            label="Preview the last … days", min_value=1, max_value=365, initial=30)
        self._spec: RuleSpec | None = None

    def _start_of(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone)

    def _checked(self, name: str, check: Any) -> str:
        text: str = self.cleaned_data.get(name) or ""
        check(text)
        return text

    def clean_author(self) -> str:
        return self._checked("author", check_authors)

    def clean_domain(self) -> str:
        return self._checked("domain", check_domains)

    def clean_language(self) -> str:
        return self._checked("language", check_languages)

    def _tomorrow(self) -> date:
        return timezone.now().astimezone(self.zone).date() + timedelta(days=1)

    def _future(self, name: str, what: str, label: str, instead: str) -> date | None:
        """A date field that must come after today (in the person's zone): a rule that ends,
        or a hide that lasts, until a day already begun does nothing from now on. `instead`:
        what else the person may do, said in the refusal."""
        day: date | None = self.cleaned_data.get(name)
        if day is None:
            return None
        try:  # within what the databases store first (year 1 in Tokyo is year 0 in UTC)
            moment(self._start_of(day), label)
        except Invalid as exc:
            raise forms.ValidationError(str(exc)) from None
        if day < self._tomorrow():
            raise forms.ValidationError(
                f"{what} {_day(day)}, which has begun already, so the rule would do nothing: "
                f"give {_day(self._tomorrow())} or later ({instead}).")
        return day

    def clean_expires(self) -> date | None:
        return self._future("expires", "The rule would end on", "The rule ends on",
                            "or leave it empty: the rule never ends")

    def clean_hide_until(self) -> date | None:
        if self.data.get("visibility") != "hide_until":
            # A date with another choice would be dropped without a word: "Hide" with a date
            # reads as "hide until", and the rule would hide for good. Say so instead.
            if self.cleaned_data.get("hide_until") is None:
                return None
            raise forms.ValidationError(
                f"To hide until a date, choose “{VISIBILITY_LABELS['hide_until']}” under "
                f"“{self.fields['visibility'].label}”; otherwise empty this date.")
        return self._future("hide_until", "The items would come back on", "Hide until",
                            f"or choose “{VISIBILITY_LABELS['hide']}” to hide them for good")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        conditions: list[dict[str, Any]] = []
        for kind in TEXT_CONDITIONS:
            if (data.get(kind) or "").strip():
                conditions.append({"kind": kind, "values": data[kind],
                                   "negate": bool(data.get(f"{kind}_not"))})
        if data.get("kind"):
            conditions.append({"kind": "kind", "values": list(data["kind"]),
                               "negate": bool(data.get("kind_not"))})
        if data.get("network"):
            conditions.append({"kind": "network", "values": list(data["network"]),
                               "negate": bool(data.get("network_not"))})
        for kind in ("connection", "column", "person"):
            if data.get(kind):
                conditions.append({"kind": kind, "values": [c.pk for c in data[kind]],
                                   "negate": bool(data.get(f"{kind}_not"))})
        for kind in ("has_media", "no_alt"):
            if data.get(kind):
                conditions.append({"kind": kind, "negate": data[kind] == "no"})
        actions: list[dict[str, Any]] = []
        visibility = data.get("visibility")
        if visibility == "hide_until":
            if not data.get("hide_until"):
                self.add_error("hide_until", "Give the date the items come back.")
                return data
            actions.append({"kind": "hide_until",
                            "until": self._start_of(data["hide_until"]).isoformat()})
        elif visibility:
            actions.append({"kind": visibility})
        if data.get("send_to"):
            actions.append({"kind": "send_to", "column": data["send_to"].pk})
        for kind in ("mark_read", "notify", "inbox"):
            if data.get(kind):
                actions.append({"kind": kind})
        if not conditions:
            self.add_error(None, "Give at least one condition: which items the rule is for.")
        if not actions:
            self.add_error(None, "Choose at least one thing the rule does.")
        if data.get("expires"):
            try:
                moment(self._start_of(data["expires"]), "The rule ends on")
            except Invalid as exc:
                self.add_error("expires", str(exc))
        if conditions and actions:
            try:
                self._spec = spec_from({"conditions": conditions, "actions": actions})
            except Invalid as exc:
                self.add_error(None, str(exc))
        return data

    def spec(self) -> RuleSpec:
        assert self._spec is not None
        return self._spec

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires")
        return self._start_of(day) if day else None


def initial_of(rule: Rule, zone: str) -> dict[str, Any]:
    """The form's values for a stored rule."""
    initial: dict[str, Any] = {"name": rule.name, "days": 30}
    for condition in rule.conditions:
        kind = condition.get("kind")
        negate = bool(condition.get("negate"))
        values = condition.get("values") or []
        if kind in TEXT_CONDITIONS:
            initial[kind] = "\n".join(str(v) for v in values)
        elif kind in ("has_media", "no_alt"):
            initial[kind] = "no" if negate else "yes"
            continue
        elif kind in ("kind", "network", "connection", "column", "person"):
            initial[kind] = values
        initial[f"{kind}_not"] = negate
    tz = ZoneInfo(zone)
    for action in rule.actions:
        kind = action.get("kind")
        if kind in ("hide", "priority"):
            initial["visibility"] = kind
        elif kind == "hide_until":
            initial["visibility"] = kind
            until = datetime.fromisoformat(str(action.get("until")))
            initial["hide_until"] = until.astimezone(tz).date()
        elif kind == "send_to":
            initial["send_to"] = action.get("column")
        elif kind in ("mark_read", "notify", "inbox"):
            initial[kind] = True
    if rule.expires_at:
        initial["expires"] = rule.expires_at.astimezone(tz).date()
    return initial


class AllowListForm(forms.Form):
    only = forms.CharField(
        label="Only these accounts", required=False, max_length=MAX_FIELD,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One handle, DID or npub a line. Nothing here and no person chosen: the column "
                  "shows everyone.")

    def clean_only(self) -> str:
        text: str = self.cleaned_data.get("only") or ""
        check_authors(text)
        return text

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"] = IdMultipleChoiceField(
            label="And these people (all their accounts)", required=False,
            queryset=Person.objects.filter(user=user), widget=forms.CheckboxSelectMultiple)


class ImportForm(forms.Form):
    file = forms.FileField(label="Rules file (JSON, from Export)")
