"""The People pages: the list with suggestions, a person (name, note, accounts, the rules and
columns naming them), and "add to a person" from a deck item's author. Everything is the
signed-in user's own: another user's person or item is a 404. Nothing here calls a network."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from hubbub.accounts.web import AuthedRequest, page
from hubbub.connections.models import Connection
from hubbub.core.ids import parse_id
from hubbub.listening.conditions import Invalid
from hubbub.listening.text import author_key
from hubbub.networks.registry import UnknownNetwork, get_connector
from hubbub.people import services, suggest
from hubbub.people.forms import AccountForm, FromItemForm, PersonForm
from hubbub.people.models import Person, PersonAccount
from hubbub.timeline.models import Item

SECTION = "rules"


def _person(request: AuthedRequest, pk: object) -> Person:
    if parse_id(pk) is None:
        raise Http404
    return get_object_or_404(Person, pk=pk, user=request.user)


def _text(request: AuthedRequest, name: str) -> str:
    value = request.POST.get(name, "")
    return value if isinstance(value, str) else ""


def people(request: AuthedRequest) -> HttpResponse:
    status = 200
    form = PersonForm()
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            try:
                person = services.create_person(request.user, form.cleaned_data["name"],
                                                form.cleaned_data["note"])
            except Invalid as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{person.name} added. Now add their accounts.")
                return redirect("people:person", person.pk)
        status = 400
    listed = Person.objects.filter(user=request.user).prefetch_related("accounts")
    return page(request, "people/people.html", {
        "people": listed, "form": form, "suggestions": suggest.for_page(request.user),
        "profiles_not_read": _profiles_not_read(request.user.pk),
    }, section=SECTION, status=status)


def _profiles_not_read(user_id: int) -> list[str]:
    """Why the profiles of some of the user's networks give the suggestions nothing (the
    connector's own sentence), one a network the user has a live connection on."""
    notes: list[str] = []
    for network in sorted(set(Connection.objects.filter(
            user_id=user_id, disconnected_at__isnull=True).values_list("network", flat=True))):
        try:
            note = get_connector(network).profile_reading_note()
        except (UnknownNetwork, ImportError):
            continue
        if note:
            notes.append(note)
    return notes


def person(request: AuthedRequest, pk: int) -> HttpResponse:
    found = _person(request, pk)
    status = 200
    form = PersonForm(initial={"name": found.name, "note": found.note})
    account_form = AccountForm()
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            try:
                services.update_person(found, form.cleaned_data["name"],
                                       form.cleaned_data["note"])
            except Invalid as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{found.name} saved.")
                return redirect("people:person", found.pk)
        status = 400
    return _person_page(request, found, form, account_form, status)


def _person_page(request: AuthedRequest, found: Person, form: PersonForm,
                 account_form: AccountForm, status: int) -> HttpResponse:
    return page(request, "people/person.html", {
        "person": found, "form": form, "account_form": account_form,
        "accounts": found.accounts.all(), "rules": services.rules_naming(found),
        "columns": services.columns_naming(found),
    }, section=SECTION, status=status)


@require_POST
def account_add(request: AuthedRequest, pk: int) -> HttpResponse:
    found = _person(request, pk)
    account_form = AccountForm(request.POST)
    if account_form.is_valid():
        data = account_form.cleaned_data
        try:
            services.add_account(found, data["network"], data["handle"], data["profile_url"])
        except Invalid as exc:
            account_form.add_error(None, str(exc))
        else:
            messages.success(request, f"Account added to {found.name}.")
            return redirect("people:person", found.pk)
    form = PersonForm(initial={"name": found.name, "note": found.note})
    return _person_page(request, found, form, account_form, 400)


@require_POST
def account_remove(request: AuthedRequest, pk: int, account: int) -> HttpResponse:
    found = _person(request, pk)
    if parse_id(account) is None:
        raise Http404
    row = get_object_or_404(PersonAccount, pk=account, person=found)
    services.remove_account(row)
    messages.success(request, f"{row.handle} on {row.network} is no longer {found.name}'s.")
    return redirect("people:person", found.pk)


@require_POST
def person_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    found = _person(request, pk)
    name = found.name
    services.delete_person(found)
    messages.success(request, f"{name} deleted; rules that named them now match nobody.")
    return redirect("people:people")


@require_POST
def suggestion_confirm(request: AuthedRequest) -> HttpResponse:
    chosen = [v for v in request.POST.getlist("account") if isinstance(v, str)]
    try:
        made = suggest.confirm(request.user, _text(request, "key"), chosen)
    except Invalid as exc:
        messages.error(request, f"Nothing was linked: {exc}")
        return redirect("people:people")
    messages.success(request, f"Accounts linked as {made.name}.")
    return redirect("people:person", made.pk)


@require_POST
def suggestion_dismiss(request: AuthedRequest) -> HttpResponse:
    suggest.dismiss(request.user, _text(request, "key"))
    messages.success(request, "Suggestion dismissed; it will not be offered again.")
    return redirect("people:people")


def from_item(request: AuthedRequest, item: int) -> HttpResponse:
    """A deck item's author into a person ("Add to a person…")."""
    if parse_id(item) is None:
        raise Http404
    found = get_object_or_404(Item, pk=item, connection__user=request.user)
    handle = author_key(found.author_handle)
    owner = PersonAccount.objects.filter(person__user=request.user, network=found.network,
                                         handle=handle).select_related("person").first()
    status = 200
    if request.method == "POST":
        form = FromItemForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                target = form.cleaned_data["person"] or services.create_person(
                    request.user, form.cleaned_data["name"] or found.author_name or handle)
                services.add_account(target, found.network, found.author_handle,
                                     found.author_url, name=found.author_name)
            except Invalid as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{handle} on {found.network} added to {target.name}.")
                return redirect("people:person", target.pk)
        status = 400
    else:
        form = FromItemForm(user=request.user, initial={"name": found.author_name})
    return page(request, "people/from_item.html", {
        "item": found, "handle": handle, "owner": owner, "form": form,
    }, section=SECTION, status=status)
