"""The LinkedIn stand-in's HTTP server: one loopback origin for www.linkedin.com's OAuth pages
(/oauth/v2/...), its upload URLs (/dms-uploads/...), api.linkedin.com (/v2/userinfo, /rest/...)
and the test control surface (/_standin/...).

For a /rest/ request: an armed fault, then the headers LinkedIn requires (LinkedIn-Version, an
active YYYYMM: 400 VERSION_MISSING / 426 NONEXISTENT_VERSION; X-Restli-Protocol-Version
2.0.0), the bearer token (401), the daily limits (429), then the handler, which checks the body,
the URN encoding, the scopes (403) and the author. A request that broke a documented rule is
recorded as a protocol error *and* answered as LinkedIn would.

Run: python -m tests.peers.linkedin.server --port N
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
from tests.peers.linkedin import control, images, oauth, posts, social, videos
from tests.peers.linkedin.state import Fault, Store, active_versions
from tests.peers.linkedin.wire import (
    Problem,
    ProtocolError,
    Reply,
    Request,
    error,
    urn_segment,
)

Route = Callable[[Store, Request], Reply]
TEMPLATES = [
    (re.compile(r"^/rest/posts/([^/]+)$"), "/rest/posts/{urn}", "urn"),
    (re.compile(r"^/rest/images/([^/]+)$"), "/rest/images/{urn}", "urn"),
    (re.compile(r"^/rest/videos/([^/]+)$"), "/rest/videos/{urn}", "urn"),
    (re.compile(r"^/dms-uploads/video/([^/]+/\d+)$"), "/dms-uploads/video/{part}", "part"),
    (re.compile(r"^/rest/socialActions/([^/]+)/comments$"),
     "/rest/socialActions/{urn}/comments", "urn"),
    (re.compile(r"^/rest/organizations/([^/]+)$"), "/rest/organizations/{id}", "id"),
]
FAULT_STATUS = {"500": "Internal Server Error", "502": "Bad Gateway",
                "503": "Service Unavailable", "504": "Gateway Timeout"}
VERSION = re.compile(r"^(\d{6})(?:\.\d{2})?$")


def template_of(path: str) -> tuple[str, dict[str, str]]:
    for pattern, template, name in TEMPLATES:
        found = pattern.match(path)
        if found:
            return template, {name: found.group(1)}
    return path, {}


def unauthorized(kind: str) -> Problem:
    # learn.microsoft.com/linkedin/shared/api-guide/concepts/error-handling (401 codes); bodies
    # as observed (65601: github.com/jclusso/omniauth-linkedin-openid/issues/6; 65600:
    # github.com/xcarpentier/react-native-linkedin/issues/80)
    if kind == "expired":
        return error(401, "The token used in the request has expired", "EXPIRED_ACCESS_TOKEN",
                     65602)
    if kind == "revoked":
        return error(401, "The token used in the request has been revoked by the user",
                     "REVOKED_ACCESS_TOKEN", 65601)
    return error(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)


def throttled(scope: str) -> Problem:
    return error(429, f"Resource level throttle {scope} DAY limit for calls to this resource "
                 "is reached.", "TOO_MANY_REQUESTS", 101)


class StandIn:
    def __init__(self) -> None:
        self.store = Store()
        self.base_url = ""

    def rest_routes(self) -> dict[tuple[str, str], Route]:
        base = self.base_url
        return {
            **posts.ROUTES, **social.ROUTES,
            ("POST", "/rest/images"): lambda s, r: images.initialize(s, r, base),
            ("GET", "/rest/images/{urn}"): lambda s, r: images.get(s, r, base),
            ("POST", "/rest/videos"): lambda s, r: videos.action(s, r, base),
            ("GET", "/rest/videos/{urn}"): lambda s, r: videos.get(s, r, base),
        }

    def authorize(self, req: Request) -> None:
        store = self.store
        auth = req.headers.get("authorization", "")
        token = store.tokens.get(auth[7:].strip()) if auth.lower().startswith("bearer ") else None
        if token is None or token.kind != "access":
            raise unauthorized("invalid")
        if token.revoked:
            raise unauthorized("revoked")
        if time.time() >= token.expires_at:
            raise unauthorized("expired")
        req.token, req.member, req.app = (token, store.members[token.member_id],
                                          store.apps.get(token.client_id))

    def check_headers(self, req: Request) -> None:
        version = req.headers.get("linkedin-version")
        if not version:
            raise ProtocolError(400, "LinkedIn-Version header is missing", {
                "status": 400, "code": "VERSION_MISSING",
                "message": "A version must be present. Please specify a version by adding the "
                           "LinkedIn-Version header."})
        found = VERSION.match(version.strip())
        active = self.store.versions or active_versions()
        if found is None or found.group(1) not in active:
            raise ProtocolError(426, f"LinkedIn-Version {version!r} is not active", {
                "status": 426, "code": "NONEXISTENT_VERSION",
                "message": f"Requested version {version} is not active"})
        if req.headers.get("x-restli-protocol-version") != "2.0.0":
            raise ProtocolError(400, "X-Restli-Protocol-Version: 2.0.0 is required", {
                "status": 400, "message": "X-Restli-Protocol-Version 2.0.0 is required on this "
                "API (Rest.li 1.0 requests are not accepted)"})

    def answer(self, req: Request, fault: Fault | None) -> Reply:
        store = self.store
        if fault is not None and fault.kind in FAULT_STATUS:
            raise Problem(int(fault.kind), {"message": FAULT_STATUS[fault.kind],
                                            "status": int(fault.kind)})
        if fault is not None and fault.kind == "429":
            raise throttled(str(fault.options.get("limit", "APPLICATION")))
        if fault is not None and fault.kind == "401":
            raise unauthorized(str(fault.options.get("reason", "expired")))
        route = oauth.ROUTES.get((req.method, req.path))
        with store.lock:  # one request at a time touches the store
            if route is not None:
                return route(store, req)
            if req.method == "PUT" and req.path.startswith(videos.UPLOAD_PREFIX):
                return videos.upload(store, req)  # the URL itself is the credential
            if req.method == "PUT" and req.path.startswith("/dms-uploads/"):
                self.authorize(req)
                return images.upload(store, req)
            if req.method == "GET" and req.path.startswith("/dms/image/"):
                return images.download(store, req.path.removeprefix("/dms/image/"))
            if (req.method, req.path) == ("GET", "/v2/userinfo"):
                self.authorize(req)
                return oauth.userinfo(store, req)
            handler = self.rest_routes().get((req.method, req.template or ""))
            if handler is None and not req.path.startswith(("/rest/", "/v2/")):
                return Reply(404, b"Not found", "text/plain")  # e.g. a browser's favicon
            if handler is None:
                raise ProtocolError(404, f"{req.method} {req.path} is not a resource this "
                                    "stand-in knows", {"status": 404, "message":
                                                       "No resource found"})
            self.check_headers(req)
            self.authorize(req)
            for name, value in list(req.params.items()):
                if name == "urn":
                    req.params[name] = urn_segment(value, req.template or "")
            assert req.member is not None
            assert req.token is not None
            spent = store.count_daily(req.member.id, req.token.client_id, req.method,
                                      req.template or "")
            if spent is not None:
                raise throttled(spent)
            return handler(store, req)

    def record(self, req: Request, status: int, rule: str) -> None:
        with self.store.lock:
            self.store.protocol_errors.append({
                "method": req.method, "path": req.path, "query": req.query_string,
                "status": status, "rule": rule})


class Handler(standin_http.StandInHandler):
    standin: StandIn
    server_version = "hubbub-linkedin-standin"

    def serve(self) -> None:
        standin = self.standin
        parts = urlsplit(self.path)
        body = self.body_or_refuse(lambda why: Reply(400, {"status": 400, "message": why}))
        if body is None:
            return
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(self.command, parts.path, parts.query, query, headers, body)
        if parts.path.startswith("/_standin/"):
            self._control(req)
            return
        req.template, req.params = template_of(parts.path)
        store = standin.store
        with store.lock:
            store.seen.append({"method": req.method, "path": req.path, "query": req.query,
                               "linkedin_version": headers.get("linkedin-version"),
                               "restli_protocol": headers.get("x-restli-protocol-version"),
                               "body": body[:20000].decode("utf-8", "replace"),
                               "at": time.time()})
            entry = store.seen[-1]
        fault = store.take_fault(req.method, req.path, req.template)
        release = store.release
        if self.fault_before(fault, release):
            return
        try:
            reply = standin.answer(req, fault)
        except ProtocolError as problem:
            standin.record(req, problem.reply.status, problem.rule)
            reply = problem.reply
        except Problem as problem:
            reply = problem.reply
        except Exception:
            trace = traceback.format_exc()
            print(trace, file=sys.stderr, flush=True)
            standin.record(req, 500, "the stand-in failed: " + trace[-1500:])
            reply = Reply(500, {"status": 500, "message": "Internal Server Error"})
        with store.lock:
            entry["status"] = reply.status
        self.reply_or_cut(reply, fault, release)

    def _control(self, req: Request) -> None:
        self.send_reply(Reply(*standin_control.answer(
            self.standin.store, control.ACTIONS, req.method, req.path, req.query, req.body)))


def make_server(port: int = 0) -> ThreadingHTTPServer:
    standin = StandIn()
    server = standin_http.bind(Handler, {"standin": standin}, port)
    standin.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    return server


def main(argv: list[str] | None = None) -> None:
    standin_http.main("LinkedIn API stand-in (tests only)", make_server, argv)


if __name__ == "__main__":
    main()

