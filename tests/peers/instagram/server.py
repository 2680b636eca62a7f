"""The Instagram stand-in's HTTP server: one loopback origin for www.instagram.com's
authorization window (/oauth/authorize), api.instagram.com's code exchange
(/oauth/access_token), graph.instagram.com (/{version}/... and unversioned /...), the images
it serves back (/_cdn/...) and the test control surface (/_standin/...).

For every Graph request: the version prefix, an armed fault, the account's usage budget
(X-Business-Use-Case-Usage on the answer; 80002 once spent), then the handler, which checks
the token, permissions and parameters. A request that breaks a documented rule is answered as
Meta answers it *and* recorded for protocol_errors().

Run: python -m tests.peers.instagram.server --port N
"""

from __future__ import annotations

import io
import re
import sys
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from PIL import Image

from tests.peers import standin_control, standin_http
from tests.peers.facebook.server import parse_body
from tests.peers.facebook.wire import (
    GraphError,
    Reply,
    Request,
    rate_limited,
    server_error,
    unknown_path,
)
from tests.peers.instagram import control, oauth, publishing, reading
from tests.peers.instagram.access import token_value, usage
from tests.peers.instagram.state import Fault, Store
from tests.peers.instagram.wire import IG_ERRORS, ig_error, token_error

Handler_ = Callable[[Store, Request], Reply]
ROUTES: dict[tuple[str, str], Handler_] = {
    **oauth.ROUTES, **reading.ROUTES,
    ("POST", "/{ig-user-id}/media"): publishing.create,
    ("POST", "/{ig-user-id}/media_publish"): publishing.publish,
    ("GET", "/{ig-user-id}/content_publishing_limit"): publishing.publishing_limit,
}
SELF_LOCKING = {("POST", "/{ig-user-id}/media")}  # fetches the media outside the lock
EXACT = {"/oauth/authorize", "/oauth/access_token", "/access_token", "/refresh_access_token",
         "/me"}
NO_USAGE = {"/oauth/authorize", "/oauth/access_token", "/access_token"}
EDGES = {"media": "/{ig-user-id}/media", "media_publish": "/{ig-user-id}/media_publish",
         "content_publishing_limit": "/{ig-user-id}/content_publishing_limit",
         "stories": "/{ig-user-id}/stories", "children": "/{ig-media-id}/children",
         "comments": "/{ig-media-id}/comments", "replies": "/{ig-comment-id}/replies"}
ID = re.compile(r"^(\d+|me)$")
VERSION = re.compile(r"^/(v\d+\.\d+)(/.*)$")
RATE_CODES = {"4": 4, "17": 17, "32": 32, "613": 613}
SUBCODES = {"463": None, "460": "password", "458": "deauthorized"}


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (150, 150), (200, 200, 200)).save(out, "JPEG")
    return out.getvalue()


PICTURE = _jpeg()  # every profile picture here


def template(path: str) -> str | None:
    if path in EXACT:
        return path
    parts = path.split("/")
    if len(parts) < 2 or not ID.match(parts[1]):
        return None
    if len(parts) == 2:
        return "/{id}"
    if len(parts) == 3:
        return EDGES.get(parts[2])
    return None


def fault_error(store: Store, req: Request, fault: Fault) -> GraphError | None:
    kind = fault.kind
    value = token_value(req) or ""
    token = store.tokens.get(value)
    if kind == "190":
        sub = str(fault.options.get("subcode", "463"))
        if token is not None:
            token.invalid_reason = SUBCODES.get(sub)
            if sub == "463":
                token.expires_at = time.time() - 1
        return token_error(token, value)
    if kind == "80002":
        if token is None:
            return GraphError(80002, "There have been too many calls to this Instagram "
                              "account. Wait a bit and try again.", transient=True)
        try:
            usage(store, token, forced=True)
        except GraphError as error:
            return error
    if kind in RATE_CODES:
        return rate_limited(RATE_CODES[kind], {})
    if kind.isdigit() and int(kind) in IG_ERRORS:
        if fault.options.get("in_status"):
            return None  # the container is made and fails (see StandIn.answer)
        return ig_error(int(kind))
    if kind in {"1", "2"}:
        return server_error(int(kind))
    if kind == "100":
        return GraphError(100, "(#100) Invalid parameter")
    if kind == "10":
        return GraphError(10, "(#10) Application does not have permission for this action",
                          status=403)
    return None


class StandIn:
    def __init__(self) -> None:
        self.store = Store()

    def answer(self, req: Request, fault: Fault | None) -> Reply:
        store = self.store
        key = (req.method, req.template or "")
        handler = ROUTES.get(key)
        if handler is None:
            raise unknown_path(req.path)
        if fault is not None and fault.kind in {"500", "502", "503", "504"}:
            return Reply(int(fault.kind), "Sorry, something went wrong.", "text/html")
        with store.lock:  # one request at a time touches the store
            if fault is not None:
                error = fault_error(store, req, fault)
                if error is not None:
                    raise error
            headers: dict[str, str] = {}
            value = token_value(req)
            token = store.tokens.get(value) if value and req.template not in NO_USAGE \
                else None
            if token is not None and token.live(time.time()):
                headers = usage(store, token)
        try:
            if key in SELF_LOCKING:  # takes the lock itself, around its slow part
                reply = handler(store, req)
            else:
                with store.lock:
                    reply = handler(store, req)
        except GraphError as error:
            error.reply.headers.update(headers)
            raise
        if fault is not None and fault.options.get("in_status") and \
                key == ("POST", "/{ig-user-id}/media") and reply.status == 200:
            with store.lock:
                store.containers[reply.body["id"]].error = int(fault.kind)
        reply.headers.update(headers)
        return reply


