"""A stand-in for the one Meta endpoint that checks an app without a user: the app access token.

Built from Meta's documentation, not from the hub's code:
- "Access Tokens for Meta Technologies", App Access Tokens
  (developers.facebook.com/docs/facebook-login/guides/access-tokens): `GET /oauth/access_token
  ?client_id={app-id}&client_secret={app-secret}&grant_type=client_credentials`, a server-to-
  server call, answered with `{"access_token": ..., "token_type": "bearer"}`.
- Threads "App Access Tokens" (developers.facebook.com/documentation/threads/get-started/
  app-access-tokens): the same request with the Threads app ID and secret; the token reads
  `TH|<APP_ID>|<ACCESS_TOKEN>`.
- Graph API "Handling Errors" (developers.facebook.com/docs/graph-api/guides/error-handling):
  an error is HTTP 400 with `{"error": {"message", "type", "code", "fbtrace_id"}}`; OAuth
  problems have type "OAuthException". The messages for an unknown app ("Error validating
  application. Invalid application ID.", code 101) and a wrong secret ("Error validating client
  secret.", code 1) are the ones Meta's servers give, as quoted in public questions about them.

It runs on 127.0.0.1 in a thread, keeps every request it saw, and knows the apps a test gives it.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN_PATH = "/oauth/access_token"


def _error(message: str, code: int) -> dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code,
                      "fbtrace_id": secrets.token_urlsafe(12)}}


class MetaAppStandIn:
    def __init__(self, apps: dict[str, str], token_prefix: str = "") -> None:
        self.apps = dict(apps)  # app id -> app secret
        self.token_prefix = token_prefix  # "TH|" for Threads, "" for the Graph API
        self.requests: list[tuple[str, dict[str, list[str]]]] = []  # (method, query)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                standin.requests.append(("GET", query))
                if parts.path != TOKEN_PATH:
                    self._send(404, _error("Unknown path components", 2500))
                    return
                status, body = standin.answer(query)
                self._send(status, body)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def answer(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        def one(name: str) -> str:
            values = query.get(name) or [""]
            return values[0]

        if one("grant_type") != "client_credentials":
            return 400, _error("Invalid grant_type: must be client_credentials", 100)
        app_id = one("client_id")
        if app_id not in self.apps:
            return 400, _error("Error validating application. Invalid application ID.", 101)
        if one("client_secret") != self.apps[app_id]:
            return 400, _error("Error validating client secret.", 1)
        token = f"{self.token_prefix}{app_id}|{secrets.token_urlsafe(20)}"
        return 200, {"access_token": token, "token_type": "bearer"}

    @property
    def token_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{TOKEN_PATH}"

    def start(self) -> MetaAppStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def meta_app_standin(apps: dict[str, str], token_prefix: str = "") -> Iterator[MetaAppStandIn]:
    standin = MetaAppStandIn(apps, token_prefix).start()
    try:
        yield standin
    finally:
        standin.stop()
