"""The Facebook stand-in's HTTP server: one loopback origin for www.facebook.com's Login dialog
(/{version}/dialog/oauth), graph.facebook.com (/{version}/...) and the test control surface
(/_standin/...).

For every Graph request: the version prefix, an armed fault, the caller's usage budget
(X-App-Usage or X-Business-Use-Case-Usage on the answer; Meta's rate-limit error once spent),
then the handler, which checks the token, permissions and parameters. A request that breaks a
documented rule is answered as Meta answers it *and* recorded for protocol_errors().

Run: python -m tests.peers.facebook.server --port N
"""

from __future__ import annotations

import base64
import json
import re
import sys
import time
import traceback
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.peers import standin_control, standin_http
from tests.peers.facebook import control, dialog, likes, oauth, pages
from tests.peers.facebook.access import token_value, usage
from tests.peers.facebook.state import CURRENT_VERSION, VERSIONS, Fault, Store
from tests.peers.facebook.wire import (
    GraphError,
    Reply,
    Request,
    blocked,
    duplicate,
    invalid,
    permission_error,
    server_error,
    token_error,
    unknown_path,
)

Handler_ = Callable[[Store, Request], Reply]
ROUTES: dict[tuple[str, str], Handler_] = {**oauth.ROUTES, **pages.ROUTES, **likes.ROUTES,
                                           ("GET", "/dialog/oauth"): dialog.show,
                                           ("POST", "/dialog/oauth"): dialog.submit}
EXACT = {"/me", "/debug_token", "/oauth/access_token", "/dialog/oauth", "/me/accounts",
         "/me/permissions"}
EDGES = {"feed", "photos", "posts", "published_posts", "comments", "likes"}
ID = re.compile(r"^\d+(_\d+)?$")  # Graph ids: digits, posts and comments "{a}_{b}"
VERSION = re.compile(r"^/(v\d+\.\d+)(/.*)$")
MAX_BODY = 64 * 1024 * 1024
PICTURE = base64.b64decode(  # a 1 x 1 grey PNG: the silhouette every Page here has
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==")
RATE_CODES = {"4": 4, "17": 17, "32": 32, "613": 613}
SUBCODES = {"463": None, "460": "password", "458": "deauthorized", "467": "logged_out"}


def template(method: str, path: str) -> str | None:
    if path in EXACT:
        return path
    parts = path.split("/")
    if len(parts) > 1 and not ID.match(parts[1]) and parts[1] != "me":
        return None
    if len(parts) == 4 and parts[1] == "me" and parts[2] == "permissions":
        return "/me/permissions/{permission}"
    if len(parts) == 2 and parts[1]:
        return "/{object-id}"
    if len(parts) == 3 and parts[2] in EDGES:
        if parts[2] in {"comments", "likes"}:
            return "/{object-id}/" + parts[2]
        return "/{page-id}/" + parts[2]
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
        given = token_value(req)
        token = store.find_token(given) if given else None
        try:
            usage(store, token, RATE_CODES[kind])
        except GraphError as error:
            return error
        return None
    simple: dict[str, Callable[[], GraphError]] = {
        "368": blocked, "506": duplicate, "1": lambda: server_error(1), "2": server_error,
        "200": lambda: permission_error("Permissions error"),
        "10": lambda: permission_error("Application does not have permission for this "
                                       "action", code=10),
        "100": lambda: invalid("(#100) Invalid parameter"),
    }
    return simple[kind]() if kind in simple else None


class StandIn:
    def __init__(self) -> None:
        self.store = Store()

    def answer(self, req: Request, fault: Fault | None) -> Reply:
        store = self.store
        if req.version is not None and req.version not in VERSIONS and \
                _newer(req.version, CURRENT_VERSION):
            raise unknown_path(f"/{req.version}{req.path}")
        handler = ROUTES.get((req.method, req.template or ""))
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
            token = store.find_token(value) if value and req.template not in {
                "/dialog/oauth", "/oauth/access_token"} else None
            if token is not None and token.live(time.time()):
                headers = usage(store, token, None)
            try:
                reply = handler(store, req)
            except GraphError as error:
                error.reply.headers.update(headers)
                raise
        reply.headers.update(headers)
        return reply


def _newer(version: str, than: str) -> bool:
    def parts(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in v[1:].split("."))
    return parts(version) > parts(than)


def parse_body(req: Request, content_type: str) -> None:
    """Form, multipart or JSON body fields join the query's (the body wins), as Graph reads
    them; a body that cannot be read is Meta's (#100) and a broken rule."""
    body = req.body
    media = content_type.split(";")[0].strip().lower()
    if not body:
        return
    if media == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError as exc:
            raise invalid("(#100) The form body is not UTF-8", rule="a form body not in UTF-8")\
                from exc
        for name, values in fields.items():
            req.lists[name] = values
            req.params[name] = values[-1]
    elif media == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
        if not message.is_multipart() or message.defects:
            raise invalid("(#100) The multipart body cannot be read",
                          rule="a broken multipart body")
        for part in message.iter_parts():
            named = part.get_param("name", header="content-disposition")
            if not isinstance(named, str):
                raise invalid("(#100) A multipart part has no name", rule="a nameless part")
            data = part.get_payload(decode=True) or b""
            assert isinstance(data, bytes)
            filename = part.get_filename()
            if filename is not None:
                req.files[named] = (filename, part.get_content_type(), data)
            else:
                text = data.decode("utf-8", "replace")
                req.params[named] = text
                req.lists.setdefault(named, []).append(text)
    elif media == "application/json":
        try:
            value = json.loads(body)
        except ValueError as exc:
            raise invalid(f"(#100) The JSON body cannot be read: {exc}",
                          rule="a JSON body that is not JSON") from exc
        if not isinstance(value, dict):
            raise invalid("(#100) The JSON body must be an object", rule="a JSON non-object")
        for name, item in value.items():
            text = item if isinstance(item, str) else json.dumps(item)
            req.params[name] = text
            req.lists[name] = [text]
    else:
        raise invalid(f"(#100) Unsupported Content-Type {media}",
                      rule=f"a body sent as {media}")


class Handler(standin_http.StandInHandler):
    standin: StandIn
    server_version = "hubbub-facebook-standin"
    max_body = MAX_BODY

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
            with standin.store.lock:
                store.protocol.append({"method": self.command, "path": parts.path,
                                       "rule": "a query string not in UTF-8", "status": 400})
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
        if parts.path == "/favicon.ico":  # browsers ask; nothing to record
            self.send_reply(Reply(404, "", "text/plain"))
            return
        if parts.path.startswith("/_cdn/"):  # stands for Facebook's CDN (Page pictures)
            self.send_reply(Reply(200, PICTURE, "image/png"))
            return
        req.template = template(req.method, path)
        with store.lock:
            store.seen.append({"method": req.method, "path": parts.path, "version": version,
                               "query": {k: ("…" if k == "access_token" else v)
                                         for k, v in req.params.items()},
                               "at": time.time()})
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
            store.seen[-1]["status"] = reply.status
        self.reply_or_cut(reply, fault, store.release)

    def _control(self, req: Request) -> None:
        self.send_reply(Reply(*standin_control.answer(
            self.standin.store, control.ACTIONS, req.method, req.path, req.params, req.body)))


def make_server(port: int = 0) -> ThreadingHTTPServer:
    return standin_http.bind(Handler, {"standin": StandIn()}, port)


def main(argv: list[str] | None = None) -> None:
    standin_http.main("Facebook Login + Graph API stand-in (tests)", make_server, argv)


if __name__ == "__main__":
    main()
