"""The Threads stand-in's HTTP server: one loopback origin for threads.net's Authorization
Window (/oauth/authorize), graph.threads.net (/v1.0/... and the unversioned token endpoints),
the media it stores (/_cdn/..., standing for Meta's CDN) and the test control surface
(/_standin/...).

For every Graph request: the version prefix, an armed fault, then the handler, which checks
the token, permissions and parameters. A request that breaks a documented rule is answered as
Meta answers it *and* recorded for protocol_errors(). Bodies (form, multipart, JSON) are read
by the Facebook stand-in's parse_body: Graph reads them the same way on both hosts.

Run: python -m tests.peers.threads.server --port N
"""

from __future__ import annotations

import re
import sys
import time
import traceback
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.peers import standin_control, standin_http
from tests.peers.facebook.access import token_value
from tests.peers.facebook.server import PICTURE, parse_body
from tests.peers.facebook.wire import (
    GraphError,
    Reply,
    Request,
    rate_limited,
    server_error,
    token_error,
    unknown_path,
)
from tests.peers.threads import control, oauth, publish, read
from tests.peers.threads.access import media_not_found, quota_error, th_invalid
from tests.peers.threads.state import VERSION, Fault, Store

Handler_ = Callable[[Store, Request], Reply]
ROUTES: dict[tuple[str, str], Handler_] = {
    **oauth.ROUTES,
    ("GET", "/me"): read.node,
    ("GET", "/{object-id}"): read.node,
    ("DELETE", "/{object-id}"): read.delete,
    ("POST", "/{user-id}/threads"): publish.create,
    ("GET", "/{user-id}/threads"): read.user_threads,
    ("POST", "/{user-id}/threads_publish"): publish.publish,
    ("GET", "/{user-id}/threads_publishing_limit"): publish.publishing_limit,
    ("GET", "/{id}/replies"): read.replies,
    ("GET", "/{media-id}/conversation"): read.conversation,
    ("GET", "/{user-id}/mentions"): read.mentions,
    ("POST", "/{reply-id}/manage_reply"): read.manage_reply,
    ("GET", "/keyword_search"): read.keyword_search,
    ("GET", "/{media-id}/insights"): read.insights,
    ("POST", "/{media-id}/repost"): read.repost,
}
UNLOCKED = {publish.create}  # takes the lock itself (it fetches media without it)
EXACT = {"/oauth/authorize", "/oauth/access_token", "/access_token", "/refresh_access_token",
         "/me", "/debug_token", "/keyword_search"}
EDGES = {"threads": "/{user-id}/threads", "threads_publish": "/{user-id}/threads_publish",
         "threads_publishing_limit": "/{user-id}/threads_publishing_limit",
         "replies": "/{id}/replies", "conversation": "/{media-id}/conversation",
         "mentions": "/{user-id}/mentions", "manage_reply": "/{reply-id}/manage_reply",
         "insights": "/{media-id}/insights", "repost": "/{media-id}/repost"}
ID = re.compile(r"^(\d+|me)$")
VERSIONED = re.compile(r"^/(v\d+\.\d+)(/.*)$")
RATE_CODES = {"4", "17", "32", "613"}
SUBCODES = {"463": None, "460": "password", "458": "deauthorized", "467": "logged_out"}


def template(path: str) -> str | None:
    if path in EXACT:
        return path
    parts = path.split("/")
    if len(parts) < 2 or not ID.match(parts[1]):
        return None
    if len(parts) == 2:
        return "/{object-id}"
    if len(parts) == 3:
        return EDGES.get(parts[2])
    return None


def fault_error(store: Store, req: Request, fault: Fault) -> GraphError | None:
    kind = fault.kind
    if kind == "190":
        value = token_value(req) or ""
        token = store.find_token(value)
        sub = str(fault.options.get("subcode", "463"))
        if token is not None:
            token.invalid_reason = SUBCODES.get(sub)
            if sub == "463":
                token.expires_at = time.time() - 1
        return token_error(token, value)
    if kind in RATE_CODES:
        return rate_limited(int(kind), {})
    simple: dict[str, Callable[[], GraphError]] = {
        "24": media_not_found, "9": lambda: quota_error("posts"),
        "10": lambda: GraphError(10, "Application does not have permission for this action"),
        "100": lambda: th_invalid("Invalid parameter"),
        "1": lambda: server_error(1), "2": server_error,
    }
    return simple[kind]() if kind in simple else None


