"""The X stand-in's HTTP server: one loopback origin for api.x.com (/2/...), x.com's consent
page (/i/oauth2/authorize) and the test control surface (/_standin/...).

For every request on a path of X's OpenAPI document: validate the request against it (a
failure is recorded and, as X does, answered 400), then an armed fault, then the bearer token
(401), its scopes (403), the access level (403 client-forbidden), credits (402), the usage cap
and the per-endpoint rate limit (429, with x-rate-limit-* headers on every answer), then the
handler; the answer is validated against the document before it is sent.

Run: python -m tests.peers.x.server --port N
"""

from __future__ import annotations

import sys
import time
import traceback
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.peers import standin_control, standin_http
from tests.peers.x import api, control, media, oauth
from tests.peers.x.spec import document
from tests.peers.x.state import FREE_LEVEL, Fault, Store
from tests.peers.x.wire import TYPES, Problem, Reply, Request, generic, invalid, unauthorized

ROUTES = {**api.ROUTES, **media.ROUTES}
FAULT_STATUS = {"500": "Internal Server Error", "502": "Bad Gateway",
                "503": "Service Unavailable", "504": "Gateway Timeout"}
MAX_BODY = 600 * 1024 * 1024


def client_forbidden(client_id: str) -> Problem:
    # The answer apps on the Free level got for reads (observed; README.md, "Sources").
    return Problem(403, {
        "client_id": client_id,
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use "
                  "keys and tokens from a Twitter developer App that is attached to a Project. "
                  "You can create a project via the developer portal.",
        "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
        "title": "Client Forbidden", "required_enrollment": "Appropriate Level of API Access",
        "reason": "client-not-enrolled", "type": TYPES + "client-forbidden",
    })


def credits_depleted() -> Problem:
    return Problem(402, {
        "account_id": 1, "title": "CreditsDepleted",
        "detail": "Your enrolled account [1] does not have any credits to fulfill this request.",
        "type": TYPES + "credits",
    })


def usage_capped() -> Problem:
    return Problem(429, {"title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly "
                         "product cap", "type": TYPES + "usage-capped", "period": "Monthly",
                         "scope": "Product"})


