"""The OAuth app hubbub registers once per Mastodon instance (and callback URL), kept in the DB.

Connectors normally never touch models. This is the one exception: a Mastodon instance wants
an app registered (POST /api/v1/apps) before anyone can log in, and registering a new one for
every connect would litter the instance with apps and lose the client secret we need later to
exchange codes and revoke tokens. So begin_auth/complete_auth/disconnect look it up here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from hubbub.connections.models import InstanceApp
from hubbub.core.crypto import encrypt_text


@dataclass(frozen=True)
class RegisteredApp:
    client_id: str
    client_secret: str


def registered_app(
    network: str,
    base_url: str,
    redirect_uri: str,
    register: Callable[[], RegisteredApp],
) -> RegisteredApp:
    """The app for this instance and callback, calling `register` only if there is none yet."""
    found = find_app(network, base_url, redirect_uri)
    if found is not None:
        return found
    app = register()  # network I/O: kept outside any transaction
    try:
        with transaction.atomic():
            InstanceApp.objects.create(
                network=network,
                base_url=base_url,
                redirect_uri=redirect_uri,
                client_id=app.client_id,
                client_secret_enc=encrypt_text(app.client_secret),
            )
    except IntegrityError:
        # Another request registered one at the same moment: use the one that was saved.
        saved = find_app(network, base_url, redirect_uri)
        if saved is None:
            raise
        return saved
    return app


def find_app(network: str, base_url: str, redirect_uri: str) -> RegisteredApp | None:
    row = InstanceApp.objects.filter(
        network=network, base_url=base_url, redirect_uri=redirect_uri
    ).first()
    return RegisteredApp(row.client_id, row.client_secret) if row else None


def find_app_by_client_id(network: str, base_url: str, client_id: str) -> RegisteredApp | None:
    row = InstanceApp.objects.filter(
        network=network, base_url=base_url, client_id=client_id
    ).first()
    return RegisteredApp(row.client_id, row.client_secret) if row else None


def forget_app(network: str, base_url: str, client_id: str) -> None:
    """Drop an app the instance no longer knows (it was deleted there), so the next connect
    registers a fresh one instead of failing forever."""
    InstanceApp.objects.filter(network=network, base_url=base_url, client_id=client_id).delete()
