"""The Rules pages: the list (order, pause, delete, export, import, allow-list columns) and the
rule form with its preview (the deck's rule notices are notice_views.py). Everything is the
signed-in person's own: another person's rule or column is a 404."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from hubbub.accounts.templatetags.hubbub_ui import network_name, short_id
from hubbub.accounts.web import AuthedRequest, page, user_zone
from hubbub.connections.models import Connection
from hubbub.core.ids import parse_id
from hubbub.listening import apply, import_views, services
from hubbub.listening.conditions import ACTIONS, CONDITIONS, Invalid
from hubbub.listening.forms import AllowListForm, ImportForm, RuleForm, initial_of
from hubbub.listening.labels import handles_of, label, labels_of
from hubbub.listening.models import ListeningState, Rule
from hubbub.listening.services import shown_name
from hubbub.people.selectors import PERSON_PREFIX, names_of_people, person_id_of
from hubbub.timeline.models import Column, Item

MAX_IMPORT_BYTES = 1_000_000
SECTION = "rules"


def _rule(request: AuthedRequest, pk: int) -> Rule:
    if parse_id(pk) is None:
        raise Http404
    return get_object_or_404(Rule, pk=pk, user=request.user)


def _accounts(user_id: int) -> dict[int, str]:
    """The person's accounts as a rule's condition names them: handle (Network)."""
    return {pk: f"{short_id(handle)} ({network_name(network)})" for pk, handle, network in
            Connection.objects.filter(user_id=user_id).values_list("pk", "handle", "network")}


def _action_said(action: dict[str, Any], columns: dict[int, str] | None,
                 zone: ZoneInfo | None) -> str:
    """An action as the list says it, naming its column and its date."""
    kind = action.get("kind")
    if kind == "send_to":
        column_id = action.get("column")
        column = (columns or {}).get(column_id if isinstance(column_id, int) else 0,
                                     "a deleted column")
        return f"Also show in the column {column}"
    if kind == "hide_until":
        try:
            until = datetime.fromisoformat(str(action.get("until")))
        except ValueError:
            return ACTIONS["hide_until"]
        return f"Hide until {until.astimezone(zone or UTC):%-d %b %Y}"
    return ACTIONS.get(str(kind), "?")


def _summary(rule: Rule, people: dict[int, str] | None = None, now: datetime | None = None,
             columns: dict[int, str] | None = None, accounts: dict[int, str] | None = None,
             zone: ZoneInfo | None = None) -> dict[str, Any]:
    conditions = []
    for c in rule.conditions:
        label = CONDITIONS.get(c.get("kind"), "?")
        shown = c.get("values") or []
        if c.get("kind") == "person":  # by name; a deleted person is said so
            shown = [(people or {}).get(v, "a deleted person") for v in shown]
        elif c.get("kind") == "column" and columns is not None:  # with its accounts and deck
            shown = [columns.get(v, "a deleted column") for v in shown]
        elif c.get("kind") == "connection" and accounts is not None:  # handle and network
            shown = [accounts.get(v, "a disconnected account") for v in shown]
        values = ", ".join(str(v) for v in shown[:5])
        conditions.append(("not " if c.get("negate") else "") + label
                          + (f": {values}" if values else ""))
    actions = [_action_said(a, columns, zone) for a in rule.actions]
    ended = rule.expires_at is not None and rule.expires_at <= (now or timezone.now())
    return {"rule": rule, "name": shown_name(rule.name), "conditions": conditions,
            "actions": actions, "ended": ended}


# The buttons of a rule on the Rules page that lead back to it: after one is pressed, the
# page comes back with the focus on that button again (its `autofocus`; or, when it is now
# disabled, on the rule's name), so that a keyboard user keeps their place. Kept in the session
# for the one GET that follows the redirect.
FOCUSABLE = ("up", "down", "pause")
FOCUS_KEY = "listening_rules_focus"


def _back_to(request: AuthedRequest, rule: Rule, control: str) -> HttpResponse:
    # No "#rule-<pk>" in the address: a fragment that names an element turns the page's
    # autofocus off (HTML's "flush autofocus candidates"); the focused button is scrolled to.
    request.session[FOCUS_KEY] = [rule.pk, control if control in FOCUSABLE else "name"]
    return redirect("listening:rules")


def rules(request: AuthedRequest) -> HttpResponse:
    user = request.user
    state = ListeningState.objects.filter(user=user).first()
    columns = Column.objects.filter(deck__user=user).select_related("deck")
    people = names_of_people(user.pk)
    labels = labels_of(user.pk, columns)
    allow = [(c, labels[c.pk],
              _allow_names(c.filters.get("only") if isinstance(c.filters, dict) else None,
                           people)) for c in columns]
    now = timezone.now()
    accounts = _accounts(user.pk)
    zone = ZoneInfo(user_zone(request))
    summaries = [_summary(r, people, now, labels, accounts, zone)
                 for r in Rule.objects.filter(user=user)]
    focus = request.session.pop(FOCUS_KEY, None)
    if isinstance(focus, list) and len(focus) == 2:
        for index, entry in enumerate(summaries):
            if entry["rule"].pk == focus[0]:
                control = focus[1]
                if ((control == "up" and index == 0)
                        or (control == "down" and index == len(summaries) - 1)):
                    control = "name"  # the button is disabled now
                entry["focus"] = control
    return page(request, "listening/rules.html", {
        "rules": summaries,
        "applying": state is not None and state.version != state.applied_version,
        "columns": allow,
        "import_form": ImportForm(),
        "mute_sources": import_views.importable(request),
    }, section=SECTION)


def _allow_names(only: list[str] | None, people: dict[int, str]) -> list[str] | None:
    """An allow-list's entries as shown: a person by name."""
    if not only:
        return only
    return [people.get(person_id_of(v) or 0, "a deleted person") if v.startswith(PERSON_PREFIX)
            else v for v in only]


