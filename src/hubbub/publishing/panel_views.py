"""The composer inside the deck: a panel beside the columns, opened by `n`, "New post", or
Reply / Quote on an item, that sends without leaving the deck and then shows each account's
status in place. It is the compose page's form (same fields, same checks, same services) in a
smaller frame; the full page stays for long work (scheduling, per-account versions, threads),
and "Open in the full composer" carries what was typed there as a draft.

- GET  compose/panel/              the panel's form (?reply_to= / ?quote= an item)
- POST compose/panel/              send now: 201 and the targets' status, or 400 and the form
                                   again with what was wrong (the text and files kept)
- GET  compose/panel/post/<id>/    the targets' status, polled while one is on its way
- POST compose/groups/             save the ticked accounts as a named group
- POST compose/groups/<id>/delete/ remove a group
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from hubbub.accounts.web import AuthedRequest, page, user_zone
from hubbub.connections.models import Connection
from hubbub.connections.services import connections_for
from hubbub.core.ids import parse_ids
from hubbub.publishing import targets
from hubbub.publishing.compose_views import answering_initial, compose_page, send_form, sent_message
from hubbub.publishing.forms import ComposeForm
from hubbub.publishing.models import DeliveryState, Post
from hubbub.publishing.views import card_for

# Until every target is sent, failed or cancelled, the panel asks again this often.
POLL = "2s"
SETTLED = frozenset({DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.CANCELLED,
                     DeliveryState.HELD, DeliveryState.DELETED})


def _render_form(request: AuthedRequest, form: ComposeForm, connections: list[Connection],
                 status: int = 200) -> HttpResponse:
    return compose_page(request, form, connections, status, template="publishing/_panel.html")


def panel(request: AuthedRequest) -> HttpResponse:
    zone = user_zone(request)
    connections = connections_for(request.user)
    if request.method != "POST":
        initial: dict[str, Any] = {"targets": targets.initial_targets(request.user, connections)}
        initial |= answering_initial(request)
        form = ComposeForm(initial=initial, user=request.user, zone=zone)
        return _render_form(request, form, connections)
    form = ComposeForm(request.POST, request.FILES, user=request.user, zone=zone)
    if form.draft_sent:
        form.add_error(None, "This draft has already been sent; see it under Posts.")
    elif form.is_valid():
        post = send_form(form)
        if post is not None:
            return _sent(request, post, sent_message(post, zone), status=201)
    form.keep_uploads()
    return _render_form(request, form, connections, status=400)


def _sent(request: AuthedRequest, post: Post, message: str = "",
          status: int = 200) -> HttpResponse:
    card = card_for(post)
    busy = any(t.delivery.state not in SETTLED for t in card.targets)
    return page(request, "publishing/_panel_sent.html", {
        "card": card, "message": message, "poll": POLL if busy else "",
        "status_url": reverse("publishing:panel_post", args=[post.pk]),
        "here": reverse("timeline:home"),
    }, status=status)


@require_GET
def panel_post(request: AuthedRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.filter(user=request.user, is_draft=False), pk=pk)
    return _sent(request, post, request.GET.get("message", "")[:200])


def _next_or(request: AuthedRequest, default: str) -> HttpResponseRedirect:
    """Back to the page's own `next` when it is a path on this hub, else to `default` (never
    redirect(), which would take a bare word for the name of a view)."""
    target = str(request.POST.get("next") or "")
    if not (target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure())):
        target = default
    return HttpResponseRedirect(target)


def _back_to_compose(request: AuthedRequest) -> HttpResponse:
    return _next_or(request, reverse("publishing:compose"))


def _wants_json(request: AuthedRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
def group_save(request: AuthedRequest) -> HttpResponse:
    """Save the ticked accounts under a name. From the page's script: JSON with the group (or
    the reason it was refused); without it, back to the composer with a message."""
    connections = connections_for(request.user)
    ids = parse_ids(request.POST.getlist("targets"))
    try:
        group = targets.save_group(request.user, str(request.POST.get("group_name", "")), ids,
                                   connections)
    except targets.GroupError as exc:
        if _wants_json(request):
            return JsonResponse({"error": str(exc)}, status=400)
        messages.error(request, str(exc))
        return _back_to_compose(request)
    choice = next(g for g in targets.groups_for(request.user, connections) if g.pk == group.pk)
    if _wants_json(request):
        return JsonResponse({"pk": choice.pk, "name": choice.name, "ids": list(choice.ids),
                             "message": f"Saved “{choice.name}”."})
    messages.success(request, f"Saved the group “{choice.name}”.")
    return redirect(f"{reverse('publishing:compose')}?group={choice.pk}")


@require_POST
def group_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    if targets.delete_group(request.user, pk):
        messages.success(request, "Group removed.")
    else:
        messages.info(request, "That group was already gone.")
    return _next_or(request, reverse("accounts:settings"))
