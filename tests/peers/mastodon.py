"""The Mastodon test peer: mastodon-mock 0.6.1 as a separate server process, plus helpers that
talk to it directly (seeding accounts, faults, reading what it stored) without going through
the code under test."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from tests.peers.install import ensure_mastodon_mock
from tests.peers.process import PeerProcess

# No seeded accounts (tests make their own), faults on, rate limits off, files in the workdir.
CONFIG_TOML = """\
domain = "localhost:{port}"
url_scheme = "http"
media_storage_path = "{workdir}/media"

[database]
path = "{workdir}/mastodon-mock.sqlite3"

[seed]
accounts = []

[faults]
enabled = true
"""


@dataclass(frozen=True)
class SeededAccount:
    username: str
    id: str
    access_token: str


class MastodonPeer:
    """A running mastodon-mock and what tests need from it."""

    def __init__(self, process: PeerProcess) -> None:
        self.process = process
        self.http = requests.Session()
        self.http.trust_env = False

    @property
    def base_url(self) -> str:
        return self.process.base_url

    @property
    def port(self) -> int:
        return self.process.port

    # --- control plane ---------------------------------------------------------------------
    def _mock(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, self.base_url + path, timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def new_account(self, username: str | None = None) -> SeededAccount:
        """A fresh local account with a read+write token (POST /api/v1/_mock/dev_user)."""
        name = username or f"u{secrets.token_hex(4)}"
        body = self._mock("POST", "/api/v1/_mock/dev_user", json={"username": name})
        return SeededAccount(body["username"], str(body["id"]), body["access_token"])

    def login(self, username: str) -> SeededAccount:
        """A new token for an existing account, as after signing in again."""
        body = self._mock("POST", "/api/v1/_mock/login", json={"username": username})
        account = self._mock("GET", "/api/v1/accounts/lookup", params={"acct": username})
        return SeededAccount(username, str(account["id"]), body["access_token"])

    def reset(self) -> None:
        """Drop all data and faults (POST /api/v1/_mock/reset)."""
        self._mock("POST", "/api/v1/_mock/reset")

    def add_fault(
        self,
        effect: dict[str, Any],
        *,
        path: str | None = None,
        methods: list[str] | None = None,
        path_regex: str | None = None,
        count: int | None = 1,
    ) -> str:
        """Inject a fault (POST /api/v1/_mock/faults); returns the rule id. Effects: status
        {status, body?, headers?}, ratelimit {headers?}, latency {delay_ms}, malformed
        {truncate?}, timeout {delay_ms? (at least 30 s)}. count=None fires forever."""
        match: dict[str, Any] = {}
        if path is not None:
            match["path"] = path
        if path_regex is not None:
            match["path_regex"] = path_regex
        if methods is not None:
            match["methods"] = methods
        rule = self._mock(
            "POST", "/api/v1/_mock/faults", json={"match": match, "effect": effect, "count": count}
        )
        return str(rule["id"])

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._mock("GET", "/api/v1/_mock/faults")
        return result

    def clear_faults(self) -> None:
        self._mock("DELETE", "/api/v1/_mock/faults")

    # --- reading what the server holds -----------------------------------------------------
    def _api(self, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"}
        url = self.base_url + path
        return self.http.request(method, url, headers=headers, timeout=10, **kwargs)

    def statuses(self, account: SeededAccount, limit: int = 40) -> list[dict[str, Any]]:
        """The account's own statuses, newest first, straight from the API."""
        response = self._api(
            account.access_token, "GET", f"/api/v1/accounts/{account.id}/statuses",
            params={"limit": limit},
        )
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result

    def post_as(self, account: SeededAccount, text: str, **fields: Any) -> dict[str, Any]:
        response = self._api(
            account.access_token, "POST", "/api/v1/statuses", data={"status": text, **fields}
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def set_posting_defaults(self, account: SeededAccount, *, visibility: str | None = None,
                             language: str | None = None) -> dict[str, Any]:
        """Change the account's posting defaults as the person would in the server's settings
        (PATCH update_credentials, source[privacy] / source[language]); returns what
        GET /api/v1/preferences answers afterwards."""
        data = {}
        if visibility is not None:
            data["source[privacy]"] = visibility
        if language is not None:
            data["source[language]"] = language
        response = self._api(account.access_token, "PATCH",
                             "/api/v1/accounts/update_credentials", data=data)
        response.raise_for_status()
        answer = self._api(account.access_token, "GET", "/api/v1/preferences")
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result

    def status(self, account: SeededAccount, status_id: str) -> dict[str, Any]:
        """One status as the server holds it (visibility and language included)."""
        response = self._api(account.access_token, "GET", f"/api/v1/statuses/{status_id}")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def follow(self, follower: SeededAccount, followed: SeededAccount) -> None:
        path = f"/api/v1/accounts/{followed.id}/follow"
        response = self._api(follower.access_token, "POST", path)
        response.raise_for_status()

    def revoke(self, account: SeededAccount) -> None:
        """Make the token invalid, as when the person revokes the app on the server."""
        response = self.http.post(
            self.base_url + "/oauth/revoke", data={"token": account.access_token}, timeout=10
        )
        response.raise_for_status()

    def authorize(self, redirect_url: str, username: str) -> str:
        """Play the person on the consent screen: pick `username`; return the callback URL
        the server redirects the browser to (the mock does not check PKCE or secrets)."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(redirect_url).query).items()}
        response = self.http.post(
            self.base_url + "/oauth/authorize",
            data={
                "username": username,
                "redirect_uri": query["redirect_uri"],
                "client_id": query["client_id"],
                "scope": query.get("scope", "read"),
                "state": query.get("state", ""),
            },
            allow_redirects=False,
            timeout=10,
        )
        if response.status_code != 302:
            raise AssertionError(f"authorize answered {response.status_code}: {response.text}")
        return response.headers["location"]

    def close(self) -> None:
        self.http.close()
        self.process.stop()


def _write_config(process: PeerProcess) -> None:
    (process.workdir / "media").mkdir(exist_ok=True)
    (process.workdir / "config.toml").write_text(
        CONFIG_TOML.format(port=process.port, workdir=process.workdir)
    )


def start_mastodon_peer() -> MastodonPeer:
    """Install (once) and start mastodon-mock on a free loopback port."""
    executable = ensure_mastodon_mock()
    process = PeerProcess(
        "mastodon-mock",
        [
            str(executable), "serve", "--config", "{workdir}/config.toml",
            "--host", "127.0.0.1", "--port", "{port}", "--log-level", "warning",
        ],
        ready_path="/health",
        before_start=_write_config,
    )
    process.start()
    return MastodonPeer(process)


def update_profile(peer: MastodonPeer, account: SeededAccount, *,
                   display_name: str | None = None, note: str | None = None,
                   fields: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """Set the account's profile as its owner would (PATCH /api/v1/accounts/update_credentials,
    form fields `fields_attributes[n][name|value]`). The mock keeps the note and the values as
    given (plain text) and never verifies a field (verified_at stays null)."""
    data: dict[str, str] = {}
    if display_name is not None:
        data["display_name"] = display_name
    if note is not None:
        data["note"] = note
    for number, (name, value) in enumerate(fields):
        data[f"fields_attributes[{number}][name]"] = name
        data[f"fields_attributes[{number}][value]"] = value
    response = peer._api(account.access_token, "PATCH", "/api/v1/accounts/update_credentials",
                         data=data)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body