def _examples(user_id: int, ids: list[int]) -> list[Item]:
    found = Item.objects.filter(pk__in=ids, connection__user_id=user_id).in_bulk()
    return [found[i] for i in ids if i in found]


def decided_before(user_id: int, preview: apply.Preview) -> list[tuple[Rule, int]]:
    """The earlier rules that decide first some items the previewed rule matches, in order,
    each with how many (the preview's `taken`)."""
    found = Rule.objects.filter(user_id=user_id, pk__in=list(preview.taken)).order_by(
        "position", "pk")
    return [(r, preview.taken[r.pk]) for r in found]


def rule_form(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    rule = _rule(request, pk) if pk is not None else None
    zone = user_zone(request)
    preview = None
    examples: list[Item] = []
    before: list[tuple[Rule, int]] = []
    status = 200
    if request.method == "POST":
        form = RuleForm(request.POST, user=request.user, zone=zone)
        if form.is_valid():
            if request.POST.get("do") == "save":
                try:
                    saved = services.save_rule(request.user, form.spec(),
                                               name=form.cleaned_data["name"] or "",
                                               expires_at=form.expires_at(), rule=rule)
                except Invalid as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, f"Rule “{shown_name(saved.name)}” saved. Its "
                                              "effect on the stored items is being applied.")
                    return redirect("listening:rules")
            else:
                # In its place: after the rules above it (a new rule goes last).
                preview = apply.preview(
                    request.user.pk, form.spec(), days=form.cleaned_data["days"],
                    earlier=apply.rules_before(request.user.pk, rule.pk if rule else None))
                examples = _examples(request.user.pk, preview.examples)
                before = decided_before(request.user.pk, preview)
        if form.errors:
            status = 400
    else:
        initial = initial_of(rule, zone) if rule else {"days": 30, "visibility": "hide"}
        named = parse_id(request.GET.get("person"))  # "New rule" from a person's page
        if rule is None and named is not None:
            initial["person"] = [named]
        form = RuleForm(initial=initial, user=request.user, zone=zone)
    return page(request, "listening/rule_form.html", {
        "form": form, "rule": rule, "preview": preview, "examples": examples,
        "decided_before": before,
        "text_fields": [(form[k], form[f"{k}_not"])
                        for k in ("words", "author", "hashtag", "domain", "language")],
        "choice_fields": [(form[k], form[f"{k}_not"])
                          for k in ("kind", "network", "connection", "person", "column")],
    }, section=SECTION, status=status)


