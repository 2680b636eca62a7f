"""Apps the hub's operator registers with networks that need one (X, LinkedIn, Meta).

A person can only connect an X, LinkedIn, Facebook, Instagram or Threads account once whoever
runs the hub has registered an app with that network and given the hub its id and secret. They
come from the environment (HUBBUB_X_CLIENT_ID, ... each also as NAME_FILE, see core/env.py) or,
failing that, from the owner's settings page (NetworkApp rows, the secret encrypted at rest
like tokens). The environment wins: a deployment's configuration is not overridden from a web
page.

Connectors ask `app_credentials(slug)`; pages ask `app_status(slug)`. Nothing here names what a
network does with the app: that is the connector's business (Connector.check_app).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from hubbub.connections.models import NetworkApp
from hubbub.core import crypto
from hubbub.core.env import env_str
from hubbub.networks.base import AppCredentials

CLIENT_ID_MAX = 300
CLIENT_SECRET_MAX = 500
# Secrets at least this long may show their last 4 characters, so the operator can tell which
# one is stored; shorter ones show nothing of themselves.
HINT_MIN_LENGTH = 16


@dataclass(frozen=True)
class OperatorAppSpec:
    """What the settings page, the CLI and the docs say about one network's app."""

    slug: str
    name: str  # as the settings and Connect pages name the network
    labels: tuple[str, str]  # what the network's portal calls the app's id and its secret
    env_vars: tuple[str, str]  # environment variables holding them (NAME_FILE works as well)
    scopes: tuple[str, ...]  # to request when a person connects
    portal_url: str  # where the operator registers the app
    scope_notes: str = ""  # a sentence about the scopes, when one is needed

    @property
    def id_label(self) -> str:
        return self.labels[0]

    @property
    def secret_label(self) -> str:
        return self.labels[1]

    @property
    def env_id(self) -> str:
        return self.env_vars[0]

    @property
    def env_secret(self) -> str:
        return self.env_vars[1]

    @property
    def callback_path(self) -> str:
        return reverse("connections:callback", args=[self.slug])

    def callback_url(self, request: HttpRequest | None = None) -> str:
        """The redirect URL to register: absolute, from HUBBUB_PUBLIC_URL if set, else from the
        request; without either (the CLI), the path alone."""
        if settings.PUBLIC_URL:
            return f"{settings.PUBLIC_URL}{self.callback_path}"
        if request is not None:
            return request.build_absolute_uri(self.callback_path)
        return self.callback_path


_META_PORTAL = "https://developers.facebook.com/apps/"

OPERATOR_APP_NETWORKS: dict[str, OperatorAppSpec] = {
    spec.slug: spec
    for spec in (
        OperatorAppSpec(
            slug="x", name="X", labels=("Client ID", "Client Secret"),
            env_vars=("HUBBUB_X_CLIENT_ID", "HUBBUB_X_CLIENT_SECRET"),
            scopes=("tweet.read", "tweet.write", "users.read", "media.write", "offline.access",
                    "like.write"),
            portal_url="https://console.x.com",
            scope_notes="In the app's OAuth 2.0 settings choose the type \"Web App\" (a "
                        "confidential client, which gets a Client Secret). X matches the "
                        "redirect URL exactly, trailing slash included.",
        ),
        OperatorAppSpec(
            slug="linkedin", name="LinkedIn", labels=("Client ID", "Client Secret"),
            env_vars=("HUBBUB_LINKEDIN_CLIENT_ID", "HUBBUB_LINKEDIN_CLIENT_SECRET"),
            scopes=("openid", "profile", "email", "w_member_social",
                    "r_organization_social", "w_organization_social", "rw_organization_admin"),
            portal_url="https://www.linkedin.com/developers/apps",
            scope_notes="The first four come with the \"Sign In with LinkedIn using OpenID "
                        "Connect\" and \"Share on LinkedIn\" products; the organization scopes "
                        "(posting as a page) need the \"Community Management API\" product.",
        ),
        OperatorAppSpec(
            slug="facebook", name="Facebook Pages", labels=("App ID", "App Secret"),
            env_vars=("HUBBUB_FACEBOOK_APP_ID", "HUBBUB_FACEBOOK_APP_SECRET"),
            scopes=("pages_show_list", "pages_read_engagement", "pages_manage_posts",
                    "pages_read_user_content", "pages_manage_engagement"),
            portal_url=_META_PORTAL,
            scope_notes="A Business-type app with the Facebook Login for Business product.",
        ),
        OperatorAppSpec(
            slug="instagram", name="Instagram", labels=("Instagram app ID", "Instagram app secret"),
            env_vars=("HUBBUB_INSTAGRAM_APP_ID", "HUBBUB_INSTAGRAM_APP_SECRET"),
            scopes=("instagram_business_basic", "instagram_business_content_publish",
                    "instagram_business_manage_comments"),
            portal_url=_META_PORTAL,
            scope_notes="The \"Instagram API with Instagram Login\" product: its own Instagram "
                        "app ID and secret, shown under that product in the app dashboard. "
                        "Only professional (business or creator) accounts can publish.",
        ),
        OperatorAppSpec(
            slug="threads", name="Threads", labels=("Threads app ID", "Threads app secret"),
            env_vars=("HUBBUB_THREADS_APP_ID", "HUBBUB_THREADS_APP_SECRET"),
            scopes=("threads_basic", "threads_content_publish", "threads_read_replies",
                    "threads_manage_replies", "threads_delete"),
            portal_url=_META_PORTAL,
            scope_notes="The \"Access the Threads API\" use case: its own Threads app ID and "
                        "secret, shown under that use case's settings.",
        ),
    )
}

Source = Literal["environment", "settings", "none"]