def too_many(reset: int, limit: int) -> Problem:
    return Problem(429, {"title": "Too Many Requests", "detail": "Too Many Requests",
                         "type": "about:blank", "status": 429},
                   {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": str(reset)})


class StandIn:
    def __init__(self) -> None:
        self.store = Store()
        self.doc = document()

    # --- the API pipeline ---------------------------------------------------------------------
    def answer(self, req: Request, fault: Fault | None) -> Reply:
        store = self.store
        oauth_route = oauth.ROUTES.get((req.method, req.path))
        if oauth_route is not None:
            with store.lock:
                return oauth_route(store, req)
        handler = ROUTES.get((req.method, req.template or ""))
        if handler is None:
            return Reply(404, {"errors": [{"message": "Sorry, that page does not exist",
                                           "code": 34}]})
        if fault is not None and fault.kind in FAULT_STATUS:
            raise generic(int(fault.kind), FAULT_STATUS[fault.kind])
        if fault is not None and fault.kind == "429":
            raise too_many(int(fault.options.get("reset", time.time() + 900)), 1)
        if fault is not None and fault.kind == "402":
            raise credits_depleted()
        if fault is not None and fault.kind == "usage_cap":
            raise usage_capped()
        if fault is not None and fault.kind == "401":
            raise unauthorized()
        with store.lock:  # one request at a time touches the store (workers run in parallel)
            self._authorize(req)
            headers = self._meter(req)
            try:
                reply = handler(store, req)
            except Problem as problem:
                problem.reply.headers.update(headers)
                raise
        reply.headers.update(headers)
        return reply

    def _authorize(self, req: Request) -> None:
        store = self.store
        auth = req.headers.get("authorization", "")
        token = store.tokens.get(auth[7:].strip()) if auth.lower().startswith("bearer ") else None
        if token is None or token.kind != "access" or not token.live(time.time()):
            raise unauthorized()
        req.token, req.user = token, store.users[token.user_id]
        assert req.template is not None
        found = self.doc.match(req.method, req.path)
        needed: list[str] = []
        if found is not None:
            for requirement in found[0].spec.get("security", []):
                needed = requirement.get("OAuth2UserToken", needed)
        missing = [s for s in needed if s not in token.scopes]
        if missing:
            raise generic(403, "Forbidden", f"Missing scopes: {' '.join(missing)}")
        if store.access_level == "free" and (req.method, req.template) not in FREE_LEVEL:
            raise client_forbidden(token.client_id)

    def _meter(self, req: Request) -> dict[str, str]:
        store = self.store
        assert req.user is not None
        assert req.template is not None
        if store.credits is not None:
            if store.credits <= 0:
                raise credits_depleted()
            store.credits -= 1
        if store.usage_cap:
            raise usage_capped()
        window = store.take(req.user.id, req.method, req.template)
        if window is None:
            return {}
        if window.remaining < 0:
            raise too_many(window.reset, window.limit)
        return {"x-rate-limit-limit": str(window.limit),
                "x-rate-limit-remaining": str(window.remaining),
                "x-rate-limit-reset": str(window.reset)}

    def record(self, direction: str, req: Request, status: int | None,
               errors: list[str]) -> None:
        with self.store.lock:
            self.store.failures.append({
                "direction": direction, "method": req.method,
                "path": req.path + ("?" + req.query_string if req.query_string else ""),
                "operation": req.template, "status": status, "errors": errors,
            })


class Handler(standin_http.StandInHandler):
    standin: StandIn
    server_version = "hubbub-x-standin"
    max_body = MAX_BODY

    def serve(self) -> None:
        standin = self.standin
        parts = urlsplit(self.path)
        body = self.body_or_refuse(lambda why: generic(400, "Bad Request", why).reply)
        if body is None:
            return
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(self.command, parts.path, parts.query, query, headers, body)
        if parts.path.startswith("/_standin/"):
            self._control(req)
            return
        store = standin.store
        op = None
        errors: list[str] = []
        with store.lock:
            store.seen.append({"method": req.method, "path": req.path, "query": req.query,
                               "at": time.time()})
        found = standin.doc.match(req.method, req.path)
        if found is not None:
            op, req.params = found
            req.template = op.template
            _found, errors = standin.doc.check_request(req.method, req.path, parts.query,
                                                    headers, body)
            if errors:
                standin.record("request", req, None, errors)
        fault = store.take_fault(req.method, req.path, req.template)
        release = store.release
        if self.fault_before(fault, release):
            return
        try:
            if found is not None and errors and not any(e.startswith("no credentials")
                                                        for e in errors):
                raise invalid("; ".join(errors)[:2000])
            reply = standin.answer(req, fault)
        except Problem as problem:
            reply = problem.reply
        except Exception:
            trace = traceback.format_exc()
            print(trace, file=sys.stderr, flush=True)
            standin.record("response", req, 500, ["the stand-in failed: " + trace[-1500:]])
            reply = generic(500, "Internal Server Error").reply
        if op is not None:
            wrong = standin.doc.check_response(
                op, reply.status, reply.content_type, reply.payload())
            if wrong:
                standin.record("response", req, reply.status, wrong)
        with store.lock:
            store.seen[-1]["status"] = reply.status
        self.reply_or_cut(reply, fault, release)

    def _control(self, req: Request) -> None:
        self.send_reply(Reply(*standin_control.answer(
            self.standin.store, control.ACTIONS, req.method, req.path, req.query, req.body)))


def make_server(port: int = 0) -> ThreadingHTTPServer:
    return standin_http.bind(Handler, {"standin": StandIn()}, port)


def main(argv: list[str] | None = None) -> None:
    standin_http.main("X API v2 stand-in (tests only)", make_server, argv)


if __name__ == "__main__":
    main()