@require_POST
def rule_move(request: AuthedRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk)
    up = request.POST.get("to") == "up"
    services.move_rule(rule, -1 if up else 1)
    return _back_to(request, rule, "up" if up else "down")


@require_POST
def rule_pause(request: AuthedRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk)
    services.set_paused(rule, not rule.paused)
    messages.success(request, f"Rule “{shown_name(rule.name)}” "
                              f"{'resumed' if rule.paused else 'paused'}.")
    return _back_to(request, rule, "pause")


@require_POST
def rule_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk)
    name = shown_name(rule.name)
    services.delete_rule(rule)
    messages.success(request, f"Rule “{name}” deleted; the items it hid come back.")
    return redirect("listening:rules")


def export(request: AuthedRequest) -> HttpResponse:
    response = HttpResponse(services.export(request.user), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="hubbub-rules.json"'
    return response


@require_POST
def import_file(request: AuthedRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Nothing was imported: choose a rules file.")
        return redirect("listening:rules")
    upload = form.cleaned_data["file"]
    if upload.size > MAX_IMPORT_BYTES:
        messages.error(request, "Nothing was imported: the file is larger than 1 MB.")
        return redirect("listening:rules")
    try:
        done = services.import_file(request.user, upload.read())
    except Invalid as exc:
        messages.error(request, f"Nothing was imported: {exc}")
    else:
        said = import_said(done.added, done.already, done.skipped)
        if done.skipped:
            (messages.warning if done.added else messages.error)(request, said)
        else:
            messages.success(request, said)
    return redirect("listening:rules")


def _rules_word(n: int) -> str:
    return f"{n:,} rule" + ("" if n == 1 else "s")


SKIPPED_SHOWN = 10


def import_said(count: int, already: int, skipped: Sequence[str] = ()) -> str:
    """What an import of a rules file says: how many were added, how many of the file's rules
    the person had already (not added twice), and each rule skipped by name with what it names
    that the person has not (the first ten)."""
    if not count:
        said = ("Nothing was imported: you have every rule of the file already."
                if already and not skipped else
                "Nothing was imported: the file's rules name what you have not." if skipped else
                "Nothing was imported: the file holds no rules.")
    else:
        said = f"{_rules_word(count)} imported, after your own."
    if already and (count or skipped):
        said += (f" {_rules_word(already)} of the file you had already "
                 f"({'was' if already == 1 else 'were'} not added again).")
    if skipped:
        listed = "; ".join(skipped[:SKIPPED_SHOWN])
        more = (f"; and {_rules_word(len(skipped) - SKIPPED_SHOWN)} more"
                if len(skipped) > SKIPPED_SHOWN else "")
        said += f" Not imported, {_rules_word(len(skipped))}: {listed}{more}."
    return said


def allow_list(request: AuthedRequest, pk: int) -> HttpResponse:
    if parse_id(pk) is None:
        raise Http404
    column = get_object_or_404(Column.objects.select_related("deck"), pk=pk,
                               deck__user=request.user)
    named = label(column, handles_of(request.user.pk).get(column.pk, ()))
    status = 200
    if request.method == "POST":
        form = AllowListForm(request.POST, user=request.user)
        if form.is_valid():
            lines = [v for line in form.cleaned_data["only"].splitlines()
                     for v in line.split(",") if not v.strip().startswith(PERSON_PREFIX)]
            lines += [f"{PERSON_PREFIX}{p.pk}" for p in form.cleaned_data["people"]]
            try:
                services.set_allow_list(column, lines)
            except Invalid as exc:
                form.add_error("only", str(exc))
            else:
                messages.success(request, f"Column “{named}” saved.")
                return redirect("listening:rules")
        status = 400
    else:
        only = column.filters.get("only") if isinstance(column.filters, dict) else None
        form = AllowListForm(user=request.user, initial={
            "only": "\n".join(v for v in only or [] if not v.startswith(PERSON_PREFIX)),
            "people": [person_id_of(v) for v in only or [] if v.startswith(PERSON_PREFIX)]})
    return page(request, "listening/allow_list.html", {
        "form": form, "column": column, "column_label": named,
    }, section=SECTION, status=status)