@dataclass(frozen=True)
class AppStatus:
    """Whether a network's app is ready, where it comes from, and if not, why (one sentence)."""

    network: str
    ready: bool
    source: Source  # where the app comes from (or would: "environment" even when it is broken)
    reason: str = ""  # why it is not ready; "" when it is
    client_id: str = ""  # not a secret: shown so the operator can tell which app it is
    secret_hint: str = ""  # the secret's last 4 characters, when it is long enough to spare them


class UnknownApp(KeyError):
    """A network that needs no operator app (or does not exist)."""


def spec_for(network: str) -> OperatorAppSpec:
    try:
        return OPERATOR_APP_NETWORKS[network]
    except KeyError:
        raise UnknownApp(network) from None


def value_problem(label: str, value: str, limit: int) -> str:
    """Why `value` cannot be an app id or secret ("" when it can): empty, too long, or holding
    anything but visible ASCII. The networks issue ids and secrets in letters, digits and
    punctuation; a space, a pasted line break or a character from a word processor would break
    every request made with it."""
    if not value:
        return f"{label} is empty."
    if len(value) > limit:
        return f"{label} is longer than {limit} characters; paste only the {label.lower()}."
    if not all("!" <= ch <= "~" for ch in value):
        return (f"{label} holds spaces, invisible or non-ASCII characters; paste only the "
                f"{label.lower()}.")
    return ""


def _env_present(name: str) -> bool:
    return bool(os.environ.get(name) or os.environ.get(f"{name}_FILE"))


def _env_read(name: str) -> tuple[str, str]:
    """(value, problem) of one variable; never raises, and never puts the value in a problem."""
    try:
        return env_str(name).strip(), ""
    except UnicodeDecodeError:
        return "", f"{name}_FILE is not a UTF-8 text file."
    except OSError as exc:
        return "", f"{name}_FILE cannot be read ({exc.strerror or type(exc).__name__})."


def _hint(secret: str) -> str:
    return secret[-4:] if len(secret) >= HINT_MIN_LENGTH else ""


def _from_env(spec: OperatorAppSpec) -> tuple[AppCredentials | None, AppStatus] | None:
    if not (_env_present(spec.env_id) or _env_present(spec.env_secret)):
        return None
    client_id, id_problem = _env_read(spec.env_id)
    secret, secret_problem = _env_read(spec.env_secret)
    problem = (
        id_problem or secret_problem
        or (f"{spec.env_id} is not set, but {spec.env_secret} is." if not client_id else "")
        or (f"{spec.env_secret} is not set, but {spec.env_id} is." if not secret else "")
        or value_problem(spec.env_id, client_id, CLIENT_ID_MAX)
        or value_problem(spec.env_secret, secret, CLIENT_SECRET_MAX)
    )
    if problem:
        reason = f"The {spec.name} app set by the environment is incomplete: {problem}"
        return None, AppStatus(spec.slug, False, "environment", reason)
    app = AppCredentials(spec.slug, client_id, secret)
    return app, AppStatus(spec.slug, True, "environment", "", client_id, _hint(secret))


def _from_db(spec: OperatorAppSpec) -> tuple[AppCredentials | None, AppStatus] | None:
    row = NetworkApp.objects.filter(network=spec.slug).first()
    if row is None:
        return None
    try:
        secret = row.client_secret
    except crypto.DecryptionError:
        reason = (f"The stored {spec.name} {spec.secret_label.lower()} cannot be decrypted with "
                  "the hub's keys; enter it again.")
        return None, AppStatus(spec.slug, False, "settings", reason, row.client_id)
    app = AppCredentials(spec.slug, row.client_id, secret)
    return app, AppStatus(spec.slug, True, "settings", "", row.client_id, _hint(secret))


def _resolve(network: str) -> tuple[AppCredentials | None, AppStatus]:
    spec = spec_for(network)
    found = _from_env(spec) or _from_db(spec)
    if found is not None:
        return found
    reason = f"The operator has not registered {_article(spec.name)} {spec.name} app yet."
    return None, AppStatus(spec.slug, False, "none", reason)


def _article(name: str) -> str:
    # "an X app", "a LinkedIn app", "an Instagram app": by the sound, not the letter.
    return "an" if name[:1] in "AEIOX" else "a"


def app_credentials(network: str) -> AppCredentials | None:
    """The operator's app for `network`: from the environment, else the settings page, else
    None (the network cannot be connected; app_status says why)."""
    return _resolve(network)[0]


def app_status(network: str) -> AppStatus:
    return _resolve(network)[1]


def save_app(network: str, client_id: str, client_secret: str | None) -> NetworkApp:
    """Store the app from the settings page or the CLI. `client_secret` None keeps the stored
    secret (the page never shows it back, so a form that changes only the id leaves it out).
    Raises ValueError with a sentence for people."""
    spec = spec_for(network)
    client_id = client_id.strip()
    problem = value_problem(spec.id_label, client_id, CLIENT_ID_MAX)
    if not problem and client_secret is not None:
        client_secret = client_secret.strip()
        problem = value_problem(spec.secret_label, client_secret, CLIENT_SECRET_MAX)
    if problem:
        raise ValueError(problem)
    with transaction.atomic():
        row = NetworkApp.objects.select_for_update().filter(network=spec.slug).first()
        if row is None:
            if client_secret is None:
                raise ValueError(f"{spec.secret_label} is empty.")
            row = NetworkApp(network=spec.slug)
        row.client_id = client_id
        if client_secret is not None:
            row.client_secret = client_secret
        row.save()
    return row


def remove_app(network: str) -> bool:
    """Forget the app stored for `network` (the environment's is not touched)."""
    deleted, _ = NetworkApp.objects.filter(network=spec_for(network).slug).delete()
    return deleted > 0
