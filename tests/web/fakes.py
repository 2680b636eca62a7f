"""A network that exists only in these tests: the web pages need a connector, not a server."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from hubbub.networks.base import (
    Account,
    AuthStart,
    Capabilities,
    Connected,
    Connector,
    CredentialField,
    Draft,
    Identity,
    MediaFile,
    MediaLimits,
    Problem,
    Published,
    Validation,
)
from hubbub.networks.errors import NotFound, Rejected

CAPS = Capabilities(
    text_limit=50,
    counting="plain",
    media=MediaLimits(max_count=4, mime_types=("image/png", "image/jpeg"),
                      image_max_bytes=5_000_000),
    content_warning=True,
)


class FakeConnector(Connector):
    slug = "fake"
    name = "Fakebook"
    auth_kind = "oauth2"

    def capabilities(self, account: Account) -> Capabilities:
        return CAPS

    def default_capabilities(self) -> Capabilities:
        return CAPS

    def begin_auth(self, base_url: str, redirect_uri: str) -> AuthStart:
        if "://" not in base_url and "." not in base_url:
            raise ValueError(f"{base_url!r} is not a server address")
        url = base_url if "://" in base_url else f"https://{base_url}"
        host = urlsplit(url).hostname or ""
        if host.startswith("nothing."):
            raise NotFound(f"{host} does not answer like a server we know")
        state = secrets.token_urlsafe(16)
        query = urlencode({"state": state, "redirect_uri": redirect_uri})
        return AuthStart(
            redirect_url=f"https://{host}/oauth/authorize?{query}",
            state=state,
            state_data={"base_url": f"https://{host}", "verifier": "v"},
        )

    def complete_auth(self, params: dict[str, str], state_data: dict[str, Any]) -> Connected:
        if params.get("error"):
            raise Rejected(params.get("error_description") or "Authorization was refused")
        return Connected(
            base_url=state_data["base_url"],
            credentials={"access_token": "tok-" + params.get("code", "")},
            identity=Identity(remote_id="42", handle="@alice@fake.example",
                              display_name="Alice", avatar_url="",
                              profile_url="https://fake.example/@alice"),
        )

    def whoami(self, account: Account) -> Identity:
        return Identity(remote_id="42", handle="@alice@fake.example")

    def disconnect(self, account: Account) -> None:
        return None

    def validate(self, draft: Draft, capabilities: Capabilities) -> Validation:
        count = len(draft.text) + len(draft.content_warning)
        problems = []
        if count > capabilities.text_limit:
            problems.append(Problem("too_long", f"{count - capabilities.text_limit} too long"))
        for media in draft.media:
            if not media.alt_text:
                problems.append(Problem("alt_missing", "An image has no alt text."))
        return Validation(count=count, limit=capabilities.text_limit, problems=tuple(problems))

    def publish(self, account: Account, draft: Draft, idempotency_key: str,
                media_ids: tuple[str, ...], prepared: Any = None) -> Published:
        raise NotImplementedError

    def upload_media(self, account: Account, media: MediaFile) -> str:
        raise NotImplementedError

    def find_published(self, account: Account, draft: Draft, idempotency_key: str,
                       since: datetime, prepared: Any = None) -> Published | None:
        return None

    def delete(self, account: Account, remote_id: str) -> None:
        return None


class FakeKeyConnector(FakeConnector):
    """A network connected with typed credentials (like an app password or a key)."""

    slug = "fakekey"
    name = "Keyring"
    auth_kind = "app_password"
    credential_fields = (
        CredentialField("base_url", "Service", "--service", kind="url", required=False),
        CredentialField("handle", "Handle", "--handle"),
        CredentialField("app_password", "App password", "--app-password", kind="secret"),
        CredentialField("relays", "Relays", "--relay", kind="lines", required=False),
    )

    def connect_with_token(self, base_url: str, credentials: dict[str, Any]) -> Connected:
        if credentials["app_password"] != "right-password":
            raise Rejected("Keyring refused that handle or app password.")
        handle = credentials["handle"]
        return Connected(base_url or "https://keyring.test", dict(credentials),
                         Identity(remote_id=f"id-{handle}", handle=f"@{handle}"))