class StandIn:
    def __init__(self) -> None:
        self.store = Store()

    def answer(self, req: Request, fault: Fault | None) -> Reply:
        store = self.store
        if req.version is not None and req.version != VERSION:
            raise unknown_path(f"/{req.version}{req.path}")
        req.version = VERSION  # paging links point back at /v1.0
        handler = ROUTES.get((req.method, req.template or ""))
        if handler is None:
            raise unknown_path(req.path)
        after = fault is not None and bool(fault.options.get("after"))
        if fault is not None and not after:
            self._fault(req, fault)
        if handler in UNLOCKED:
            reply = handler(store, req)
        else:
            with store.lock:  # one request at a time touches the store
                reply = handler(store, req)
        if fault is not None and after:  # done, then answered as failed
            self._fault(req, fault)
        return reply

    def _fault(self, req: Request, fault: Fault) -> None:
        if fault.kind == "container_error":  # the container is made, then ends in ERROR
            with self.store.lock:
                self.store.container_errors.append(
                    str(fault.options.get("error_message", "UNKNOWN")))
            return
        if fault.kind in {"500", "502", "503", "504"}:
            raise HTTPPage(int(fault.kind))
        with self.store.lock:
            error = fault_error(self.store, req, fault)
        if error is not None:
            raise error


class HTTPPage(Exception):
    """A bare HTTP error page, as a proxy in front of Graph answers."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.reply = Reply(status, "Sorry, something went wrong.", "text/html")


class Handler(standin_http.StandInHandler):
    standin: StandIn
    server_version = "hubbub-threads-standin"
    max_body = 64 * 1024 * 1024

    def serve(self) -> None:
        store = self.standin.store
        parts = urlsplit(self.path)
        body = self.body_or_refuse(lambda why: GraphError(100, why).reply)
        if body is None:
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            query = parse_qs(parts.query, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            self.close_connection = True
            self.send_reply(th_invalid("The query string is not UTF-8").reply)
            with store.lock:
                store.protocol.append({"method": self.command, "path": parts.path,
                                       "rule": "a query string not in UTF-8", "status": 400})
            return
        found = VERSIONED.match(parts.path)
        version, path = (found.group(1), found.group(2)) if found else (None, parts.path)
        path = path.rstrip("/") or "/"
        req = Request(self.command, path, version, parts.query,
                      {k: v[-1] for k, v in query.items()}, headers, body,
                      lists={k: list(v) for k, v in query.items()},
                      origin="http://" + headers.get("host", "127.0.0.1"))
        if parts.path.startswith("/_standin/"):
            self.send_reply(Reply(*standin_control.answer(
                store, control.ACTIONS, req.method, req.path, req.params, req.body)))
            return
        if parts.path.startswith("/_cdn/") or parts.path == "/favicon.ico":
            self.send_reply(self._cdn(parts.path))
            return
        req.template = template(path)
        seen = {"method": req.method, "path": parts.path, "version": version,
                "query": {k: ("…" if k == "access_token" else v)
                          for k, v in req.params.items()}, "at": time.time()}
        with store.lock:
            store.seen.append(seen)
        fault = store.take_fault(req.method, path, req.template)
        if self.fault_before(fault, store.release, frozenset({"hold", "timeout"})):
            return
        try:
            parse_body(req, headers.get("content-type", ""))
            reply = self.standin.answer(req, fault)
        except HTTPPage as page:
            reply = page.reply
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
            seen["status"] = reply.status
        self.reply_or_cut(reply, fault, store.release)

    def _cdn(self, path: str) -> Reply:
        store = self.standin.store
        if path.startswith("/_cdn/profile/"):
            return Reply(200, PICTURE, "image/png")
        with store.lock:
            post = store.posts.get(path.rsplit("/", 1)[-1])
            if post is None or post.deleted or not post.media:
                return Reply(404, "", "text/plain")
            return Reply(200, post.media, post.mime_type)


def make_server(port: int = 0) -> ThreadingHTTPServer:
    return standin_http.bind(Handler, {"standin": StandIn()}, port)


def main(argv: list[str] | None = None) -> None:
    standin_http.main("Threads API stand-in (tests)", make_server, argv)


if __name__ == "__main__":
    main()
