"""The owner's page for the apps networks want registered by the hub's operator (X, LinkedIn,
Meta): per network the redirect URL and scopes to register, a write-only form for the app's id
and secret, its status, and a check where the network offers one (Connector.check_app).

Only the owner (the superuser the set-up made) sees it; anyone else gets the 404 an unknown
address gets. Secrets are never rendered back, logged, or kept in error reports.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from hubbub.accounts.web import AuthedRequest, page
from hubbub.connections import network_apps
from hubbub.connections.forms import AppForm
from hubbub.connections.models import NetworkApp
from hubbub.connections.network_apps import AppStatus, OperatorAppSpec
from hubbub.connections.views import explain
from hubbub.networks import registry
from hubbub.networks.base import AppCannotBeChecked, AppCredentials, Connector
from hubbub.networks.errors import ConnectorError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppRow:
    spec: OperatorAppSpec
    status: AppStatus
    callback_url: str
    stored: bool  # a row from this page exists (ignored while the environment sets the app)
    form: AppForm | None  # None while the environment sets the app: read-only here
    connector: Connector | None  # None: no connector for this network yet ("coming soon")
    check_note: str  # why there is no Check button, when there is none

    @property
    def can_check(self) -> bool:
        return not self.check_note


def is_owner(request: AuthedRequest) -> bool:
    return bool(request.user.is_superuser)


def _owner_only(request: AuthedRequest) -> None:
    if not is_owner(request):
        raise Http404("No such page")


def _spec(network: str) -> OperatorAppSpec:
    try:
        return network_apps.spec_for(network)
    except network_apps.UnknownApp:
        raise Http404(f"No network app called {network!r}") from None


def connector_if_any(network: str) -> Connector | None:
    return registry.get_connector(network) if network in registry.CONNECTORS else None


def _check_note(spec: OperatorAppSpec, connector: Connector | None) -> str:
    if connector is None:
        return (f"Coming soon: this hub has no {spec.name} connector yet. The app can be "
                "registered now; people can connect once the connector is added.")
    if type(connector).check_app is Connector.check_app:
        # The contract's default says, in words, that this network has no app-only check.
        try:
            connector.check_app(AppCredentials(spec.slug, "", ""))
        except AppCannotBeChecked as exc:
            return str(exc)
    return ""


def _row(request: AuthedRequest, spec: OperatorAppSpec, bound: AppForm | None) -> AppRow:
    status = network_apps.app_status(spec.slug)
    stored = NetworkApp.objects.filter(network=spec.slug).first()
    form: AppForm | None = None
    if status.source != "environment":
        form = bound or AppForm(spec, secret_stored=stored is not None,
                                initial={"client_id": stored.client_id if stored else ""})
    connector = connector_if_any(spec.slug)
    return AppRow(spec, status, spec.callback_url(request), stored is not None, form, connector,
                  _check_note(spec, connector))


def _render(request: AuthedRequest, bound: AppForm | None = None, status: int = 200
            ) -> HttpResponse:
    rows = [_row(request, spec, bound if bound and bound.spec.slug == spec.slug else None)
            for spec in network_apps.OPERATOR_APP_NETWORKS.values()]
    return page(request, "connections/apps.html", {"rows": rows}, section="connections",
                status=status)


def _back(network: str) -> HttpResponse:
    return redirect(f"{reverse('connections:apps')}#app-{network}")


def apps_page(request: AuthedRequest) -> HttpResponse:
    _owner_only(request)
    return _render(request)


@sensitive_post_parameters()
@sensitive_variables()
@require_POST
def app_save(request: AuthedRequest, network: str) -> HttpResponse:
    _owner_only(request)
    spec = _spec(network)
    if network_apps.app_status(network).source == "environment":
        messages.error(request, f"The {spec.name} app is set by the environment "
                                f"({spec.env_id}, {spec.env_secret}); change it there.")
        return _back(network)
    stored = NetworkApp.objects.filter(network=network).exists()
    form = AppForm(spec, stored, request.POST)
    if not form.is_valid():
        return _render(request, bound=form, status=400)
    try:
        network_apps.save_app(network, form.cleaned_data["client_id"],
                              form.cleaned_data["client_secret"])
    except ValueError as exc:  # the row went away meanwhile and no secret came with the form
        form.add_error("client_secret", str(exc))
        return _render(request, bound=form, status=400)
    log.info("the owner saved the %s app (id %s)", network, form.cleaned_data["client_id"])
    messages.success(request, f"Saved the {spec.name} app.")
    return _back(network)


@require_POST
def app_remove(request: AuthedRequest, network: str) -> HttpResponse:
    _owner_only(request)
    spec = _spec(network)
    if network_apps.remove_app(network):
        log.info("the owner removed the %s app", network)
        messages.success(request, f"Removed the {spec.name} app saved here.")
    return _back(network)


@sensitive_variables()
@require_POST
def app_check(request: AuthedRequest, network: str) -> HttpResponse:
    _owner_only(request)
    spec = _spec(network)
    app = network_apps.app_credentials(network)
    connector = connector_if_any(network)
    if app is None:
        messages.error(request, network_apps.app_status(network).reason)
    elif connector is None:
        messages.info(request, _check_note(spec, None))
    else:
        try:
            connector.check_app(app)
        except AppCannotBeChecked as exc:
            messages.info(request, str(exc))
        except (ConnectorError, ValueError) as exc:
            log.info("checking the %s app failed: %s", network, exc)
            messages.error(request, explain(exc))
        else:
            messages.success(request, f"{connector.name} accepted the app "
                                      f"({spec.id_label} {app.client_id}).")
    return _back(network)