class Handler(standin_http.StandInHandler):
    standin: StandIn
    server_version = "hubbub-instagram-standin"
    max_body = 64 * 1024 * 1024

    def serve(self) -> None:
        standin, store = self.standin, self.standin.store
        parts = urlsplit(self.path)
        body = self.body_or_refuse(lambda why: GraphError(100, why).reply)
        if body is None:
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            query = parse_qs(parts.query, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            self.close_connection = True
            self.send_reply(GraphError(100, "(#100) The query string is not UTF-8").reply)
            return
        found = VERSION.match(parts.path)
        version, path = (found.group(1), found.group(2)) if found else (None, parts.path)
        path = path.rstrip("/") or "/"
        req = Request(self.command, path, version, parts.query,
                      {k: v[-1] for k, v in query.items()}, headers, body,
                      lists={k: list(v) for k, v in query.items()},
                      origin="http://" + headers.get("host", "127.0.0.1"))
        if parts.path.startswith("/_standin/"):
            self._control(req)
            return
        if parts.path.startswith("/_cdn/") or parts.path == "/favicon.ico":
            self.send_reply(self._cdn(parts.path))
            return
        req.template = template(path)
        entry: dict[str, Any] = {
            "method": req.method, "path": parts.path, "version": version,
            "query": {k: ("…" if k in {"access_token", "client_secret"} else v)
                      for k, v in req.params.items()}, "at": time.time()}
        with store.lock:  # requests run concurrently: each keeps its own entry
            store.seen.append(entry)
        fault = store.take_fault(req.method, path, req.template)
        if self.fault_before(fault, store.release, frozenset({"hold", "timeout"})):
            return
        try:
            parse_body(req, headers.get("content-type", ""))
            reply = standin.answer(req, fault)
        except GraphError as error:
            reply = error.reply
            if error.rule:
                with store.lock:
                    store.protocol.append({"method": req.method, "path": parts.path,
                                           "rule": error.rule, "status": reply.status})
        except Exception:
            trace = traceback.format_exc()
            print(trace, file=sys.stderr, flush=True)
            with store.lock:
                store.protocol.append({"method": req.method, "path": parts.path,
                                       "rule": "the stand-in failed: " + trace[-1500:],
                                       "status": 500})
            reply = server_error(1).reply
        with store.lock:
            entry["status"] = reply.status
        self.reply_or_cut(reply, fault, store.release)

    def _cdn(self, path: str) -> Reply:
        """Stands for Instagram's CDN: published images as they were fetched, and the
        profile picture."""
        if path.startswith("/_cdn/profile/"):
            return Reply(200, PICTURE, "image/jpeg")
        media_id = path.rsplit("/", 1)[-1].removesuffix(".jpg")
        with self.standin.store.lock:
            media = self.standin.store.media.get(media_id)
            data = media.image if media is not None and not media.deleted else b""
        if not data:
            return Reply(404, "", "text/plain")
        return Reply(200, data, "image/jpeg")

    def _control(self, req: Request) -> None:
        status, body = standin_control.answer(self.standin.store, control.ACTIONS, req.method,
                                              req.path, req.params, req.body)
        if status == 200 and isinstance(body, dict) and "callback" in body:
            body["callback"] = _deliver(body["callback"])  # outside the store's lock
            with self.standin.store.lock:
                self.standin.store.deauthorizations.append(body["callback"])
        self.send_reply(Reply(status, body))


def _deliver(callback: dict[str, Any]) -> dict[str, Any]:
    """POST signed_request to the app's Deauthorize Callback URL (loopback only)."""
    url = str(callback["url"])
    if urlsplit(url).hostname not in publishing.LOOPBACK:
        return {**callback, "status": None, "error": "the stand-in calls only loopback URLs"}
    data = urlencode({"signed_request": callback["signed_request"]}).encode()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, data=data, method="POST"),
                         timeout=10) as answer:
            return {**callback, "status": answer.status}
    except urllib.error.HTTPError as exc:
        return {**callback, "status": exc.code}
    except OSError as exc:
        return {**callback, "status": None, "error": str(exc)}


def make_server(port: int = 0) -> ThreadingHTTPServer:
    return standin_http.bind(Handler, {"standin": StandIn()}, port)


def main(argv: list[str] | None = None) -> None:
    standin_http.main("Instagram API with Instagram Login stand-in (tests)", make_server, argv)


if __name__ == "__main__":
    main()
