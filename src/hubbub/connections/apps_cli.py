"""`hubbub apps`: the operator's network apps from the command line (the owner's settings page
does the same in the browser). Each function returns (data for --json, text for people) and
raises ValueError with a sentence for people. No secret is ever part of either."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hubbub.connections import network_apps
from hubbub.connections.network_apps import OPERATOR_APP_NETWORKS
from hubbub.networks import registry
from hubbub.networks.base import AppCannotBeChecked, Connector
from hubbub.networks.errors import ConnectorError


def _spec(network: str) -> network_apps.OperatorAppSpec:
    try:
        return network_apps.spec_for(network)
    except network_apps.UnknownApp:
        names = ", ".join(OPERATOR_APP_NETWORKS)
        raise ValueError(f"No network app called {network!r}; one of: {names}.") from None


def _status_json(network: str) -> dict[str, Any]:
    spec = OPERATOR_APP_NETWORKS[network]
    status = network_apps.app_status(network)
    return {
        "network": network, "name": spec.name, "ready": status.ready, "source": status.source,
        "reason": status.reason, "client_id": status.client_id,
        "connector": network in registry.CONNECTORS, "redirect_url": spec.callback_url(),
        "scopes": list(spec.scopes), "register_at": spec.portal_url,
        "env": [spec.env_id, spec.env_secret],
    }


def list_apps() -> tuple[list[dict[str, Any]], str]:
    data = [_status_json(network) for network in OPERATOR_APP_NETWORKS]
    lines = []
    for item in data:
        state = "ready" if item["ready"] else "not ready"
        if item["source"] == "environment":
            state += " (set by environment)"
        soon = "" if item["connector"] else "  [connector coming soon]"
        lines.append(f"{item['network']:<10} {state}{soon}")
        if item["reason"]:
            lines.append(f"           {item['reason']}")
        lines.append(f"           redirect URL: {item['redirect_url']}")
        lines.append(f"           scopes: {' '.join(item['scopes'])}")
    return data, "\n".join(lines)


def _read_secret(path: str) -> str:
    if path == "-":
        return sys.stdin.readline().strip()
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a UTF-8 text file.") from None
    except OSError as exc:
        raise ValueError(f"{path} cannot be read ({exc.strerror or type(exc).__name__}).") from None


def set_app(network: str, client_id: str, secret_file: str | None) -> tuple[dict[str, Any], str]:
    """Save the app; without a secret file, only the id changes (the stored secret stays)."""
    spec = _spec(network)
    secret = _read_secret(secret_file) if secret_file is not None else None
    network_apps.save_app(network, client_id, secret)
    data = _status_json(network)
    text = f"saved the {spec.name} app"
    if data["source"] == "environment":
        text += (f"; the environment ({spec.env_id}, {spec.env_secret}) still wins while it "
                 "is set")
    return data, text


def remove_app(network: str) -> tuple[dict[str, Any], str]:
    name = _spec(network).name
    removed = network_apps.remove_app(network)
    text = f"removed the {name} app" if removed else f"no {name} app was saved"
    return {"network": network, "removed": removed}, text


def check_app(network: str) -> tuple[dict[str, Any], str]:
    """Ask the network about the app where it can say; ValueError when it refuses."""
    spec = _spec(network)
    app = network_apps.app_credentials(network)
    if app is None:
        raise ValueError(network_apps.app_status(network).reason)
    if network not in registry.CONNECTORS:
        raise ValueError(f"This hub has no {spec.name} connector yet, so it cannot check the "
                         "app.")
    connector: Connector = registry.get_connector(network)
    try:
        connector.check_app(app)
    except AppCannotBeChecked as exc:
        return {"network": network, "checked": False, "note": str(exc)}, str(exc)
    except ConnectorError as exc:
        raise ValueError(exc.message) from None
    return ({"network": network, "checked": True},
            f"{connector.name} accepted the app ({spec.id_label} {app.client_id})")
